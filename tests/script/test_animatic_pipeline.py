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


def test_voice_overlaps_generation_and_voiced_shots_are_made_at_their_fitted_length(tmp_path, monkeypatch):
    calls: list[tuple[str, float, float, list[str]]] = []
    real_generate = generation_service.generate_shots
    real_voice = voice_service.VoiceService.synthesize

    def generate(document, shots=None, **kwargs):  # noqa: ANN001, ANN202
        shots = list(shots)
        began = time.monotonic()
        try:
            return real_generate(document, shots, **kwargs)
        finally:
            calls.append(("generate", began, time.monotonic(), [s.prompt[:5] for s in shots]))

    def synthesize(self, project, shots=None, **kwargs):  # noqa: ANN001, ANN202
        began = time.monotonic()
        in_thread = threading.current_thread() is not threading.main_thread()
        if in_thread:
            time.sleep(1.0)  # long enough to see the overlap on a loaded machine
        try:
            return real_voice(self, project, shots, **kwargs)
        finally:
            calls.append(("voice", began, time.monotonic(), ["thread" if in_thread else "main"]))

    monkeypatch.setattr(generation_service, "generate_shots", generate)
    monkeypatch.setattr(voice_service.VoiceService, "synthesize", synthesize)
    script = tmp_path / "pier.fountain"
    script.write_text(SCRIPT)
    report = script_to_animatic(script, tmp_path / "pier.mp4", tmp_path / "pier.sbproj", size=(160, 90),
                                options=ExportOptions(burnins=BurnIns.none()), jobs=2)
    assert report.ok and (tmp_path / "pier.mp4").is_file()

    voices = [c for c in calls if c[0] == "voice"]
    assert [v[3] for v in voices] == [["thread"], ["main"]]  # then render's pass, all from the cache
    voice = voices[0]
    gens = [c for c in calls if c[0] == "generate"]
    assert [g[3] for g in gens] == [["WIDE ", "CLOSE"], ["MAREN"]]
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
