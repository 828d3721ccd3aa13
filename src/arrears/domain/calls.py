"""Calls, recorded and transcribed: which recordings are accepted, what a transcript is, when audio
is deleted.

Pure: the format of a recording is read from its first bytes (never from its name or the client's
content type); decoding it whole, to be sure it is audio and to measure it, is an adapter's work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
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


# -- suggestions from a transcript (ARREARS_CALL_SUGGESTIONS) -------------------------------------------
# Offered to the collector as actions on the call task, each applied only by a click: a promise to
# pay (an amount and a date heard together), a dispute (the word said), a new contact's name.


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str  # promise, dispute, contact
    text: str  # what was heard, as the page quotes it
    amount: str | None = None  # a decimal string, e.g. "4200.00"
    due: date | None = None
    name: str | None = None


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_AMOUNT = re.compile(
    r"(?:[$€£]\s?(?P<a>\d[\d,]*(?:\.\d{1,2})?))|(?:(?P<b>\d[\d,]*(?:\.\d{1,2})?)\s?(?:dollars|euros|pounds|usd|eur|gbp)\b)",
    re.IGNORECASE,
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_DAY_OF = re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_NAME = re.compile(
    r"\b(?:my name is|this is|speak(?:ing)? (?:to|with)|ask for|contact is)\s+"
    r"(?P<name>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
)


def _amount(text: str) -> str | None:
    found = _AMOUNT.search(text)
    if found is None:
        return None
    digits = (found.group("a") or found.group("b")).replace(",", "")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return f"{value:.2f}" if value > 0 else None


def _date(text: str, said_on: date) -> date | None:
    lower = text.lower()
    iso = _ISO.search(text)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    month_day = _MONTH_DAY.search(text)
    if month_day:
        month = MONTHS.index(month_day.group(1).lower()) + 1
        year = said_on.year
        try:
            found = date(year, month, int(month_day.group(2)))
            return found if found >= said_on else date(year + 1, month, found.day)
        except ValueError:
            return None
    if "tomorrow" in lower:
        return said_on + timedelta(days=1)
    for index, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name}\b", lower):
            ahead = (index - said_on.weekday()) % 7 or 7
            return said_on + timedelta(days=ahead + (7 if f"next {name}" in lower and ahead < 7 else 0))
    day_of = _DAY_OF.search(text)
    if day_of:
        day = int(day_of.group(1))
        month, year = said_on.month, said_on.year
        if day < said_on.day:
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def suggestions(transcript: str, said_on: date, known_names: tuple[str, ...] = ()) -> list[Suggestion]:
    """What the transcript suggests doing, sentence by sentence: a promise where an amount and a date
    are said together (dates resolved from `said_on`, the day of the call), a dispute where the word is
    said, a contact for a name introduced ("this is Dana Ortiz") that is not `known_names`'."""
    found: list[Suggestion] = []
    known = {name.lower() for name in known_names}
    for sentence in re.split(r"(?<=[.!?])\s+", transcript):
        amount, due = _amount(sentence), _date(sentence, said_on)
        if amount and due and due >= said_on and not any(s.kind == "promise" for s in found):
            found.append(Suggestion("promise", sentence.strip(), amount=amount, due=due))
        if re.search(r"\bdisput", sentence, re.IGNORECASE) and not any(s.kind == "dispute" for s in found):
            found.append(Suggestion("dispute", sentence.strip()))
        name = _NAME.search(sentence)
        if name and name.group("name").lower() not in known and not any(s.kind == "contact" for s in found):
            found.append(Suggestion("contact", sentence.strip(), name=name.group("name")))
    return found
