"""Call recordings' audio: kept as files under one directory (ARREARS_CALLS_DIR), and decoded with
miniaudio (MIT; its WAV, MP3 and Ogg Vorbis decoders are compiled into its wheel) to be sure an upload
is audio, to measure it, and to hand the speech model its samples. Not PyAV, whose wheels bundle
FFmpeg with GPL codecs (docs/dependencies.md)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from ..domain.calls import AudioFormat
from ..domain.errors import InvalidValue, NotFound

SPEECH_RATE = 16_000  # the samples a Whisper model reads: mono, 16 kHz, 32-bit floats
MAX_DURATION_MS = 4 * 3600 * 1000


class FileAudioStore:
    """Each recording one file named by a random key (never by anything the client sent), written
    whole to a temporary name first so a half-written file is never seen."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, data: bytes, fmt: AudioFormat) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = f"{secrets.token_hex(16)}.{fmt.value}"
        temporary = self.directory / f".{key}.part"
        with open(temporary, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        temporary.replace(self.directory / key)
        return key

    def _file(self, key: str) -> Path:
        if "/" in key or "\\" in key or key.startswith("."):
            raise NotFound("no such recording")
        return self.directory / key

    def path(self, key: str) -> Path:
        found = self._file(key)
        if not found.is_file():
            raise NotFound(f"the recording's audio is missing from {self.directory}")
        return found

    def delete(self, key: str) -> None:
        self._file(key).unlink(missing_ok=True)


def decode(data: bytes, fmt: AudioFormat, sample_rate: int = SPEECH_RATE) -> tuple[Any, int]:
    """Every sample of the recording, mono at `sample_rate` as 32-bit floats, and its duration in
    milliseconds. A file that does not decode whole is corrupt: InvalidValue."""
    import miniaudio
    import numpy as np

    try:
        decoded = miniaudio.decode(
            data, output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1, sample_rate=sample_rate
        )
    except miniaudio.MiniaudioError as error:
        what = "an Ogg Vorbis" if fmt is AudioFormat.OGG else f"a {fmt.value.upper()}"
        raise InvalidValue(
            f"the recording is not {what} file that decodes whole (corrupt, incomplete, or another codec): {error}"
        ) from None
    samples = np.frombuffer(decoded.samples, dtype=np.float32)
    return samples, round(decoded.num_frames * 1000 / decoded.sample_rate)


class AudioProbe:
    def duration_ms(self, data: bytes, fmt: AudioFormat) -> int:
        """Decode the whole recording (at a low rate: only its length is wanted)."""
        _, duration_ms = decode(data, fmt, sample_rate=8_000)
        if duration_ms <= 0:
            raise InvalidValue(f"the {fmt.value.upper()} recording holds no sound")
        if duration_ms > MAX_DURATION_MS:
            raise InvalidValue("the recording is longer than 4 hours")
        return duration_ms
