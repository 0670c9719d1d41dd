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

One service per open project, long-lived: it owns one executor (so worker processes, and a model
loaded in them, are reused from batch to batch) and every batch started on it queues into that
executor, which also enforces GPU concurrency across batches. Each job writes its own partial
file and only that job removes it; nothing sweeps a shared folder while anything may run (only
partials left by dead processes are cleaned, see ``ClipCache.sweep_stale_partials``).

A batch always ends with an outcome for every planned shot: an exception inside the batch thread
turns the shots without an outcome into failures that carry the reason (never a silent
"0 failed"). A *setup* failure (the generator cannot be loaded, its model or a tool is missing)
is reported as a failed outcome with ``setup_error`` set and no take: it says nothing about the
shot, so no permanent FAILED take is recorded for it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..files import copy_media
from ..media.integrity import MediaRecord, measure, quick_problem
from ..model import Document, Project, Shot, Take, TakeStatus, new_id
from ..model.bundle import BundlePaths
from ..model.commands import record_take
from ..model.validation import remote_job_problem
from .cache import ClipCache, default_cache_root
from .jobs import Executor, Job, JobEvent, JobState, LocalProcessExecutor
from .registry import DEFAULT_GENERATOR, generator_spec, load_generator_class
from .request import ShotRequest, build_request, request_hash, reroll_seed

Action = Literal["up_to_date", "from_cache", "generate"]
Outcome = Literal["generated", "cached", "up_to_date", "failed", "cancelled"]

DEFAULT_TIMEOUT = 600.0
#: a remote job waits in the service's queue as well as running: allow it longer by default
REMOTE_TIMEOUT = 3600.0
#: a cancelled remote job gets this long to tell its service to cancel before its worker is killed
REMOTE_CANCEL_GRACE = 15.0
#: take states that mean "not finished": such a take with a remote job is resumed, not resubmitted
UNFINISHED = (TakeStatus.QUEUED, TakeStatus.RUNNING)


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
    #: an unfinished take whose remote job this plan resumes (its outcome replaces that take)
    pending_take_id: str | None = None
    #: this job only follows a paid remote job accepted for an earlier version of the shot (it
    #: was edited since): its take is kept, marked ``outdated``, never selected or cached
    outdated: bool = False
    #: what distinguishes jobs for the same shot in one batch (a style test's style id): the
    #: batch keeps one outcome per ``key``, and events and outcomes carry the tag back
    tag: str = ""

    @property
    def key(self) -> str:
        """Unique within a batch: the shot id, plus the tag when there is one (a style test runs
        a shot once per style), plus the take's id for an outdated follow-up (a shot can have its
        new request and an earlier paid job in one batch)."""
        key = f"{self.shot_id}@{self.tag}" if self.tag else self.shot_id
        return f"{key}@{self.pending_take_id}" if self.outdated else key


def plan_generation(
    project: Project,
    bundle_root: Path | str,
    shots: Iterable[Shot] | None = None,
    generator_id: str | None = None,
    reroll: bool = False,
    cache: ClipCache | None = None,
    settings: dict[str, Any] | None = None,
    run_options: dict[str, Any] | None = None,
) -> list[PlannedJob]:
    """Decide per shot (see the module docstring). ``settings`` overlay the project's settings for
    this generator (``--model``: they are part of the cache key); ``run_options`` reach the
    generator without being part of it (consent to re-run an expired paid job). A shot whose
    newest unfinished take holds a remote job for exactly this request resumes that job."""
    generator_id = generator_id or project.generator or DEFAULT_GENERATOR
    cls = load_generator_class(generator_spec(generator_id))
    version = str(cls.version)
    cache = cache or ClipCache(default_cache_root(bundle_root))
    paths = BundlePaths(bundle_root)
    planned = []
    for shot in shots if shots is not None else project.all_shots():
        request = build_request(project, shot, bundle_root, generator_id, seed=reroll_seed() if reroll else None)
        if settings:
            request = replace(request, settings={**request.settings, **settings})
        if run_options:
            request = replace(request, run_options=dict(run_options))
        digest = request_hash(request, generator_id, version)
        action: Action = "generate"
        existing = None
        pending = _resumable(shot, generator_id, digest)
        if pending is not None:  # a paid job is already under way (or done) on the service
            request = replace(request, remote_job=dict(pending.remote_job or {}))
        elif not reroll:
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
                       existing.id if existing else None, pending.id if pending else None)
        )
        planned.extend(_outdated_follow_ups(project, shot, bundle_root, pending, run_options))
    return planned


def _outdated_follow_ups(project: Project, shot: Shot, bundle_root: Path | str, resumed: Take | None,
                         run_options: dict[str, Any] | None) -> list[PlannedJob]:
    """Jobs following the shot's other unfinished remote takes: jobs accepted (and paid for) for
    an earlier version of the shot, which was edited since. Left alone they would stay "running"
    forever; submitting them again is impossible (the request they were made for is gone). So
    each is followed to the end with its own generator and kept as an ``outdated`` take: not
    selected, not cached under any request, its own request hash and prompt kept."""
    follow = []
    for take in shot.takes:
        if take is resumed or take.status not in UNFINISHED or not take.remote_job:
            continue
        try:
            cls = load_generator_class(generator_spec(take.generator_id))
        except Exception:  # noqa: BLE001 - its generator is gone: nothing can follow the job
            continue
        request = build_request(project, shot, bundle_root, take.generator_id)
        request = replace(request, remote_job=dict(take.remote_job), seed=take.seed,
                          prompt=take.prompt or request.prompt,
                          # follow only: never submit (or re-run) anything for a request that is gone
                          run_options={**(run_options or {}), "follow_only": True, "rerun_expired": False})
        follow.append(PlannedJob(shot.id, shot.number, take.generator_id, str(cls.version), request,
                                 take.request_hash, "generate", None, take.id, outdated=True))
    return follow


def _resumable(shot: Shot, generator_id: str, digest: str) -> Take | None:
    """The shot's newest unfinished take holding a remote job of ``generator_id`` for exactly this
    request (same hash), or None. A take for an older request is left alone: resuming it would
    give the shot a picture it no longer asks for."""
    for take in reversed(shot.takes):
        if (take.status in UNFINISHED and take.remote_job and take.generator_id == generator_id
                and take.request_hash == digest):
            return take
    return None


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
    #: a failure of the setup (not of the shot): no take is recorded for it
    setup_error: bool = False
    #: set (with ``take``, an unfinished take holding it, and no ``outcome``) the moment a remote
    #: service accepted the shot's job: record that take and save, so a crash can resume the job
    remote_job: dict[str, Any] | None = None
    #: the planned job's ``PlannedJob.key`` ("" = ``shot_id``): an outdated follow-up's events
    #: and a style test's per-style jobs are told apart from the shot's own job by it
    key: str = ""
    tag: str = ""  # the planned job's tag (a style test's style id)

    @property
    def job_key(self) -> str:
        return self.key or self.shot_id


@dataclass
class ShotOutcome:
    shot_id: str
    shot_number: str
    outcome: Outcome
    take: Take | None = None
    error: str = ""
    setup_error: bool = False
    tag: str = ""


class BatchHandle:
    """A running batch: cancel it (or one shot), wait for it, read its outcomes.

    Cancelling touches only this batch's jobs; other batches on the same service keep running.
    ``error`` holds the reason when the batch thread itself failed (its remaining shots are then
    failed outcomes carrying that reason).
    """

    def __init__(self, planned: list[PlannedJob]):
        self.planned = planned
        self.outcomes: dict[str, ShotOutcome] = {}  # by PlannedJob.key (the shot id when untagged)
        self.error: str = ""
        self._done = threading.Event()
        self._executor: Executor | None = None
        self._job_ids: dict[str, str] = {}  # PlannedJob.key -> job id
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True
        if self._executor is not None:
            for job_id in list(self._job_ids.values()):
                self._executor.cancel(job_id)

    def cancel_shot(self, shot_id: str) -> None:
        """Cancel the shot's jobs in this batch: all of its tags (every style of a style test) and
        any outdated follow-up of the same shot."""
        if self._executor is None:
            return
        for item in self.planned:
            job_id = self._job_ids.get(item.key) if item.shot_id == shot_id else None
            if job_id:
                self._executor.cancel(job_id)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def results(self) -> list[ShotOutcome]:
        return [self.outcomes[p.key] for p in self.planned if p.key in self.outcomes]


class ServiceClosed(RuntimeError):
    """A batch was started on a generation service that has been shut down."""


class GenerationService:
    """The generation service of one project: plan batches, run them, shut down once.

    Keep one per open project (the GUI keeps it across batches) and call ``shutdown`` when the
    project closes; it is also a context manager. Batches started on it share one executor.
    """

    #: how long ``_abandon`` waits for a batch's cancelled jobs to report before removing their files
    ABANDON_WAIT = 10.0

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
        self._lock = threading.Lock()
        self._executor: Executor | None = None
        self._routes: dict[str, queue.Queue[JobEvent]] = {}  # job id -> the queue of its batch
        self._threads: list[threading.Thread] = []
        self._handles: list[BatchHandle] = []
        self._closed = False
        self.cache.sweep_stale_partials()  # only files of dead processes: safe beside live batches

    def plan(self, project: Project, shots: Iterable[Shot] | None = None, generator_id: str | None = None,
             reroll: bool = False, settings: dict[str, Any] | None = None,
             run_options: dict[str, Any] | None = None) -> list[PlannedJob]:
        return plan_generation(project, self.paths.root, shots, generator_id, reroll, self.cache, settings,
                               run_options)

    def start(
        self,
        planned: list[PlannedJob],
        on_event: Callable[[BatchEvent], None] | None = None,
        jobs: int | None = None,
    ) -> BatchHandle:
        """Run ``planned`` in the background; ``on_event`` is called from a background thread."""
        handle = BatchHandle(planned)
        emit = on_event or (lambda event: None)
        thread = threading.Thread(target=self._run, args=(handle, planned, emit, jobs), name="generation-batch",
                                  daemon=True)
        with self._lock:
            if self._closed:
                raise ServiceClosed("the generation service has been shut down")
            self._threads = [t for t in self._threads if t.is_alive()]
            self._handles = [h for h in self._handles if not h.finished]
            self._threads.append(thread)
            self._handles.append(handle)
        thread.start()
        return handle

    @property
    def busy(self) -> bool:
        with self._lock:
            return any(not h.finished for h in self._handles)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel every batch, wait for their threads, stop the worker processes. Idempotent."""
        with self._lock:
            self._closed = True
            handles, threads = list(self._handles), list(self._threads)
        for handle in handles:
            handle.cancel()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown()

    def __enter__(self) -> GenerationService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _shared_executor(self) -> Executor:
        with self._lock:
            if self._closed:
                raise ServiceClosed("the generation service has been shut down")
            if self._executor is None:
                self._executor = self.executor_factory(self._route)
            return self._executor

    def _route(self, event: JobEvent) -> None:
        """Executor events (scheduler thread) go to the queue of the batch that owns the job."""
        with self._lock:
            target = self._routes.get(event.job_id)
        if target is not None:
            target.put(event)

    # --- batch thread ---
    def _run(self, handle: BatchHandle, planned: list[PlannedJob], emit: Callable[[BatchEvent], None],
             jobs: int | None) -> None:
        events: queue.Queue[JobEvent] = queue.Queue()
        outputs: dict[str, Path] = {}  # job id -> the partial file only that job writes
        ended: set[str] = set()  # job ids whose worker reported a final state
        try:
            self._run_batch(handle, planned, emit, jobs, events, outputs, ended)
        except BaseException as exc:  # noqa: BLE001 - must become failed shots, never vanish
            handle.error = f"generation stopped by an internal error: {type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
            self._abandon(handle, events, outputs, ended)
            for item in planned:
                if item.key not in handle.outcomes:
                    self._fail_safely(handle, emit, item, handle.error)
        finally:
            with self._lock:
                for job_id in outputs:
                    self._routes.pop(job_id, None)
            handle._done.set()

    def _abandon(self, handle: BatchHandle, events: queue.Queue[JobEvent], outputs: dict[str, Path],
                 ended: set[str]) -> None:
        """Cancel this batch's unfinished jobs, let them stop, then remove their partial files."""
        with contextlib.suppress(Exception):
            handle.cancel()
        pending = set(outputs) - ended
        deadline = time.monotonic() + self.ABANDON_WAIT
        while pending and time.monotonic() < deadline:
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                continue
            if event.state.finished:
                pending.discard(event.job_id)
        for job_id, output in outputs.items():
            if job_id not in pending:  # a job still running owns its file until it stops
                with contextlib.suppress(OSError):
                    output.unlink()

    def _fail_safely(self, handle: BatchHandle, emit: Callable[[BatchEvent], None], item: PlannedJob,
                     error: str) -> None:
        """Record ``item`` as failed even when recording or reporting itself goes wrong."""
        try:
            self._conclude(handle, emit, item, "failed", error=error)
        except BaseException:  # noqa: BLE001 - the outcome is still recorded below
            handle.outcomes.setdefault(item.key, ShotOutcome(item.shot_id, item.shot_number, "failed",
                                                                 None, error, tag=item.tag))

    def _run_batch(self, handle: BatchHandle, planned: list[PlannedJob], emit: Callable[[BatchEvent], None],
                   jobs: int | None, events: queue.Queue[JobEvent], outputs: dict[str, Path],
                   ended: set[str]) -> None:
        by_job: dict[str, PlannedJob] = {}
        pending: dict[str, Take] = {}  # shot id -> its unfinished take holding the accepted remote job
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
        executor = self._shared_executor()
        handle._executor = executor
        for item in to_generate:
            cls = load_generator_class(generator_spec(item.generator_id))
            caps = cls.capabilities
            concurrency = 1 if caps.needs_gpu else (caps.max_concurrency or jobs or os.cpu_count() or 1)
            if jobs and not caps.needs_gpu:
                concurrency = max(1, jobs)
            remote = bool(caps.remote)
            default_timeout = max(self.timeout, REMOTE_TIMEOUT) if remote else self.timeout
            job = Job(
                id=new_id("job"), generator_id=item.generator_id, generator_spec=generator_spec(item.generator_id),
                request=item.request, output=self.cache.partial_path(item.request_hash),
                timeout=float(item.request.settings.get("timeout", default_timeout)), concurrency=concurrency,
                gpu=bool(caps.needs_gpu), cancel_grace=REMOTE_CANCEL_GRACE if remote else None,
            )
            if item.pending_take_id is not None and item.request.remote_job:
                pending[item.key] = self._take(item, item.pending_take_id, None, TakeStatus.RUNNING,
                                                   remote_job=item.request.remote_job)
            by_job[job.id] = item
            outputs[job.id] = job.output
            handle._job_ids[item.key] = job.id
            with self._lock:
                self._routes[job.id] = events  # before submit: submit already reports "queued"
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
                remote_job = event.extra.get("remote_job")
                why = remote_job_problem(remote_job) if remote_job else None
                if why is not None:  # never store what the project would refuse (a secret...)
                    emit(BatchEvent(item.shot_id, item.shot_number, event.state, event.fraction,
                                    f"the remote job cannot be recorded ({why}); it will not be resumed after a crash",
                                    key=item.key, tag=item.tag))
                    continue
                if remote_job:  # accepted by the service: record it now, so a crash can resume it
                    before = pending.get(item.key)
                    take = self._take(item, before.id if before else new_id("take"), None, TakeStatus.RUNNING,
                                      remote_job=dict(remote_job))
                    pending[item.key] = take
                    emit(BatchEvent(item.shot_id, item.shot_number, event.state, event.fraction,
                                    "accepted by the service", take=take, remote_job=dict(remote_job), key=item.key,
                                    tag=item.tag))
                    continue
                emit(BatchEvent(item.shot_id, item.shot_number, event.state, event.fraction, event.message,
                                key=item.key, tag=item.tag))
                continue
            remaining.discard(event.job_id)
            ended.add(event.job_id)
            if event.state == JobState.DONE and event.result is not None:
                try:
                    # an outdated follow-up's clip answers no current request: never cached
                    clip = (Path(event.result.path) if item.outdated
                            else self.cache.put(item.request_hash, Path(event.result.path)))
                except OSError as exc:  # disk full, permissions: this shot fails, the batch goes on
                    with contextlib.suppress(OSError):
                        outputs[event.job_id].unlink()
                    self._conclude(handle, emit, item, "failed", error=f"could not store the clip: {exc}")
                    continue
                self._conclude(handle, emit, item, "generated", clip=clip, seconds=event.result.seconds,
                               pending=pending.get(item.key))
                if item.outdated:
                    with contextlib.suppress(OSError):
                        clip.unlink()
            else:
                with contextlib.suppress(OSError):
                    outputs[event.job_id].unlink()  # this job's own partial; never another's
                self._conclude(handle, emit, item, "cancelled" if event.state == JobState.CANCELLED else "failed",
                               error=event.error or "cancelled",
                               setup_error=bool(event.extra.get("setup_error")), pending=pending.get(item.key))

    def _conclude(self, handle: BatchHandle, emit: Callable[[BatchEvent], None], item: PlannedJob,
                  outcome: Outcome, clip: Path | None = None, error: str = "", seconds: float = 0.0,
                  setup_error: bool = False, pending: Take | None = None) -> None:
        """Record ``item``'s outcome. With ``pending`` (the unfinished take of an accepted remote
        job) the outcome takes its id and replaces it, keeping the remote job as provenance; a
        cancel then records a cancelled take, so the cancelled job is not resumed next time."""
        take: Take | None = None
        remote_job = pending.remote_job if pending is not None else None
        if outcome in ("generated", "cached") and clip is not None:
            take_id = pending.id if pending is not None else new_id("take")
            relative = f"media/takes/{item.shot_id}/{take_id}.mp4"
            copy_media(clip, self.paths.root / relative)
            record = measure(self.paths.root / relative)  # the header's frames and duration, the size
            take = self._take(item, take_id, relative, TakeStatus.DONE, record=record, remote_job=remote_job)
        elif outcome == "failed" and not setup_error:  # a setup failure (no key...) is not the shot's: no
            # take, and an accepted job's unfinished take stays as it is, to be resumed once set up
            take = self._take(item, pending.id if pending else new_id("take"), None, TakeStatus.FAILED, error,
                              remote_job=remote_job)
        elif outcome == "cancelled" and pending is not None:
            take = self._take(item, pending.id, None, TakeStatus.CANCELLED, error, remote_job=remote_job)
        state = {"generated": JobState.DONE, "cached": JobState.DONE, "up_to_date": JobState.DONE,
                 "failed": JobState.FAILED, "cancelled": JobState.CANCELLED}[outcome]
        handle.outcomes[item.key] = ShotOutcome(item.shot_id, item.shot_number, outcome, take, error,
                                                    setup_error, item.tag)
        message = {"generated": f"generated in {seconds:.1f} s" + (
                       "; made for an earlier version of the shot: kept (it was paid for), not selected"
                       if item.outdated else ""), "cached": "from cache",
                   "up_to_date": "up to date", "failed": error, "cancelled": "cancelled"}[outcome]
        emit(BatchEvent(item.shot_id, item.shot_number, state, 1.0 if state == JobState.DONE else 0.0,
                        message, error, outcome, take, setup_error, key=item.key, tag=item.tag))

    @staticmethod
    def _take(item: PlannedJob, take_id: str, media: str | None, status: TakeStatus, error: str = "",
              record: MediaRecord | None = None, remote_job: dict[str, Any] | None = None) -> Take:
        record = record or MediaRecord()
        return Take(
            id=take_id, generator_id=item.generator_id, generator_version=item.generator_version,
            request_hash=item.request_hash, seed=item.request.seed, media_path=media,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"), status=status, error=error,
            prompt=item.request.prompt, frames=record.frames, duration_s=record.duration_s,
            size_bytes=record.size_bytes, remote_job=dict(remote_job) if remote_job else None,
            outdated=item.outdated,
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
    #: shot numbers whose failure was a setup problem (in ``failed`` too, but with no take)
    setup_failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.generated + self.cached + self.up_to_date + self.cancelled + len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    def summary(self) -> str:
        reused = self.cached + self.up_to_date
        detail = f" ({self.up_to_date} already the selected take)" if self.up_to_date else ""
        return (f"{self.generated} generated, {reused} from cache{detail}, {len(self.failed)} failed"
                + (f", {self.cancelled} cancelled" if self.cancelled else ""))

    def count(self, event: BatchEvent | ShotOutcome) -> None:
        match event.outcome:
            case "generated":
                self.generated += 1
            case "cached":
                self.cached += 1
            case "up_to_date":
                self.up_to_date += 1
            case "cancelled":
                self.cancelled += 1
            case "failed":
                self.failed.append((event.shot_number, event.error))
                if event.setup_error:
                    self.setup_failures.append(event.shot_number)


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
    settings: dict[str, Any] | None = None,
    run_options: dict[str, Any] | None = None,
    on_remote_accepted: Callable[[BatchEvent], None] | None = None,
    planned: list[PlannedJob] | None = None,
) -> GenerationReport:
    """Generate (or reuse) takes for ``shots`` and record them on ``document``. Saves nothing.

    Without ``service`` a temporary one is made and shut down before returning. A
    ``KeyboardInterrupt`` (Ctrl-C, or SIGTERM turned into one by the CLI) cancels the batch, waits
    for it to wind down while recording the takes that finished on ``document``, and is then
    re-raised, so every caller stops (the CLI saves the recorded takes; ``render`` exports
    nothing). A second interrupt while winding down propagates at once.

    ``settings`` and ``run_options`` go to ``plan_generation``; ``planned`` runs a plan the caller
    already made (to show its cost first). ``on_remote_accepted`` is called on this thread right
    after the unfinished take of a job a remote service accepted is recorded on ``document``: the
    CLI saves there, so a crash from then on resumes the job instead of paying for it twice.
    """
    started = time.monotonic()
    own_service = service is None
    service = service or GenerationService(document.paths.root)
    try:
        if planned is None:
            planned = service.plan(document.project, shots, generator_id, reroll, settings, run_options)
        events: queue.Queue[BatchEvent] = queue.Queue()
        handle = service.start(planned, events.put, jobs=jobs)
        report = GenerationReport()
        counted: set[str] = set()
        try:
            _collect(handle, events, document, report, counted, on_event, cancelled, on_remote_accepted)
        except KeyboardInterrupt:  # wind down, keep what finished, then let the caller stop
            handle.cancel()
            _collect(handle, events, document, report, counted, on_event, None, on_remote_accepted)
            handle.wait()
            _reconcile(handle, document, report, counted)
            raise
        handle.wait()
        _reconcile(handle, document, report, counted)
    finally:
        if own_service:
            service.shutdown()
    report.seconds = time.monotonic() - started
    return report


def _reconcile(handle: BatchHandle, document: Document, report: GenerationReport, counted: set[str]) -> None:
    """Every planned shot gets an outcome in the report (and its take recorded), even when its
    event was lost (an interrupt landed while it was being handled)."""
    for item in handle.planned:
        if item.key in counted:
            continue
        counted.add(item.key)
        outcome = handle.outcomes.get(item.key) or ShotOutcome(
            item.shot_id, item.shot_number, "failed", None, handle.error or "no outcome was reported")
        if outcome.take is not None:
            with contextlib.suppress(KeyError):
                document.apply(record_take(document.project, outcome.shot_id, outcome.take))
        report.count(outcome)


def _collect(handle: BatchHandle, events: queue.Queue[BatchEvent], document: Document, report: GenerationReport,
             counted: set[str], on_event: Callable[[BatchEvent], None] | None,
             cancelled: Callable[[], bool] | None,
             on_remote_accepted: Callable[[BatchEvent], None] | None = None) -> None:
    """Record the batch's final outcomes on ``document`` (this thread) until the batch finishes."""
    cancel_sent = False
    while True:
        if cancelled is not None and not cancel_sent and cancelled():
            handle.cancel()
            cancel_sent = True
        try:
            event = events.get(timeout=0.1)
        except queue.Empty:
            if handle.finished and events.empty():
                return
            continue
        if on_event is not None:
            on_event(event)
        if event.outcome is None and event.take is not None and event.job_key not in counted:
            with contextlib.suppress(KeyError):  # a remote job was accepted: its unfinished take
                document.apply(record_take(document.project, event.shot_id, event.take))
                if on_remote_accepted is not None:
                    on_remote_accepted(event)
            continue
        if event.outcome is None or event.job_key in counted:
            continue
        counted.add(event.job_key)
        if event.take is not None:
            with contextlib.suppress(KeyError):
                document.apply(record_take(document.project, event.shot_id, event.take))
        report.count(event)
