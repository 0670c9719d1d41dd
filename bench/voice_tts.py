"""Temp-voiceover speed: piper with the packaged voice, on one core.

Prints the model load time and the real-time factor (seconds of speech per second of wall
time) against the physical reference, real time (1.0x): above 1.0x a line is ready before it
could have been spoken. Measured twice in the same run: the bare model (piper's own
``synthesize``) and the engine as the app uses it (character settings: rate, pitch shift
through ffmpeg, level), so the cost of the per-character processing is visible.

One core: the process is pinned to one CPU and onnxruntime gets one intra-op thread
(``PiperEngine(threads=1)``, plus OMP_NUM_THREADS=1 before anything imports onnxruntime).
CPU time is printed beside wall time: on a shared machine a wall time much larger than the
CPU time means the core was busy with someone else's work.

Usage: .venv/bin/python bench/voice_tts.py [--repeat N]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import itertools  # noqa: E402
import time  # noqa: E402

LINES = [
    "You're late again, Mara. The broth doesn't wait for anyone.",
    "The broth has never once waited for me, Teo.",
    "Someone left this for you.",
    "For me? Nobody knows I come here.",
    "Hello? I know you're there.",
    "Then you know what it opens.",
    "Your father's shop. Tonight, before the tide.",
]
VOICE = "en_US-joe-medium"


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system  # ffmpeg runs as a child


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the lines (default 3)")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"

    start = time.perf_counter()
    import piper.voice  # noqa: F401 - imports onnxruntime; timed apart from the model load
    from piper.config import SynthesisConfig

    import_s = time.perf_counter() - start
    from storyboard_app.model import VoiceSettings
    from storyboard_app.voice.piper_engine import PiperEngine

    engine = PiperEngine(voice_dirs=[], threads=1)
    start = time.perf_counter()
    voice = engine.load_voice(VOICE)
    load_s = time.perf_counter() - start
    rate = voice.config.sample_rate
    list(voice.synthesize("Warm up.", SynthesisConfig()))  # first run allocates buffers

    def measure(speak) -> tuple[float, float, float]:
        speech = 0.0
        wall0, cpu0 = time.perf_counter(), cpu_seconds()
        for _ in range(args.repeat):
            for line in LINES:
                speech += speak(line)
        return speech, time.perf_counter() - wall0, cpu_seconds() - cpu0

    def bare(line: str) -> float:
        chunks = list(voice.synthesize(line, SynthesisConfig()))
        return sum(len(c.audio_float_array) for c in chunks) / rate

    characters = [VoiceSettings(voice=VOICE, rate=1.08, pitch_semitones=3.0),
                  VoiceSettings(voice=VOICE, rate=0.9, pitch_semitones=-2.5, volume_db=-1.0)]
    turn = itertools.cycle(characters)

    def app(line: str) -> float:
        return engine.synthesize(line, next(turn)).seconds

    print(f"voice_tts  {datetime.date.today()}  {engine.version}, voice {VOICE}, "
          f"{cores} CPU core(s), 1 onnxruntime thread")
    print(f"import piper + onnxruntime: {import_s:.2f} s; model load: {load_s:.2f} s (once per process)")
    print("reference: real time = 1.0x (one second of speech per second of wall time)")
    for label, speak in (("bare model", bare), ("engine with character settings", app)):
        speech, wall, cpu = measure(speak)
        print(f"{label}: {speech:.1f} s of speech in {wall:.2f} s wall ({cpu:.2f} s CPU) "
              f"-> {speech / wall:.1f}x real time (ratio to the 1.0x reference: {speech / wall:.2f})")


if __name__ == "__main__":
    main()
