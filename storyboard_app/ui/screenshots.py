"""Screenshots of the real main window, for the README and for people reviewing the UI.

    python -m storyboard_app.ui.screenshots docs/screenshots            # the two README shots
    python -m storyboard_app.ui.screenshots --tour docs/tour             # docs/tour.md's eight

Opens a temporary copy of the example project (its takes generated with the sketch generator),
shows the real window on an X display — starting its own Xvfb when there is none — and saves
what the X server shows, so the PNG is the window a person would see.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..assets import resource_path

EXAMPLE = resource_path("examples", "night_market.sbproj")  # importlib.resources: also found in a wheel
SIZE = (1600, 960)


@contextlib.contextmanager
def x_display() -> Iterator[str]:
    """Use $DISPLAY when set, else run a private Xvfb for the duration."""
    if os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM", "xcb") == "xcb":
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb); it is needed for real-window screenshots")
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists():
            break
    display = f":{number}"
    proc = subprocess.Popen([xvfb, display, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.1)
        yield display
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def prepare_example(directory: Path, generate: bool = True) -> Path:
    """A copy of the example, with every shot generated (so the timeline shows thumbnails)."""
    from ..generation.service import generate_shots
    from ..model import Document

    bundle = directory / EXAMPLE.name
    shutil.copytree(EXAMPLE, bundle)
    if generate:
        document = Document.open(bundle)
        generate_shots(document)
        document.save()
    return bundle


def capture(out_dir: Path) -> list[Path]:
    """Write main-window.png and generating.png into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="storyboard-shots-") as tmp, x_display() as display:
        bundle = prepare_example(Path(tmp))
        fresh = prepare_example(Path(tmp) / "fresh", generate=False)
        env_backup = {k: os.environ.get(k) for k in ("DISPLAY", "QT_QPA_PLATFORM")}
        os.environ["DISPLAY"], os.environ["QT_QPA_PLATFORM"] = display, "xcb"
        try:
            return _grab(bundle, fresh, out_dir, Path(tmp))
        finally:
            for key, value in env_backup.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _settle(app, seconds: float) -> None:  # noqa: ANN001
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _grab(bundle: Path, fresh: Path, out_dir: Path, tmp: Path) -> list[Path]:
    from PySide6.QtCore import QSettings

    from .app import make_app
    from .main_window import MainWindow

    app = make_app()
    settings = QSettings(str(tmp / "settings.ini"), QSettings.IniFormat)
    written = []

    def snap(window, name: str) -> Path:  # noqa: ANN001
        geometry = window.frameGeometry()
        image = app.primaryScreen().grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
        path = out_dir / name
        image.save(str(path))
        written.append(path)
        return path

    # 1. the example, generated, shot 4 selected
    window = MainWindow(settings=settings)
    window.open_project(bundle)
    window.setGeometry(0, 0, *SIZE)
    window.show()
    shots = window.session.project.all_shots()
    window.session.select([shots[3].id])
    window.session.set_playhead(sum(s.duration for s in shots[:3]) + 30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        app.processEvents()
        window.thumbnails.wait(100)
        if all(window.thumbnails.get(str(window.session.document.paths.media_path(s.selected_take.media_path)))
               for s in shots[:6] if s.selected_take):
            break
    _settle(app, 0.4)
    snap(window, "main-window.png")
    window.session.document.history.mark_saved()  # nothing to ask on close
    window.close()
    window.deleteLater()

    # 2. a fresh copy generating: the queue dock and the viewer mid-batch
    window = MainWindow(settings=settings)
    window.open_project(fresh)
    window.setGeometry(0, 0, *SIZE)
    window.show()
    window.docks["queue"].raise_()
    window.generation.jobs = 1
    window.generate("all")
    shots = window.session.project.all_shots()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(1 for s in shots if s.selected_take) < 5:
        app.processEvents()
        time.sleep(0.02)
    window.session.select([next(s.id for s in reversed(shots) if s.selected_take)])
    _settle(app, 0.6)
    snap(window, "generating.png")
    window.generation.shutdown()
    window.session.document.history.mark_saved()
    window.close()
    window.deleteLater()
    app.processEvents()
    return written


def capture_tour(out_dir: Path) -> list[Path]:
    """The first-time user's path for docs/tour.md, from an empty project to an exported MP4."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="storyboard-tour-") as tmp, x_display() as display:
        env_backup = {k: os.environ.get(k) for k in ("DISPLAY", "QT_QPA_PLATFORM")}
        os.environ["DISPLAY"], os.environ["QT_QPA_PLATFORM"] = display, "xcb"
        try:
            return _tour(out_dir, Path(tmp))
        finally:
            for key, value in env_backup.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


#: the tour's six shots: (prompt, size, move, cast indexes, dialogue (speaker index, text))
TOUR_SHOTS = [
    ("the night market, lanterns over the stalls", "WS", "push_in", [], []),
    ("Mara walks between the stalls", "MS", "truck_right", [0], []),
    ("Mara stops at the noodle stall, Ito behind the counter", "MS", "static", [0, 1],
     [(1, "You're late again, Mara. The broth doesn't wait for anyone, not even for you.")]),
    ("Ito slides a small brass key across the counter", "CU", "push_in", [1], [(1, "Someone left this for you.")]),
    ("Mara looks at the key", "CU", "static", [0], [(0, "For me? Nobody knows I come here.")]),
    ("Mara walks away into the crowd", "WS", "crane_up", [0], []),
]


def _tour(out_dir: Path, tmp: Path) -> list[Path]:  # noqa: C901 - one linear script, step by step
    from PySide6.QtCore import QSettings

    from ..model import CameraMove, DialogueLine, Ref, SetField, ShotSize, new_id
    from ..model.commands import Compound, InsertLine, set_shot
    from .app import make_app
    from .main_window import MainWindow

    app = make_app()
    settings = QSettings(str(tmp / "settings.ini"), QSettings.IniFormat)
    written: list[Path] = []

    def snap(window, name: str, settle: float = 0.5) -> Path:  # noqa: ANN001
        _settle(app, settle)
        geometry = window.frameGeometry()
        image = app.primaryScreen().grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
        path = out_dir / name
        image.save(str(path))
        written.append(path)
        return path

    window = MainWindow(settings=settings)
    window.setGeometry(0, 0, *SIZE)
    window.show()
    window.save_as(tmp / "Night Market")
    session = window.session
    # 1. an empty project: the viewer and the timeline say how to add the first shot
    snap(window, "01-empty-project.png")

    # 2. characters: a description, the seed explained, a rerolled look previewed
    window.docks["characters"].raise_()
    for name, description, seed in (("Mara", "a tall woman in a red coat", 11),
                                    ("Ito", "an old man with a grey beard", 29)):
        window.characters.add_character()
        character = session.project.characters[-1]
        ref = Ref("character", (character.id,))
        session.apply(Compound([SetField(ref, "name", name), SetField(ref, "description", description),
                                SetField(ref, "seed", seed)],  # fixed seeds: the same pictures each run
                               "Describe character"))
    window.characters.list.setCurrentRow(0)
    window.characters.reroll_look(seed=session.project.characters[0].seed + 7)
    snap(window, "02-characters.png")
    window.characters.keep_look()

    # 3. a scene and six shots with prompts, sizes, moves and cast; a reorder, then Renumber
    window.rename_scene(name="EXT. NIGHT MARKET - NIGHT")
    ids = []
    for prompt, size, move, cast, lines in TOUR_SHOTS:
        window.timeline.canvas.insert_shot()
        shot = session.current_shot()
        ids.append(shot.id)
        cast_ids = [session.project.characters[i].id for i in cast]
        session.apply(Compound([set_shot(shot.id, "prompt", prompt), set_shot(shot.id, "size", ShotSize(size)),
                                set_shot(shot.id, "camera_move", CameraMove(move)),
                                set_shot(shot.id, "characters", cast_ids)], "Describe shot"))
        for speaker, text in lines:
            session.apply(InsertLine(shot.id, len(shot.dialogue),
                                     DialogueLine(new_id("line"), session.project.characters[speaker].id, text)))
    from ..model.commands import MoveShot

    seq = session.project.sequences[0]
    session.apply(MoveShot(ids[4], seq.id, 3))  # 1 2 3 5 4 6
    session.select([ids[2]])
    session.set_playhead(sum(s.duration for s in seq.shots[:2]) + 10)
    window.docks["inspector"].raise_()
    snap(window, "03-six-shots-reordered.png")
    window.renumber_shots()

    # 4. dialogue longer than its shot: the card shows the overflow; Fit shot to dialogue fixes it
    session.select([ids[2]])
    snap(window, "04-dialogue-overflow.png")
    worker = window.fit_selected_to_dialogue()
    deadline = time.monotonic() + 60
    while worker is not None and window._fit_worker is not None and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)

    # 5. generating: the Queue dock appears only now
    window.generation.jobs = 1
    window.generate("all")
    shots = session.project.all_shots()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sum(1 for s in shots if s.selected_take) < 3:
        app.processEvents()
        time.sleep(0.02)
    snap(window, "05-generating.png")
    while time.monotonic() < deadline and window.generation.running:
        app.processEvents()
        time.sleep(0.02)

    # 6. generated: thumbnails on the cards, the viewer with the export's burn-ins
    session.select([ids[2]])
    session.set_playhead(sum(s.duration for s in shots[:2]) + 14)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and window.viewer.current_image() is None:
        app.processEvents()
        window.thumbnails.wait(50)
    snap(window, "06-generated.png", settle=1.0)

    # 7. Generate again on an up-to-date shot: it says so and offers New take
    window.generate("selected")
    snap(window, "07-up-to-date-new-take.png")
    window.new_take()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and window.generation.running:
        app.processEvents()
        time.sleep(0.02)
    window.save()

    # 8. export: the result gives the animatic's length and how long the export took
    dialog = window.export_dialog(open_folder=False)
    dialog.output.setText(str(tmp / "Night Market.mp4"))
    dialog.move(window.geometry().center() - dialog.rect().center())
    dialog.start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and dialog.worker is not None:
        app.processEvents()
        time.sleep(0.05)
    snap(window, "08-exported.png")
    dialog.close()
    window.session.document.history.mark_saved()
    window.close()
    window.deleteLater()
    app.processEvents()
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    tour = "--tour" in args
    args = [a for a in args if a != "--tour"]
    if tour:
        out = Path(args[0]) if args else Path("docs/tour")
        paths = capture_tour(out)
    else:
        out = Path(args[0]) if args else Path("docs/screenshots")
        paths = capture(out)
    for path in paths:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
