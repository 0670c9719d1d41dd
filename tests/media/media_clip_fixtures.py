"""Real little MP4 clips for the media-integrity tests (noisy, so truncation cuts frames)."""

from __future__ import annotations

from pathlib import Path

from storyboard_app.media.ffmpeg import run_ffmpeg


def make_clip(path: Path, frames: int = 24, fps: int = 12, faststart: bool = False) -> Path:
    """Write an H.264 MP4 of ``frames`` test-pattern frames; ``faststart`` puts the header first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"testsrc2=s=160x90:r={fps}", "-frames:v", str(frames),
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                *(["-movflags", "+faststart"] if faststart else []), str(path)])
    return path


def truncate_half(path: Path) -> None:
    """Cut a file to half its size in place, as a crash or a bad copy would."""
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)
