"""Temp voiceover: dialogue lines as speech, offline (no Qt, no torch).

Engines plug in through the ``storyboard_app.voices`` entry-point group (``registry``); piper
with a packaged voice is the default (``piper_engine``). ``VoiceService`` is what the CLI, the
exporter and the GUI call; ``timing`` places lines in shots and builds "fit shot to dialogue".
Importing this package loads no model and no onnxruntime.
"""

from .cache import LineCache
from .engine import Speech, VoiceEngine, VoiceError, VoiceInfo
from .registry import get_engine, installed_engines
from .service import PlacedLine, VoiceReport, VoiceService
from .timing import (
    DEFAULT_TAIL_FRAMES,
    ShotTiming,
    fit_shot_to_dialogue,
    fit_shots_to_dialogue,
    overlong_shots,
)

__all__ = [
    "DEFAULT_TAIL_FRAMES", "LineCache", "PlacedLine", "ShotTiming", "Speech", "VoiceEngine",
    "VoiceError", "VoiceInfo", "VoiceReport", "VoiceService", "fit_shot_to_dialogue",
    "fit_shots_to_dialogue", "get_engine", "installed_engines", "overlong_shots",
]
