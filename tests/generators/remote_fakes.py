"""Loopback stand-ins for fal.ai's queue API and Replicate's predictions API, for tests.

Each is a real HTTP server on 127.0.0.1 (``http.server`` in a thread) that follows the service's
documented protocol, records every call, and misbehaves on request: ``fault(route, status,
times, ...)`` answers the next calls to a route with an error (optionally with headers, a body,
a hang or malformed JSON); ``download_mode`` serves the result truncated, oversized, expired or
as the wrong type; a job can be told to fail remotely. The 401 answer echoes the Authorization
header back, as a careless proxy would, so tests prove the key is scrubbed from every message.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from storyboard_app.media.ffmpeg import ffmpeg_exe

_CLIP: dict[str, bytes] = {}


def sample_clip() -> bytes:
    """A small real H.264 MP4 (160x90, 10 fps, 3 s, moving test pattern), made once."""
    if "clip" not in _CLIP:
        out = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
             "testsrc=size=160x90:rate=10:duration=3", "-c:v", "libx264", "-preset", "ultrafast",
             "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", "pipe:1"],
            capture_output=True, check=False)
        if out.returncode != 0 or not out.stdout:  # mp4 to a pipe needs a seekable output: use a file
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "c.mp4"
                subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                                "testsrc=size=160x90:rate=10:duration=3", "-c:v", "libx264", "-preset",
                                "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
                _CLIP["clip"] = path.read_bytes()
        else:
            _CLIP["clip"] = out.stdout
    return _CLIP["clip"]


@dataclass
class Fault:
    status: int = 500
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    hang: float = 0.0  # seconds to sleep before answering (a hung response)
    raw: bytes | None = None  # a raw 200 body (malformed JSON)


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def answer(handler: BaseHTTPRequestHandler, status: int, data: bytes = b"",
           content_type: str = "application/json", headers: dict[str, str] | None = None) -> None:
    """One complete HTTP answer (no body for HEAD): every loopback fake answers through this."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(data)


class FakeService:
    """Shared machinery: the server, the call log, faults, jobs and the result file."""

    key_scheme = "Key"

    def __init__(self, key: str, polls_to_finish: int = 2):
        self.key = key
        self.polls_to_finish = polls_to_finish
        self.calls: list[Call] = []
        self.faults: dict[str, list[Fault]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.download_mode = "ok"  # ok | truncated | oversized | expired | html
        self.fail_jobs = ""  # a message: every job fails remotely with it
        self.hold = False  # jobs stay in progress until released (cancel and resume tests)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw and "json" in (self.headers.get("content-type") or "") else raw
                except ValueError:
                    body = raw
                call = Call(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with fake.lock:
                    fake.calls.append(call)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    fake.dispatch(self, call)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that hung up (a timeout test) is expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        #: results are served from "another host" (a CDN in real life): same server, other origin
        self.files_url = f"http://localhost:{self.server.server_address[1]}/files"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- scripting ---
    def fault(self, route: str, status: int = 500, times: int = 1, **kwargs: Any) -> None:
        self.faults.setdefault(route, []).append(Fault(status, times, **kwargs))

    def calls_to(self, route: str) -> list[Call]:
        return [c for c in self.calls if self.route_of(c) == route]

    # --- answering ---
    def send(self, handler: BaseHTTPRequestHandler, status: int, body: Any = None,
             headers: dict[str, str] | None = None, raw: bytes | None = None,
             content_type: str = "application/json") -> None:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        answer(handler, status, data, content_type, headers)

    def apply_fault(self, handler: BaseHTTPRequestHandler, route: str) -> bool:
        with self.lock:
            queue = self.faults.get(route) or []
            fault = queue[0] if queue else None
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
        if fault is None:
            return False
        if fault.hang:
            time.sleep(fault.hang)
        if fault.raw is not None:
            self.send(handler, 200, raw=fault.raw)
        else:
            self.send(handler, fault.status, fault.body if fault.body is not None else {"detail": f"fault {fault.status}"},
                      fault.headers)
        return True

    def authorised(self, handler: BaseHTTPRequestHandler, call: Call) -> bool:
        given = call.headers.get("authorization", "")
        if given == f"{self.key_scheme} {self.key}":
            return True
        # echo the header back, as a careless proxy would: the client must scrub it
        self.send(handler, 401, {"detail": f"Invalid credentials: {given!r}"})
        return False

    def serve_file(self, handler: BaseHTTPRequestHandler) -> None:
        clip = sample_clip()
        mode = self.download_mode
        if mode == "expired":
            self.send(handler, 404, {"detail": "File not found"})
        elif mode == "html":
            self.send(handler, 200, raw=b"<html>not a video</html>", content_type="text/html")
        elif mode == "oversized":
            handler.send_response(200)
            handler.send_header("Content-Type", "video/mp4")
            handler.send_header("Content-Length", str(5 * 1024 * 1024 * 1024))
            handler.end_headers()
            handler.wfile.write(clip[:1000])
        elif mode == "oversized_chunked":  # no length announced: the limit must hold while streaming
            handler.send_response(200)
            handler.send_header("Content-Type", "video/mp4")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for _ in range(40):
                chunk = b"\0" * 65536
                handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
        elif mode == "truncated":
            handler.send_response(200)
            handler.send_header("Content-Type", "video/mp4")
            handler.send_header("Content-Length", str(len(clip)))
            handler.end_headers()
            handler.wfile.write(clip[: len(clip) // 2])
            handler.wfile.flush()
            handler.close_connection = True
        else:
            self.send(handler, 200, raw=clip, content_type="video/mp4")

    def advance(self, job: dict[str, Any]) -> None:
        job["polls"] += 1

    def finished(self, job: dict[str, Any]) -> bool:
        return not self.hold and job["polls"] >= self.polls_to_finish

    @property
    def submissions(self) -> list[Call]:
        """The calls that started a job (each one a payment on the real service)."""
        return self.calls_to("submit")

    def route_of(self, call: Call) -> str:
        """The route a call takes: "file" (the result download host) for every service, else
        the service's own (``service_route``)."""
        path = call.path.split("?")[0]
        return "file" if path.startswith("/files/") else self.service_route(path)

    def service_route(self, path: str) -> str:
        raise NotImplementedError

    def dispatch(self, handler: BaseHTTPRequestHandler, call: Call) -> None:
        raise NotImplementedError


class FakeFal(FakeService):
    """fal's queue: POST /{model...} → ids and URLs; GET .../status; GET response; PUT cancel."""

    key_scheme = "Key"

    def service_route(self, path: str) -> str:
        if m := re.match(r"^/.+/requests/[^/]+(/status|/cancel)?$", path):
            return {"/status": "status", "/cancel": "cancel", None: "result"}[m.group(1)]
        return "submit"

    def dispatch(self, handler: BaseHTTPRequestHandler, call: Call) -> None:
        route = self.route_of(call)
        if route == "file":
            if not self.apply_fault(handler, "file"):
                self.serve_file(handler)
            return
        if not self.authorised(handler, call) or self.apply_fault(handler, route):
            return
        path = call.path.split("?")[0]
        if route == "submit":
            app = "/".join(path.strip("/").split("/")[:2])
            rid = str(uuid.uuid4())
            self.jobs[rid] = {"polls": 0, "input": call.body, "endpoint": path.strip("/"), "cancelled": False}
            base = f"{self.url}/{app}/requests/{rid}"
            self.send(handler, 200, {"request_id": rid, "status_url": f"{base}/status", "response_url": base,
                                     "cancel_url": f"{base}/cancel"})
            return
        rid = path.split("/requests/")[1].split("/")[0]
        job = self.jobs.get(rid)
        if job is None:
            self.send(handler, 404, {"detail": "Request not found"})
        elif route == "cancel":
            job["cancelled"] = True
            self.send(handler, 202, {"status": "CANCELLATION_REQUESTED"})
        elif route == "status":
            self.advance(job)
            if job["cancelled"]:
                self.send(handler, 200, {"status": "CANCELED"})
            elif job["polls"] == 1 and not self.finished(job):
                self.send(handler, 200, {"status": "IN_QUEUE", "queue_position": 3, "response_url": "x"})
            elif not self.finished(job):
                self.send(handler, 200, {"status": "IN_PROGRESS", "logs": [{"message": "step 5/20", "level": "INFO",
                                                                            "timestamp": "2026-01-01T00:00:00"}]})
            elif self.fail_jobs:
                self.send(handler, 200, {"status": "COMPLETED", "error": self.fail_jobs, "error_type": "runner_error"})
            else:
                self.send(handler, 200, {"status": "COMPLETED", "logs": []})
        else:  # result
            if self.download_mode == "result_expired":
                self.send(handler, 410, {"detail": "Request result has expired"})
            else:
                self.send(handler, 200, {"video": {"url": f"{self.files_url}/{rid}.mp4", "content_type": "video/mp4"},
                                         "seed": 1})


class FakeReplicate(FakeService):
    """Replicate: POST /v1/models/o/n/predictions; GET /v1/predictions/id; POST .../cancel; /v1/files."""

    key_scheme = "Bearer"

    def service_route(self, path: str) -> str:
        if path == "/v1/files":
            return "upload"
        if re.match(r"^/v1/models/[^/]+/[^/]+/predictions$", path):
            return "submit"
        if re.match(r"^/v1/predictions/[^/]+/cancel$", path):
            return "cancel"
        if re.match(r"^/v1/predictions/[^/]+$", path):
            return "status"
        return "unknown"

    def dispatch(self, handler: BaseHTTPRequestHandler, call: Call) -> None:
        route = self.route_of(call)
        if route == "file":
            if not self.apply_fault(handler, "file"):
                self.serve_file(handler)
            return
        if route == "unknown":
            self.send(handler, 404, {"detail": "Not found."})
            return
        if not self.authorised(handler, call) or self.apply_fault(handler, route):
            return
        path = call.path.split("?")[0]
        if route == "upload":
            fid = uuid.uuid4().hex
            self.send(handler, 201, {"id": fid, "urls": {"get": f"{self.url}/v1/files/{fid}"}})
            return
        if route == "submit":
            pid = uuid.uuid4().hex[:12]
            self.jobs[pid] = {"polls": 0, "input": call.body, "endpoint": path, "cancelled": False}
            self.send(handler, 201, self.prediction(pid, "starting"))
            return
        pid = path.split("/")[3]
        job = self.jobs.get(pid)
        if job is None:
            self.send(handler, 404, {"detail": "Not found."})
        elif route == "cancel":
            job["cancelled"] = True
            self.send(handler, 200, self.prediction(pid, "canceled"))
        else:
            self.advance(job)
            if job["cancelled"]:
                self.send(handler, 200, self.prediction(pid, "canceled"))
            elif job["polls"] == 1 and not self.finished(job):
                self.send(handler, 200, self.prediction(pid, "starting"))
            elif not self.finished(job):
                self.send(handler, 200, self.prediction(pid, "processing", logs="loading\n 25%|##  | 5/20"))
            elif self.fail_jobs:
                self.send(handler, 200, self.prediction(pid, "failed", error=self.fail_jobs))
            else:
                self.send(handler, 200, self.prediction(pid, "succeeded", output=f"{self.files_url}/{pid}.mp4"))

    def prediction(self, pid: str, status: str, **extra: Any) -> dict[str, Any]:
        return {"id": pid, "model": "x/y", "status": status, "input": self.jobs[pid]["input"].get("input"),
                "output": None, "error": None, "logs": "",
                "urls": {"get": f"{self.url}/v1/predictions/{pid}", "cancel": f"{self.url}/v1/predictions/{pid}/cancel"},
                **extra}


def memory_keyring(monkeypatch: Any):  # noqa: ANN201 - a generator for a fixture
    """Install an in-memory keyring backend (never the user's OS keyring) for one test; spawned
    worker processes get keyring's null backend through PYTHON_KEYRING_BACKEND."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


class Recorder:
    """A progress callback with the worker's ``remote_accepted`` hook, for every remote adapter's
    tests (fal, Replicate, ComfyUI). ``crash_after_accept``: the next progress call after a job
    was accepted raises ``SystemExit``, as a crash at that moment would end the worker."""

    def __init__(self, crash_after_accept: bool = False) -> None:
        self.events: list[tuple[float, str]] = []
        self.jobs: list[dict[str, Any]] = []
        self.crash_after_accept = crash_after_accept

    def __call__(self, fraction: float, text: str = "") -> None:
        self.events.append((fraction, text))
        if self.crash_after_accept and self.jobs:
            raise SystemExit("simulated crash after the job was accepted")

    def remote_accepted(self, job: dict[str, Any]) -> None:
        self.jobs.append(job)

    @property
    def messages(self) -> list[str]:
        return [t for _, t in self.events]

    texts = messages


def serve(monkeypatch, fake: FakeService, base_url_env: str, key_env: str):  # noqa: ANN001, ANN201
    """Point the adapter at ``fake`` (its base-URL variable) with the fake's key in ``key_env``;
    the fake is closed afterwards. For ``yield from`` in a fixture."""
    monkeypatch.setenv(base_url_env, fake.url)
    monkeypatch.setenv(key_env, fake.key)
    yield fake
    fake.close()


def run_generator(generator, request, tmp_path: Path, progress=None, cancel=None):  # noqa: ANN001, ANN201
    """``generator.generate`` into ``tmp_path/out.mp4``: (the output path, the result)."""
    from storyboard_app.generation.protocol import CancelToken

    out = tmp_path / "out.mp4"
    result = generator.generate(request, out, progress or Recorder(), cancel or CancelToken())
    return out, result
