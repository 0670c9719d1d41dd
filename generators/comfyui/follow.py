"""Following one prompt on a ComfyUI server until it is done: the websocket first, polling after.

``/ws?clientId=ID`` sends JSON messages ``{"type", "data"}`` to the client whose id the prompt was
submitted with (``execution_start``, ``execution_cached``, ``executing``, ``progress``,
``executed``, ``execution_success``, ``execution_error``, ``execution_interrupted``; ``executing``
with ``node`` null means the prompt finished) and binary preview frames, which are ignored. The
socket is opened before the prompt is submitted so no message is missed. When it cannot be
opened or drops, ``GET /history/{prompt_id}`` (and ``GET /queue`` for the position) is polled
instead; the history is the authority on the result either way.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from storyboard_app.generation.protocol import (
    CancelToken,
    GenerationCancelled,
    GenerationError,
    ProgressCallback,
    RemoteJobUnfinished,
)

from .client import CANCEL_CALL_TIMEOUT, ComfyClient, ComfyError

#: seconds between history checks while the websocket is healthy (a missed "done" costs at most this)
SAFETY_POLL = 10.0
#: the job is "lost" after this many polls in a row find it neither queued nor in the history
LOST_AFTER = 3


def websocket_url(base_url: str, client_id: str) -> str:
    scheme, _, rest = base_url.partition("://")
    ws_scheme = "wss" if scheme.lower() == "https" else "ws"
    return f"{ws_scheme}://{rest.rstrip('/')}/ws?clientId={quote(client_id)}"


def open_websocket(base_url: str, client_id: str, headers: dict[str, str], timeout: float) -> Any | None:
    """A connected websocket, or None when the server (or a proxy) does not offer one."""
    try:
        import websocket  # websocket-client
    except ImportError:  # pragma: no cover - a declared dependency; polling still works without it
        return None
    try:
        ws = websocket.create_connection(
            websocket_url(base_url, client_id), timeout=timeout,
            header=[f"{k}: {v}" for k, v in headers.items()], enable_multithread=False,
        )
    except (websocket.WebSocketException, OSError, ValueError):
        return None
    ws.settimeout(0.25)
    return ws


class JobFollower:
    """Follows ``prompt_id`` to its history entry, reporting progress and honouring cancel."""

    def __init__(self, client: ComfyClient, prompt_id: str, client_id: str, graph: dict[str, Any],
                 progress: ProgressCallback, cancel: CancelToken, *, poll_interval: float = 1.0,
                 job_timeout: float = 3600.0, span: tuple[float, float] = (0.1, 0.85),
                 ws: Any | None = None, clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.prompt_id = prompt_id
        self.client_id = client_id
        self.graph = graph
        self.progress = progress
        self.cancel = cancel
        self.poll_interval = poll_interval
        self.job_timeout = job_timeout
        self.span = span
        self.ws = ws
        self.clock = clock
        self.state = "pending"  # pending | running | done
        self.mode = "websocket" if ws is not None else "polling"
        self._done_nodes: set[str] = set()
        self._node: str | None = None
        self._node_fraction = 0.0
        self._finished = False
        self._lost = 0
        self._after_done = 0

    # --- the loop ---
    def follow(self) -> dict[str, Any]:
        """The prompt's history entry once it finished successfully; raises on failure/cancel."""
        started = self.clock()
        last_poll = -1e9
        if self.ws is None:
            self._report("no websocket: polling ComfyUI for the result")
        try:
            while True:
                if self.cancel.is_cancelled():
                    raise GenerationCancelled("cancelled; the ComfyUI job was stopped")
                if self.clock() - started > self.job_timeout:
                    raise RemoteJobUnfinished(
                        f"ComfyUI job {self.prompt_id} gave no result within {self.job_timeout:.0f} s "
                        "(setting 'job_timeout'); it was left on the server and is picked up again "
                        "on the next generate")
                if self.ws is not None:
                    self._read_socket()
                else:
                    self._wait(self.poll_interval)
                interval = SAFETY_POLL if self.ws is not None else self.poll_interval
                if self._finished or self.clock() - last_poll >= interval:
                    last_poll = self.clock()
                    entry = self._poll()
                    if entry is not None:
                        return entry
        except GenerationCancelled:
            # wherever the cancel was noticed (between calls, inside a retry wait), the server
            # must hear it: a queued prompt is deleted, a running one interrupted
            self.cancel_remote()
            raise
        finally:
            self.close()

    def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # closing a dead socket
                self.ws.close(timeout=0.5)
            self.ws = None

    def _wait(self, seconds: float) -> None:
        end = self.clock() + seconds
        while self.clock() < end and not self.cancel.is_cancelled():
            time.sleep(min(0.05, max(end - self.clock(), 0)))

    # --- polling ---
    def _poll(self) -> dict[str, Any] | None:
        entry = self.client.history(self.prompt_id)
        if entry is not None:
            return check_entry(entry, self.prompt_id, self.graph, self.cancel.is_cancelled())
        if self._finished:  # the socket said done; the history entry follows in a moment
            self._after_done += 1
            if self._after_done < 20:
                return None
            self._finished = False  # still none: ask the queue, which finds a lost job
        state, ahead = self.client.queue_state(self.prompt_id)
        if state == "unknown":
            self._lost += 1
            if self._lost >= LOST_AFTER:
                raise ComfyError(f"ComfyUI at {self.client.base_url} no longer knows job {self.prompt_id} "
                                 "(server restarted or queue cleared); generate again to resubmit")
            return None
        self._lost = 0
        if state == "pending":
            self.state = "pending"
            self._report(f"queued on ComfyUI ({ahead} ahead)" if ahead else "queued on ComfyUI (next)")
        else:
            self.state = "running"
            if self.mode == "polling":
                self._report("running on ComfyUI (polling)")
        return None

    # --- the websocket ---
    def _read_socket(self) -> None:
        import websocket

        try:
            message = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return
        except (websocket.WebSocketException, OSError, ValueError):
            self.close()
            self.mode = "polling"
            self._report("websocket dropped; polling ComfyUI")
            return
        if not isinstance(message, str):  # binary: a preview image
            return
        try:
            event = json.loads(message)
        except json.JSONDecodeError:
            return
        if isinstance(event, dict):
            self.handle(event.get("type"), event.get("data") if isinstance(event.get("data"), dict) else {})

    def handle(self, kind: Any, data: dict[str, Any]) -> None:
        """One websocket message; raises for our prompt's error or interruption."""
        pid = data.get("prompt_id")
        if pid is not None and str(pid) != self.prompt_id:
            return  # another prompt's event (another client's work on the same server)
        if kind == "execution_start" and pid is not None:
            self.state = "running"
            self._report("running on ComfyUI")
        elif kind == "execution_cached" and pid is not None:
            self._done_nodes.update(str(n) for n in data.get("nodes") or [])
            self._report("running on ComfyUI")
        elif kind == "executing" and (pid is not None or self.state == "running"):
            node = data.get("node")
            if self._node is not None:
                self._done_nodes.add(self._node)
            if node is None:
                self._finished = True
                self.state = "done"
                return
            self.state = "running"
            self._node, self._node_fraction = str(node), 0.0
            self._report(f"{self._label(self._node)}")
        elif kind == "progress" and (pid is not None or self.state == "running"):
            value, top = data.get("value"), data.get("max")
            if isinstance(value, int | float) and isinstance(top, int | float) and top > 0:
                node = str(data.get("node") or self._node or "")
                self._node_fraction = min(max(value / top, 0.0), 1.0)
                self._report(f"{self._label(node)}: step {int(value)}/{int(top)}")
        elif kind == "executed" and pid is not None:
            self._done_nodes.add(str(data.get("node")))
        elif kind == "execution_success" and pid is not None:
            self._finished = True
            self.state = "done"
        elif kind in ("execution_error", "execution_interrupted") and pid is not None:
            raise _failure(kind, data, self.graph, self.cancel.is_cancelled())

    def _label(self, node: str) -> str:
        cls = (self.graph.get(node) or {}).get("class_type")
        return f"node {node} ({cls})" if cls else f"node {node}"

    def _report(self, text: str) -> None:
        total = max(len(self.graph), 1)
        done = len(self._done_nodes & set(self.graph)) + (self._node_fraction if self._node else 0.0)
        lo, hi = self.span
        self.progress(lo + (hi - lo) * min(done / total, 1.0), text)

    # --- cancel ---
    def cancel_remote(self) -> str:
        """Stop our prompt on the server: interrupt it if it runs, delete it if it is queued.
        Returns what was done ("interrupted", "deleted", "nothing"). Never raises."""
        state = self.state
        try:
            found, _ = self.client.queue_state(self.prompt_id, attempts=1, timeout=CANCEL_CALL_TIMEOUT,
                                               honour_cancel=False)
            state = {"unknown": "done"}.get(found, found)
        except (ComfyError, GenerationCancelled):
            pass
        try:
            if state == "running":
                self.client.interrupt(self.prompt_id)
                return "interrupted"
            if state == "pending":
                self.client.delete_queued(self.prompt_id)
                return "deleted"
        except (ComfyError, GenerationCancelled):
            pass
        return "nothing"


def check_entry(entry: dict[str, Any], prompt_id: str, graph: dict[str, Any], cancelled: bool) -> dict[str, Any]:
    """A history entry that finished well is returned; one that failed raises its reason."""
    status = entry.get("status")
    if isinstance(status, dict) and status.get("status_str") == "error":
        for message in status.get("messages") or []:
            if isinstance(message, list | tuple) and len(message) == 2 and \
                    message[0] in ("execution_error", "execution_interrupted") and isinstance(message[1], dict):
                raise _failure(message[0], message[1], graph, cancelled)
        raise GenerationError(f"ComfyUI job {prompt_id} failed (no reason given in its history)")
    if not isinstance(entry.get("outputs"), dict):
        raise ComfyError(f"ComfyUI history of {prompt_id} has no outputs object (malformed answer)")
    return entry


def _failure(kind: str, data: dict[str, Any], graph: dict[str, Any], cancelled: bool) -> Exception:
    node = data.get("node_id")
    cls = data.get("node_type") or (graph.get(str(node)) or {}).get("class_type") or "?"
    if kind == "execution_interrupted":
        if cancelled:
            return GenerationCancelled("cancelled; ComfyUI interrupted the job")
        return GenerationError(f"ComfyUI interrupted the job at node {node} ({cls}): someone pressed "
                               "Cancel on the server, or it restarted")
    exc_type = str(data.get("exception_type") or "error").rsplit(".", 1)[-1]
    message = " ".join(str(data.get("exception_message") or "").split())[:400]
    return GenerationError(f"ComfyUI failed in node {node} ({cls}): {exc_type}: {message}".rstrip(": "))
