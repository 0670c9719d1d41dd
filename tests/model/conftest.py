"""Shared fixtures for the model tests: a small but complete project touching every object kind.

The sample project has references in every direction (casts, speakers, style overrides, selected
takes, media paths) so that edits which must keep references consistent have something to break.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from storyboard_app.model import (
    CameraMove,
    Character,
    DialogueLine,
    Project,
    Sequence,
    Shot,
    ShotSize,
    Style,
    Take,
    TakeStatus,
    Transition,
    TransitionKind,
    VoiceSettings,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_BUNDLE = REPO / "resources" / "examples" / "night_market.sbproj"


def make_project() -> Project:
    """A fresh sample project (new objects every call, so tests can mutate it freely)."""
    styles = [
        Style(
            id="st_ink",
            name="Ink",
            prompt_suffix="ink sketch",
            negative_prompt="photo",
            palette=["#101010", "#f0e0c0"],
            generator_params={"steps": 4, "guidance": 2.5, "tags": ["a", "b"]},
        ),
        Style(id="st_neon", name="Neon", prompt_suffix="neon noir", palette=["#ff00aa"]),
    ]
    characters = [
        Character(
            id="ch_ana",
            name="Ana",
            description="a courier in a yellow raincoat",
            seed=11,
            reference_images=["media/refs/ana.png"],
            voice=VoiceSettings(rate=1.1, pitch_semitones=2.0),
        ),
        Character(id="ch_bo", name="Bo", description="an old cook", seed=22),
        Character(id="ch_cy", name="Cy", description="a stranger in a hat", seed=33),
    ]
    take_ok = Take(
        id="tk_1",
        generator_id="sketch",
        generator_version="1.0",
        request_hash="abc123",
        seed=7,
        media_path="media/takes/s1_tk_1.mp4",
        created_at="2025-01-01T10:00:00Z",
        status=TakeStatus.DONE,
    )
    take_failed = Take(id="tk_2", generator_id="sketch", status=TakeStatus.FAILED, error="boom")
    take_ok2 = Take(
        id="tk_3", generator_id="sketch", seed=8, media_path="media/takes/s1_tk_3.mp4",
        status=TakeStatus.DONE,
    )
    s1 = Shot(
        id="sh_1",
        number="1",
        title="Market wide",
        prompt="a crowded night market",
        duration=96,
        size=ShotSize.EWS,
        camera_move=CameraMove.CRANE_DOWN,
        characters=["ch_ana", "ch_bo"],
        dialogue=[
            DialogueLine(id="ln_1", speaker="ch_ana", text="Two bowls, please."),
            DialogueLine(id="ln_2", speaker="ch_bo", text="Coming up.", audio="media/audio/ln_2.wav"),
            DialogueLine(id="ln_3", speaker="", text="(distant thunder)"),
        ],
        transition_in=Transition(TransitionKind.FADE_FROM_BLACK, 12),
        style_id="st_neon",
        takes=[take_ok, take_failed, take_ok2],
        selected_take_id="tk_3",
    )
    s2 = Shot(id="sh_2", number="2", title="Bo at the stove", duration=48, size=ShotSize.MS,
              characters=["ch_bo"])
    s3 = Shot(id="sh_3", number="3", title="Ana waits", duration=60, size=ShotSize.CU,
              camera_move=CameraMove.PUSH_IN, characters=["ch_ana"],
              dialogue=[DialogueLine(id="ln_4", speaker="ch_ana", text="Hurry.")])
    s4 = Shot(id="sh_4", number="4", title="Alley", duration=72, size=ShotSize.WS,
              transition_in=Transition(TransitionKind.DISSOLVE, 24), characters=["ch_cy"],
              style_id="st_ink", seed_locked=True, seed=99)
    s5 = Shot(id="sh_5", number="5", title="Stranger", duration=36, size=ShotSize.ECU,
              characters=["ch_cy", "ch_ana"],
              dialogue=[DialogueLine(id="ln_5", speaker="ch_cy", text="You dropped this.")])
    return Project(
        title="Sample",
        fps=24,
        width=1280,
        height=720,
        seed=5,
        generator="sketch",
        generator_settings={"sketch": {"line_weight": 2}},
        style_id="st_ink",
        styles=styles,
        characters=characters,
        sequences=[
            Sequence(id="sq_a", name="Market", shots=[s1, s2, s3]),
            Sequence(id="sq_b", name="Alley", shots=[s4, s5]),
            Sequence(id="sq_c", name="Empty scene"),
        ],
    )


@pytest.fixture
def project() -> Project:
    return make_project()


@pytest.fixture(scope="session")
def project_factory() -> Callable[[], Project]:
    """``make_project`` for tests that need many fresh copies (hypothesis: one per example)."""
    return make_project


@pytest.fixture
def example_bundle() -> Path:
    assert EXAMPLE_BUNDLE.is_dir(), f"example project missing: {EXAMPLE_BUNDLE}"
    return EXAMPLE_BUNDLE
