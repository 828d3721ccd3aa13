"""Call recordings' audio: kept as files under one directory (ARREARS_CALLS_DIR), and decoded with
PyAV (FFmpeg's decoders, which faster-whisper uses too) to be sure an upload is audio and to measure it."""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

from ..domain.calls import AudioFormat
from ..domain.errors import InvalidValue, NotFound

# FFmpeg's demuxer for each format: the container is forced, never guessed from the bytes again.
DEMUXERS = {AudioFormat.WAV: "wav", AudioFormat.MP3: "mp3", AudioFormat.OGG: "ogg"}
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


class PyAvProbe:
    def duration_ms(self, data: bytes, fmt: AudioFormat) -> int:
        """Decode every frame of the first audio stream: a file that does not decode is corrupt."""
        import av  # FFmpeg loads when a recording is checked

        samples = 0.0
        try:
            with av.open(io.BytesIO(data), mode="r", format=DEMUXERS[fmt]) as container:
                streams = container.streams.audio
                if not streams:
                    raise InvalidValue(f"the {fmt.value.upper()} file holds no audio")
                stream = streams[0]
                for frame in container.decode(stream):
                    if frame.sample_rate:
                        samples += frame.samples / frame.sample_rate
        except InvalidValue:
            raise
        except (av.FFmpegError, ValueError, OSError, EOFError) as error:
            raise InvalidValue(f"the {fmt.value.upper()} recording is corrupt or incomplete: {error}") from None
        duration_ms = round(samples * 1000)
        if duration_ms <= 0:
            raise InvalidValue(f"the {fmt.value.upper()} recording holds no sound")
        if duration_ms > MAX_DURATION_MS:
            raise InvalidValue("the recording is longer than 4 hours")
        return duration_ms
