"""A project naming a voice that is not installed speaks with the bundled voice and says so;
the speaker of a multi-speaker voice; cache names that did not change with the new field."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

import pytest

from storyboard_app.model import Character, DialogueLine, VoiceSettings, load_project
from storyboard_app.voice import VoiceError, VoiceService
from storyboard_app.voice.cache import CACHE_FORMAT, tts_key
from storyboard_app.voice.fallback import BUNDLED, missing_voices


def test_a_missing_voice_is_spoken_with_the_bundled_one_and_reported(bundle, tone, piper):
    project = load_project(bundle)
    project.character("ch_mara").voice.voice = "en_US-nobody-medium"  # tone has only "beep"
    report = VoiceService(bundle).synthesize(project)
    assert report.errors == [] and report.synthesized == 3
    [missing] = report.missing
    assert (missing.voice, missing.used_by, missing.fallback) == ("en_US-nobody-medium", ("Mara",), BUNDLED.voice)
    assert "voices pull en_US-nobody-medium" in missing.message()
    plan = VoiceService(bundle).plan(project, "s1")
    mara = project.character("ch_mara").voice
    as_bundled = VoiceSettings(BUNDLED.engine, BUNDLED.voice, mara.rate, mara.pitch_semitones, mara.volume_db)
    joe = next(v for v in piper.voices() if v.id == BUNDLED.voice)
    assert plan[0].audio_path.stem == tts_key(plan[0].text, as_bundled, piper.version, joe.version)
    assert tone.calls.count(plan[0].text) == 0  # Mara's line never reached the engine that lacks her voice


def test_missing_voices_lists_only_voices_that_will_speak(tone, new_project):
    project = new_project("tone", "beep")
    project.characters.append(Character("ch_silent", "Silent", voice=VoiceSettings("tone", "hum")))
    assert missing_voices(project) == []  # nobody speaks with "hum"
    [missing] = missing_voices(project, speaking_only=False)
    assert missing.used_by == ("Silent",) and missing.voice == "hum"
    project.all_shots()[2].dialogue.append(DialogueLine("l9", "ch_silent", "Now I speak."))
    assert [m.used_by for m in missing_voices(project)] == [("Silent",)]


def test_without_the_bundled_voice_a_missing_voice_stays_an_error(bundle, tone):
    project = load_project(bundle)
    project.character("ch_teo").voice.voice = "nobody"
    engines = {"tone": tone}

    def lookup(name: str):
        if name not in engines:
            raise VoiceError(f"voice engine {name!r} is not installed")
        return engines[name]

    report = VoiceService(bundle, engines=lookup).synthesize(project)
    assert len(report.errors) == 2 and "no voice 'nobody'" in report.errors[0]
    assert missing_voices(project, engines=lookup)[0].fallback == ""


def test_the_default_speaker_keeps_old_cache_names():
    settings = VoiceSettings()
    legacy = {k: v for k, v in asdict(settings).items() if k != "speaker"}
    text = json.dumps({"kind": "tts", "format": CACHE_FORMAT, "text": "Hi.", "settings": legacy,
                       "engine_version": "e", "voice_version": "v"},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert tts_key("Hi.", settings, "e", "v") == hashlib.sha256(text.encode()).hexdigest()[:32]
    assert tts_key("Hi.", VoiceSettings(speaker="alto"), "e", "v") != tts_key("Hi.", settings, "e", "v")


def test_an_unknown_speaker_is_a_clear_error(piper):
    with pytest.raises(VoiceError, match=r"voice 'en_US-joe-medium' has no speaker 'alto' \(it has one speaker\)"):
        piper.synthesize("Hi.", VoiceSettings(speaker="alto"))
