"""Subtitles of the dialogue: SRT and WebVTT at the lines' timeline times.

The times are the voiceover's own placement: ``VoiceService.plan`` gives each line's offset and
length in its shot (``voice/timing.py``), and ``to_export_frames`` maps project frames to the
output rate exactly as the animatic export does, so a subtitle appears on the frame its line
starts and leaves on the frame it ends. ``slate_frames`` shifts every cue when the subtitles go
with an MP4 that opens on a title slate (the default ``render``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..model import Project
from .interchange import PlacedVoice, voice_lines
from .timeline import to_export_frames

FORMATS = ("srt", "vtt")


@dataclass(frozen=True)
class Cue:
    start_frame: int  # output frames from the start of the file (slate included)
    end_frame: int
    speaker: str
    text: str


def dialogue_cues(project: Project, placed: Mapping[str, list[PlacedVoice]], fps: int | None = None,
                  slate_frames: int = 0) -> list[Cue]:
    """One cue per voiced line, in timeline order, at ``fps`` (default: the project's)."""
    fps = fps or project.fps
    cues: list[Cue] = []
    offset = 0  # the shot's start in project frames
    for shot in project.all_shots():
        for line in placed.get(shot.id, []):
            start = to_export_frames(offset + line.offset_frames, project.fps, fps)
            length = max(to_export_frames(line.duration_frames, project.fps, fps), 1)
            cues.append(Cue(slate_frames + start, slate_frames + start + length, line.speaker, line.text))
        offset += shot.duration
    return cues


def _clock(frames: int, fps: int, sep: str) -> str:
    ms = (frames * 1000 + fps // 2) // fps  # exact integer rounding, no float drift
    seconds, ms = divmod(ms, 1000)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ms:03d}"


def to_srt(cues: list[Cue], fps: int) -> str:
    blocks = [
        f"{i}\n{_clock(c.start_frame, fps, ',')} --> {_clock(c.end_frame, fps, ',')}\n"
        f"{c.speaker}: {_one_block(c.text)}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue], fps: int) -> str:
    blocks = ["WEBVTT\n"]
    for c in cues:
        text = _one_block(c.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        speaker = c.speaker.replace(">", "")
        blocks.append(f"{_clock(c.start_frame, fps, '.')} --> {_clock(c.end_frame, fps, '.')}\n"
                      f"<v {speaker}>{text}\n")
    return "\n".join(blocks)


def _one_block(text: str) -> str:
    """A blank line would end the cue early in both formats: keep the line breaks, drop blanks."""
    return "\n".join(part for part in text.strip().splitlines() if part.strip()) or " "


def export_subtitles(project: Project, bundle: Path | str, output: Path | str, fmt: str | None = None,
                     *, fps: int | None = None, slate_frames: int = 0,
                     placed: Mapping[str, list[PlacedVoice]] | None = None) -> tuple[Path, int]:
    """Write SRT or WebVTT (from the suffix by default); returns (path, number of cues)."""
    output = Path(output)
    fmt = (fmt or output.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"{output}: subtitle format {fmt!r} is not one of {', '.join(FORMATS)}")
    fps = fps or project.fps
    cues = dialogue_cues(project, placed if placed is not None else voice_lines(project, bundle), fps,
                         slate_frames)
    text = to_srt(cues, fps) if fmt == "srt" else to_vtt(cues, fps)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return output, len(cues)
