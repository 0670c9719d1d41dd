"""Animatic export speed and memory (issue 6).

A 60-shot, 3-minute 1280x720 @ 24 fps timeline: every shot has a cached sketch take (3 s each),
half of the shots have a dialogue line (piper TTS). Measured in one run:

* app: ``export_mp4`` (timeline → yuv420p frames → x264 + AAC MP4), burn-ins off so that both
  sides encode exactly the same frames;
* reference: one ffmpeg command that concatenates the same take files and encodes them with the
  same codec settings together with the same soundtrack WAV (the physical floor);
* peak RSS of the exporting Python process (and of its largest ffmpeg child) for a 10-shot and
  the 60-shot timeline, each in a fresh subprocess;
* memory flat with length (issue 12): peak RSS of ``render_animatic`` (voice + export, every
  burn-in on: shot label, caption, timecode, subtitles, PREVIZ label, slate) for 60 and 2000
  shots at 1280x720, each in a fresh subprocess. The 2000 shots reuse the 60 generated takes and
  voice lines (hard links), and are ``--rss-frames`` long (default 12) so that the point takes
  minutes, not an hour; memory does not depend on a shot's length.

    .venv/bin/python bench/export.py [--preset preview|delivery] [--rss-shots 2000] [--only-rss]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storyboard_app.generation.service import generate_shots
from storyboard_app.media.ffmpeg import run_ffmpeg
from storyboard_app.model import (
    CameraMove,
    Character,
    DialogueLine,
    Document,
    Project,
    Sequence,
    Shot,
    ShotSize,
)
from storyboard_app.render.audio import PlacedAudio, mix_soundtrack
from storyboard_app.render.burnins import BurnIns
from storyboard_app.render.export import (
    AAC_CODERS,
    PRESETS,
    RATE_CONTROL,
    DialogueCue,
    ExportOptions,
    export_mp4,
)
from storyboard_app.render.timeline import build_timeline
from storyboard_app.voice.service import VoiceService

LINES = [
    "We have until the tide turns.", "Then we go now.", "Keep your voice down.",
    "I said I would come back.", "That was a long time ago.", "Nobody saw me.",
]


def build_project(shots: int) -> Project:
    moves = list(CameraMove)
    sizes = list(ShotSize)
    mara = Character("ch_m", "Mara", "a courier in a yellow raincoat", 1207)
    teo = Character("ch_t", "Teo", "an old cook with a grey beard", 5531)
    items = []
    for i in range(shots):
        shot = Shot(id=f"s{i:03d}", number=str(i + 1), prompt=f"night market street in rain, stall {i}",
                    duration=72, size=sizes[i % len(sizes)], camera_move=moves[i % len(moves)],
                    characters=[["ch_m"], ["ch_t"], ["ch_m", "ch_t"]][i % 3])
        if i % 2 == 0:
            shot.dialogue = [DialogueLine(f"l{i}", ["ch_m", "ch_t"][i % 4 // 2], LINES[i % len(LINES)])]
        items.append(shot)
    return Project(title="Bench", fps=24, width=1280, height=720, characters=[mara, teo],
                   sequences=[Sequence("q", "Scene", items)])


def prepare(root: Path, shots: int) -> tuple[Document, list[DialogueCue]]:
    doc = Document(build_project(shots), root / f"bench{shots}.sbproj")
    doc.save()
    generate_shots(doc)
    VoiceService(doc.paths).synthesize(doc.project)
    doc.save()
    return doc, cues_for(doc)


def export(doc: Document, cues: list[DialogueCue], out: Path, preset: str) -> float:
    timeline = build_timeline(doc.project, doc.paths.root)
    started = time.perf_counter()
    export_mp4(doc.project, timeline, cues, out, ExportOptions(preset=preset, burnins=BurnIns.none()))
    return time.perf_counter() - started


def reference(doc: Document, cues: list[DialogueCue], out: Path, preset: str, tmp: Path) -> float:
    x264_preset, crf, audio_bitrate = PRESETS[preset]
    timeline = build_timeline(doc.project, doc.paths.root)
    listing = tmp / "list.txt"
    listing.write_text("".join(f"file '{seg.media}'\n" for seg in timeline.segments))
    wav = mix_soundtrack([PlacedAudio(c.audio, c.start_frame / 24) for c in cues], tmp / "ref.wav",
                         timeline.total_frames / 24)
    started = time.perf_counter()
    run_ffmpeg(["-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(wav), "-map", "0:v", "-map", "1:a",
                "-c:v", "libx264", "-preset", x264_preset, f"-{RATE_CONTROL.get(preset, 'crf')}", str(crf),
                "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", audio_bitrate, "-aac_coder", AAC_CODERS.get(preset, "twoloop"),
                "-movflags", "+faststart", str(out)])
    return time.perf_counter() - started


def scaled_copy(source: Document, root: Path, shots: int, frames: int) -> Path:
    """A ``shots``-long project whose shots reuse ``source``'s takes and voice cache (hard links)."""
    import os
    import shutil

    project = build_project(shots)
    originals = source.project.all_shots()
    bundle = root / f"scaled{shots}.sbproj"
    for i, shot in enumerate(project.all_shots()):
        original = originals[i % len(originals)]
        shot.duration = frames
        shot.dialogue = list(original.dialogue)
        shot.takes = list(original.takes)
        shot.selected_take_id = original.selected_take_id
    doc = Document(project, bundle)
    doc.save()

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    for folder in ("media", "cache"):
        if (source.paths.root / folder).is_dir():
            shutil.copytree(source.paths.root / folder, bundle / folder, copy_function=link, dirs_exist_ok=True)
    return bundle


def render_rss(bundle: Path, out: Path, preset: str) -> dict:
    """``render_animatic`` (voice from cache + export, all burn-ins) in a fresh process: peak RSS
    (MiB) of the process and of its largest child, and the wall time."""
    code = (
        "import json, resource, sys, time\n"
        "from pathlib import Path\n"
        "from storyboard_app.model import Document\n"
        "from storyboard_app.render.export import ExportOptions\n"
        "from storyboard_app.render.service import render_animatic\n"
        "t = time.perf_counter()\n"
        "render_animatic(Document.open(sys.argv[1]), Path(sys.argv[2]), generate=False,\n"
        "                options=ExportOptions(preset=sys.argv[3]))\n"
        "print(json.dumps({'self': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " 'children': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,"
        " 'seconds': time.perf_counter() - t}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(bundle), str(out), preset], capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def rss_points(doc: Document, tmp: Path, preset: str, shots: int, frames: int) -> None:
    small = scaled_copy(doc, tmp, 60, frames)
    big = scaled_copy(doc, tmp, shots, frames)
    a = render_rss(small, tmp / "rss-small.mp4", preset)
    b = render_rss(big, tmp / "rss-big.mp4", preset)
    print(f"render (all burn-ins), {frames}-frame shots at 1280x720: 60 shots in {a['seconds']:.1f} s, "
          f"{shots} shots in {b['seconds']:.1f} s")
    print(f"peak RSS, render_animatic process: 60 shots {a['self']:.0f} MiB, {shots} shots {b['self']:.0f} MiB, "
          f"ratio {b['self'] / a['self']:.2f}  (target <= 1.2)")
    print(f"peak RSS, largest ffmpeg child: 60 shots {a['children']:.0f} MiB, {shots} shots {b['children']:.0f} MiB")


def child_rss(bundle: Path, out: Path, preset: str) -> dict:
    """Export in a fresh process; report its own and its largest child's peak RSS (MiB)."""
    code = (
        "import json, resource, sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from export import cues_for, export\n"
        "from storyboard_app.model import Document\n"
        "doc = Document.open(sys.argv[2])\n"
        "export(doc, cues_for(doc), Path(sys.argv[3]), sys.argv[4])\n"
        "print(json.dumps({'self': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " 'children': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
    )
    argv = [str(Path(__file__).parent), str(bundle), str(out), preset]
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def cues_for(doc: Document) -> list[DialogueCue]:
    voice = VoiceService(doc.paths)
    cues, offset = [], 0
    for shot in doc.project.all_shots():
        for line in voice.plan(doc.project, shot):
            cues.append(DialogueCue(offset + line.offset_frames, line.duration_frames, line.speaker_name, line.text,
                                    Path(line.audio_path)))
        offset += shot.duration
    return cues


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=list(PRESETS), default="preview")
    parser.add_argument("--shots", type=int, default=60)
    parser.add_argument("--rss-shots", type=int, default=2000, help="the long point of the memory check")
    parser.add_argument("--rss-frames", type=int, default=12, help="shot length in the memory check")
    parser.add_argument("--only-rss", action="store_true", help="only the memory-vs-length check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        doc, cues = prepare(tmp, args.shots)
        if args.only_rss:
            rss_points(doc, tmp, args.preset, args.rss_shots, args.rss_frames)
            return
        small, _ = prepare(tmp, 10)
        print(f"prepared {args.shots} cached takes + {len(cues)} voice lines in {time.perf_counter() - started:.1f} s")
        seconds = doc.project.total_frames / doc.project.fps
        ref = reference(doc, cues, tmp / "ref.mp4", args.preset, tmp)
        app = export(doc, cues, tmp / "app.mp4", args.preset)
        print(f"timeline: {args.shots} shots, {seconds:.0f} s at 1280x720 @ 24 fps, preset {args.preset} "
              f"({PRESETS[args.preset][0]}, {RATE_CONTROL.get(args.preset, 'crf')} {PRESETS[args.preset][1]})")
        print(f"reference (direct ffmpeg, same frames + audio, same settings): {ref:.2f} s ({seconds / ref:.1f}x real time)")
        print(f"app export:                                                   {app:.2f} s ({seconds / app:.1f}x real time)")
        print(f"ratio app / reference: {app / ref:.2f}  (target <= 1.3)")
        rss_small = child_rss(small.paths.root, tmp / "small.mp4", args.preset)
        rss_big = child_rss(doc.paths.root, tmp / "big.mp4", args.preset)
        print(f"peak RSS, exporting process: 10 shots {rss_small['self']:.0f} MiB, {args.shots} shots "
              f"{rss_big['self']:.0f} MiB, ratio {rss_big['self'] / rss_small['self']:.2f}  (target <= 1.2)")
        print(f"peak RSS, largest ffmpeg child: 10 shots {rss_small['children']:.0f} MiB, {args.shots} shots "
              f"{rss_big['children']:.0f} MiB")
        rss_points(doc, tmp, args.preset, args.rss_shots, args.rss_frames)


if __name__ == "__main__":
    main()
