"""The preview player's burn-ins: the same texts the exporter burns in (shot label and scene top
left, timecode top right, subtitles at the bottom, the PREVIZ label bottom right), drawn by the
viewer as an overlay over whatever picture it shows, so a preview reads like the export.

``overlay_items`` is the provider the viewer calls; it is a plain function of the project and a
frame, so it can be swapped (``Viewer.overlay_provider``) for the exporter's own layout function
once ``render/burnins.py`` offers one (issue 13.12), and switched off from View > Burn-ins.
Subtitle timing here uses the dialogue estimate (``voice.estimate``), which is what the director
sees while typing; the export uses the voiced lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..model import Project, frames_to_timecode
from ..voice.estimate import estimate_line_frames
from ..voice.timing import line_offsets

Zone = Literal["top-left", "top-right", "bottom", "bottom-right"]


@dataclass(frozen=True)
class OverlayItem:
    text: str
    zone: Zone


def overlay_items(project: Project, frame: int) -> list[OverlayItem]:
    """What the export would burn in at project ``frame`` (without the slate)."""
    items = [OverlayItem(frames_to_timecode(frame, project.fps), "top-right"),
             OverlayItem("PREVIZ / TEMP VO", "bottom-right")]
    start = 0
    for seq in project.sequences:
        for index, shot in enumerate(seq.shots):
            if start <= frame < start + shot.duration:
                items.insert(0, OverlayItem(f"SHOT {shot.number or index + 1}  ·  {seq.name}", "top-left"))
                spoken = [line for line in shot.dialogue if line.text.strip()]
                lengths = [estimate_line_frames(line.text, project.fps) for line in spoken]
                offsets = line_offsets(lengths, project.render.dialogue_lead_frames,
                                       project.render.dialogue_gap_frames)
                for line, offset, length in zip(spoken, offsets, lengths, strict=True):
                    if offset <= frame - start < offset + length:
                        speaker = ""
                        if line.speaker:
                            try:
                                speaker = project.character(line.speaker).name.upper() + ": "
                            except KeyError:
                                speaker = ""
                        items.append(OverlayItem(speaker + line.text, "bottom"))
                return items
            start += shot.duration
    return items
