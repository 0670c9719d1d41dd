"""The ComfyUI adapter's settings: from the project (``generator_settings["comfyui"]``, arriving
as ``ShotRequest.settings``), with the server URL and proxy headers also from the environment.

Headers usually carry a reverse proxy's secret. Keep them out of the project: set
``STORYBOARD_COMFYUI_HEADERS`` (a JSON object), or write ``"env:NAME"`` as a header's value in
the settings so only the variable's name is saved. Header values are never logged, never put in
an error message and never stored in the take's remote job record.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from storyboard_app.generation.protocol import GeneratorSetupError

from .client import RetryPolicy, Timeouts

DEFAULT_URL = "http://127.0.0.1:8188"
URL_ENV = "STORYBOARD_COMFYUI_URL"
HEADERS_ENV = "STORYBOARD_COMFYUI_HEADERS"
#: seconds between the adapter giving up following and the service killing the worker
JOB_MARGIN = 5.0

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": "string", "default": DEFAULT_URL,
                "description": f"the ComfyUI server (or ${URL_ENV})"},
        "workflow": {"type": "string", "default": "still_sd15",
                     "description": "a shipped workflow (still_sd15, t2v_ltxv, i2v_wan21) or the path of an API-format export"},
        "mapping": {"type": ["string", "object"],
                    "description": "request fields → node_id.inputs.field (default: NAME.mapping.json beside the workflow)"},
        "headers": {"type": "object", "description": "extra HTTP headers for a reverse proxy; a value \"env:NAME\" "
                                                      f"reads variable NAME (or ${HEADERS_ENV}, a JSON object)"},
        "first_frame": {"type": "string", "description": "image-to-video's first frame: a file, or \"sketch\" "
                                                           "(default: the first reference image)"},
        "connect_timeout": {"type": "number", "default": 10},
        "request_timeout": {"type": "number", "default": 60, "description": "seconds to wait for one answer"},
        "transfer_timeout": {"type": "number", "default": 300},
        "job_timeout": {"type": "number", "default": 3595,
                        "description": "seconds to follow a job, queued + running (at most the service's "
                                       "'timeout' - 5; then it is left on the server and resumed next time)"},
        "poll_interval": {"type": "number", "default": 1.0},
        "retries": {"type": "integer", "default": 5},
        "retry_backoff": {"type": "number", "default": 0.5, "description": "first backoff in seconds (doubles, with jitter)"},
        "max_download_mb": {"type": "number", "default": 1024},
        "websocket": {"type": "boolean", "default": True, "description": "follow progress on /ws (else poll)"},
        "crf": {"type": "integer", "default": 18},
    },
}


@dataclass(frozen=True)
class ComfySettings:
    url: str = DEFAULT_URL
    workflow: str = "still_sd15"
    mapping: str | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # secrets: never printed
    first_frame: str | None = None
    timeouts: Timeouts = Timeouts()
    poll_interval: float = 1.0
    retries: int = 5
    retry_backoff: float = 0.5
    max_download_bytes: int = 1024 * 1024 * 1024
    websocket: bool = True

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(attempts=self.retries, base=self.retry_backoff)

    @classmethod
    def from_settings(cls, settings: dict[str, Any], environ: dict[str, str] | None = None) -> ComfySettings:
        env = os.environ if environ is None else environ
        url = str(settings.get("url") or env.get(URL_ENV) or DEFAULT_URL).strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GeneratorSetupError(f"comfyui setting 'url': {url!r} is not an http(s) URL "
                                      f"(e.g. {DEFAULT_URL})")
        headers = resolve_headers(settings.get("headers"), env)
        if parts.username is not None or parts.password is not None:
            # user:password in the URL becomes Basic auth, so the URL itself (shown in messages,
            # recorded with the job) carries no secret
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers.setdefault("Authorization", f"Basic {token}")
            host = parts.netloc.rsplit("@", 1)[1]
            url = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)).rstrip("/")
        mapping = settings.get("mapping")
        if mapping is not None and not isinstance(mapping, str | dict):
            raise GeneratorSetupError("comfyui setting 'mapping': a file path or an object")
        return cls(
            url=url,
            workflow=str(settings.get("workflow") or "still_sd15"),
            mapping=mapping,
            headers=headers,
            first_frame=str(settings["first_frame"]) if settings.get("first_frame") else None,
            timeouts=Timeouts(
                connect=_num(settings, "connect_timeout", 10.0), read=_num(settings, "request_timeout", 60.0),
                transfer=_num(settings, "transfer_timeout", 300.0),
                job=_job_timeout(settings)),
            poll_interval=_num(settings, "poll_interval", 1.0),
            retries=max(int(_num(settings, "retries", 5.0)), 1),
            retry_backoff=_num(settings, "retry_backoff", 0.5, low=0.0),
            max_download_bytes=int(_num(settings, "max_download_mb", 1024.0) * 1024 * 1024),
            websocket=bool(settings.get("websocket", True)),
        )


def resolve_headers(value: Any, env: dict[str, str] | os._Environ) -> dict[str, str]:
    """Headers from ``$STORYBOARD_COMFYUI_HEADERS`` then the settings (which win); ``env:NAME``
    values are read from the environment. Messages name variables, never values."""
    headers: dict[str, str] = {}
    raw = env.get(HEADERS_ENV)
    if raw:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            raise GeneratorSetupError(f"${HEADERS_ENV} is not a JSON object of header names to values") from None
        if not isinstance(data, dict):
            raise GeneratorSetupError(f"${HEADERS_ENV} is not a JSON object of header names to values")
        headers.update({str(k): str(v) for k, v in data.items()})
    if value is None:
        return headers
    if not isinstance(value, dict):
        raise GeneratorSetupError("comfyui setting 'headers': an object of header names to values")
    for name, item in value.items():
        if not isinstance(item, str):
            raise GeneratorSetupError(f"comfyui setting 'headers.{name}': a string")
        if item.startswith("env:"):
            var = item[4:]
            if var not in env:
                raise GeneratorSetupError(f"comfyui setting 'headers.{name}' reads ${var}, which is not set")
            item = env[var]
        headers[str(name)] = item
    for name, item in headers.items():
        if any(c in name + item for c in "\r\n"):
            raise GeneratorSetupError(f"comfyui header {name!r}: line breaks are not allowed")
    return headers


def _job_timeout(settings: dict[str, Any]) -> float:
    """Seconds to follow one job. The generation service kills a remote job's worker after the
    setting ``timeout`` (default ``REMOTE_TIMEOUT``, the whole job); following always gives up a
    little before that, so the adapter (not a kill) ends it, leaving the job on the server for the
    next run to resume. ``job_timeout`` may only shorten it."""
    from storyboard_app.generation.service import REMOTE_TIMEOUT

    whole = max(_num(settings, "timeout", REMOTE_TIMEOUT) - JOB_MARGIN, 1.0)
    if "job_timeout" in settings:
        return min(_num(settings, "job_timeout", whole), whole)
    return whole


def _num(settings: dict[str, Any], key: str, default: float, low: float = 1e-3) -> float:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise GeneratorSetupError(f"comfyui setting '{key}': a number >= {low:g}, not {value!r}")
    return float(value)
