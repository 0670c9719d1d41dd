"""Running a style test: every shot x style through the generation service (issue 18).

A cell of a test is a shot rendered as if its style were the cell's style: the shot is copied
with ``style_id`` set (nothing in the project changes), so ``build_request`` composes the
style's prompt suffix, negative prompt, palette and generator parameters exactly as it would
for a real shot in that style, and the request hash, the clip cache and "up to date" mean the
same thing as for any take. Consequences worth knowing:

* a repeated run plans every cell as *up to date* (or *from cache*): nothing is generated;
* after a prompt edit only that shot's cells have a new hash, so only they are generated;
* once a style is adopted, the project's own generation finds those takes up to date.

The whole test is ONE batch on one ``GenerationService`` (``style_test_batch``): every shot x
style is a ``PlannedJob`` tagged with its style id, so the job runner sees and schedules all the
cells together (``--jobs`` bounds the whole run, a cluster executor can fan it out, one cancel
stops it), and the service keeps one outcome per cell (``PlannedJob.key``); its events carry the
style back as ``BatchEvent.tag``. New takes are tagged with their style and recorded without
being selected (``InsertTake`` only).
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..model import Document, Project, Shot, StyleTest, Take, TakeStatus, new_id
from ..model.commands import InsertTake
from ..model.style_presets import find_preset
from ..model.style_tests import add_styles
from .registry import DEFAULT_GENERATOR, generator_spec, load_generator_class
from .service import BatchEvent, GenerationService, PlannedJob, plan_generation


@dataclass(frozen=True)
class StyleCell:
    shot_id: str
    style_id: str
    planned: PlannedJob


def resolve_styles(project: Project, keys: Iterable[str]) -> tuple[list[str], list]:
    """Style ids for ``keys`` (a project style's id or name, else a preset's stem/id/name) and
    the commands that add the presets the project does not have yet."""
    ids, missing = [], []
    for key in keys:
        key = key.strip()
        if not key:
            continue
        match = next((s for s in project.styles if key in (s.id, s.name) or s.name.lower() == key.lower()), None)
        if match is None:
            match = find_preset(key)  # KeyError names the presets
            if all(m.id != match.id for m in missing):
                missing.append(match)
        if match.id not in ids:
            ids.append(match.id)
    return ids, add_styles(project, missing)


def shots_of(project: Project, test: StyleTest) -> list[Shot]:
    """The test's shots that still exist, in the test's order."""
    shots = []
    for shot_id in test.shot_ids:
        try:
            shots.append(project.shot(shot_id))
        except KeyError:
            continue
    return shots


def styles_of(project: Project, test: StyleTest) -> list[str]:
    have = {s.id for s in project.styles}
    return [sid for sid in test.style_ids if sid in have]


def plan_style_test(project: Project, bundle_root: Path | str, test: StyleTest, generator_id: str | None = None,
                    service: GenerationService | None = None) -> dict[str, list[PlannedJob]]:
    """Per style id, the plan for every shot of the test in that style (each job tagged with
    its style id)."""
    plans = {}
    for style_id in styles_of(project, test):
        shots = [replace(shot, style_id=style_id) for shot in shots_of(project, test)]
        planned = (service.plan(project, shots, generator_id) if service is not None
                   else plan_generation(project, bundle_root, shots, generator_id))
        plans[style_id] = [replace(item, tag=style_id) for item in planned]
    return plans


def style_test_batch(plans: dict[str, list[PlannedJob]]) -> list[PlannedJob]:
    """The cells of ``plans`` as one batch, shot by shot (row by row of the grid, so the first
    rows fill first)."""
    rows: dict[str, list[PlannedJob]] = {}
    for planned in plans.values():
        for item in planned:
            rows.setdefault(item.shot_id, []).append(item)
    return [item for row in rows.values() for item in row]


def cell_takes(project: Project, bundle_root: Path | str, test: StyleTest,
               generator_id: str | None = None) -> dict[tuple[str, str], Take | None]:
    """(shot id, style id) -> the take a cell shows: the intact take made for exactly this
    request, else the newest finished take tagged with the style (made before an edit), else
    None."""
    plans = plan_style_test(project, bundle_root, test, generator_id)
    cells: dict[tuple[str, str], Take | None] = {}
    for style_id, planned in plans.items():
        for item in planned:
            shot = project.shot(item.shot_id)
            take = shot.take(item.existing_take_id) if item.existing_take_id else None
            if take is None:
                take = next((t for t in reversed(shot.takes)
                             if t.style_id == style_id and t.status == TakeStatus.DONE and t.media_path), None)
            cells[(item.shot_id, style_id)] = take
    return cells


@dataclass
class StyleTestReport:
    generated: int = 0
    reused: int = 0  # from the cache or already up to date
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (shot number, style id, error)
    cancelled: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    def summary(self) -> str:
        return (f"{self.generated} generated, {self.reused} from cache, {len(self.failed)} failed"
                + (f", {self.cancelled} cancelled" if self.cancelled else ""))


def estimate(project: Project, test: StyleTest, generator_id: str | None = None) -> tuple[int, int, float, str]:
    """(shots, styles, estimated seconds, cost) shown before a batch starts.

    The sketch generator runs at roughly 15x real time per clip on one core plus a fixed start;
    a GPU model is assumed at 30 s a clip, a remote API at 10 s. Local generators cost nothing
    but time ("0"); no installed remote adapter reports a price, so theirs is "unknown".
    """
    generator_id = generator_id or project.generator or DEFAULT_GENERATOR
    caps = load_generator_class(generator_spec(generator_id)).capabilities
    shots, styles = shots_of(project, test), styles_of(project, test)
    clip_seconds = float(sum(s.duration for s in shots) / project.frame_rate)
    if generator_id == "sketch":
        per_style = clip_seconds / 15 + 0.25 * len(shots)
    else:
        per_style = (30.0 if caps.needs_gpu else 10.0) * len(shots)
    return len(shots), len(styles), per_style * len(styles), "unknown" if caps.remote else "0 (local)"


def run_style_test(
    document: Document,
    test: StyleTest,
    *,
    service: GenerationService,
    generator_id: str | None = None,
    jobs: int | None = None,
    on_event: Callable[[str, BatchEvent], None] | None = None,
) -> StyleTestReport:
    """Generate every missing cell of ``test`` and record the new takes on ``document`` (tagged,
    not selected) on the calling thread, as ONE undo step ("Style test take", as the GUI's view
    records a run). Blocking; the CLI calls it (the GUI records on its own thread, see
    ``cell_command``)."""
    started = time.monotonic()
    merge_key = f"style-test:{test.name}:{new_id('run')}"  # this run's takes fold into one step
    project = document.project
    plans = plan_style_test(project, document.paths.root, test, generator_id, service)
    events: queue.Queue[BatchEvent] = queue.Queue()
    handle = service.start(style_test_batch(plans), events.put, jobs=jobs)  # one batch: every cell
    report = StyleTestReport()
    seen: set[tuple[str, str]] = set()
    try:
        while not handle.finished or not events.empty():
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                continue
            if on_event is not None:
                on_event(event.tag, event)
            if event.outcome is not None and (event.shot_id, event.tag) not in seen:
                seen.add((event.shot_id, event.tag))
                _count(report, document, event.tag, event.shot_number, event.outcome, event.take, event.error,
                       event.shot_id, merge_key)
    except KeyboardInterrupt:
        handle.cancel()
        raise
    for outcome in handle.results:  # outcomes whose events were lost: still counted
        if (outcome.shot_id, outcome.tag) not in seen:
            seen.add((outcome.shot_id, outcome.tag))
            _count(report, document, outcome.tag, outcome.shot_number, outcome.outcome, outcome.take,
                   outcome.error, outcome.shot_id, merge_key)
    report.seconds = time.monotonic() - started
    return report


def _count(report: StyleTestReport, document: Document, style_id: str, number: str, outcome: str,
           take: Take | None, error: str, shot_id: str, merge_key: str | None = None) -> None:
    if take is not None and take.status == TakeStatus.DONE:
        record_cell(document, shot_id, style_id, take, merge_key)
    match outcome:
        case "generated":
            report.generated += 1
        case "cached" | "up_to_date":
            report.reused += 1
        case "cancelled":
            report.cancelled += 1
        case _:
            report.failed.append((number, style_id, error))


def cell_command(project: Project, shot_id: str, style_id: str, take: Take) -> InsertTake | None:
    """The command that adds a style-test take to its shot, tagged with its style and not
    selected (None when the shot was deleted meanwhile)."""
    try:
        shot = project.shot(shot_id)
    except KeyError:
        return None
    return InsertTake(shot_id, len(shot.takes), replace(take, style_id=style_id), "Style test take")


def record_cell(document: Document, shot_id: str, style_id: str, take: Take, merge_key: str | None = None) -> None:
    """Record one cell's take; takes applied with the same ``merge_key`` fold into one undo step
    however long the run takes (``window=inf``, as a generation batch does)."""
    command = cell_command(document.project, shot_id, style_id, take)
    if command is not None:
        document.apply(command, merge_key=merge_key, window=math.inf if merge_key else None)
