"""Subtitles of the dialogue: SRT and WebVTT at the lines' timeline times.

The times are the voiceover's own placement: ``VoiceService.plan`` gives each line's offset and
length in its shot (``voice/timing.py``), and ``to_export_frames`` maps project frames to the
output rate exactly as the animatic export does, so a subtitle appears on the frame its line
starts and leaves on the frame it ends. Frames become clock times at the real rate (exact
fractions: at 23.976 frame 14385 is 00:09:59.974, not 00:09:59.375), so the subtitles agree with
the voiceover in the MP4 over any length. ``slate_frames`` shifts every cue when the subtitles go
with an MP4 that opens on a title slate (the default ``render``).

``place_dialogue`` is the one place where voiced lines become timed cues: the SRT/WebVTT files,
the animatic's subtitle burn-ins and its soft subtitle track (``render --soft-subtitles``) are
all made from its output, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..model import Project
from .interchange import PlacedVoice, voice_lines
from .timeline import output_rate, to_export_frames

FORMATS = ("srt", "vtt")


@dataclass(frozen=True)
class DialogueCue:
    """A dialogue line on the animatic's timeline: when it plays, what it says, its audio."""

    start_frame: int  # in shot-timeline frames at the output rate (slate excluded)
    frames: int
    speaker: str
    text: str
    audio: Path | None


#: (line's audio, seconds to keep) → the trimmed audio file (render/service.py's ``_trimmed_wav``)
TrimAudio = Callable[[Path, float], Path]


def place_dialogue(project: Project, placed: Mapping[str, list[PlacedVoice]], fps: int | None = None, *,
                   trim_at_cut: bool = False, trim_audio: TrimAudio | None = None) -> list[DialogueCue]:
    """Each voiced line at its timeline time at ``fps`` (default: the project's), in timeline order.

    ``trim_at_cut`` ends a line that runs past its shot's end at the cut (the "trim" dialogue
    overflow): its cue is shortened, a line that would start after the cut is dropped, and
    ``trim_audio`` (when given) supplies the shortened sound.
    """
    fps = fps or project.fps
    cues: list[DialogueCue] = []
    offset = 0  # the shot's start in project frames
    for shot in project.all_shots():
        for line in placed.get(shot.id, []):
            frames, audio = line.duration_frames, line.audio
            if trim_at_cut and line.offset_frames + frames > shot.duration:
                frames = shot.duration - line.offset_frames
                if frames <= 0:
                    continue  # the line would start after the cut: it is not heard at all
                if trim_audio is not None and audio is not None:
                    audio = trim_audio(audio, float(frames / project.frame_rate))
            start = to_export_frames(offset + line.offset_frames, project.fps, fps)
            length = max(to_export_frames(frames, project.fps, fps), 1)
            cues.append(DialogueCue(start, length, line.speaker, line.text, audio))
        offset += shot.duration
    return cues


def subtitle_cues(cues: list[DialogueCue], slate_frames: int = 0) -> list[Cue]:
    """The subtitles of an animatic's dialogue cues, in file time (after ``slate_frames``)."""
    ordered = sorted(cues, key=lambda c: c.start_frame)
    return [Cue(slate_frames + c.start_frame, slate_frames + c.start_frame + c.frames, c.speaker, c.text)
            for c in ordered]


@dataclass(frozen=True)
class Cue:
    start_frame: int  # output frames from the start of the file (slate included)
    end_frame: int
    speaker: str
    text: str


def dialogue_cues(project: Project, placed: Mapping[str, list[PlacedVoice]], fps: int | None = None,
                  slate_frames: int = 0) -> list[Cue]:
    """One cue per voiced line, in timeline order, at ``fps`` (default: the project's)."""
    return subtitle_cues(place_dialogue(project, placed, fps), slate_frames)


def _clock(frames: int, rate: int | Fraction, sep: str) -> str:
    """Frame ``frames`` at the real ``rate`` as a clock time, rounded to the millisecond exactly
    (rational arithmetic: no float drift over hours, 23.976 included)."""
    ms = int(Fraction(frames * 1000) / Fraction(rate) + Fraction(1, 2))
    seconds, ms = divmod(ms, 1000)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ms:03d}"


def to_srt(cues: list[Cue], fps: int | Fraction) -> str:
    """SRT at the real rate ``fps`` (pass ``Project.frame_rate``, not the timebase)."""
    blocks = [
        f"{i}\n{_clock(c.start_frame, fps, ',')} --> {_clock(c.end_frame, fps, ',')}\n"
        f"{c.speaker}: {_one_block(c.text)}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue], fps: int | Fraction) -> str:
    """WebVTT at the real rate ``fps`` (pass ``Project.frame_rate``, not the timebase)."""
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
    """Write SRT or WebVTT (from the suffix by default); returns (path, number of cues).

    ``fps`` None: the project's rate (23.976 stays exact), as ``render`` writes the MP4."""
    output = Path(output)
    fmt = (fmt or output.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"{output}: subtitle format {fmt!r} is not one of {', '.join(FORMATS)}")
    fps, rate = output_rate(project, fps)
    cues = dialogue_cues(project, placed if placed is not None else voice_lines(project, bundle), fps,
                         slate_frames)
    text = to_srt(cues, rate) if fmt == "srt" else to_vtt(cues, rate)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return output, len(cues)
