"""Call transcription (docs/benchmarks.md, "Calls"): the real-time factor of the speech model that
installs with Arrears, on this machine, for 10 s, 60 s and 5 min of speech, and its peak memory.

1. Speech is made with espeak-ng (`apt-get install espeak-ng`): a collector's sentences about
   invoices, dates and amounts, varied and repeated, written as one 16-bit WAV file per length
   (22,050 Hz, mono; silence of 0.4 s between sentences), cut to exactly 10, 60 and 300 seconds.
2. Each length is transcribed in a child process of its own (so that each peak memory is its own),
   as Arrears does it (`adapters/speech.WhisperTranscriber`: the bundled `tiny.en` CTranslate2 model,
   int8, voice-activity filtering on, ARREARS_SPEECH_THREADS threads, default 2): the model load
   once, then the transcription, by wall clock and by the process's CPU time (all its threads).

Reported: the load, the transcription's wall and CPU seconds, the real-time factor (seconds of
audio per second of CPU, and per second of wall clock), the peak resident memory of the process,
and the share of five key words of the text that the transcript holds. The target: a 60 s call
transcribed in under 30 s on 2 cores. Reported, never asserted.

    python bench/calls.py                      # 10 s, 60 s, 5 min, 2 threads
    python bench/calls.py --lengths 10 --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

SENTENCES = [
    "Hello, this is Anna from accounts receivable at Example Supplies.",
    "I am calling about invoice 1034, which was due on the fifteenth of May.",
    "The customer says the payment of four thousand two hundred dollars will go out on Friday.",
    "They asked for a copy of the statement and the remittance details.",
    "There is a dispute about the quantity on invoice 1041; the warehouse will check the delivery note.",
    "We agreed on a payment plan of three instalments, the first one next Tuesday.",
    "Please send the reminder to Pat Payables in the finance department.",
]
KEY_WORDS = ("invoice", "friday", "statement", "dispute", "payment")


def speech(seconds: int, folder: Path) -> Path:
    """`seconds` of espeak-ng speech as one WAV file."""
    frames = b""
    params = None
    n = 0
    while params is None or len(frames) < seconds * params.framerate * params.sampwidth:
        part = folder / f"s{n % len(SENTENCES)}.wav"
        if not part.exists():
            subprocess.run(["espeak-ng", "-s", "165", "-w", str(part), SENTENCES[n % len(SENTENCES)]], check=True)
        with wave.open(str(part), "rb") as w:
            params = w.getparams()
            frames += w.readframes(w.getnframes()) + b"\x00\x00" * int(0.4 * params.framerate)
        n += 1
    out = folder / f"speech-{seconds}s.wav"
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(frames[: seconds * params.framerate * params.sampwidth])
    return out


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(path: Path, seconds: int, threads: int) -> dict[str, float | int | str]:
    """In the child process: load the model, transcribe, report."""
    from arrears.adapters.speech import WhisperTranscriber

    transcriber = WhisperTranscriber(None, threads)
    wall, used = time.perf_counter(), cpu()
    transcriber.load()
    load_wall = time.perf_counter() - wall
    wall, used = time.perf_counter(), cpu()
    transcript = transcriber.transcribe(path)
    wall, used = time.perf_counter() - wall, cpu() - used
    said = transcript.text.lower()
    return {
        "audio_s": seconds,
        "threads": threads,
        "load_s": round(load_wall, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(used, 2),
        "rtf_cpu": round(seconds / used, 1),
        "rtf_wall": round(seconds / wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "segments": len(transcript.segments),
        "key_words": f"{sum(word in said for word in KEY_WORDS)}/{len(KEY_WORDS)}",
        "start": transcript.text[:90],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="10,60,300", help="seconds of speech, comma-separated")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("ARREARS_SPEECH_THREADS", "2")))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, seconds = args.child.rsplit(":", 1)
        print(json.dumps(measure(Path(path), int(seconds), args.threads)))
        return
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; {args.threads} threads")
    with tempfile.TemporaryDirectory() as folder:
        for seconds in (int(s) for s in args.lengths.split(",")):
            path = speech(seconds, Path(folder))
            child = [sys.executable, __file__, "--threads", str(args.threads), "--child", f"{path}:{seconds}"]
            result = json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
            print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
