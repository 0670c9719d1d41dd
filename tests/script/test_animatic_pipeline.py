"""``script_to_animatic``'s order: voice runs while the silent shots generate, the shots with
dialogue are generated only after they were fitted to their voice (never at a stale length)."""

from __future__ import annotations

import threading
import time

from storyboard_app.generation import service as generation_service
from storyboard_app.model import load_project
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import ExportOptions
from storyboard_app.script.animatic import script_to_animatic
from storyboard_app.voice import service as voice_service

SCRIPT = """EXT. PIER - NIGHT

WIDE on the pier. Rain.

MAREN (60s), in a navy peacoat, waits.

MAREN
He's late. He is always late, and the tide will not wait for him tonight.

CLOSE ON the lamp.
"""


def recorded_calls(monkeypatch, generate_delay: float = 0.0, voice_delay: float = 1.0) -> list[tuple]:
    """Record every ``generate_shots`` batch as ("generate", start, end, shots) and every voice
    pass as ("voice", start, end, "thread" or "main", shot ids); the voice thread's passes and the
    generation batches are slowed down so their overlap shows on a loaded machine."""
    calls: list[tuple] = []
    real_generate = generation_service.generate_shots
    real_voice = voice_service.VoiceService.synthesize

    def generate(document, shots=None, **kwargs):  # noqa: ANN001, ANN202
        shots = list(shots)
        began = time.monotonic()
        time.sleep(generate_delay)
        try:
            return real_generate(document, shots, **kwargs)
        finally:
            calls.append(("generate", began, time.monotonic(), shots))

    def synthesize(self, project, shots=None, **kwargs):  # noqa: ANN001, ANN202
        began = time.monotonic()
        in_thread = threading.current_thread() is not threading.main_thread()
        if in_thread:
            time.sleep(voice_delay)
        try:
            return real_voice(self, project, shots, **kwargs)
        finally:
            calls.append(("voice", began, time.monotonic(), "thread" if in_thread else "main", shots))

    monkeypatch.setattr(generation_service, "generate_shots", generate)
    monkeypatch.setattr(voice_service.VoiceService, "synthesize", synthesize)
    return calls


def test_voice_overlaps_generation_and_voiced_shots_are_made_at_their_fitted_length(tmp_path, monkeypatch):
    calls = recorded_calls(monkeypatch)
    script = tmp_path / "pier.fountain"
    script.write_text(SCRIPT)
    report = script_to_animatic(script, tmp_path / "pier.mp4", tmp_path / "pier.sbproj", size=(160, 90),
                                options=ExportOptions(burnins=BurnIns.none()), jobs=2)
    assert report.ok and (tmp_path / "pier.mp4").is_file()

    voices = [c for c in calls if c[0] == "voice"]
    assert [v[3] for v in voices] == ["thread", "main"]  # then render's pass, all from the cache
    voice = voices[0]
    gens = [c for c in calls if c[0] == "generate"]
    assert [[shot.prompt[:5] for shot in g[3]] for g in gens] == [["WIDE ", "CLOSE"], ["MAREN"]]
    silent, voiced = gens
    assert voice[1] < silent[2] and silent[1] < voice[2]  # the two ran at the same time
    assert voiced[1] >= voice[2]  # dialogue shots wait for their voice
    project = load_project(tmp_path / "pier.sbproj")
    # piper's duration noise moves a voiced line by a few frames from run to run, so the fit is a
    # no-op when the voice happens to land exactly on the reading-time estimate
    assert report.fitted in (0, 1)
    for shot in project.all_shots():
        assert shot.selected_take.frames == shot.duration  # every take made at the final length
    assert set(report.stages) >= {"import", "generate", "voice", "render", "total"}


THREE_SCENES = """EXT. PIER - NIGHT

WIDE on the pier. Rain.

A gull lands on a bollard.

MAREN
First line on the pier.

CLOSE ON the lamp.

NORA
Second line, by the lamp.

INT. BOAT - NIGHT

The engine coughs.

Smoke rolls over the deck.

MAREN
Third line, in the boat.

NORA
Fourth line, in the boat.

EXT. HARBOUR - DAWN

Gulls. Nobody speaks.

MAREN
Fifth line, at dawn.
"""


def test_voice_batches_are_consecutive_and_balance_the_lines():
    from types import SimpleNamespace

    from storyboard_app.script.animatic import voice_batches

    shots = [SimpleNamespace(dialogue=[1] * n, n=i) for i, n in enumerate([1, 3, 1, 1, 2, 1, 1])]
    batches = voice_batches(shots, 3)
    assert [s for batch in batches for s in batch] == shots  # consecutive, every shot once
    assert len(batches) == 3 and all(batches)
    assert max(sum(len(s.dialogue) for s in b) for b in batches) <= 5
    assert voice_batches(shots[:2], 3) == [[shots[0]], [shots[1]]]
    assert voice_batches([], 3) == []


def test_each_voiced_batch_is_fitted_and_generated_while_the_voice_speaks_the_next(tmp_path, monkeypatch):
    calls = recorded_calls(monkeypatch, generate_delay=0.6, voice_delay=0.4)
    script = tmp_path / "three.fountain"
    script.write_text(THREE_SCENES)
    report = script_to_animatic(script, tmp_path / "three.mp4", tmp_path / "three.sbproj", size=(160, 90),
                                options=ExportOptions(burnins=BurnIns.none()), jobs=2)
    assert report.ok and not report.failed
    voices = [c for c in calls if c[0] == "voice" and c[3] == "thread"]
    gens = [c for c in calls if c[0] == "generate"]
    assert len(voices) == 3 and len(gens) == 4  # silent shots, then one generation per voice batch
    assert [shot for v in voices for shot in v[4]] == [shot.id for g in gens[1:] for shot in g[3]]
    for voice, gen in zip(voices, gens[1:], strict=True):
        assert gen[1] >= voice[2]  # a batch is generated only once its lines are voiced (fitted length)
    # the voice of a later batch ran while an earlier batch (or the silent shots) generated
    assert any(v[1] < g[2] and g[1] < v[2] for v in voices[1:] for g in gens[:-1])
    project = load_project(tmp_path / "three.sbproj")
    for shot in project.all_shots():
        assert shot.selected_take.frames == shot.duration


def test_a_voice_failure_in_a_later_batch_stops_the_run_with_that_error(tmp_path, monkeypatch):
    real_voice = voice_service.VoiceService.synthesize
    seen: list[int] = []

    def synthesize(self, project, shots=None, **kwargs):  # noqa: ANN001, ANN202
        if threading.current_thread() is not threading.main_thread():
            seen.append(1)
            if len(seen) == 2:
                raise OSError("the voice cache disk went away")
        return real_voice(self, project, shots, **kwargs)

    monkeypatch.setattr(voice_service.VoiceService, "synthesize", synthesize)
    script = tmp_path / "three.fountain"
    script.write_text(THREE_SCENES)
    import pytest

    with pytest.raises(OSError, match="voice cache disk went away"):
        script_to_animatic(script, tmp_path / "three.mp4", tmp_path / "three.sbproj", size=(160, 90),
                           options=ExportOptions(burnins=BurnIns.none()), jobs=2)
    assert not (tmp_path / "three.mp4").exists()
