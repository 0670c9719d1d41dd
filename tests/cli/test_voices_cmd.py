"""``voices list/pull/rm/refresh`` against a loopback hub, and a pulled voice heard in ``render``;
a project naming a voice that is not installed renders with the bundled one, and says so."""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyboard_app.cli import main
from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import (
    Character,
    DialogueLine,
    Document,
    Project,
    Sequence,
    Shot,
    Take,
    TakeStatus,
    VoiceSettings,
    load_project,
)
from storyboard_app.voice.cache import tts_key
from storyboard_app.voice.registry import get_engine
from storyboard_app.voice.service import VoiceService

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "voice"))
from voice_hub_fixtures import TEST_VOICE, HubServer, isolated_user_data, publish_test_voice  # noqa: E402

LINE = "The lanterns are out tonight."


@pytest.fixture
def hub(tmp_path, monkeypatch):
    voices = isolated_user_data(tmp_path, monkeypatch)
    server = HubServer().start()
    monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
    publish_test_voice(server, tmp_path, voices)
    yield server
    server.stop()


def make_bundle(root: Path, mara_voice: str) -> Path:
    picture = root / "media" / "takes" / "s1.png"
    picture.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (160, 90), (40, 90, 160)).save(picture)
    mara = Character("ch_mara", "Mara", voice=VoiceSettings(voice=mara_voice))
    teo = Character("ch_teo", "Teo")
    shot = Shot(id="s1", number="1", duration=96, characters=["ch_mara", "ch_teo"], selected_take_id="t1",
                takes=[Take(id="t1", generator_id="import", media_path="media/takes/s1.png", status=TakeStatus.DONE)],
                dialogue=[DialogueLine("l1", "ch_mara", LINE), DialogueLine("l2", "ch_teo", "Then we cook.")])
    project = Project(title="Voices", fps=12, width=160, height=90, characters=[mara, teo],
                      sequences=[Sequence("q", "Scene", [shot])])
    Document(project, root).save()
    return root


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def slate_rgb(mp4: Path) -> np.ndarray:
    raw = run_ffmpeg(["-i", str(mp4), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    return np.frombuffer(raw, np.uint8).reshape(90, 160, 3)


def amber_pixels(frame: np.ndarray) -> int:
    """The slate's note is amber (235, 190, 90); title and subtitle are grey."""
    lower = frame[int(90 * 0.74):].astype(int)
    return int(((lower[..., 0] > 150) & (lower[..., 0] - lower[..., 2] > 60)).sum())


def test_list_filters_the_catalogue(capsys, tmp_path, monkeypatch):
    isolated_user_data(tmp_path, monkeypatch)  # the shipped snapshot, whatever this machine pulled
    assert main(["voices", "list", "--language", "en_GB", "--gender", "female"]) == 0
    out = capsys.readouterr().out
    assert "en_GB-alba-medium" in out and "en_GB-alan-medium" not in out and "en_US-" not in out


def test_a_pulled_voice_is_listed_used_by_render_and_removed(hub, tmp_path, capsys):
    assert main(["voices", "refresh"]) == 0
    assert main(["voices", "pull", TEST_VOICE]) == 0
    out = capsys.readouterr().out
    assert f"pulled {TEST_VOICE}" in out and "CC0-1.0" in out
    assert main(["voices", "list", "--installed", "--gender", "female"]) == 0
    out = capsys.readouterr().out
    assert TEST_VOICE in out and "installed" in out

    bundle = make_bundle(tmp_path / "v.sbproj", TEST_VOICE)
    out_mp4 = tmp_path / "a.mp4"
    assert main(["render", str(bundle), "-o", str(out_mp4)]) == 0
    captured = capsys.readouterr()
    assert "not installed" not in captured.err
    project = load_project(bundle)
    plan = VoiceService(bundle).plan(project, "s1")
    engine = get_engine("piper")
    mara_voice = project.character("ch_mara").voice
    pulled = next(v for v in engine.voices() if v.id == TEST_VOICE)
    joe = next(v for v in engine.voices() if v.id == "en_US-joe-medium")
    # Mara's line was synthesised with the pulled voice: its cache entry is keyed by that voice
    assert plan[0].audio_path.stem == tts_key(LINE, mara_voice, engine.version, pulled.version)
    as_joe = VoiceSettings(**{**mara_voice.__dict__, "voice": "en_US-joe-medium"})
    assert plan[0].audio_path.stem != tts_key(LINE, as_joe, engine.version, joe.version)
    # and it sounds like it: the test voice speaks 1.3x slower than joe
    joe_speech = engine.synthesize(LINE, as_joe)
    assert wav_seconds(plan[0].audio_path) > joe_speech.seconds * 1.15
    assert amber_pixels(slate_rgb(out_mp4)) == 0  # nothing to mark on the slate

    assert main(["voices", "rm", TEST_VOICE]) == 0
    capsys.readouterr()
    # the same project on a machine without the voice: bundled voice, a warning, a marked slate
    assert main(["voice", str(bundle)]) == 0
    err = capsys.readouterr().err
    assert (f"Mara: voice '{TEST_VOICE}' is not installed; speaking with the bundled "
            f"'en_US-joe-medium' instead (fetch it: storyboard-app voices pull {TEST_VOICE})") in err
    out_b = tmp_path / "b.mp4"
    assert main(["render", str(bundle), "-o", str(out_b)]) == 0
    captured = capsys.readouterr()
    assert "1 voice not installed" in captured.out
    assert f"storyboard-app voices pull {TEST_VOICE}" in captured.err
    assert amber_pixels(slate_rgb(out_b)) > 20
    fallback_plan = VoiceService(bundle).plan(load_project(bundle), "s1")
    assert fallback_plan[0].audio_path.stem == tts_key(LINE, as_joe, engine.version, joe.version)


def test_pull_of_an_unknown_voice_is_a_one_line_error(hub, capsys):
    assert main(["voices", "refresh"]) == 0
    assert main(["voices", "pull", "nobody"]) == 1
    assert "no voice 'nobody' in the Piper catalogue" in capsys.readouterr().err
