"""``render --dialogue-overflow``: the CLI passes the policy through, says which shots it
affected, and refuses an unknown policy as a usage error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from storyboard_app.cli import main
from storyboard_app.media.ffmpeg import probe, write_wav
from storyboard_app.model import DialogueLine, Document, Project, Sequence, Shot, Take, TakeStatus


@pytest.fixture
def bundle(tmp_path):
    root = tmp_path / "cli.sbproj"
    shots = []
    for i, colour in enumerate(((200, 30, 30), (30, 30, 200)), start=1):
        picture = root / "media" / "takes" / f"s{i}.png"
        picture.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (160, 90), colour).save(picture)
        shots.append(Shot(id=f"s{i}", number=str(i), duration=12, selected_take_id=f"t{i}",
                          takes=[Take(id=f"t{i}", generator_id="import", media_path=f"media/takes/s{i}.png",
                                      status=TakeStatus.DONE)]))
    tone = root / "media" / "audio" / "long.wav"
    tone.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(2.0 * 22050)) / 22050
    write_wav(tone, 0.5 * np.sin(2 * np.pi * 440 * t), 22050)
    shots[0].dialogue = [DialogueLine("l1", "", "far too long", audio="media/audio/long.wav")]
    project = Project(title="CLI", fps=12, width=160, height=90, sequences=[Sequence("q", "Scene", shots)])
    Document(project, root).save()
    return root


@pytest.mark.parametrize(("policy", "seconds", "note"), [
    ("fit", None, "fitted to their dialogue"), ("trim", 2.0, "dialogue trimmed at the cut"),
    ("run-over", 2.0, "dialogue runs over the cut")])
def test_policy_reaches_the_export_and_the_report(bundle, tmp_path, capsys, policy, seconds, note):
    out = tmp_path / f"{policy}.mp4"
    assert main(["render", str(bundle), "-o", str(out), "--no-burnins", "--dialogue-overflow", policy]) == 0
    printed = capsys.readouterr().out
    assert f"shot 1: {note}" in " ".join(printed.split())
    duration = probe(out).duration
    if seconds is None:
        assert duration > 3.0  # shot 1 grew to its 2 s line plus the tail
    else:
        assert abs(duration - seconds) < 0.1


def test_unknown_policy_is_a_usage_error(bundle, tmp_path, capsys):
    code = main(["render", str(bundle), "-o", str(tmp_path / "x.mp4"), "--dialogue-overflow", "squeeze"])
    assert code == 2 and "--dialogue-overflow" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()
