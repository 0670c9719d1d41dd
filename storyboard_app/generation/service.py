"""Generating takes for shots: the API the CLI, the exporter and the GUI share.

1. ``plan_generation`` decides per shot: *up to date* (the shot already has a finished, intact
   take for exactly this request), *from cache* (an intact clip is in the cache: copy it as a new
   take, no generation) or *generate*. "Intact" is the cheap check of ``media.integrity`` (size
   as recorded + MP4 box structure, no decoding); a damaged cache entry is evicted, never reused.
2. ``GenerationService.start`` runs a plan in the background and reports ``BatchEvent``s from its
   thread; finished clips are renamed into the cache and copied (reflink where possible, never a
   hard link) into ``media/takes/`` (so deleting or damaging ``cache/`` never touches a take), and
   every outcome, failures included, becomes a Take recording its frame count, duration and size.
3. ``generate_shots`` is the blocking form for the CLI and the exporter: it records the takes on
   the Document on the calling thread (the only thread that edits the project).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..files import copy_media, sweep_partials
from ..media.integrity import MediaRecord, measure, quick_problem
from ..model import Document, Project, Shot, Take, TakeStatus, new_id
from ..model.bundle import BundlePaths
from ..model.commands import record_take
from .cache import ClipCache, default_cache_root
from .jobs import Executor, Job, JobEvent, JobState, LocalProcessExecutor
from .registry import DEFAULT_GENERATOR, generator_spec, load_generator_class
from .request import ShotRequest, build_request, request_hash, reroll_seed

Action = Literal["up_to_date", "from_cache", "generate"]
Outcome = Literal["generated", "cached", "up_to_date", "failed", "cancelled"]

DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True)
class PlannedJob:
    shot_id: str
    shot_number: str
    generator_id: str
    generator_version: str
    request: ShotRequest
    request_hash: str
    action: Action
    existing_take_id: str | None = None


def plan_generation(
    project: Project,
    bundle_root: Path | str,
    shots: Iterable[Shot] | None = None,
    generator_id: str | None = None,
    reroll: bool = False,
    cache: ClipCache | None = None,
) -> list[PlannedJob]:
    generator_id = generator_id or project.generator or DEFAULT_GENERATOR
    cls = load_generator_class(generator_spec(generator_id))
    version = str(cls.version)
    cache = cache or ClipCache(default_cache_root(bundle_root))
    paths = BundlePaths(bundle_root)
    planned = []
    for shot in shots if shots is not None else project.all_shots():
        request = build_request(project, shot, bundle_root, generator_id, seed=reroll_seed() if reroll else None)
        digest = request_hash(request, generator_id, version)
        action: Action = "generate"
        existing = None
        if not reroll:
            existing = next(
                (t for t in reversed(shot.takes)
                 if t.status == TakeStatus.DONE and t.request_hash == digest and t.media_path
                 and _intact(paths, t)),
                None,
            )
            if existing is not None:
                action = "up_to_date"
            elif cache.get(digest) is not None:
                action = "from_cache"
        planned.append(
            PlannedJob(shot.id, shot.number, generator_id, version, request, digest, action,
                       existing.id if existing else None)
        )
    return planned


def _intact(paths: BundlePaths, take: Take) -> bool:
    """The take's file exists and passes the cheap check against what was recorded for it."""
    try:
        path = paths.media_path(take.media_path or "")
    except ValueError:
        return False
    return quick_problem(path, take.size_bytes) is None


@dataclass(frozen=True)
class BatchEvent:
    """One thing that happened in a batch. ``take`` is set when a shot's outcome is final."""

    shot_id: str
    shot_number: str
    state: JobState
    fraction: float = 0.0
    message: str = ""
    error: str = ""
    outcome: Outcome | None = None
    take: Take | None = None


@dataclass
class ShotOutcome:
    shot_id: str
    shot_number: str
    outcome: Outcome
    take: Take | None = None
    error: str = ""


class BatchHandle:
    """A running batch: cancel it (or one shot), wait for it, read its outcomes."""

    def __init__(self, planned: list[PlannedJob]):
        self.planned = planned
        self.outcomes: dict[str, ShotOutcome] = {}
        self._done = threading.Event()
        self._executor: Executor | None = None
        self._job_ids: dict[str, str] = {}  # shot id -> job id
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True
        if self._executor is not None:
            self._executor.cancel_all()

    def cancel_shot(self, shot_id: str) -> None:
        job_id = self._job_ids.get(shot_id)
        if job_id and self._executor is not None:
            self._executor.cancel(job_id)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def results(self) -> list[ShotOutcome]:
        return [self.outcomes[p.shot_id] for p in self.planned if p.shot_id in self.outcomes]


class GenerationService:
    def __init__(
        self,
        bundle_root: Path | str,
        cache: ClipCache | None = None,
        executor_factory: Callable[[Callable[[JobEvent], None]], Executor] = LocalProcessExecutor,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.paths = BundlePaths(bundle_root)
        self.cache = cache or ClipCache(default_cache_root(bundle_root))
        self.executor_factory = executor_factory
        self.timeout = timeout

    def plan(self, project: Project, shots: Iterable[Shot] | None = None, generator_id: str | None = None,
             reroll: bool = False) -> list[PlannedJob]:
        return plan_generation(project, self.paths.root, shots, generator_id, reroll, self.cache)

    def start(
        self,
        planned: list[PlannedJob],
        on_event: Callable[[BatchEvent], None] | None = None,
        jobs: int | None = None,
    ) -> BatchHandle:
        """Run ``planned`` in the background; ``on_event`` is called from a background thread."""
        handle = BatchHandle(planned)
        emit = on_event or (lambda event: None)
        sweep_partials(self.cache.root)
        thread = threading.Thread(target=self._run, args=(handle, planned, emit, jobs), name="generation-batch",
                                  daemon=True)
        thread.start()
        return handle

    # --- batch thread ---
    def _run(self, handle: BatchHandle, planned: list[PlannedJob], emit: Callable[[BatchEvent], None],
             jobs: int | None) -> None:
        try:
            self._run_batch(handle, planned, emit, jobs)
        finally:
            handle._done.set()

    def _run_batch(self, handle: BatchHandle, planned: list[PlannedJob], emit: Callable[[BatchEvent], None],
                   jobs: int | None) -> None:
        by_job: dict[str, PlannedJob] = {}
        outputs: dict[str, Path] = {}
        events: queue.Queue[JobEvent] = queue.Queue()
        to_generate = []
        for item in planned:
            if handle._cancelled:
                self._conclude(handle, emit, item, "cancelled", error="cancelled")
            elif item.action == "up_to_date":
                self._conclude(handle, emit, item, "up_to_date")
            elif item.action == "from_cache":
                cached = self.cache.get(item.request_hash)
                if cached is not None:
                    self._conclude(handle, emit, item, "cached", clip=cached)
                else:  # evicted between plan and run
                    to_generate.append(item)
            else:
                to_generate.append(item)
        if not to_generate:
            return
        executor = self.executor_factory(events.put)
        handle._executor = executor
        try:
            for item in to_generate:
                cls = load_generator_class(generator_spec(item.generator_id))
                caps = cls.capabilities
                concurrency = 1 if caps.needs_gpu else (caps.max_concurrency or jobs or os.cpu_count() or 1)
                if jobs and not caps.needs_gpu:
                    concurrency = max(1, jobs)
                job = Job(
                    id=new_id("job"), generator_id=item.generator_id, generator_spec=generator_spec(item.generator_id),
                    request=item.request, output=self.cache.partial_path(item.request_hash),
                    timeout=float(item.request.settings.get("timeout", self.timeout)), concurrency=concurrency,
                )
                by_job[job.id] = item
                outputs[job.id] = job.output
                handle._job_ids[item.shot_id] = job.id
                executor.submit(job)
                if handle._cancelled:
                    executor.cancel(job.id)
            remaining = set(by_job)
            while remaining:
                event = events.get()
                item = by_job.get(event.job_id)
                if item is None:
                    continue
                if not event.state.finished:
                    emit(BatchEvent(item.shot_id, item.shot_number, event.state, event.fraction, event.message))
                    continue
                remaining.discard(event.job_id)
                if event.state == JobState.DONE and event.result is not None:
                    clip = self.cache.put(item.request_hash, Path(event.result.path))
                    self._conclude(handle, emit, item, "generated", clip=clip, seconds=event.result.seconds)
                else:
                    with contextlib.suppress(OSError):
                        outputs[event.job_id].unlink()  # never leave a partial clip behind
                    self._conclude(handle, emit, item, "cancelled" if event.state == JobState.CANCELLED else "failed",
                                   error=event.error or "cancelled")
        finally:
            executor.shutdown()
            sweep_partials(self.cache.root)

    def _conclude(self, handle: BatchHandle, emit: Callable[[BatchEvent], None], item: PlannedJob,
                  outcome: Outcome, clip: Path | None = None, error: str = "", seconds: float = 0.0) -> None:
        take: Take | None = None
        if outcome in ("generated", "cached") and clip is not None:
            take_id = new_id("take")
            relative = f"media/takes/{item.shot_id}/{take_id}.mp4"
            copy_media(clip, self.paths.root / relative)
            record = measure(self.paths.root / relative)  # the header's frames and duration, the size
            take = self._take(item, take_id, relative, TakeStatus.DONE, record=record)
        elif outcome == "failed":
            take = self._take(item, new_id("take"), None, TakeStatus.FAILED, error)
        state = {"generated": JobState.DONE, "cached": JobState.DONE, "up_to_date": JobState.DONE,
                 "failed": JobState.FAILED, "cancelled": JobState.CANCELLED}[outcome]
        handle.outcomes[item.shot_id] = ShotOutcome(item.shot_id, item.shot_number, outcome, take, error)
        message = {"generated": f"generated in {seconds:.1f} s", "cached": "from cache",
                   "up_to_date": "up to date", "failed": error, "cancelled": "cancelled"}[outcome]
        emit(BatchEvent(item.shot_id, item.shot_number, state, 1.0 if state == JobState.DONE else 0.0,
                        message, error, outcome, take))

    @staticmethod
    def _take(item: PlannedJob, take_id: str, media: str | None, status: TakeStatus, error: str = "",
              record: MediaRecord | None = None) -> Take:
        record = record or MediaRecord()
        return Take(
            id=take_id, generator_id=item.generator_id, generator_version=item.generator_version,
            request_hash=item.request_hash, seed=item.request.seed, media_path=media,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"), status=status, error=error,
            prompt=item.request.prompt, frames=record.frames, duration_s=record.duration_s,
            size_bytes=record.size_bytes,
        )


# --------------------------------------------------------------------------- blocking form


@dataclass
class GenerationReport:
    generated: int = 0
    cached: int = 0
    up_to_date: int = 0
    cancelled: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (shot number, error)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.generated + self.cached + self.up_to_date + self.cancelled + len(self.failed)

    def summary(self) -> str:
        reused = self.cached + self.up_to_date
        detail = f" ({self.up_to_date} already the selected take)" if self.up_to_date else ""
        return (f"{self.generated} generated, {reused} from cache{detail}, {len(self.failed)} failed"
                + (f", {self.cancelled} cancelled" if self.cancelled else ""))


def generate_shots(
    document: Document,
    shots: Iterable[Shot] | None = None,
    *,
    generator_id: str | None = None,
    reroll: bool = False,
    jobs: int | None = None,
    on_event: Callable[[BatchEvent], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    service: GenerationService | None = None,
) -> GenerationReport:
    """Generate (or reuse) takes for ``shots`` and record them on ``document``. Saves nothing."""
    started = time.monotonic()
    service = service or GenerationService(document.paths.root)
    planned = service.plan(document.project, shots, generator_id, reroll)
    events: queue.Queue[BatchEvent] = queue.Queue()
    handle = service.start(planned, events.put, jobs=jobs)
    report = GenerationReport()
    cancel_sent = False
    while True:
        if cancelled is not None and not cancel_sent and cancelled():
            handle.cancel()
            cancel_sent = True
        try:
            event = events.get(timeout=0.1)
        except queue.Empty:
            if handle.finished and events.empty():
                break
            continue
        if on_event is not None:
            on_event(event)
        if event.outcome is None:
            continue
        if event.take is not None:
            with contextlib.suppress(KeyError):
                document.apply(record_take(document.project, event.shot_id, event.take))
        match event.outcome:
            case "generated":
                report.generated += 1
            case "cached":
                report.cached += 1
            case "up_to_date":
                report.up_to_date += 1
            case "cancelled":
                report.cancelled += 1
            case "failed":
                report.failed.append((event.shot_number, event.error))
    handle.wait()
    report.seconds = time.monotonic() - started
    return report
