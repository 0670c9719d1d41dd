"""The animatic's sound: voiceover lines at their offsets, an optional ducked music bed,
loudness normalised and cut to the picture's exact length, as one WAV.

The mix is one ffmpeg filter graph (adelay per line, amix, sidechaincompress for ducking,
loudnorm), so it runs in C in roughly constant memory however long the sequence is; the
exporter hands the WAV to moviepy, which encodes it to AAC while it writes the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..media.ffmpeg import CancelCheck, run_ffmpeg

SAMPLE_RATE = 48000
LOUDNESS_LUFS = -16.0  # web/preview delivery; dialogue-led content


@dataclass(frozen=True)
class PlacedAudio:
    path: Path
    start_seconds: float  # from the start of the animatic (slate included)


def mix_soundtrack(
    lines: list[PlacedAudio],
    output: Path,
    duration: float,
    *,
    music: Path | None = None,
    music_volume_db: float = -14.0,
    normalize: bool = True,
    cancelled: CancelCheck | None = None,
) -> Path:
    """Write a 48 kHz stereo 16-bit WAV of exactly ``duration`` seconds to ``output``."""
    args: list[str] = ["-y"]
    graph: list[str] = []
    labels: list[str] = []
    for i, line in enumerate(lines):
        args += ["-i", str(line.path)]
        delay_ms = max(int(round(line.start_seconds * 1000)), 0)
        graph.append(f"[{i}:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
                     f"adelay=delays={delay_ms}:all=1[v{i}]")
        labels.append(f"[v{i}]")
    if labels:
        graph.append(f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0:dropout_transition=0,"
                     f"apad=whole_dur={duration:.6f}[vo]")
    else:
        graph.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=0:{duration:.6f}[vo]")
    final = "[vo]"
    if music is not None:
        m = len(lines)
        args += ["-stream_loop", "-1", "-i", str(music)]
        graph.append(f"[{m}:a]aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
                     f"atrim=0:{duration:.6f},volume={music_volume_db}dB[music]")
        graph.append("[vo]asplit=2[vo_mix][vo_key]")
        graph.append("[music][vo_key]sidechaincompress=threshold=0.02:ratio=8:attack=20:release=400[ducked]")
        graph.append("[ducked][vo_mix]amix=inputs=2:normalize=0:dropout_transition=0[bed]")
        final = "[bed]"
    tail = f"aresample={SAMPLE_RATE},apad=whole_dur={duration:.6f},atrim=0:{duration:.6f}"
    if normalize and (lines or music is not None):
        tail = f"loudnorm=I={LOUDNESS_LUFS}:TP=-1.5:LRA=11,{tail}"
    graph.append(f"{final}{tail}[out]")
    args += ["-filter_complex", ";".join(graph), "-map", "[out]", "-ac", "2", "-ar", str(SAMPLE_RATE),
             "-c:a", "pcm_s16le", str(output)]
    run_ffmpeg(args, cancelled=cancelled, what="mixing the soundtrack")
    return output
