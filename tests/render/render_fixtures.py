from __future__ import annotations

from pathlib import Path

import numpy as np

from storyboard_app.media.ffmpeg import run_ffmpeg, write_wav
from storyboard_app.model import (
    DialogueLine,
    Document,
    Project,
    Sequence,
    Shot,
    Take,
    TakeStatus,
    Transition,
    TransitionKind,
)

W, H, FPS = 160, 90, 12
COLOURS = {"s1": (220, 40, 40), "s2": (40, 200, 60), "s3": None, "s4": (40, 80, 230)}
DURATIONS = {"s1": 24, "s2": 18, "s3": 12, "s4": 20}


def make_clip(path: Path, colour: tuple[int, int, int], frames: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    hexcolour = "0x{:02x}{:02x}{:02x}".format(*colour)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c={hexcolour}:s={W}x{H}:r={FPS}", "-frames:v", str(frames),
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)])


def make_tone(path: Path, seconds: float, freq: float = 440.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * 22050)) / 22050
    write_wav(path, 0.5 * np.sin(2 * np.pi * freq * t), 22050)


def build_document(tmp_path: Path) -> Document:
    """Four shots: red, green (dissolve in), no take (placeholder), blue (two lines of dialogue)."""
    bundle = tmp_path / "tiny.sbproj"
    shots = []
    for sid, colour in COLOURS.items():
        shot = Shot(id=sid, number=sid[1], prompt=f"shot {sid}", duration=DURATIONS[sid])
        if colour is not None:
            # clips a little shorter than the shot, so "hold last frame" is exercised
            make_clip(bundle / "media" / "takes" / f"{sid}.mp4", colour, DURATIONS[sid] - 4)
            shot.takes = [Take(id=f"t{sid}", generator_id="test", media_path=f"media/takes/{sid}.mp4",
                               status=TakeStatus.DONE)]
            shot.selected_take_id = f"t{sid}"
        shots.append(shot)
    shots[1].transition_in = Transition(TransitionKind.DISSOLVE, 6)
    make_tone(bundle / "media" / "audio" / "a.wav", 0.5)
    make_tone(bundle / "media" / "audio" / "b.wav", 0.5, 660)
    shots[0].dialogue = [DialogueLine("l1", "", "hello", audio="media/audio/a.wav")]
    shots[3].dialogue = [DialogueLine("l2", "", "goodbye", audio="media/audio/b.wav")]
    project = Project(title="Tiny", fps=FPS, width=W, height=H, sequences=[Sequence("q", "Scene", shots)])
    project.render.dialogue_lead_frames = 2
    doc = Document(project, bundle)
    doc.save()
    return doc
