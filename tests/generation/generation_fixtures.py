"""Tiny projects for generation tests (160x90, 12 fps) so real generation stays fast."""

from __future__ import annotations

from storyboard_app.model import CameraMove, Character, Project, Sequence, Shot, ShotSize, Style


def make_project(prompts: list[str], frames: int = 12) -> Project:
    """A tiny project (160x90, 12 fps) so real generation stays fast."""
    chars = [
        Character("ch_a", "Ada", "a woman in a red coat", 1111),
        Character("ch_b", "Bo", "a man with a wide hat", 2222),
    ]
    shots = [
        Shot(id=f"s{i}", number=str(i + 1), prompt=p, duration=frames,
             size=[ShotSize.WS, ShotSize.MS, ShotSize.CU][i % 3],
             camera_move=[CameraMove.PUSH_IN, CameraMove.PAN_LEFT, CameraMove.STATIC][i % 3],
             characters=[["ch_a"], ["ch_a", "ch_b"], []][i % 3])
        for i, p in enumerate(prompts)
    ]
    return Project(
        title="t", fps=12, width=160, height=90, seed=7, styles=[Style("st", "Ink", "ink drawing", palette=["#334455"])],
        style_id="st", characters=chars, sequences=[Sequence("q", "Scene", shots)],
    )
