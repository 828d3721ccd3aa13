"""Calls, recorded and transcribed: which recordings are accepted, what a transcript is, when audio
is deleted.

Pure: the format of a recording is read from its first bytes (never from its name or the client's
content type); decoding it whole, to be sure it is audio and to measure it, is an adapter's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import InvalidValue


class AudioFormat(StrEnum):
    WAV = "wav"
    MP3 = "mp3"
    OGG = "ogg"


# What the audio route serves each format as (with nosniff, so a browser never guesses otherwise).
CONTENT_TYPES = {AudioFormat.WAV: "audio/wav", AudioFormat.MP3: "audio/mpeg", AudioFormat.OGG: "audio/ogg"}


class RecordingStatus(StrEnum):
    PENDING = "pending"  # stored, waiting for the worker (or the request's end) to transcribe it
    TRANSCRIBING = "transcribing"
    DONE = "done"
    FAILED = "failed"  # the last attempt failed (its error is on the task); the job tries again


DEFAULT_MAX_MB = 50
MAX_FILENAME = 255
MAX_ERROR = 1000


def sniff_format(head: bytes) -> AudioFormat:
    """The container of a recording, from its first bytes (at least 12): RIFF/WAVE, an Ogg page, or
    MP3 (an ID3 tag or an MPEG audio frame header). Anything else is refused with a message."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return AudioFormat.WAV
    if head[:4] == b"OggS":
        return AudioFormat.OGG
    if head[:3] == b"ID3":
        return AudioFormat.MP3
    # An MPEG-1/2/2.5 Layer III frame: 11 sync bits, a version that exists, layer III.
    frame = len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0
    if frame and (head[1] & 0x18) != 0x08 and (head[1] & 0x06) == 0x02:
        return AudioFormat.MP3
    raise InvalidValue("the file is not a WAV, MP3 or OGG recording (its content says otherwise)")


def check_size(size: int, max_bytes: int) -> None:
    if size == 0:
        raise InvalidValue("the recording is empty")
    if size > max_bytes:
        raise InvalidValue(f"the recording is {size / 1_000_000:.1f} MB; at most {max_bytes / 1_000_000:.0f} MB")


def clean_filename(name: str | None, fmt: AudioFormat) -> str:
    """The name the recording was uploaded under, without a path, for display only (never a path)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())[:MAX_FILENAME]
    return base or f"recording.{fmt.value}"


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of speech: from `start` to `end`, seconds from the start of the recording."""

    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    language: str
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


def clock_time(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) for a segment's start, as a player shows it."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def deletes_audio(retention_days: int) -> bool:
    """Whether recordings' audio is deleted after `retention_days` (0 keeps it forever); the
    transcript always stays."""
    if retention_days < 0:
        raise InvalidValue("the retention of call recordings is a number of days, 0 or more")
    return retention_days > 0


def error_text(error: BaseException) -> str:
    """What a failed transcription shows on the task: the error's kind and message, bounded."""
    text = f"{type(error).__name__}: {error}".strip()
    return text[:MAX_ERROR]
