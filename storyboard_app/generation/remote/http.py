"""The one HTTP client every remote adapter uses.

Why one: the failure handling is the hard part and must not differ per service. Every call has a
timeout. Connection errors, 429 (honouring ``Retry-After``) and 5xx are retried with exponential
backoff and jitter; other 4xx are not retried and become typed errors (``errors.classify``)
carrying the service's own message. A 2xx body that is not JSON is an error. A submission (a
call that costs money) is not retried once the request may have reached the service (a read
timeout, a dropped connection): a retry there could pay twice.

Downloads stream to a temporary file beside the destination with a size limit, a content-type
check and a decode check, and are renamed into place only when complete, so a truncated or bogus
result never looks like a clip. The ``Authorization`` header goes only to the service's own origin
(never to a CDN URL, never to a URL from a project file that points elsewhere), and every message
passes through ``secrets.scrub``.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import (
    DownloadFailed,
    MalformedResponse,
    RemoteError,
    RemoteTimeout,
    ResultExpired,
    ServiceUnavailable,
    classify,
)
from .secrets import scrub

CancelCheck = Callable[[], bool]

VIDEO_TYPES = ("video/", "application/octet-stream", "binary/octet-stream")


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts and retry policy; from a generator's settings (``http_timeout``, ``retries``,
    ``retry_backoff``, ``max_download_mb``), so tests and slow links can change them."""

    timeout: float = 30.0  # seconds for connect, each read and each write
    retries: int = 4  # attempts after the first
    backoff: float = 1.0  # first wait; doubles each attempt, with jitter
    max_backoff: float = 60.0
    max_retry_after: float = 300.0  # a longer Retry-After is capped (and waited in small steps)
    max_download_bytes: int = 2 * 1024**3

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ClientSettings:
        def number(key: str, default: float) -> float:
            value = settings.get(key, default)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"setting {key!r} must be a number (got {value!r})") from None
            if value < 0:
                raise ValueError(f"setting {key!r} must not be negative (got {value!r})")
            return value

        return cls(
            timeout=number("http_timeout", cls.timeout) or cls.timeout,
            retries=int(number("retries", cls.retries)),
            backoff=number("retry_backoff", cls.backoff),
            max_backoff=number("max_backoff", cls.max_backoff),
            max_retry_after=number("max_retry_after", cls.max_retry_after),
            max_download_bytes=int(number("max_download_mb", cls.max_download_bytes / 1024**2) * 1024**2),
        )


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def service_message(response: httpx.Response) -> str:
    """The service's own explanation from an error response: ``detail`` (a text or a list of
    field errors), ``error``, ``message`` or ``title``; else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300]
    return _message_from(body)[:500]


def _message_from(body: Any) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(_message_from(item) for item in body[:5])
    if isinstance(body, dict):
        for key in ("detail", "error", "message", "title", "msg"):
            value = body.get(key)
            if value:
                text = _message_from(value)
                loc = body.get("loc")
                if key == "msg" and isinstance(loc, list):
                    text = f"{'.'.join(str(p) for p in loc if p != 'body')}: {text}"
                return text
        return json.dumps(body)[:300]
    return str(body)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` value: a number of seconds or an HTTP date (RFC 9110
    10.2.3); None when absent or unreadable. Shared by every remote client (ComfyUI's too)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    return None


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a response's ``Retry-After`` header, or None."""
    return parse_retry_after(response.headers.get("retry-after"))


def wait_unless_cancelled(seconds: float, cancelled: CancelCheck, message: str = "cancelled",
                          sleep: Callable[[float], None] = time.sleep, step: float = 0.05) -> None:
    """Wait ``seconds`` in short steps, raising ``GenerationCancelled`` as soon as ``cancelled()``
    says so: a backoff must never keep a cancelled (paid) job going."""
    from ..protocol import GenerationCancelled

    end = time.monotonic() + seconds
    while True:
        if cancelled():
            raise GenerationCancelled(message)
        left = end - time.monotonic()
        if left <= 0:
            return
        sleep(min(step, left))


class SizeLimitExceeded(Exception):
    """``write_limited`` stopped: the body is over the limit (``received`` bytes so far)."""

    def __init__(self, received: int):
        super().__init__(received)
        self.received = received


def write_limited(chunks: Iterable[bytes], dest: Path, limit: int, cancelled: CancelCheck | None = None) -> int:
    """Stream ``chunks`` into ``dest``; stop with ``SizeLimitExceeded`` past ``limit`` bytes and
    with ``GenerationCancelled`` on a cancel. Returns the bytes written. The caller removes
    ``dest`` when this raises (a partial file is never a result)."""
    from ..protocol import GenerationCancelled

    received = 0
    with open(dest, "wb") as out:
        for chunk in chunks:
            if cancelled is not None and cancelled():
                raise GenerationCancelled("cancelled during download")
            received += len(chunk)
            if received > limit:
                raise SizeLimitExceeded(received)
            out.write(chunk)
    return received


class RemoteClient:
    """HTTP for one service: ``base_url`` and the auth headers that only its origin receives."""

    def __init__(self, base_url: str, auth_headers: dict[str, str] | None = None,
                 settings: ClientSettings | None = None, cancelled: CancelCheck | None = None,
                 service: str = "the service", extra_origins: tuple[str, ...] = ()):
        self.base_url = base_url.rstrip("/")
        self.settings = settings or ClientSettings()
        self.cancelled = cancelled or (lambda: False)
        self.service = service
        self._auth = dict(auth_headers or {})
        self._origins = {origin(self.base_url), *(origin(u) for u in extra_origins)}
        self._client = httpx.Client(timeout=httpx.Timeout(self.settings.timeout), follow_redirects=False)
        self.sleep: Callable[[float], None] = self._sleep

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- helpers ---
    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def trusted(self, url: str) -> bool:
        """Whether ``url`` is on the service's own origin (and so may receive the key)."""
        return origin(url) in self._origins

    def _headers(self, url: str, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if self.trusted(url):
            out.update(self._auth)
        return out

    def _sleep(self, seconds: float) -> None:
        """Wait, checking for a cancel every 50 ms (a cancelled job must stop paying at once)."""
        wait_unless_cancelled(seconds, lambda: self.cancelled())

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.max_backoff, self.settings.backoff * 2**attempt)
        return base * (0.5 + random.random() / 2)  # "equal jitter": spread, never zero

    def _check_cancel(self) -> None:
        from ..protocol import GenerationCancelled

        if self.cancelled():
            raise GenerationCancelled("cancelled")

    # --- JSON calls ---
    def request_json(self, method: str, path: str, *, what: str, json_body: Any = None,
                     files: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                     params: dict[str, Any] | None = None, submission: bool = False,
                     expired_on_missing: bool = False) -> Any:
        """Call the service and return the decoded JSON body.

        ``submission``: a call that starts paid work; it is retried only where the service cannot
        have accepted it (no connection made, 429, 5xx). ``expired_on_missing``: a 404/410 means
        the result was deleted (``ResultExpired``) rather than a wrong URL.
        """
        url = self.url(path)
        last: RemoteError | None = None
        for attempt in range(self.settings.retries + 1):
            self._check_cancel()
            delay = self._backoff(attempt)
            try:
                response = self._client.request(method, url, json=json_body, files=files, params=params,
                                                headers=self._headers(url, headers))
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last = ServiceUnavailable(scrub(f"{what}: could not connect to {self.service} ({exc})"))
            except httpx.TimeoutException as exc:
                last = RemoteTimeout(scrub(f"{what}: {self.service} did not answer within "
                                           f"{self.settings.timeout:g} s ({type(exc).__name__})"))
                if submission:
                    raise RemoteTimeout(last.args[0] + "; the job may have been accepted, so it was not "
                                        "sent again — check the service's dashboard") from None
            except httpx.TransportError as exc:
                last = ServiceUnavailable(scrub(f"{what}: connection to {self.service} failed ({exc})"))
                if submission:
                    raise ServiceUnavailable(last.args[0] + "; the job may have been accepted, so it was "
                                             "not sent again") from None
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    message = scrub(service_message(response))
                    last = ServiceUnavailable(
                        f"{what}: {self.service} answered {status}" + (f": {message}" if message else ""), status)
                    wait = retry_after(response) if status in (429, 503) else None
                    if wait is not None:
                        delay = min(wait, self.settings.max_retry_after)
                elif status >= 400:
                    message = scrub(service_message(response))
                    if expired_on_missing and status in (404, 410):
                        raise ResultExpired(f"{what}: the result has expired on {self.service} ({status})"
                                            + (f": {message}" if message else ""), status)
                    raise classify(status, message, f"{what} ({self.service})")
                else:
                    if status == 204 or not response.content:
                        return {}
                    try:
                        return response.json()
                    except ValueError:
                        snippet = scrub(response.text.strip()[:120])
                        raise MalformedResponse(
                            f"{what}: {self.service} answered with malformed JSON ({snippet!r})", status) from None
            if attempt < self.settings.retries:
                self.sleep(delay)
        assert last is not None
        raise type(last)(f"{last.args[0]} (gave up after {self.settings.retries + 1} attempts)", last.status)

    # --- downloads ---
    def download(self, url: str, dest: Path, *, what: str = "downloading the result",
                 accept: tuple[str, ...] = VIDEO_TYPES, check: Callable[[Path], None] | None = None) -> Path:
        """Stream ``url`` to ``dest`` through a temporary file; see the module docstring.

        404/410 means the result expired (``ResultExpired``). ``check`` (a decode check) runs on
        the complete temporary file and raises to refuse it.
        """
        dest = Path(dest)
        limit = self.settings.max_download_bytes
        last: RemoteError | None = None
        for attempt in range(self.settings.retries + 1):
            self._check_cancel()
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.download")
            try:
                self._stream_to(url, tmp, limit, what, accept)
                if check is not None:
                    check(tmp)
                os.replace(tmp, dest)
                return dest
            except _Retry as exc:
                last = exc.error
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            if attempt < self.settings.retries:
                self.sleep(last.retry_delay if getattr(last, "retry_delay", None) else self._backoff(attempt))
        assert last is not None
        raise type(last)(f"{last.args[0]} (gave up after {self.settings.retries + 1} attempts)", last.status)

    def _stream_to(self, url: str, tmp: Path, limit: int, what: str, accept: tuple[str, ...]) -> None:
        try:
            with self._client.stream("GET", url, headers=self._headers(url, None), follow_redirects=True) as response:
                status = response.status_code
                if status in (404, 410):
                    raise ResultExpired(f"{what}: the result has expired on {self.service} ({status})", status)
                if status == 429 or status >= 500:
                    error = DownloadFailed(f"{what}: {self.service} answered {status}", status)
                    wait = retry_after(response)
                    error.retry_delay = min(wait, self.settings.max_retry_after) if wait is not None else None  # type: ignore[attr-defined]
                    raise _Retry(error)
                if status >= 400:
                    response.read()
                    raise classify(status, scrub(service_message(response)), what)
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind and not kind.startswith(accept):
                    raise DownloadFailed(f"{what}: expected a video, got content type {kind!r}", status)
                length = response.headers.get("content-length")
                expected = int(length) if length and length.isdigit() else None
                if expected is not None and expected > limit:
                    raise DownloadFailed(f"{what}: the result is {expected / 1024**2:.1f} MB, over the "
                                         f"{limit / 1024**2:.0f} MB limit (setting max_download_mb)", status)
                try:
                    received = write_limited(response.iter_bytes(1 << 16), tmp, limit, self.cancelled)
                except SizeLimitExceeded:
                    raise DownloadFailed(f"{what}: the result is over the {limit / 1024**2:.0f} MB "
                                         "limit (setting max_download_mb)", status) from None
                if expected is not None and received != expected:
                    raise _Retry(DownloadFailed(f"{what}: truncated ({received} of {expected} bytes)", status))
        except httpx.TimeoutException as exc:
            raise _Retry(RemoteTimeout(scrub(f"{what}: {self.service} stopped sending ({type(exc).__name__})"))) from None
        except httpx.TransportError as exc:
            raise _Retry(DownloadFailed(scrub(f"{what}: the download broke off ({exc}); truncated"))) from None


class _Retry(Exception):
    """A download attempt that failed in a way worth another attempt."""

    def __init__(self, error: RemoteError):
        super().__init__(str(error))
        self.error = error


def decode_check(path: Path, cancelled: CancelCheck | None = None) -> None:
    """Refuse a file ffmpeg cannot read as video or cannot decode to the end."""
    from ...media.ffmpeg import FFmpegError, probe, run_ffmpeg

    try:
        info = probe(path)
        if not info.has_video:
            raise DownloadFailed("the downloaded result has no video stream")
        run_ffmpeg(["-v", "error", "-xerror", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                   cancelled=cancelled, timeout=600, what="checking the downloaded clip")
    except FFmpegError as exc:
        raise DownloadFailed(f"the downloaded result is not a readable video ({exc})") from None
