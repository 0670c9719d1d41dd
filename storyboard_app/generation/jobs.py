"""Generation jobs and the executors that run them.

``Executor`` is the interface callers use (submit, cancel, shutdown); ``LocalProcessExecutor`` runs
jobs in long-lived worker processes on this machine; ``ray_executor.RayExecutor`` implements the
same interface on a Ray cluster without changing any caller.

Why processes: a generator may crash (a segfault in a native library), hang, or hold a GPU; in a
worker process none of that can take down the caller (the GUI), and a cancel or timeout can
always end it by killing the process. Workers are started with the "spawn" method (safe beside Qt
and other threads, unlike fork) and are kept between jobs, so a loaded model stays warm.

Events are delivered by calling ``on_event`` from the executor's scheduler thread; the GUI
marshals them to its own thread with a queued signal.

Nothing outlives its parent: each worker gets the read end of a "lifeline" pipe whose write end
only the parent holds. When the parent exits in any way (kill -9 included) the OS closes that end;
a watchdog thread in the worker sees end-of-file and kills the worker's own process group, so an
ffmpeg or a model call running inside it stops too. This works the same on Windows (no signals,
no ``prctl``), where the worker ends itself with ``os._exit``. (Linux's ``PR_SET_PDEATHSIG`` is
not used: it fires when the *thread* that started the worker ends, not the process, and its
SIGKILL would end the worker before it could take its own ffmpeg down.)
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Protocol

from ..media.ffmpeg import Cancelled
from .protocol import CancelToken, GenerationResult
from .request import ShotRequest


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass
class Job:
    id: str
    generator_id: str
    generator_spec: str
    request: ShotRequest
    output: Path  # partial path the worker writes; the caller renames it when done
    timeout: float = 600.0
    concurrency: int = 1  # how many jobs of this generator may run at once
    #: needs the GPU: at most one GPU job runs at a time in this executor, whatever its batch
    gpu: bool = False
    #: seconds a cancelled job gets to stop on its own before its worker is killed (a remote
    #: adapter needs a moment to tell the service to cancel, so the user stops paying)
    cancel_grace: float | None = None
    state: JobState = JobState.QUEUED
    fraction: float = 0.0
    message: str = ""
    error: str = ""
    #: the failure is a setup problem (generator not loadable, model or tool missing), not a
    #: property of this shot: the service reports it without recording a failed take
    setup_error: bool = False
    result: GenerationResult | None = None
    started: float | None = None
    finished: float | None = None
    #: the job a remote service accepted for this one (``protocol.report_remote_job``), if any
    remote_job: dict[str, Any] | None = None


@dataclass(frozen=True)
class JobEvent:
    job_id: str
    shot_id: str
    state: JobState
    fraction: float = 0.0
    message: str = ""
    error: str = ""
    result: GenerationResult | None = None
    extra: dict[str, Any] = field(default_factory=dict)


EventCallback = Callable[[JobEvent], None]


class Executor(Protocol):
    def submit(self, job: Job) -> None: ...

    def cancel(self, job_id: str) -> None: ...

    def cancel_all(self) -> None: ...

    def shutdown(self) -> None: ...


def emit_job_event(on_event: EventCallback, job: Job, extra: dict[str, Any] | None = None) -> None:
    """Report ``job``'s current state to ``on_event`` (every executor's one way of doing it); a
    listener that raises is printed, never allowed to stop the executor's scheduler. ``extra``
    carries one-off news (``{"remote_job": {...}}`` when a remote service accepted the job)."""
    extra = dict(extra or {})
    if job.setup_error:
        extra["setup_error"] = True
    event = JobEvent(job.id, job.request.shot_id, job.state, job.fraction, job.message, job.error, job.result,
                     extra)
    try:
        on_event(event)
    except Exception:  # noqa: BLE001 - a listener bug must not stop the scheduler
        traceback.print_exc()


# --------------------------------------------------------------------------- worker process


def _is_setup_error(exc: BaseException) -> bool:
    """A failure of the installation rather than of the shot (see ``GeneratorSetupError``)."""
    from .protocol import GeneratorSetupError

    return isinstance(exc, GeneratorSetupError) or bool(getattr(exc, "setup_error", False))


def _end_own_process_group() -> None:
    """Kill this worker and everything it started (ffmpeg), then exit; never returns."""
    import signal

    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():  # only a group this worker leads
        with contextlib.suppress(OSError):
            os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(1)


def _watch_lifeline(lifeline: Connection) -> None:
    """Block until the parent's end of the lifeline closes (the parent is gone), then end."""
    try:
        while True:
            lifeline.recv_bytes()  # nothing is ever sent; returns only on EOF / error
    except (EOFError, OSError):
        pass
    _end_own_process_group()


def _worker_main(conn: Connection, cancel_event: Any, spec: str, lifeline: Connection | None = None,
                 parent_pid: int | None = None) -> None:
    """Runs in the worker process: build the generator once, then serve jobs until told to stop."""
    from .registry import load_generator_class

    if hasattr(os, "setsid"):
        with contextlib.suppress(OSError):
            os.setsid()  # own process group: killing the worker also kills the ffmpeg it started
    if lifeline is not None:
        threading.Thread(target=_watch_lifeline, args=(lifeline,), name="lifeline", daemon=True).start()
    if parent_pid is not None and hasattr(os, "getppid") and os.getppid() != parent_pid:
        _end_own_process_group()  # the parent died before the watchdog was in place
    try:
        generator = load_generator_class(spec)()
    except BaseException as exc:  # noqa: BLE001
        conn.send(("fatal", None, f"could not load generator {spec}: {exc}"))
        return
    token = CancelToken(cancel_event)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message[0] == "stop":
            return
        _, job_id, request_data, output = message
        request = ShotRequest.from_dict(request_data)

        def progress(fraction: float, text: str = "", job_id: str = job_id) -> None:
            conn.send(("progress", job_id, float(fraction), str(text)))

        def remote_accepted(job: dict[str, Any], job_id: str = job_id) -> None:
            # sent at once (the pipe is ordered): the parent records it before any later outcome
            conn.send(("remote", job_id, dict(job)))

        progress.remote_accepted = remote_accepted  # type: ignore[attr-defined]  # protocol.report_remote_job

        try:
            result = generator.generate(request, Path(output), progress, token)
            conn.send(("done", job_id, result))
        except Cancelled:  # GenerationCancelled, or a cancelled ffmpeg call inside the generator
            conn.send(("cancelled", job_id, "cancelled"))
        except BaseException as exc:  # noqa: BLE001 - reported on the take
            detail = str(exc) or type(exc).__name__
            if not isinstance(exc, (RuntimeError, ValueError, OSError)):
                detail = f"{type(exc).__name__}: {detail}"
            conn.send(("error", job_id, detail, traceback.format_exc(limit=8), _is_setup_error(exc)))


def _kill_group(process: Any) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        if hasattr(os, "killpg") and process.pid:
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.kill()


@dataclass
class _Worker:
    spec: str
    process: Any
    conn: Connection
    cancel_event: Any
    lifeline: Connection | None = None  # the parent's end; closing it ends the worker
    job: Job | None = None
    cancel_requested_at: float | None = None


# --------------------------------------------------------------------------- local executor


class LocalProcessExecutor:
    """Runs jobs in worker processes, at most ``job.concurrency`` at once per generator and at
    most one GPU job at a time, across every batch that submits to this executor."""

    CANCEL_GRACE = 2.0  # seconds a worker gets to stop cooperatively before it is killed

    def __init__(self, on_event: EventCallback):
        self._on_event = on_event
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._queue: list[Job] = []
        self._workers: list[_Worker] = []
        # Wake-up for the scheduler's wait(): a Connection (works in wait() on every platform) that
        # is written with send_bytes, never with os.write on its fileno (a Windows pipe handle).
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._wake_lock = threading.Lock()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="generation-scheduler", daemon=True)
        self._thread.start()

    # --- public API (any thread) ---
    def submit(self, job: Job) -> None:
        with self._lock:
            self._queue.append(job)
        self._emit(job)
        self._wake()

    def cancel(self, job_id: str) -> None:
        with self._lock:
            for job in self._queue:
                if job.id == job_id:
                    self._queue.remove(job)
                    job.state = JobState.CANCELLED
                    job.finished = time.monotonic()
                    self._emit(job)
                    return
            for worker in self._workers:
                if worker.job is not None and worker.job.id == job_id and worker.cancel_requested_at is None:
                    worker.cancel_event.set()
                    worker.cancel_requested_at = time.monotonic()
        self._wake()

    def cancel_all(self) -> None:
        with self._lock:
            ids = [j.id for j in self._queue] + [w.job.id for w in self._workers if w.job is not None]
        for job_id in ids:
            self.cancel(job_id)

    def shutdown(self) -> None:
        self._stopping = True
        self.cancel_all()
        self._wake()
        self._thread.join(timeout=10)
        with self._lock:
            for worker in list(self._workers):
                self._stop_worker(worker)

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._queue and all(w.job is None for w in self._workers)

    # --- scheduler thread ---
    def _wake(self) -> None:
        with self._wake_lock, contextlib.suppress(OSError, ValueError):
            self._wake_w.send_bytes(b"x")

    def _drain_wake(self) -> None:
        with contextlib.suppress(OSError, EOFError, ValueError):
            while self._wake_r.poll():
                self._wake_r.recv_bytes()

    def _emit(self, job: Job) -> None:
        emit_job_event(self._on_event, job)

    def _run(self) -> None:
        while not (self._stopping and self.idle):
            self._dispatch()
            waitables: list[Any] = [self._wake_r]
            with self._lock:
                busy = [w for w in self._workers if w.job is not None]
            for worker in busy:
                waitables += [worker.conn, worker.process.sentinel]
            ready = wait(waitables, timeout=0.1)
            if self._wake_r in ready:
                self._drain_wake()
            for worker in busy:
                self._service(worker, ready)
        for conn in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                conn.close()

    def _dispatch(self) -> None:
        with self._lock:
            for job in list(self._queue):
                running = sum(1 for w in self._workers if w.job is not None and w.job.generator_id == job.generator_id)
                if running >= max(job.concurrency, 1):
                    continue
                if job.gpu and any(w.job is not None and w.job.gpu for w in self._workers):
                    continue  # one model on the GPU at a time, whichever batch asked
                worker = next((w for w in self._workers if w.job is None and w.spec == job.generator_spec), None)
                if worker is None:
                    worker = self._spawn(job.generator_spec)
                self._queue.remove(job)
                worker.cancel_event.clear()
                worker.cancel_requested_at = None
                worker.job = job
                job.state = JobState.RUNNING
                job.started = time.monotonic()
                job.message = "starting"
                worker.conn.send(("job", job.id, job.request.to_dict(), str(job.output)))
                self._emit(job)
            self._trim_idle_workers()

    def _trim_idle_workers(self) -> None:
        """Keep at most as many idle workers per generator as its concurrency allows."""
        wanted: dict[str, int] = {}
        for job in self._queue:
            wanted[job.generator_spec] = max(wanted.get(job.generator_spec, 0), job.concurrency)
        for worker in list(self._workers):
            if worker.job is None and worker.spec not in wanted and len(self._workers) > 4:
                self._stop_worker(worker)

    def _spawn(self, spec: str) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        life_r, life_w = self._ctx.Pipe(duplex=False)
        cancel_event = self._ctx.Event()
        process = self._ctx.Process(
            target=_worker_main, args=(child, cancel_event, spec, life_r, os.getpid()), name=f"generator-{spec}",
            daemon=True,
        )
        process.start()
        child.close()
        life_r.close()
        worker = _Worker(spec, process, parent, cancel_event, life_w)
        self._workers.append(worker)
        return worker

    def _stop_worker(self, worker: _Worker, kill: bool = False) -> None:
        with contextlib.suppress(OSError, ValueError, BrokenPipeError):
            if not kill:
                worker.conn.send(("stop",))
        if kill:
            _kill_group(worker.process)
        worker.process.join(timeout=1 if not kill else 5)
        if worker.process.is_alive():
            _kill_group(worker.process)
            worker.process.join(timeout=5)
        for conn in (worker.conn, worker.lifeline):
            with contextlib.suppress(OSError, AttributeError):
                conn.close()
        if worker in self._workers:
            self._workers.remove(worker)

    def _finish(self, worker: _Worker, state: JobState, error: str = "", result: GenerationResult | None = None,
                kill: bool = False, setup_error: bool = False) -> None:
        job = worker.job
        assert job is not None
        job.state = state
        job.error = error
        job.setup_error = setup_error
        job.result = result
        job.finished = time.monotonic()
        if state == JobState.DONE:
            job.fraction = 1.0
        worker.job = None
        if kill:
            with self._lock:
                self._stop_worker(worker, kill=True)
        self._emit(job)

    def _service(self, worker: _Worker, ready: list[Any]) -> None:
        job = worker.job
        if job is None:
            return
        if worker.conn in ready:
            try:
                while worker.conn.poll():
                    message = worker.conn.recv()
                    kind = message[0]
                    if kind == "progress":
                        job.fraction, job.message = message[2], message[3]
                        self._emit(job)
                    elif kind == "remote":
                        job.remote_job = dict(message[2])
                        emit_job_event(self._on_event, job, {"remote_job": job.remote_job})
                    elif kind == "done":
                        self._finish(worker, JobState.DONE, result=message[2])
                        return
                    elif kind == "cancelled":
                        self._finish(worker, JobState.CANCELLED)
                        return
                    elif kind == "error":
                        setup = bool(message[4]) if len(message) > 4 else False
                        self._finish(worker, JobState.FAILED, error=message[2], setup_error=setup)
                        return
                    elif kind == "fatal":
                        self._finish(worker, JobState.FAILED, error=message[2], kill=True, setup_error=True)
                        return
            except (EOFError, OSError):
                pass  # the process died; handled below
        if not worker.process.is_alive() or worker.process.sentinel in ready and worker.process.exitcode is not None:
            worker.process.join(timeout=1)
            code = worker.process.exitcode
            reason = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            if worker.cancel_requested_at is not None:
                self._finish(worker, JobState.CANCELLED, kill=True)
            else:
                self._finish(worker, JobState.FAILED, error=f"the generator's worker process died ({reason})", kill=True)
            return
        now = time.monotonic()
        grace = job.cancel_grace if job.cancel_grace is not None else self.CANCEL_GRACE
        if worker.cancel_requested_at is not None and now - worker.cancel_requested_at > grace:
            self._finish(worker, JobState.CANCELLED, kill=True)
        elif job.started is not None and now - job.started > job.timeout:
            # an accepted remote job goes on without us: not the shot's failure, its running take
            # keeps the job for the next batch to resume (see ``RemoteJobUnfinished``)
            remote = bool(job.remote_job or job.request.remote_job)
            left = "; the remote job is left on the service and resumed next time" if remote else ""
            self._finish(worker, JobState.FAILED, error=f"timed out after {job.timeout:g} s; the worker was stopped{left}",
                         kill=True, setup_error=remote)
