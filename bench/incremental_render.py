"""Incremental render and instant Play (issue 16.6).

A ~5-minute sequence: the example project's 13 shots (62 s) repeated ``--copies`` times (5 by
default: 65 shots, 310 s) in a temporary bundle, each copy's prompts marked with its pass so every
shot has its own sketch take, dialogue voiced by the bundled piper voice. Measured in one run:

* cold render: ``render_animatic`` (the CLI's ``render``: preview preset, 1280x720, every burn-in
  on), empty segment cache (takes generated and lines voiced beforehand, not timed);
* one prompt edit in the middle of the sequence: regenerating that shot's take (timed on its own)
  and the re-render (render-only, and the total of both), each as a ratio to the cold render;
* ``--verify`` (default on): a cold render of a copy of the edited bundle without its cache, and
  every decoded frame of both outputs compared (MD5 per frame);
* the GUI (offscreen Qt): the time from Play to the first frame reaching the viewer, after an
  edit that gives one shot a new picture, with that shot's segment not built yet; also the time
  the Play call blocks the UI thread, and the background build of the preview segments.

    .venv/bin/python bench/incremental_render.py [--copies 5] [--no-verify] [--no-gui] [--keep DIR]
    .venv/bin/python bench/incremental_render.py --gui-only DIR/five_minutes.sbproj
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from storyboard_app.generation.service import generate_shots
from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import DialogueLine, Document, Sequence, new_id
from storyboard_app.render.export import ExportOptions
from storyboard_app.render.service import render_animatic
from storyboard_app.voice.service import VoiceService

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "night_market.sbproj"


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def build(root: Path, copies: int) -> Document:
    source = Document.open(EXAMPLE)
    project = source.project
    originals = list(project.sequences)
    project.sequences = []
    number = 0
    for k in range(copies):
        for seq in originals:
            copy_seq = Sequence(new_id("seq"), f"{seq.name} (pass {k + 1})", [])
            for shot in seq.shots:
                number += 1
                clone = copy.deepcopy(shot)
                clone.id = new_id("shot")
                clone.number = str(number)
                clone.prompt = f"{shot.prompt}, pass {k + 1}"
                clone.dialogue = [DialogueLine(new_id("ln"), line.speaker, line.text, line.audio)
                                  for line in shot.dialogue]
                copy_seq.shots.append(clone)
            project.sequences.append(copy_seq)
    doc = Document(project, root / "five_minutes.sbproj")
    doc.save()
    return doc


def frame_md5s(path: Path) -> list[str]:
    out = run_ffmpeg(["-i", str(path), "-map", "0:v", "-f", "framemd5", "-"]).decode()
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def timed(fn, *args, **kwargs):  # noqa: ANN001, ANN202
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def gui(bundle: Path, shot_index: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from storyboard_app.model import Take, TakeStatus
    from storyboard_app.model.commands import record_take
    from storyboard_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(bundle.parent / "bench-settings.ini"), QSettings.IniFormat)
    window = MainWindow(Document.open(bundle), settings=settings, ask=lambda *a: None, autosave_seconds=3600)
    window.resize(1400, 860)
    window.show()
    player, session = window.player, window.session
    if player.media is None:
        print("GUI: QtMultimedia unavailable, Play not measured")
        return

    def wait(predicate, timeout: float) -> bool:  # noqa: ANN001
        end = time.perf_counter() + timeout
        while not predicate():
            if time.perf_counter() > end:
                return False
            app.processEvents()
            time.sleep(0.002)
        return True

    def play_latency(frame: int | None = None) -> tuple[float, float]:
        if frame is not None:
            player.stop()
            session.set_playhead(frame)
            app.processEvents()
        t0 = time.perf_counter()
        window.act_play.trigger()
        blocked = time.perf_counter() - t0
        if not wait(lambda: player.first_frame_at is not None, 30):
            return blocked, float("nan")
        return blocked, player.first_frame_at - t0

    built = [False]
    player.preview_built.connect(lambda: built.__setitem__(0, True))
    shots = session.project.all_shots()
    start = sum(s.duration for s in shots[:shot_index])
    from storyboard_app.ui.player import plan_playback

    before = plan_playback(session.project, bundle)
    blocked, first = play_latency(start)
    print(f"GUI, first Play in this window ({before.missing} of {len(before.entries)} preview segments not built "
          f"yet): Play blocks the UI thread {blocked * 1000:.0f} ms, first frame {first * 1000:.0f} ms after Play")
    t0 = time.perf_counter()
    ok = wait(lambda: built[0], 900)
    print(f"GUI: background build of {len(shots)} shots' preview segments (640 px) + soundtrack: "
          f"{time.perf_counter() - t0:.1f} s after that Play{'' if ok else ' (NOT finished)'}; {load()}")
    player.stop()
    results = []
    immediate = []
    for rep in range(4):
        # stopped at the shot, the edit: a new picture for it (a copy of another shot's take as
        # a new take); then Play, as a person would (the previous Play's build may still run)
        player.stop()
        session.set_playhead(start)
        app.processEvents()
        shot = session.project.all_shots()[shot_index]
        donor = session.project.all_shots()[(shot_index + 1 + rep) % len(shots)].selected_take
        name = f"media/takes/bench-edit-{os.getpid()}-{rep}.mp4"  # a new file every run
        shutil.copy2(session.document.paths.media_path(donor.media_path), bundle / name)
        take = Take(id=new_id("take"), generator_id="bench", status=TakeStatus.DONE, media_path=name)
        session.apply(record_take(session.project, shot.id, take))
        app.processEvents()
        # the first edit: Play pressed at once; the others: half a second later (a person's hand
        # going to the key), time in which the stopped player preloads the file Play will show
        pause = 0.0 if rep == 0 else 0.5
        wait(lambda: False, pause)
        blocked, first = play_latency()
        source = player.current_source
        (immediate if rep == 0 else results).append((blocked, first))
        print(f"GUI after edit {rep + 1} (Play {pause:.1f} s after the edit): Play blocks {blocked * 1000:.0f} ms, "
              f"first frame {first * 1000:.0f} ms after Play (playing {source.name if source else 'placeholder'}, "
              f"the edited shot's {'take' if source and 'segments' not in source.parts else 'segment'})")
    player.stop()
    median = statistics.median(r[1] for r in results)
    print(f"Play to first frame after an edit, {sum(s.duration for s in shots) / 24:.0f} s sequence: "
          f"median {median * 1000:.0f} ms (target <= 300 ms; Play at once after the edit: "
          f"{immediate[0][1] * 1000:.0f} ms); UI thread blocked median "
          f"{statistics.median(r[0] for r in results) * 1000:.0f} ms; {load()}")
    player.shutdown()
    window.session.document.history.mark_saved()
    window.close()
    window.deleteLater()
    app.processEvents()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--no-gui", action="store_true")
    ap.add_argument("--keep", help="keep the bundle and outputs in this folder")
    ap.add_argument("--gui-only", metavar="BUNDLE", help="only the GUI part, on a bundle an earlier --keep run left")
    args = ap.parse_args()
    if args.gui_only:
        print(f"incremental_render --gui-only  {time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} cores; {load()}")
        shots = len(Document.open(args.gui_only).project.all_shots())
        gui(Path(args.gui_only), shots // 2 + 3)
        return
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        print(f"incremental_render  {time.strftime('%Y-%m-%d %H:%M')}  {os.cpu_count()} cores; {load()}")
        t, doc = timed(build, root, args.copies)
        shots = doc.project.all_shots()
        seconds = sum(s.duration for s in shots) / doc.project.fps
        t_gen, _ = timed(generate_shots, doc)
        t_voice, _ = timed(VoiceService(doc.paths).synthesize, doc.project)
        doc.save()
        print(f"prepared {len(shots)} shots, {seconds:.0f} s at {doc.project.width}x{doc.project.height} @ "
              f"{doc.project.fps} fps: takes generated in {t_gen:.1f} s, voice in {t_voice:.1f} s (not timed below)")
        options = ExportOptions()  # the CLI's render: preview preset, every burn-in on
        cold, _ = timed(render_animatic, doc, root / "cold.mp4", options=options, generate=False)
        print(f"cold render (empty segment cache): {cold:.2f} s ({seconds / cold:.1f}x real time); {load()}")
        edited = shots[len(shots) // 2]
        edited.prompt = f"{edited.prompt}, now in heavy fog"
        regen, report = timed(generate_shots, doc, [edited])
        doc.save()
        warm, _ = timed(render_animatic, doc, root / "warm.mp4", options=options, generate=False)
        print(f"one prompt edit (shot {edited.number}): regenerate its take {regen:.2f} s; re-render {warm:.2f} s")
        print(f"re-render / cold render: render only {warm / cold:.3f}, regenerate + render "
              f"{(regen + warm) / cold:.3f}  (target <= 0.15); {load()}")
        if not args.no_verify:
            copy_root = root / "verify" / "five_minutes.sbproj"
            shutil.copytree(doc.paths.root, copy_root, ignore=shutil.ignore_patterns("segments"))
            again, _ = timed(render_animatic, Document.open(copy_root), root / "cold-after-edit.mp4",
                             options=options, generate=False)
            a, b = frame_md5s(root / "warm.mp4"), frame_md5s(root / "cold-after-edit.mp4")
            same = sum(x == y for x, y in zip(a, b, strict=False))
            print(f"verify: cold render of the edited project {again:.2f} s; frames identical to the "
                  f"re-render: {same} of {len(b)} ({'IDENTICAL' if a == b else 'DIFFERENT'})")
        if not args.no_gui:
            gui(doc.paths.root, len(shots) // 2 + 3)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
