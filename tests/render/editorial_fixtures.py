"""A small 24 fps project for the deck, interchange, subtitle and import-cut tests.

Five shots in two scenes: coloured take clips (shot 3 has none, so it is a placeholder; shot 4's
take is a still), a dissolve into shot 2, notes, and dialogue in Latin, Cyrillic, Greek and CJK
spoken by characters whose names are Latin, Cyrillic and CJK. Lines carry recorded tone WAVs, so
no TTS model is needed and their lengths are exact (0.5 s = 12 frames at 24 fps).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from storyboard_app.media.ffmpeg import run_ffmpeg, write_wav
from storyboard_app.model import (
    CameraMove,
    Character,
    DialogueLine,
    Document,
    Project,
    Sequence,
    Shot,
    ShotSize,
    Take,
    TakeStatus,
    Transition,
    TransitionKind,
)

W, H, FPS = 320, 180, 24
COLOURS = {"1": (220, 40, 40), "2": (40, 200, 60), "3": None, "4": (40, 80, 230), "5": (230, 200, 40)}
DURATIONS = {"1": 48, "2": 36, "3": 24, "4": 30, "5": 40}
LINES = {
    "1": [("ch_ana", "Where is the key?")],
    "2": [("ch_maria", "Ключ у меня."), ("ch_ana", "Καλά, πάμε!")],
    "4": [("ch_yamada", "鍵はここにある")],
}
CJK_TEXT = "".join(text for lines in LINES.values() for _, text in lines) + "山田花子"
REFERENCE_COLOUR = (150, 40, 160)  # Ana's reference image (character pages)
LEAD = 2  # frames before a shot's first line
GAP = 3  # frames between two lines


def make_clip(path: Path, colour: tuple[int, int, int], frames: int, fps: int = FPS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    hexcolour = "0x{:02x}{:02x}{:02x}".format(*colour)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c={hexcolour}:s={W}x{H}:r={fps}", "-frames:v", str(frames),
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)])


def make_tone(path: Path, seconds: float = 0.5, freq: float = 440.0, rate: int = 24000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    write_wav(path, 0.5 * np.sin(2 * np.pi * freq * t), rate)


def build_editorial_document(tmp_path: Path) -> Document:
    bundle = tmp_path / "editorial.sbproj"
    reference = bundle / "media" / "refs" / "ana.png"
    reference.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (120, 160), REFERENCE_COLOUR).save(reference)
    characters = [
        Character(id="ch_ana", name="Ana", description="a courier in a yellow raincoat",
                  reference_images=["media/refs/ana.png"]),
        Character(id="ch_maria", name="Мария", description="a tall woman in a grey coat"),
        Character(id="ch_yamada", name="山田花子", description="an old locksmith"),
    ]
    shots = []
    for number, colour in COLOURS.items():
        shot = Shot(id=f"s{number}", number=number, title=f"Title {number}", prompt=f"action of shot {number}",
                    duration=DURATIONS[number], size=ShotSize.MCU, camera_move=CameraMove.PUSH_IN)
        if colour is not None:
            if number == "4":
                media = bundle / "media" / "takes" / "s4.png"
                media.parent.mkdir(parents=True, exist_ok=True)
                Image.new("RGB", (W, H), colour).save(media)
            else:
                media = bundle / "media" / "takes" / f"s{number}.mp4"
                make_clip(media, colour, DURATIONS[number] - 6)  # shorter: the last frame holds
            shot.takes = [Take(id=f"t{number}", generator_id="test", status=TakeStatus.DONE,
                               media_path=f"media/takes/{media.name}")]
            shot.selected_take_id = f"t{number}"
        for i, (speaker, text) in enumerate(LINES.get(number, [])):
            wav = bundle / "media" / "audio" / f"l{number}_{i}.wav"
            make_tone(wav, 0.5, 300 + 100 * i + 50 * int(number))
            shot.dialogue.append(DialogueLine(f"l{number}_{i}", speaker, text, audio=f"media/audio/{wav.name}"))
        shots.append(shot)
    shots[1].transition_in = Transition(TransitionKind.DISSOLVE, 8)
    shots[2].notes = "Hold on the door before the cut"
    sequences = [Sequence("q1", "Street", shots[:3]), Sequence("q2", "Shop", shots[3:])]
    project = Project(title="Editorial Test", fps=FPS, width=W, height=H, characters=characters,
                      sequences=sequences)
    project.render.dialogue_lead_frames = LEAD
    project.render.dialogue_gap_frames = GAP
    doc = Document(project, bundle)
    doc.save()
    return doc


def cjk_font_dir() -> Path | None:
    """The folder of Noto Sans CJK as the ``manimgx-fonts-cjk`` dev package ships it (a variable
    CFF2 ``.ttc`` that fpdf2 cannot embed as is, so the deck's own subsetting is exercised);
    None when the package is missing."""
    try:
        import manimgx_fonts_cjk
    except ImportError:
        return None
    return Path(manimgx_fonts_cjk.__file__).parent
