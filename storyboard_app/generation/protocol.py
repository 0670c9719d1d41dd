"""The Generator protocol: what every adapter (sketch, diffusers, remote services) provides.

A generator is a plain class found through the ``storyboard_app.generators`` entry-point group.
It is constructed inside a worker process and receives only plain data (``ShotRequest``), a path
to write, a progress callback and a cancel token, so it never touches the project or the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from ..media.ffmpeg import Cancelled
from .request import ShotRequest

ProgressCallback = Callable[[float, str], None]


class GenerationCancelled(Cancelled):
    """Raised inside a generator when its job was cancelled (a media ``Cancelled`` raised by a
    cancelled ffmpeg call counts as the same thing)."""


class GenerationError(RuntimeError):
    """A generation that failed for a reason the user can act on (message shown on the take)."""


class GeneratorSetupError(GenerationError):
    """The generator cannot run on this machine at all (model not installed, tool missing, plugin
    broken): a property of the installation, not of the shot. Such a failure is reported for the
    batch but never recorded as a failed take, so fixing the setup leaves nothing stale behind.
    Other code can mark an exception the same way with a true ``setup_error`` attribute."""


class RemoteJobUnfinished(GenerationError):
    """The generator stopped following an accepted remote job that is still queued or running on
    its service (it waited its ``job_timeout``). Not the shot's failure: like a setup error it
    records no failed take, so the shot's running take keeps the job and the next batch resumes
    it instead of paying for it again."""

    setup_error = True

    setup_error = True


def report_remote_job(progress: ProgressCallback, job: dict[str, Any]) -> None:
    """Tell the generation service, the moment a remote service accepted a shot's job, how to find
    that job again, so that after a crash or restart the app resumes following it instead of
    submitting (and paying) twice.

    ``job`` is plain JSON data: at least ``service`` (the generator id), ``endpoint`` and
    ``job_id``, plus whatever else the adapter needs to resume (status/result URLs, client id);
    never a secret. The service stores it on the shot's take and hands it back to the adapter as
    ``ShotRequest.remote_job``. A caller whose progress callback has no ``remote_accepted`` hook
    (a test, a local run) simply does not record it.
    """
    hook = getattr(progress, "remote_accepted", None)
    if hook is not None:
        hook(dict(job))


class CancelToken:
    """Cooperative cancel flag. Backed by any object with ``is_set()`` (threading or
    multiprocessing Event), so the same token works in a thread or in a worker process."""

    def __init__(self, event: Any | None = None):
        import threading

        self._event = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def is_cancelled(self) -> bool:
        return bool(self._event.is_set())

    def raise_if_cancelled(self) -> None:
        if self.is_cancelled():
            raise GenerationCancelled("cancelled")

    __call__ = is_cancelled  # usable wherever a ``cancelled()`` callable is expected


@dataclass(frozen=True)
class Capabilities:
    output: Literal["clip", "still"] = "clip"
    max_frames: int | None = None  # None: any length
    sizes: tuple[tuple[int, int], ...] = ()  # () means any even size
    supports_seed: bool = True
    supports_reference_images: bool = False
    remote: bool = False
    needs_gpu: bool = False
    #: how many jobs may run at once on one machine (a GPU model: 1)
    max_concurrency: int | None = None


@dataclass(frozen=True)
class Availability:
    usable: bool
    detail: str


@dataclass(frozen=True)
class GenerationResult:
    path: Path
    kind: Literal["clip", "still"]
    frames: int
    fps: int
    width: int
    height: int
    seconds: float = 0.0  # wall time spent generating
    info: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Generator(Protocol):
    id: str
    version: str
    label: str
    capabilities: Capabilities
    settings_schema: dict[str, Any]

    def check(self) -> Availability:
        """Whether it can run here, and how ("torch installed, no CUDA, will run on CPU")."""
        ...

    def generate(
        self,
        request: ShotRequest,
        output: Path,
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> GenerationResult:
        """Write an H.264 MP4 (yuv420p) for ``request`` at ``output``; the caller renames it
        into place when this returns, so a raise or a cancel never leaves a finished-looking file."""
        ...
