"""Calls under test: speech made with espeak-ng (so nothing is tuned to one file), recordings encoded
to MP3 and OGG with PyAV, fakes of the transcriber, the audio store and the probe, and the real
speech model loaded once per test process.

Test modules import the fixtures they use by their functions' names:
`from tests.calls import whisper_fixture  # noqa: F401`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from arrears.domain.calls import AudioFormat, Segment, Transcript
from arrears.domain.errors import InvalidValue, NotFound

SENTENCE = (
    "Hello, this is Anna from accounts receivable. The customer will pay invoice 1034 on Friday, by bank transfer."
)
KEY_WORDS = ("anna", "receivable", "customer", "friday", "transfer")


def heard(transcript: str, words: tuple[str, ...] = KEY_WORDS) -> int:
    """How many of `words` the transcript holds (case and punctuation aside)."""
    said = transcript.lower()
    return sum(1 for word in words if word in said)


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, path: Path) -> Path:
    """`text` spoken by espeak-ng into a WAV file at `path` (skips the test where espeak-ng is missing)."""
    if not have_espeak():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


def encode(wav: Path, fmt: str) -> bytes:
    """The WAV file's audio encoded as `mp3` (Debian's lame) or `ogg` (Ogg Vorbis, Debian's oggenc):
    encoders the tests use, never Arrears."""
    tool = {"mp3": "lame", "ogg": "oggenc"}[fmt]
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install lame vorbis-tools)")
    out = wav.with_suffix(f".{fmt}")
    command = ["lame", "--quiet", str(wav), str(out)] if fmt == "mp3" else ["oggenc", "-Q", str(wav), "-o", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    return out.read_bytes()


class FakeTranscriber:
    """Says `words` for every recording; fails the first `failures` times it is asked."""

    def __init__(self, words: str = "We will pay invoice 1034 on Friday.", failures: int = 0) -> None:
        self.words = words
        self.failures = failures
        self.calls = 0

    def transcribe(self, path: Path) -> Transcript:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("the speech model ran out of memory")
        assert path.is_file()
        return Transcript("en", (Segment(0.0, 1.5, "Hello."), Segment(1.5, 4.0, self.words)))


class FakeAudioStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.directory = Path("/nonexistent")

    def save(self, data: bytes, fmt: AudioFormat) -> str:
        key = f"{len(self.files) + 1}.{fmt.value}"
        self.files[key] = data
        return key

    def path(self, key: str) -> Path:
        if key not in self.files:
            raise NotFound("no such recording")
        return Path(__file__)  # a file that exists: the fake transcriber does not read it

    def delete(self, key: str) -> None:
        self.files.pop(key, None)


class FakeProbe:
    """Accepts anything that sniffed as audio, lasting `duration_ms`; refuses bytes that hold b"CORRUPT"."""

    def __init__(self, duration_ms: int = 4000) -> None:
        self.duration = duration_ms

    def duration_ms(self, data: bytes, fmt: AudioFormat) -> int:
        if b"CORRUPT" in data:
            raise InvalidValue(f"the {fmt.value.upper()} recording is corrupt or incomplete")
        return self.duration


WAV_HEAD = b"RIFF\x24\x00\x00\x00WAVEfmt "


@pytest.fixture(scope="session", name="whisper")
def whisper_fixture() -> object:
    """The real transcriber with the bundled model, loaded once per test process."""
    from arrears.adapters.speech import WhisperTranscriber

    transcriber = WhisperTranscriber(None, threads=2)
    transcriber.load()
    return transcriber


def tiny_wav(seconds: float = 0.5) -> bytes:
    """A short WAV of silence (16 kHz mono), made without espeak-ng: for tests about storing, not words."""
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * int(16000 * seconds))
    return out.getvalue()
