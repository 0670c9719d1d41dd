"""The loop every hosted-model adapter runs: submit (or resume), follow, download, conform.

A subclass says how its service submits, reports status, hands out the result and cancels; this
class does the rest the same way for every service:

* the key comes from ``secrets`` (environment or keyring) and goes only to the service's origin;
* the job is reported through ``report_remote_job`` the moment the service accepted it, and a
  request that carries ``remote_job`` is followed instead of submitted again (no second payment);
* a cancel (the cancel token, checked every 50 ms while waiting) is passed on to the service
  before the adapter stops, so a cancelled job stops costing money;
* the result is downloaded as soon as the job completes (results expire: fal keeps them minutes,
  Replicate an hour); an expired result is re-run only with the user's consent
  (``request.run_options["rerun_expired"]``), since that pays again;
* the download is conformed to the request (size, fps, exact frame count) as H.264 yuv420p.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import mimetypes
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...media.ffmpeg import run_ffmpeg
from ..protocol import (
    Availability,
    CancelToken,
    Capabilities,
    GenerationCancelled,
    GenerationError,
    GenerationResult,
    ProgressCallback,
    report_remote_job,
)
from ..request import ShotRequest
from .errors import MissingKey, ResultExpired
from .http import ClientSettings, RemoteClient, decode_check
from .presets import Preset, load_presets, preset_for
from .secrets import get_key, scrub, service_info

#: data URIs above this go through the service's upload (Replicate documents 1 MB for data URIs)
DATA_URI_LIMIT = 1_000_000


@dataclass(frozen=True)
class Status:
    """One look at a remote job: ``state`` is queued, running, done, failed or canceled."""

    state: str
    position: int | None = None
    message: str = ""
    result: Any = None  # the finished job's body, when the status call already carries it


class RemoteGenerator:
    """Base class of the fal and Replicate adapters (see the module docstring)."""

    id = "remote"
    version = "1"
    label = "remote"
    service = ""
    DEFAULT_BASE_URL = ""
    BASE_URL_ENV = ""
    #: the service takes uploaded files (``upload_image``); otherwise a large image is shrunk
    SUPPORTS_UPLOAD = False
    capabilities = Capabilities(output="clip", supports_seed=True, supports_reference_images=True, remote=True,
                                max_concurrency=4)
    settings_schema: dict[str, Any] = {
        "model": {"type": "string", "description": "model preset id (resources/remote_presets/)"},
        "poll_interval": {"type": "number", "description": "seconds between status checks (default 2)"},
        "http_timeout": {"type": "number", "description": "seconds per HTTP call (default 30)"},
        "retries": {"type": "integer", "description": "retries of a failed call (default 4)"},
        "retry_backoff": {"type": "number", "description": "first retry wait in seconds (default 1)"},
        "max_download_mb": {"type": "number", "description": "largest result accepted (default 2048)"},
    }

    # --- what the app asks before running anything ---
    def check(self) -> Availability:
        info = service_info(self.service)
        found = get_key(self.service)
        if found is None:
            return Availability(False, f"no {info.label} key: run `storyboard-app auth set {self.service}` or set "
                                       f"{info.env}")
        return Availability(True, f"{info.label}, key from {found[1]}")

    def estimate_cost(self, request: ShotRequest) -> float | None:
        """US dollars for ``request`` from the preset's price per second (None: unknown)."""
        return preset_for(self.service, request.settings).estimate_cost(request)

    @classmethod
    def presets(cls) -> dict[str, Preset]:
        return load_presets(cls.service)[0]

    def base_url(self) -> str:
        """The service's API root; an environment variable may point it elsewhere (a proxy, a test
        server). Deliberately not a project setting: a shared project must not be able to send the
        user's key to a server of its choosing."""
        return (os.environ.get(self.BASE_URL_ENV) or self.DEFAULT_BASE_URL).rstrip("/")

    # --- service hooks ---
    def auth_headers(self, key: str) -> dict[str, str]:
        raise NotImplementedError

    def submit(self, client: RemoteClient, preset: Preset, request: ShotRequest) -> dict[str, Any]:
        """Start the job; return the record to resume it by (service, endpoint, job_id, URLs)."""
        raise NotImplementedError

    def poll(self, client: RemoteClient, job: dict[str, Any]) -> Status:
        raise NotImplementedError

    def fetch_result(self, client: RemoteClient, job: dict[str, Any], status: Status) -> Any:
        """The finished job's result body (404/410: ``ResultExpired``)."""
        return status.result

    def cancel_remote(self, client: RemoteClient, job: dict[str, Any]) -> None:
        raise NotImplementedError

    def upload_image(self, client: RemoteClient, path: Path, data: bytes, mime: str) -> str:
        """A URL the service can read ``path`` from, for images too large for a data URI."""
        raise NotImplementedError

    # --- the loop ---
    def generate(self, request: ShotRequest, output: Path, progress: ProgressCallback,
                 cancel: CancelToken) -> GenerationResult:
        started = time.monotonic()
        found = get_key(self.service)
        info = service_info(self.service)
        if found is None:
            raise MissingKey(f"no {info.label} API key: run `storyboard-app auth set {self.service}` or set {info.env}")
        key = found[0]
        preset = preset_for(self.service, request.settings)
        try:
            poll_interval = max(0.01, float(request.settings.get("poll_interval", 2.0)))
            settings = ClientSettings.from_settings(request.settings)
        except (TypeError, ValueError) as exc:
            raise GenerationError(f"{self.id} settings: {exc}") from None
        self._poll_interval = poll_interval
        client = RemoteClient(self.base_url(), self.auth_headers(key), settings, cancel.is_cancelled, info.label)
        source = output.with_name(f"{output.stem}.source{output.suffix}")
        try:
            job = dict(request.remote_job or {})
            if job.get("job_id"):
                progress(0.03, f"resuming {info.label} job {job['job_id']}")
            elif request.run_options.get("follow_only"):
                raise GenerationError(f"no {info.label} job to follow (and this request is not submitted)")
            else:
                job = self._start(client, preset, request, progress)
            try:
                self._run_to_file(client, preset, job, source, progress, cancel)
            except ResultExpired as exc:
                if request.run_options.get("follow_only"):  # made for an earlier edit: never re-run
                    raise
                if not request.run_options.get("rerun_expired"):
                    raise ResultExpired(f"{exc}; running it again costs money: re-run with --rerun-expired "
                                        "(or allow it in the preferences)", exc.status) from None
                progress(0.05, "the result expired: running the job again (allowed)")
                job = self._start(client, preset, request, progress)
                self._run_to_file(client, preset, job, source, progress, cancel)
            progress(0.95, "conforming the clip")
            conform(source, request, output, cancel)
        except GenerationError as exc:
            raise type(exc)(scrub(str(exc), key), *exc.args[1:]) from None
        except GenerationCancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - any other failure: one clear, scrubbed message
            raise GenerationError(scrub(f"{info.label}: {type(exc).__name__}: {exc}", key)) from None
        finally:
            client.close()
            with contextlib.suppress(OSError):
                source.unlink()
        progress(1.0, "done")
        return GenerationResult(output, "clip", request.frames, request.fps, request.width, request.height,
                                time.monotonic() - started,
                                {"service": self.service, "model": preset.id, "job_id": job.get("job_id")})

    def _start(self, client: RemoteClient, preset: Preset, request: ShotRequest,
               progress: ProgressCallback) -> dict[str, Any]:
        progress(0.01, f"submitting to {service_info(self.service).label} ({preset.label})")
        job = self.submit(client, preset, request)
        job.setdefault("service", self.id)
        job.setdefault("model", preset.id)
        job["submitted_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        report_remote_job(progress, job)  # from here on a restart follows this job, never pays again
        return job

    def _run_to_file(self, client: RemoteClient, preset: Preset, job: dict[str, Any], dest: Path,
                     progress: ProgressCallback, cancel: CancelToken) -> None:
        status = self._follow(client, job, progress, cancel)
        result = self.fetch_result(client, job, status)
        url = preset.output_url(result)
        if not url:
            from .errors import MalformedResponse

            raise MalformedResponse(f"the finished job has no video in its result (looked for {preset.output!r})")
        progress(0.85, "downloading the result")
        client.download(url, dest, check=lambda path: decode_check(path, cancel.is_cancelled))

    def _follow(self, client: RemoteClient, job: dict[str, Any], progress: ProgressCallback,
                cancel: CancelToken) -> Status:
        """Poll until the job ends; on a cancel, cancel it on the service, then stop."""
        poll_interval = self._poll_interval
        started = time.monotonic()
        try:
            while True:
                status = self.poll(client, job)
                if status.state == "done":
                    return status
                if status.state in ("failed", "canceled"):
                    from .errors import RemoteJobFailed, looks_like_content_policy

                    why = status.message or "no reason given"
                    if status.state == "canceled":
                        raise RemoteJobFailed(f"the job was cancelled on {client.service}")
                    if looks_like_content_policy(why):
                        from .errors import ContentPolicyRefused

                        raise ContentPolicyRefused(f"refused by {client.service}'s content policy: {why}")
                    raise RemoteJobFailed(f"{client.service} reports the job failed: {why}")
                if status.state == "queued":
                    where = f" (position {status.position})" if status.position is not None else ""
                    progress(0.04, f"in the {client.service} queue{where}")
                else:
                    elapsed = time.monotonic() - started
                    fraction = 0.1 + 0.7 * (1 - math.exp(-elapsed / 90))
                    progress(fraction, f"running on {client.service}" + (f": {status.message}" if status.message else ""))
                client.sleep(poll_interval)
        except GenerationCancelled:
            self._cancel_quietly(client, job)
            raise

    _poll_interval = 2.0  # seconds; set per job from the ``poll_interval`` setting

    def _cancel_quietly(self, client: RemoteClient, job: dict[str, Any]) -> None:
        """Tell the service to cancel (the user stops paying); a failure here is not the user's
        problem any more, so it is swallowed after a short, bounded try."""
        client.cancelled = lambda: False
        client.settings = ClientSettings(timeout=min(client.settings.timeout, 10.0), retries=1,
                                         backoff=min(client.settings.backoff, 0.5))
        with contextlib.suppress(Exception):
            self.cancel_remote(client, job)

    # --- images ---
    def image_value(self, client: RemoteClient, request: ShotRequest) -> str | None:
        """The shot's first-frame image (its first reference image) as a data URI, or uploaded
        when larger than a data URI may be."""
        if not request.reference_images:
            return None
        path = Path(request.reference_images[0])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise GenerationError(f"cannot read the reference image {path.name}: {exc.strerror}") from None
        mime = mimetypes.guess_type(path.name)[0] or "image/png"
        limit = DATA_URI_LIMIT * 3 // 4  # base64 grows it by a third
        if len(data) > limit and self.SUPPORTS_UPLOAD:
            return self.upload_image(client, path, data, mime)  # the original, not a degraded copy
        if len(data) > limit:
            data, mime = _shrink(data, limit) or (data, mime)
        if len(data) > limit:
            raise GenerationError(f"the reference image {path.name} is too large to send ({len(data)} bytes)")
        return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _shrink(data: bytes, limit: int) -> tuple[bytes, str] | None:
    """``data`` re-encoded as a JPEG under ``limit`` bytes (lowering quality, then size), or None."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data)).convert("RGB")
    except Exception:  # noqa: BLE001 - not an image PIL reads: send as is
        return None
    for scale in (1.0, 0.75, 0.5, 0.35):
        frame = image if scale == 1.0 else image.resize((max(16, int(image.width * scale)),
                                                         max(16, int(image.height * scale))))
        for quality in (90, 80, 70):
            buffer = io.BytesIO()
            frame.save(buffer, "JPEG", quality=quality)
            if buffer.tell() <= limit:
                return buffer.getvalue(), "image/jpeg"
    return None


def conform(source: Path, request: ShotRequest, output: Path, cancel: CancelToken | None = None) -> None:
    """The downloaded clip at the request's size (scaled to cover, centre-cropped), rate and exact
    frame count (a short clip holds its last frame), as H.264 yuv420p without audio: the same
    shape every generator delivers, so the timeline never has to guess."""
    vf = (f"scale={request.width}:{request.height}:force_original_aspect_ratio=increase:flags=bicubic,"
          f"crop={request.width}:{request.height},setsar=1,fps={request.fps},"
          f"tpad=stop_mode=clone:stop_duration={request.frames / request.fps + 1:.3f},format=yuv420p")
    run_ffmpeg(["-y", "-i", str(source), "-map", "0:v:0", "-vf", vf, "-frames:v", str(request.frames), "-an",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                "-movflags", "+faststart", "-f", "mp4", str(output)],
               cancelled=cancel.is_cancelled if cancel is not None else None, timeout=900,
               what="conforming the downloaded clip")
