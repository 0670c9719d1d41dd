"""``RayExecutor``: the ``Executor`` interface over a Ray cluster (issue 19).

Only this module imports ``ray``, and only when a ``RayExecutor`` is made or ``connect`` is called,
so the app runs without the ``ray`` extra.

How it maps onto Ray:

* **Pools of actors.** One pool per generator spec and settings (settings choose the model, so
  a pool's actors all hold the same loaded model). Each actor builds its generator once and serves
  one job at a time, many jobs over its life. A pool grows to the cluster's capacity for its kind:
  ``num_gpus=1`` per actor for generators whose capabilities say ``needs_gpu`` (as many actors as
  the cluster has GPUs), ``num_cpus=1`` per actor otherwise (as many as it has CPUs). Actors stay
  up between batches (models stay warm) until ``shutdown``.
* **Scheduling stays on the client.** Jobs are queued here and handed to an idle actor one at a
  time, so a queued job is never inside Ray: cancelling it is a list removal, and a batch's jobs
  spread over every actor as each finishes. Finished results are collected with ``ray.wait``.
* **No shared filesystem.** The request goes to the actor with its reference images as bytes; the
  actor generates into its own temporary directory and returns the clip's bytes (object store);
  the client writes them to ``job.output`` atomically (temporary sibling + ``os.replace``), the same
  partial path a local worker writes, so the service moves it into the cache exactly as before.
* **Progress** is polled from the running actor (a cheap threaded actor method) and reported as
  the same ``JobEvent``s the local executor emits.
* **Cancel** sets the actor-side flag behind the generator's ``CancelToken``; a generator that does
  not stop within ``CANCEL_GRACE`` seconds has its actor killed (and replaced on demand).
* **Failure.** An actor that dies mid-job (node lost, process killed) is replaced and the job is
  retried once on another actor; a second death is a FAILED job carrying the reason.
* **Connection.** ``connect`` probes a ``HOST:PORT`` / ``ray://HOST:PORT`` address with a short TCP
  connect first (Ray itself retries for 30 s or more), so an unreachable cluster is a quick
  ``RayUnavailable`` naming the address.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..media.ffmpeg import Cancelled
from .jobs import EventCallback, Job, JobState, _is_setup_error, emit_job_event
from .protocol import CancelToken, GenerationResult
from .request import ShotRequest

#: how long the address probe waits for a TCP connection before calling the cluster unreachable
PROBE_TIMEOUT = 3.0


class RayUnavailable(RuntimeError):
    """The Ray executor cannot be used: ray is not installed, or the cluster cannot be reached."""


# --------------------------------------------------------------------------- connection


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``ray://HOST:PORT`` or ``HOST:PORT``; None for ``auto``/``local``."""
    rest = address.removeprefix("ray://")
    if rest in ("auto", "local", "") or ":" not in rest:
        return None
    host, _, port = rest.rpartition(":")
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        raise RayUnavailable(f"Ray address {address!r} is not auto, HOST:PORT or ray://HOST:PORT") from None


def probe(address: str, timeout: float = PROBE_TIMEOUT) -> None:
    """Raise ``RayUnavailable`` naming ``address`` when nothing accepts a connection there."""
    target = _host_port(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=timeout):
            pass
    except OSError as exc:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


def connect(address: str | None = None, **init_kwargs: Any) -> bool:
    """Connect this process to Ray (once). ``address`` None starts a local instance or joins the
    one ``RAY_ADDRESS``/a running ``ray start --head`` names, as ``ray.init`` does. Returns True
    when this call made the connection (so its caller may later ``ray.shutdown``)."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable("the Ray executor needs the ray extra: pip install 'storyboard-app[ray]'") from None
    named = address or os.environ.get("RAY_ADDRESS") or None
    if named:
        probe(named)  # also when already connected: a wrong address is an error, never ignored
    if ray.is_initialized():
        return False
    init_kwargs.setdefault("log_to_driver", False)  # generator chatter would break the progress bar
    if not (named or "").startswith("ray://"):
        init_kwargs.setdefault("include_dashboard", False)
    with _keeping_sigterm_handler():
        try:
            ray.init(address=address, **init_kwargs)
        except (ConnectionError, TimeoutError, OSError) as exc:
            hint = ""
            if named and _host_port(named) is not None:  # the port answered the probe, Ray did not
                hint = ("; the port answers: check that client and cluster run the same Ray and Python "
                        "versions and, on a cluster with token authentication, set RAY_AUTH_MODE=token "
                        "and RAY_AUTH_TOKEN")
            raise RayUnavailable(f"cannot reach the Ray cluster at {named or 'auto'}: {exc}{hint}") from None
        except ValueError as exc:  # e.g. ray:// without the client extra
            raise RayUnavailable(f"cannot use the Ray cluster at {named}: {exc}") from None
    return True


@contextlib.contextmanager
def _keeping_sigterm_handler() -> Iterator[None]:
    """``ray.init`` installs its own SIGTERM handler in the driver, which exits at once; the CLI's
    handler (SIGTERM → KeyboardInterrupt: cancel the batch, save what finished) must stay."""
    import signal

    main = threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM")
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        yield
    finally:
        if main and previous is not None:
            signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- actor side


TEMP_PREFIX = "storyboard-ray-"


def _sweep_dead_temp_dirs() -> None:
    """Remove job folders left by actors on this node whose process is gone (killed mid-job)."""
    import shutil

    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*-*"):
        pid = folder.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _localise(request_data: dict[str, Any], blobs: dict[str, bytes], folder: Path) -> ShotRequest:
    """The request with its reference images rewritten to copies written under ``folder``."""
    mapping: dict[str, str] = {}
    for index, (original, data) in enumerate(sorted(blobs.items())):
        local = folder / f"ref{index}{Path(original).suffix}"
        local.write_bytes(data)
        mapping[original] = str(local)
    data = dict(request_data)
    data["reference_images"] = [mapping.get(p, p) for p in data.get("reference_images", ())]
    data["characters"] = [
        {**c, "reference_images": [mapping.get(p, p) for p in c.get("reference_images", ())]}
        for c in data.get("characters", ())
    ]
    return ShotRequest.from_dict(data)


class GeneratorHost:
    """The body of a generator actor: one generator, built once, serving one job at a time.

    The actor is threaded (``max_concurrency`` > 1) so ``progress`` and ``cancel`` run while
    ``generate`` is busy; the client never sends a second ``generate`` before the first returns.
    """

    def __init__(self, spec: str):
        from .registry import load_generator_class

        _sweep_dead_temp_dirs()
        self.spec = spec
        self._progress: dict[str, tuple[float, str]] = {}
        self._remote: dict[str, dict[str, Any]] = {}  # job id -> the remote job its adapter reported
        self._cancel: dict[str, threading.Event] = {}
        self._cancelled: set[str] = set()  # cancel may overtake its generate on a threaded actor
        self._lock = threading.Lock()
        self._error = ""
        try:
            self._generator: Any = load_generator_class(spec)()
        except BaseException as exc:  # noqa: BLE001 - reported on every job, as a setup error
            self._generator = None
            self._error = f"could not load generator {spec}: {exc}"

    def pid(self) -> int:
        return os.getpid()

    def generate(self, job_id: str, request_data: dict[str, Any], blobs: dict[str, bytes]) -> dict[str, Any]:
        if self._generator is None:
            return {"status": "error", "error": self._error, "setup": True}
        event = threading.Event()
        with self._lock:
            if job_id in self._cancelled:
                event.set()
            self._cancel[job_id] = event
            self._progress[job_id] = (0.0, "starting")

        def progress(fraction: float, text: str = "") -> None:
            self._progress[job_id] = (float(fraction), str(text))

        def remote_accepted(job: dict[str, Any]) -> None:  # protocol.report_remote_job
            self._remote[job_id] = dict(job)

        progress.remote_accepted = remote_accepted  # type: ignore[attr-defined]

        try:
            with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
                request = _localise(request_data, blobs, Path(tmp))
                result = self._generator.generate(request, Path(tmp) / "clip.mp4", progress, CancelToken(event))
                data = Path(result.path).read_bytes()
                meta = {"kind": result.kind, "frames": result.frames, "fps": result.fps, "width": result.width,
                        "height": result.height, "seconds": result.seconds, "info": dict(result.info)}
                return {"status": "done", "data": data, "meta": meta}
        except Cancelled:
            return {"status": "cancelled"}
        except BaseException as exc:  # noqa: BLE001 - reported on the take, as the local worker does
            detail = str(exc) or type(exc).__name__
            if not isinstance(exc, (RuntimeError, ValueError, OSError)):
                detail = f"{type(exc).__name__}: {detail}"
            return {"status": "error", "error": detail, "trace": traceback.format_exc(limit=8),
                    "setup": _is_setup_error(exc)}
        finally:
            with self._lock:
                self._cancel.pop(job_id, None)
                self._progress.pop(job_id, None)
                self._remote.pop(job_id, None)
                self._cancelled.discard(job_id)

    def progress(self, job_id: str) -> tuple[float, str, dict[str, Any] | None] | None:
        """The job's progress and the remote job its adapter reported (carried on the same poll,
        so an accepted remote job reaches the driver within one poll interval)."""
        value = self._progress.get(job_id)
        return None if value is None else (*value, self._remote.get(job_id))

    def cancel(self, job_id: str) -> None:
        with self._lock:
            event = self._cancel.get(job_id)
            if event is None:
                self._cancelled.add(job_id)
            else:
                event.set()


_ACTOR_CLASS: Any = None


def _actor_class() -> Any:
    global _ACTOR_CLASS
    if _ACTOR_CLASS is None:
        import ray

        # max_restarts=0: a dead actor is replaced by the client, which also decides the retry
        _ACTOR_CLASS = ray.remote(max_restarts=0, max_concurrency=4)(GeneratorHost)
    return _ACTOR_CLASS


# --------------------------------------------------------------------------- client side


@dataclass
class _Actor:
    handle: Any
    pool: _Pool
    job: Job | None = None
    ref: Any = None  # the running generate call
    progress_ref: Any = None
    polled_at: float = 0.0
    cancel_requested_at: float | None = None
    last_progress: tuple[float, str] | None = None


@dataclass
class _Pool:
    key: str
    spec: str
    gpu: bool
    capacity: int
    actors: list[_Actor] = field(default_factory=list)


class RayExecutor:
    """Runs jobs in Ray actors; same events, states and files as ``LocalProcessExecutor``."""

    CANCEL_GRACE = 2.0  # seconds a generator gets to stop cooperatively before its actor is killed
    POLL_INTERVAL = 0.25  # seconds between progress polls of a running job
    MAX_ATTEMPTS = 2  # a job whose actor dies is retried once, on another actor
    RESOURCES_TTL = 5.0  # seconds between reads of the cluster's size

    def __init__(self, on_event: EventCallback, address: str | None = None, **init_kwargs: Any):
        import ray

        self._ray = ray
        self.address = address or os.environ.get("RAY_ADDRESS") or "local"
        self._owns_connection = connect(address, **init_kwargs)
        self._on_event = on_event
        self._lock = threading.Lock()
        self._queue: list[Job] = []
        self._pools: dict[str, _Pool] = {}
        self._attempts: dict[str, int] = {}
        self._resources: dict[str, float] | None = None
        self._resources_at = 0.0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="ray-scheduler", daemon=True)
        self._thread.start()

    # --- public API (any thread) ---
    def submit(self, job: Job) -> None:
        with self._lock:
            self._queue.append(job)
        self._emit(job)
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        with self._lock:
            for job in self._queue:
                if job.id == job_id:
                    self._queue.remove(job)
                    self._attempts.pop(job.id, None)
                    job.state = JobState.CANCELLED
                    job.finished = time.monotonic()
                    self._emit(job)
                    return
            for actor in self._all_actors():
                if actor.job is not None and actor.job.id == job_id and actor.cancel_requested_at is None:
                    actor.cancel_requested_at = time.monotonic()
                    with contextlib.suppress(Exception):
                        actor.handle.cancel.remote(job_id)
        self._wake.set()

    def cancel_all(self) -> None:
        with self._lock:
            ids = [j.id for j in self._queue] + [a.job.id for a in self._all_actors() if a.job is not None]
        for job_id in ids:
            self.cancel(job_id)

    def shutdown(self) -> None:
        self._stopping = True
        self.cancel_all()
        self._wake.set()
        self._thread.join(timeout=15)
        with self._lock:
            for actor in self._all_actors():
                self._kill(actor)
        if self._owns_connection:
            with contextlib.suppress(Exception):
                self._ray.shutdown()

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._queue and all(a.job is None for a in self._all_actors())

    def actor_of(self, job_id: str) -> Any:
        """The Ray actor handle running ``job_id`` (None when it is not running): for tests and tools."""
        with self._lock:
            return next((a.handle for a in self._all_actors() if a.job is not None and a.job.id == job_id), None)

    # --- scheduler thread ---
    def _all_actors(self) -> list[_Actor]:
        return [a for pool in self._pools.values() for a in pool.actors]

    def _emit(self, job: Job) -> None:
        emit_job_event(self._on_event, job)

    def _run(self) -> None:
        while not (self._stopping and self.idle):
            try:
                self._dispatch()
                self._step()
            except Exception:  # noqa: BLE001 - the scheduler must keep serving; each job still ends
                traceback.print_exc()
                time.sleep(0.1)

    def _step(self) -> None:
        with self._lock:
            busy = [a for a in self._all_actors() if a.job is not None]
        now = time.monotonic()
        for actor in busy:
            if actor.progress_ref is None and now - actor.polled_at >= self.POLL_INTERVAL:
                actor.polled_at = now
                actor.progress_ref = actor.handle.progress.remote(actor.job.id)  # type: ignore[union-attr]
        refs = [a.ref for a in busy] + [a.progress_ref for a in busy if a.progress_ref is not None]
        if not refs:
            self._wake.wait(0.1)
            self._wake.clear()
            return
        ready, _ = self._ray.wait(refs, num_returns=1, timeout=0.05)
        if ready:
            ready, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
        done = set(ready)

        def is_ready(ref: Any) -> bool:
            return ref is not None and ref in done

        for actor in busy:
            if is_ready(actor.progress_ref):
                self._take_progress(actor)
            if is_ready(actor.ref):
                self._take_result(actor)
            elif actor.job is not None:
                self._check_deadlines(actor)

    def _take_progress(self, actor: _Actor) -> None:
        ref, actor.progress_ref = actor.progress_ref, None
        try:
            value = self._ray.get(ref)
        except Exception:  # noqa: BLE001 - a dead actor shows up on its generate call
            return
        job = actor.job
        if job is None or value is None or actor.cancel_requested_at is not None:
            return
        fraction, message, *rest = value
        remote = rest[0] if rest else None
        if remote is not None and remote != job.remote_job:
            job.remote_job = dict(remote)
            emit_job_event(self._on_event, job, {"remote_job": job.remote_job})
        if (fraction, message) != actor.last_progress and job.state == JobState.RUNNING:
            actor.last_progress = (fraction, message)
            job.fraction, job.message = fraction, message
            self._emit(job)

    def _take_result(self, actor: _Actor) -> None:
        job = actor.job
        assert job is not None
        try:
            outcome = self._ray.get(actor.ref)
        except self._ray.exceptions.RayActorError as exc:
            self._actor_died(actor, exc)
            return
        except self._ray.exceptions.TaskCancelledError:
            self._finish(actor, JobState.CANCELLED)
            return
        except Exception as exc:  # noqa: BLE001 - anything else Ray reports fails this job only
            self._finish(actor, JobState.FAILED, error=f"Ray: {_first_line(exc)}")
            return
        status = outcome.get("status")
        if status == "done":
            try:
                result = self._write(job, outcome["data"], outcome["meta"])
            except OSError as exc:
                self._finish(actor, JobState.FAILED, error=f"could not write the clip: {exc}")
                return
            self._finish(actor, JobState.DONE, result=result)
        elif status == "cancelled":
            self._finish(actor, JobState.CANCELLED)
        else:
            self._finish(actor, JobState.FAILED, error=outcome.get("error", "failed"),
                         setup_error=bool(outcome.get("setup")))

    def _actor_died(self, actor: _Actor, exc: BaseException) -> None:
        job = actor.job
        assert job is not None
        reason = _first_line(exc)
        self._drop(actor)
        if actor.cancel_requested_at is not None:
            self._finish(actor, JobState.CANCELLED)
            return
        attempts = self._attempts.get(job.id, 1)
        if attempts < self.MAX_ATTEMPTS and not self._stopping:
            actor.job, actor.ref, actor.progress_ref = None, None, None
            job.state, job.fraction = JobState.QUEUED, 0.0
            job.message = f"retrying on another actor: {reason}"
            with self._lock:
                self._queue.insert(0, job)
            self._emit(job)
            return
        self._finish(actor, JobState.FAILED,
                     error=f"the generator's Ray actor died {attempts} times (node lost or process killed): {reason}")

    def _check_deadlines(self, actor: _Actor) -> None:
        job = actor.job
        assert job is not None
        now = time.monotonic()
        grace = job.cancel_grace if job.cancel_grace is not None else self.CANCEL_GRACE
        if actor.cancel_requested_at is not None and now - actor.cancel_requested_at > grace:
            self._drop(actor, kill=True)
            self._finish(actor, JobState.CANCELLED)
        elif job.started is not None and now - job.started > job.timeout:
            self._drop(actor, kill=True)
            self._finish(actor, JobState.FAILED, error=f"timed out after {job.timeout:g} s; the actor was stopped")

    def _write(self, job: Job, data: bytes, meta: dict[str, Any]) -> GenerationResult:
        """Write the clip to the job's partial path atomically (a sibling, then ``os.replace``)."""
        job.output.parent.mkdir(parents=True, exist_ok=True)
        tmp = job.output.with_name(job.output.name + ".recv")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, job.output)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return GenerationResult(path=job.output, **meta)

    def _finish(self, actor: _Actor, state: JobState, error: str = "", result: GenerationResult | None = None,
                setup_error: bool = False) -> None:
        job = actor.job
        assert job is not None
        actor.job, actor.ref, actor.progress_ref = None, None, None
        actor.cancel_requested_at, actor.last_progress = None, None
        self._attempts.pop(job.id, None)
        job.state, job.error, job.setup_error, job.result = state, error, setup_error, result
        job.finished = time.monotonic()
        if state == JobState.DONE:
            job.fraction = 1.0
        self._emit(job)

    def _drop(self, actor: _Actor, kill: bool = False) -> None:
        with self._lock:
            if actor in actor.pool.actors:
                actor.pool.actors.remove(actor)
        if kill:
            self._kill(actor)

    def _kill(self, actor: _Actor) -> None:
        with contextlib.suppress(Exception):
            self._ray.kill(actor.handle, no_restart=True)

    # --- dispatch ---
    def _capacity(self, gpu: bool) -> int:
        """How many actors of a kind the cluster holds now (re-read at most every few seconds, so
        nodes an autoscaler adds are used)."""
        now = time.monotonic()
        if self._resources is None or now - self._resources_at > self.RESOURCES_TTL:
            self._resources, self._resources_at = self._ray.cluster_resources(), now
        return int(self._resources.get("GPU" if gpu else "CPU", 0))

    def _pool_for(self, job: Job) -> _Pool:
        key = job.generator_spec + "|" + json.dumps(job.request.settings, sort_keys=True, default=str)
        pool = self._pools.get(key)
        if pool is None:
            pool = _Pool(key, job.generator_spec, job.gpu, 0)
            self._pools[key] = pool
        pool.capacity = self._capacity(job.gpu)
        return pool

    def _make_room(self, pool: _Pool) -> None:
        """Idle actors keep their resources; when they fill the cluster, stop one idle actor of
        another pool of the same kind so this pool's actor can start (never a busy one)."""
        same_kind = [a for p in self._pools.values() if p.gpu == pool.gpu for a in p.actors]
        if len(same_kind) < pool.capacity:
            return
        victim = next((a for a in same_kind if a.pool is not pool and a.job is None), None)
        if victim is not None:
            victim.pool.actors.remove(victim)
            self._kill(victim)

    def _dispatch(self) -> None:
        with self._lock:
            for job in list(self._queue):
                pool = self._pool_for(job)
                if pool.capacity < 1:
                    self._queue.remove(job)
                    job.state, job.setup_error = JobState.FAILED, True
                    job.error = (f"the Ray cluster at {self.address} has no {'GPU' if pool.gpu else 'CPU'} "
                                 f"for generator {job.generator_id}")
                    job.finished = time.monotonic()
                    self._emit(job)
                    continue
                actor = next((a for a in pool.actors if a.job is None), None)
                if actor is None and len(pool.actors) < pool.capacity:
                    self._make_room(pool)
                    actor = self._spawn(pool)
                if actor is None:
                    continue
                try:
                    blobs = _reference_blobs(job.request)
                except OSError as exc:
                    self._queue.remove(job)
                    job.state, job.error = JobState.FAILED, f"could not read a reference image: {exc}"
                    job.finished = time.monotonic()
                    self._emit(job)
                    continue
                self._queue.remove(job)
                self._attempts[job.id] = self._attempts.get(job.id, 0) + 1
                actor.job = job
                actor.cancel_requested_at, actor.last_progress, actor.polled_at = None, None, time.monotonic()
                actor.ref = actor.handle.generate.remote(job.id, job.request.to_dict(), blobs)
                job.state, job.fraction = JobState.RUNNING, 0.0
                if job.started is None:
                    job.started = time.monotonic()
                job.message = "starting" if self._attempts[job.id] == 1 else "retrying"
                self._emit(job)

    def _spawn(self, pool: _Pool) -> _Actor:
        # a GPU actor reserves its GPU only: CPU actors of other pools can never starve it of a CPU
        options: dict[str, Any] = {"num_cpus": 0, "num_gpus": 1} if pool.gpu else {"num_cpus": 1}
        handle = _actor_class().options(**options).remote(pool.spec)
        actor = _Actor(handle, pool)
        pool.actors.append(actor)
        return actor


def _reference_blobs(request: ShotRequest) -> dict[str, bytes]:
    """Every reference image the request names, as bytes (the actor has no access to the bundle)."""
    paths = set(request.reference_images)
    for character in request.characters:
        paths.update(character.reference_images)
    return {path: Path(path).read_bytes() for path in paths}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
