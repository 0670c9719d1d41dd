"""A loopback ComfyUI server for the adapter's tests: HTTP and websocket on one port, in threads.

It follows ComfyUI's ``server.py`` and ``execution.py`` (2025): ``POST /prompt`` takes a
client-supplied ``prompt_id`` and answers ``{"prompt_id", "number", "node_errors"}`` or 400 with
``{"error", "node_errors"}``; ``/ws?clientId=`` sends ``status`` first, then per prompt, to the
prompt's client only, ``execution_start``, ``execution_cached``, ``executing`` per node,
``progress`` {value, max}, ``executed``, ``execution_success`` and ``executing`` with node null
(or ``execution_error`` / ``execution_interrupted``); ``/history/{id}`` holds ``outputs`` and
``status`` {status_str, completed, messages}; ``/queue`` lists ``queue_running`` and
``queue_pending`` items ``[number, prompt_id, prompt, extra_data, outputs]``; ``POST /queue``
deletes pending ids; ``POST /interrupt`` {prompt_id} interrupts only that running prompt;
``/view`` serves files from the output folder. Outputs are real media made with PIL and ffmpeg.

Faults are switched on per test through attributes (``faults``, ``hang``, ``truncate_view``...).
Its message sequence and answers were compared with a real ComfyUI 0.3.64 (which also sends
``progress_state`` messages; the adapter ignores them). ``test_comfyui_live.py`` runs the adapter
against a real server when one is named.
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import hashlib
import json
import mimetypes
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from storyboard_app.media.ffmpeg import ffmpeg_exe

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from remote_fakes import answer  # noqa: E402 - one HTTP answer for every loopback fake

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SAMPLERS = {"KSampler", "SamplerCustom", "KSamplerAdvanced", "SamplerCustomAdvanced"}


class FakeComfy:
    def __init__(self, root: Path):
        self.root = root
        self.output_dir = root / "output"
        self.input_dir = root / "input"
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.input_dir.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.log: list[tuple[str, str, Any]] = []  # (method, path, json body / form fields)
        self.seen_headers: list[dict[str, str]] = []
        self.pending: list[list[Any]] = []
        self.running: list[Any] | None = None
        self.history: dict[str, Any] = {}
        self.sockets: dict[str, _Socket] = {}
        self.number = 0
        # --- behaviour switches ---
        self.faults: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}  # "METHOD /path" → answers to give first
        self.hang: dict[str, float] = {}  # "METHOD /path" → seconds to sleep, then drop the connection
        self.delay: dict[str, float] = {}  # "METHOD /path" → seconds to wait before answering normally
        self.malformed: set[str] = set()  # "METHOD /path" answering broken JSON
        self.truncate_view = False
        self.view_padding = 0  # extra bytes appended to served files (an oversized result)
        self.websocket = True
        self.ws_drop_after: int | None = None  # close sockets after this many messages
        self.node_errors: dict[str, Any] | None = None
        self.exec_error_node: str | None = None
        self.start_gate = threading.Event()  # a prompt waits in the queue until set
        self.start_gate.set()
        self.finish_gate = threading.Event()  # a running prompt waits at its sampler until set
        self.finish_gate.set()
        self.steps = 4
        self.honour_prompt_id = True  # False: a ComfyUI from before client prompt ids (picks its own)
        #: "auto" (by node class), "gifs" (VideoHelperSuite), "frames" (SaveImage batch), "webp"
        #: (SaveAnimatedWEBP)
        self.output_style = "auto"
        self.interrupt_flag = threading.Event()
        self._work = threading.Condition(self.lock)
        self._stop = threading.Event()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._threads = [threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True),
                         threading.Thread(target=self._executor, daemon=True)]
        for t in self._threads:
            t.start()

    # --- test helpers ---
    def close(self) -> None:
        self._stop.set()
        self.start_gate.set()
        self.finish_gate.set()
        with self._work:
            self._work.notify_all()
        for sock in list(self.sockets.values()):
            sock.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(5)

    def calls(self, method: str, path: str) -> list[Any]:
        with self.lock:
            return [body for m, p, body in self.log if m == method and p == path]

    def forget_everything(self) -> None:
        """A server restart: queue and history gone."""
        with self.lock:
            self.pending.clear()
            self.history.clear()

    def wait_for(self, condition, timeout: float = 20.0) -> None:  # noqa: ANN001
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if condition():
                return
            time.sleep(0.02)
        raise AssertionError("condition not reached on the fake ComfyUI server")

    # --- the queue ---
    def submit(self, body: dict[str, Any]) -> tuple[int, Any]:
        prompt = body.get("prompt")
        if not isinstance(prompt, dict):
            return 400, {"error": {"type": "no_prompt", "message": "No prompt provided", "details": "", "extra_info": {}},
                         "node_errors": {}}
        if self.node_errors is not None:
            return 400, {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                                   "details": "", "extra_info": {}}, "node_errors": self.node_errors}
        for node_id, node in prompt.items():
            if node.get("class_type") == "LoadImage" and not (self.input_dir / node["inputs"]["image"]).is_file():
                return 400, {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                                       "details": "", "extra_info": {}},
                             "node_errors": {node_id: {"errors": [{"type": "custom_validation_failed",
                                                                   "message": "Custom validation failed for node",
                                                                   "details": f"image - Invalid image file: {node['inputs']['image']}",
                                                                   "extra_info": {}}],
                                                      "dependent_outputs": [], "class_type": "LoadImage"}}}
        prompt_id = str(body.get("prompt_id", uuid.uuid4()) if self.honour_prompt_id else uuid.uuid4())
        with self._work:
            self.number += 1
            extra = {"client_id": body["client_id"]} if "client_id" in body else {}
            self.pending.append([self.number, prompt_id, prompt, extra, []])
            self._work.notify_all()
            return 200, {"prompt_id": prompt_id, "number": self.number, "node_errors": {}}

    def _executor(self) -> None:
        while not self._stop.is_set():
            with self._work:
                while not self._stop.is_set() and not (self.pending and self.start_gate.is_set()):
                    self._work.wait(0.05)
                if self._stop.is_set():
                    return
                item = self.pending.pop(0)
                self.running = item
                self.interrupt_flag.clear()
            try:
                self._execute(item)
            finally:
                with self.lock:
                    self.running = None

    def _send(self, client_id: str | None, kind: str, data: dict[str, Any]) -> None:
        sock = self.sockets.get(client_id or "")
        if sock is not None:
            sock.send_json({"type": kind, "data": data})

    def _execute(self, item: list[Any]) -> None:
        _, prompt_id, prompt, extra, _ = item
        cid = extra.get("client_id")
        messages: list[Any] = []

        def add(kind: str, data: dict[str, Any]) -> None:
            data = {**data, "timestamp": int(time.time() * 1000)}
            messages.append([kind, data])
            self._send(cid, kind, data)

        add("execution_start", {"prompt_id": prompt_id})
        add("execution_cached", {"nodes": [], "prompt_id": prompt_id})
        outputs: dict[str, Any] = {}
        failed = False
        for node_id, node in prompt.items():
            self._send(cid, "executing", {"node": node_id, "display_node": node_id, "prompt_id": prompt_id})
            if node["class_type"] in SAMPLERS:
                for step in range(1, self.steps + 1):
                    self._send(cid, "progress", {"value": step, "max": self.steps, "prompt_id": prompt_id, "node": node_id})
                    time.sleep(0.01)
                while not self.finish_gate.wait(0.02):
                    if self.interrupt_flag.is_set() or self._stop.is_set():
                        break
            if self.interrupt_flag.is_set():
                add("execution_interrupted", {"prompt_id": prompt_id, "node_id": node_id,
                                              "node_type": node["class_type"], "executed": []})
                failed = True
                break
            if node_id == self.exec_error_node:
                add("execution_error", {"prompt_id": prompt_id, "node_id": node_id, "node_type": node["class_type"],
                                        "executed": [], "exception_message": "CUDA out of memory. Tried to allocate 2.00 GiB",
                                        "exception_type": "torch.OutOfMemoryError", "traceback": ["..."],
                                        "current_inputs": {}, "current_outputs": []})
                failed = True
                break
            ui = self._make_output(node, prompt, prompt_id)
            if ui is not None:
                outputs[node_id] = ui
                self._send(cid, "executed", {"node": node_id, "display_node": node_id, "output": ui, "prompt_id": prompt_id})
        if not failed:
            add("execution_success", {"prompt_id": prompt_id})
        with self.lock:
            self.history[prompt_id] = {
                "prompt": item, "outputs": outputs, "meta": {},
                "status": {"status_str": "error" if failed else "success", "completed": not failed, "messages": messages},
            }
        self._send(cid, "executing", {"node": None, "prompt_id": prompt_id})

    # --- outputs: real media ---
    def _values(self, prompt: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {"width": 64, "height": 48, "length": 1, "fps": 8.0, "seed": 0}
        for node in prompt.values():
            inputs = node["inputs"]
            for key in ("width", "height", "length"):
                if isinstance(inputs.get(key), int):
                    found[key] = inputs[key]
            for key in ("fps", "frame_rate"):
                if isinstance(inputs.get(key), int | float):
                    found["fps"] = inputs[key]
            for key in ("seed", "noise_seed"):
                if isinstance(inputs.get(key), int):
                    found["seed"] = inputs[key]
        return found

    def _make_output(self, node: dict[str, Any], prompt: dict[str, Any], prompt_id: str) -> dict[str, Any] | None:
        cls = node["class_type"]
        v = self._values(prompt)
        colour = tuple(int(c) for c in hashlib.sha256(str(v["seed"]).encode()).digest()[:3])
        stem = f"{prompt_id[:8]}_{cls}"
        if cls == "SaveImage" and self.output_style == "frames":
            from PIL import Image

            records = []
            for i in range(max(int(v["length"]), 1)):
                name = f"{stem}_{i:05d}_.png"
                Image.new("RGB", (v["width"], v["height"]), (min(i * 20, 255), *colour[1:])).save(self.output_dir / name)
                records.append({"filename": name, "subfolder": "", "type": "output"})
            return {"images": records}
        if cls == "SaveImage":
            from PIL import Image, ImageDraw

            image = Image.new("RGB", (v["width"], v["height"]), colour)
            ImageDraw.Draw(image).rectangle([v["width"] // 3, v["height"] // 3, v["width"] // 2, v["height"] // 2],
                                            fill=(255, 255, 255))
            name = f"{stem}_00001_.png"
            (self.output_dir / "storyboard").mkdir(exist_ok=True)
            image.save(self.output_dir / "storyboard" / name)
            return {"images": [{"filename": name, "subfolder": "storyboard", "type": "output"}]}
        if cls in ("SaveVideo", "VHS_VideoCombine") and self.output_style == "webp":
            # what core SaveAnimatedWEBP writes (PIL, animated WebP): identical frames in a row
            # are merged by the encoder into one frame with a longer duration
            from PIL import Image

            frames = [Image.new("RGB", (v["width"], v["height"]), colour) for _ in range(max(int(v["length"]), 1))]
            name = f"{stem}_00001_.webp"
            frames[0].save(self.output_dir / name, save_all=True, append_images=frames[1:],
                           duration=round(1000 / float(v["fps"])), loop=0, lossless=False, quality=80)
            return {"images": [{"filename": name, "subfolder": "", "type": "output"}], "animated": [True]}
        if cls in ("SaveVideo", "VHS_VideoCombine"):
            name = f"{stem}_00001_.mp4"
            frames = max(int(v["length"]), 1)
            subprocess.run(
                [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                 f"testsrc2=size={v['width']}x{v['height']}:rate={float(v['fps']):g}", "-frames:v", str(frames),
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(self.output_dir / name)],
                check=True, capture_output=True)
            record = {"filename": name, "subfolder": "", "type": "output"}
            if cls == "VHS_VideoCombine" or self.output_style == "gifs":
                return {"gifs": [{**record, "format": "video/h264-mp4", "frame_rate": float(v["fps"])}]}
            return {"images": [record], "animated": [True]}
        if cls == "PreviewImage":
            return None
        return None


class _Socket:
    """The server side of one websocket (RFC 6455 framing, text frames out, close handling)."""

    def __init__(self, conn: socket.socket, fake: FakeComfy):
        self.conn = conn
        self.fake = fake
        self.lock = threading.Lock()
        self.sent = 0
        self.closed = False

    def send_json(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data).encode()
        header = bytearray([0x81])
        if len(payload) < 126:
            header.append(len(payload))
        elif len(payload) < 1 << 16:
            header += bytes([126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([127]) + struct.pack(">Q", len(payload))
        with self.lock:
            if self.closed:
                return
            drop = self.fake.ws_drop_after
            if drop is not None and self.sent >= drop:
                self.close()
                return
            try:
                self.conn.sendall(bytes(header) + payload)
                self.sent += 1
            except OSError:
                self.closed = True

    def send_binary(self, payload: bytes) -> None:
        with self.lock, contextlib.suppress(OSError):
            self.conn.sendall(bytes([0x82, len(payload)]) + payload)

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.conn.shutdown(socket.SHUT_RDWR)

    def serve(self, rfile) -> None:  # noqa: ANN001
        """Read client frames until it closes (masked frames; opcode 8 = close)."""
        self.conn.settimeout(0.1)
        while not self.closed and not self.fake._stop.is_set():
            try:
                head = rfile.read(2)
            except TimeoutError:
                continue
            except OSError:
                break
            if len(head) < 2:
                break
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            try:
                if length == 126:
                    length = struct.unpack(">H", rfile.read(2))[0]
                elif length == 127:
                    length = struct.unpack(">Q", rfile.read(8))[0]
                mask = rfile.read(4) if head[1] & 0x80 else b""
                rfile.read(length)
            except (TimeoutError, OSError):
                break
            del mask
            if opcode == 8:
                with self.lock, contextlib.suppress(OSError):
                    self.conn.sendall(b"\x88\x00")
                break
        self.closed = True


class _Handler(BaseHTTPRequestHandler):
    fake: FakeComfy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    # --- plumbing ---
    def _answer(self, status: int, body: bytes = b"", content_type: str = "application/json",
                headers: dict[str, str] | None = None) -> None:
        answer(self, status, body, content_type, headers)

    def _json(self, status: int, data: Any) -> None:
        key = f"{self.command} {self._path()}"
        if key in self.fake.malformed:
            self._answer(status, b'{"prompt_id": "abc", "number": ')
            return
        self._answer(status, json.dumps(data).encode())

    def _path(self) -> str:
        path = urlsplit(self.path).path
        if path.startswith("/history/"):
            return "/history/{id}"
        return path

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _pre(self, parsed: Any) -> bool:
        """Log, then give any injected fault; True when the request was answered by a fault."""
        fake = self.fake
        key = f"{self.command} {self._path()}"
        with fake.lock:
            fake.log.append((self.command, self._path(), parsed))
            fake.seen_headers.append({k: v for k, v in self.headers.items()})
            faults = fake.faults.get(key)
            fault = faults.pop(0) if faults else None
        if key in fake.delay:
            time.sleep(fake.delay[key])
        if key in fake.hang:
            end = time.monotonic() + fake.hang[key]
            while time.monotonic() < end and not fake._stop.is_set():
                time.sleep(0.02)
            self.close_connection = True
            return True
        if fault is not None:
            status, headers, body = fault
            self._answer(status, body, "application/json" if body[:1] in (b"{", b"[") else "text/plain", headers)
            return True
        return False

    # --- routes ---
    def do_GET(self) -> None:  # noqa: N802
        fake = self.fake
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self._websocket(query.get("clientId") or uuid.uuid4().hex)
            return
        if self._pre(query or {"path": url.path}):
            return
        if url.path == "/system_stats":
            self._json(200, {"system": {"os": "posix", "comfyui_version": "0.3.64-fake", "python_version": "3.11"},
                             "devices": [{"name": "cuda:0 Fake GPU", "type": "cuda", "index": 0}]})
        elif url.path.startswith("/history/"):
            pid = url.path.split("/", 2)[2]
            with fake.lock:
                entry = fake.history.get(pid)
            self._json(200, {pid: entry} if entry is not None else {})
        elif url.path == "/queue":
            with fake.lock:
                running = [fake.running] if fake.running else []
                self._json(200, {"queue_running": running, "queue_pending": list(fake.pending)})
        elif url.path == "/view":
            self._view(query)
        else:
            self._answer(404, b"404: Not Found", "text/plain")

    def _view(self, query: dict[str, str]) -> None:
        fake = self.fake
        name = query.get("filename", "")
        folder = fake.output_dir if query.get("type", "output") == "output" else fake.root / query.get("type", "")
        path = folder / query.get("subfolder", "") / Path(name).name
        if not name or not path.is_file():
            self._answer(404, b"", "text/plain")
            return
        data = path.read_bytes() + b"\0" * fake.view_padding
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Disposition", f'filename="{path.name}"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fake.truncate_view:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        fake = self.fake
        path = urlsplit(self.path).path
        raw = self._body()
        if path == "/upload/image":
            fields, files = _multipart(self.headers.get("Content-Type", ""), raw)
            if self._pre({"fields": fields, "files": sorted(files)}):
                return
            if "image" not in files:
                self._answer(400)
                return
            filename, data = files["image"]
            (fake.input_dir / filename).write_bytes(data)
            self._json(200, {"name": filename, "subfolder": "", "type": fields.get("type", "input")})
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = None
        if self._pre(body):
            return
        if path == "/prompt":
            status, answer = fake.submit(body or {})
            self._json(status, answer)
        elif path == "/queue":
            with fake.lock:
                for pid in (body or {}).get("delete", []):
                    fake.pending[:] = [i for i in fake.pending if i[1] != pid]
            self._answer(200, b"", "text/plain")
        elif path == "/interrupt":
            pid = (body or {}).get("prompt_id")
            with fake.lock:
                if fake.running is not None and (pid is None or fake.running[1] == pid):
                    fake.interrupt_flag.set()
            self._answer(200, b"", "text/plain")
        else:
            self._answer(404, b"404: Not Found", "text/plain")

    def _websocket(self, client_id: str) -> None:
        fake = self.fake
        with fake.lock:
            fake.log.append(("GET", "/ws", {"clientId": client_id}))
            fake.seen_headers.append({k: v for k, v in self.headers.items()})
        if not fake.websocket:
            self._answer(404, b"404: Not Found", "text/plain")
            return
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        sock = _Socket(self.connection, fake)
        with fake.lock:
            fake.sockets[client_id] = sock
            remaining = len(fake.pending) + (1 if fake.running else 0)
        sock.send_json({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": remaining}}, "sid": client_id}})
        sock.send_binary(b"\x00\x00\x00\x01preview")  # a preview frame: clients must ignore binary
        try:
            sock.serve(self.rfile)
        finally:
            with fake.lock:
                if fake.sockets.get(client_id) is sock:
                    del fake.sockets[client_id]
            self.close_connection = True


def _multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename:
            files[name] = (filename, payload)
        else:
            fields[name] = payload.decode()
    return fields, files
