"""HTTP calls to a ComfyUI server (``server.py``'s routes), with timeouts, retries and clear errors.

Every call has a timeout (Retry-After parsing, cancellable backoff waits and the size-limited
streamed write are shared with the fal/Replicate client, ``storyboard_app.generation.remote.http``;
the retry loop stays here because ComfyUI's differs: a lost ``POST /prompt`` is settled by asking
the server, and cancel's own calls ignore the cancel). Connection errors, timeouts, 429
(honouring ``Retry-After``) and 5xx are retried with exponential backoff and jitter; any other 4xx is an error at once, in words a
user can act on. Custom headers (a reverse proxy's token: ComfyUI has no auth of its own) go on
every request and never into a message, a log or the job record.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from storyboard_app.generation.protocol import GenerationCancelled, GenerationError
from storyboard_app.generation.remote.http import (  # the retry and download pieces every remote client shares
    SizeLimitExceeded,
    parse_retry_after,
    wait_unless_cancelled,
    write_limited,
)

#: 5xx and 429 are worth another try; so are 408 and the reverse proxy's 502/503/504
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 120.0
#: a cancel's calls are short: the generation service kills a remote generator's worker
#: ``REMOTE_CANCEL_GRACE`` (15 s) after a cancel, and the server must hear it before that. A cancel
#: makes at most three such calls (GET /queue once, then /interrupt or /queue twice): 3 x 3 s fits,
#: and leaves a slow reverse proxy time to answer (0.6 s did not)
CANCEL_CALL_TIMEOUT = 3.0


class ComfyError(GenerationError):
    """A failed call to the ComfyUI server; ``status`` is the HTTP status (None: no answer)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class ComfyValidationError(ComfyError):
    """POST /prompt answered 400: the workflow does not validate on this server."""


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0  # one call's answer (a /prompt validation can take a while)
    transfer: float = 300.0  # uploads and downloads, per read of a chunk
    job: float = 3600.0  # a whole job, queued + running


@dataclass
class RetryPolicy:
    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before try ``attempt + 1``: Retry-After when the server gave one, else
        exponential backoff with full jitter (so many clients do not retry in step)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


class ComfyClient:
    """One server: base URL, extra headers, timeouts, retry policy, a cancel check."""

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None,
                 timeouts: Timeouts | None = None, retry: RetryPolicy | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self._cancelled = cancelled or (lambda: False)
        self._headers = dict(headers or {})
        self._http = httpx.Client(
            base_url=self.base_url, headers=self._headers, transport=transport, follow_redirects=False,
            timeout=httpx.Timeout(self.timeouts.read, connect=self.timeouts.connect),
        )

    @property
    def headers(self) -> dict[str, str]:
        """The custom headers (for the websocket handshake). Never put these in a message."""
        return dict(self._headers)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ComfyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the retry loop ---
    def _sleep(self, seconds: float) -> None:
        """Sleep in short steps so a cancel is noticed during a backoff."""
        wait_unless_cancelled(seconds, self._cancelled, "cancelled while waiting to retry", self.retry.sleep, 0.1)

    def request(self, method: str, path: str, *, what: str, attempts: int | None = None,
                timeout: float | None = None, ok_statuses: tuple[int, ...] = (),
                before_retry: Callable[[], bool] | None = None, honour_cancel: bool = True,
                **kwargs: Any) -> httpx.Response:
        """One call with retries. Returns a 2xx response (or one whose status is in ``ok_statuses``).

        ``before_retry`` is asked before each retry; when it returns True the call is settled
        without another try and ``RetrySettled`` is raised (used by submit: the server may have
        queued a prompt whose answer was lost). ``honour_cancel=False`` is for the calls that
        carry out a cancel (interrupt, delete) and must run after the token is set.
        """
        attempts = attempts or self.retry.attempts
        last = ""
        for attempt in range(attempts):
            if honour_cancel and self._cancelled():
                raise GenerationCancelled("cancelled")
            retry_after = None
            try:
                response = self._http.request(method, path, timeout=timeout or httpx.USE_CLIENT_DEFAULT, **kwargs)
            except httpx.TimeoutException:
                last = f"no answer within {timeout or self.timeouts.read:g} s"
            except httpx.TransportError as exc:
                last = f"connection failed ({_short(exc)})"
            else:
                if response.is_success or response.status_code in ok_statuses:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise self._http_error(response, what)
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                last = f"HTTP {response.status_code}" + (f" {_body_hint(response)}" if response.status_code >= 500 else "")
            if attempt + 1 >= attempts:
                break
            if honour_cancel:
                self._sleep(self.retry.delay(attempt, retry_after))
            else:
                time.sleep(min(self.retry.delay(attempt, retry_after), 0.2))
            if before_retry is not None and before_retry():
                raise RetrySettled()
        raise ComfyError(f"ComfyUI at {self.base_url}: {what} failed after {attempts} tries: {last}")

    def _http_error(self, response: httpx.Response, what: str) -> ComfyError:
        status = response.status_code
        where = f"ComfyUI at {self.base_url}"
        if status in (401, 403, 407):
            return ComfyError(f"{where} refused access to {what} (HTTP {status}): check the custom "
                              "headers your reverse proxy expects (settings 'headers' or "
                              "STORYBOARD_COMFYUI_HEADERS)", status)
        if status == 404:
            return ComfyError(f"{where}: {what} not found (HTTP 404): is this a ComfyUI server, and "
                              "is the URL its root?", status)
        if status == 413:
            return ComfyError(f"{where}: {what} refused as too large (HTTP 413)", status)
        return ComfyError(f"{where}: {what} failed (HTTP {status}) {_body_hint(response)}".rstrip(), status)

    # --- JSON ---
    def json_call(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        response = self.request(method, path, what=what, **kwargs)
        return decode_json(response, f"{what} at {self.base_url}")

    # --- routes ---
    def system_stats(self, timeout: float = 5.0) -> dict[str, Any]:
        data = self.json_call("GET", "/system_stats", what="GET /system_stats", attempts=1, timeout=timeout)
        if not isinstance(data, dict):
            raise ComfyError(f"ComfyUI at {self.base_url}: /system_stats is not a JSON object")
        return data

    def upload_image(self, path: Path, name: str) -> str:
        """POST /upload/image (multipart ``image``, ``type``=input, ``overwrite``); the name to
        put in a LoadImage node ("subfolder/name" when the server chose a subfolder)."""
        data = path.read_bytes()
        mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "application/octet-stream"
        answer = self.json_call(
            "POST", "/upload/image", what=f"uploading {path.name}", timeout=self.timeouts.transfer,
            files={"image": (name, data, mime)}, data={"type": "input", "overwrite": "true"},
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("name"), str):
            raise ComfyError(f"ComfyUI at {self.base_url}: /upload/image answered without a file name")
        sub = answer.get("subfolder") or ""
        return f"{sub}/{answer['name']}" if sub else answer["name"]

    def submit(self, prompt: dict[str, Any], prompt_id: str, client_id: str) -> dict[str, Any]:
        """POST /prompt with our own ``prompt_id``. A lost answer (timeout, dropped connection,
        5xx) is retried only after asking the server whether it queued the id after all, so a
        flaky network never queues the same shot twice."""
        body = {"prompt": prompt, "client_id": client_id, "prompt_id": prompt_id}
        try:
            response = self.request("POST", "/prompt", what="POST /prompt", json=body, ok_statuses=(400,),
                                    before_retry=lambda: self.knows(prompt_id) is not None)
        except RetrySettled:
            return {"prompt_id": prompt_id, "number": None, "node_errors": {}}
        data = decode_json(response, f"POST /prompt at {self.base_url}")
        if response.status_code == 400:
            raise ComfyValidationError(describe_validation_error(data, prompt), 400)
        if not isinstance(data, dict) or "prompt_id" not in data:
            raise ComfyError(f"ComfyUI at {self.base_url}: POST /prompt answered without a prompt_id")
        if str(data["prompt_id"]) != prompt_id:
            # a ComfyUI older than mid-2025 ignores a client's prompt_id: follow (and record)
            # the id it chose; only a lost answer on such a server can queue a prompt twice
            data = {**data, "prompt_id": str(data["prompt_id"])}
        return data

    def history(self, prompt_id: str) -> dict[str, Any] | None:
        """The history entry of ``prompt_id``, or None while the server has none (queued, running,
        or unknown)."""
        data = self.json_call("GET", f"/history/{prompt_id}", what="GET /history")
        if not isinstance(data, dict):
            raise ComfyError(f"ComfyUI at {self.base_url}: /history answered {type(data).__name__}, not an object")
        entry = data.get(prompt_id)
        if entry is not None and not isinstance(entry, dict):
            raise ComfyError(f"ComfyUI at {self.base_url}: /history entry of {prompt_id} is malformed")
        return entry

    def queue_state(self, prompt_id: str, **kwargs: Any) -> tuple[str, int]:
        """("running" | "pending" | "unknown", jobs ahead) for ``prompt_id`` from GET /queue."""
        data = self.json_call("GET", "/queue", what="GET /queue", **kwargs)
        if not isinstance(data, dict):
            raise ComfyError(f"ComfyUI at {self.base_url}: /queue answered {type(data).__name__}, not an object")
        for item in data.get("queue_running") or []:
            if _item_id(item) == prompt_id:
                return "running", 0
        pending = sorted((i for i in data.get("queue_pending") or [] if isinstance(i, list) and i),
                         key=lambda i: (i[0] if isinstance(i[0], int | float) else 0))
        for ahead, item in enumerate(pending):
            if _item_id(item) == prompt_id:
                return "pending", ahead + len(data.get("queue_running") or [])
        return "unknown", 0

    def knows(self, prompt_id: str) -> str | None:
        """"done" / "running" / "pending" when the server has ``prompt_id``, else None."""
        try:
            if self.history(prompt_id) is not None:
                return "done"
            state, _ = self.queue_state(prompt_id)
        except ComfyError:
            return None
        return None if state == "unknown" else state

    def interrupt(self, prompt_id: str) -> None:
        """POST /interrupt {prompt_id}: ComfyUI (since 2025) interrupts only that prompt."""
        self.request("POST", "/interrupt", what="POST /interrupt", json={"prompt_id": prompt_id},
                     attempts=2, timeout=CANCEL_CALL_TIMEOUT, honour_cancel=False)

    def delete_queued(self, prompt_id: str) -> None:
        self.request("POST", "/queue", what="POST /queue", json={"delete": [prompt_id]}, attempts=2,
                     timeout=CANCEL_CALL_TIMEOUT, honour_cancel=False)

    def download(self, params: dict[str, str], dest: Path, limit: int) -> str:
        """GET /view streamed into ``dest``: at most ``limit`` bytes, the whole body or no file.
        Returns the Content-Type the server declared."""
        name = params.get("filename", "output")
        for attempt in range(self.retry.attempts):
            retry_after = None
            try:
                with self._http.stream("GET", "/view", params=params, timeout=httpx.Timeout(
                        self.timeouts.transfer, connect=self.timeouts.connect)) as response:
                    if response.is_success:
                        self._write_body(response, dest, limit, name)
                        return response.headers.get("Content-Type", "")
                    response.read()
                    if response.status_code == 404:
                        raise ComfyError(f"ComfyUI at {self.base_url} no longer has the output {name} "
                                         "(HTTP 404: deleted from its output folder?)", 404)
                    if response.status_code not in RETRY_STATUSES:
                        raise self._http_error(response, f"downloading {name}")
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    last = f"HTTP {response.status_code}"
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                dest.unlink(missing_ok=True)
                last = f"{_short(exc)} (incomplete download discarded)"
            except BaseException:
                dest.unlink(missing_ok=True)
                raise
            if attempt + 1 < self.retry.attempts:
                self._sleep(self.retry.delay(attempt, retry_after))
        raise ComfyError(f"ComfyUI at {self.base_url}: downloading {name} failed after "
                         f"{self.retry.attempts} tries: {last}")

    def _write_body(self, response: httpx.Response, dest: Path, limit: int, name: str) -> None:
        declared = response.headers.get("Content-Length")
        expected = int(declared) if declared and declared.isdigit() else None
        if expected is not None and expected > limit:
            raise ComfyError(f"ComfyUI output {name} is {expected / 1e6:.1f} MB, over the "
                             f"{limit / 1e6:.0f} MB limit (setting 'max_download_mb')")
        try:
            written = write_limited(response.iter_raw(1 << 16), dest, limit, self._cancelled)
        except SizeLimitExceeded:
            raise ComfyError(f"ComfyUI output {name} is over the {limit / 1e6:.0f} MB limit "
                             "(setting 'max_download_mb'); download stopped") from None
        if expected is not None and written != expected:
            raise ComfyError(f"ComfyUI output {name} arrived incomplete ({written} of {expected} bytes); "
                             "discarded")


class RetrySettled(Exception):
    """Internal: a retry became unnecessary (the server already has what we sent)."""


def decode_json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise ComfyError(f"{what}: the answer is not valid JSON (HTTP {response.status_code}, "
                         f"{len(response.content)} bytes): a proxy error page, or not ComfyUI?") from None


def describe_validation_error(data: Any, prompt: dict[str, Any]) -> str:
    """POST /prompt's 400 in plain words, one clause per node: "node 6 (CLIPTextEncode):
    Required input is missing: clip"."""
    if not isinstance(data, dict):
        return "ComfyUI refused the workflow (HTTP 400)"
    parts: list[str] = []
    node_errors = data.get("node_errors") or {}
    if isinstance(node_errors, dict):
        for node_id, info in node_errors.items():
            info = info if isinstance(info, dict) else {}
            cls = info.get("class_type") or (prompt.get(str(node_id)) or {}).get("class_type", "?")
            reasons = []
            for err in info.get("errors") or []:
                if not isinstance(err, dict):
                    continue
                text = str(err.get("message") or err.get("type") or "error")
                details = str(err.get("details") or "").strip()
                reasons.append(f"{text}: {details}" if details else text)
            parts.append(f"node {node_id} ({cls}): {'; '.join(reasons) or 'invalid'}")
    if not parts:
        error = data.get("error")
        if isinstance(error, dict):
            text = str(error.get("message") or error.get("type") or "invalid workflow")
            details = str(error.get("details") or "").strip()
            parts.append(f"{text}: {details}" if details and details not in text else text)
        elif error:
            parts.append(str(error))
    return "ComfyUI refused the workflow: " + ("; ".join(parts) or "invalid workflow (HTTP 400)")


def _item_id(item: Any) -> str | None:
    # queue items: [number, prompt_id, prompt, extra_data, outputs_to_execute]
    return str(item[1]) if isinstance(item, list | tuple) and len(item) > 1 else None


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _body_hint(response: httpx.Response) -> str:
    try:
        text = response.text.strip()
    except Exception:  # noqa: BLE001 - a body we cannot read is no hint
        return ""
    if not text:
        return ""
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            text = str(data.get("error") or data.get("message") or text)
    except ValueError:
        pass
    return f"({' '.join(text.split())[:200]})"
