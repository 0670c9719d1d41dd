"""A loopback HTTP server that answers the Hugging Face Hub endpoints huggingface_hub calls for a
pull (found by running the real client against it and logging every request):

* ``GET  /api/models/{repo}[/revision/{rev}]?blobs=True``: model info with the file list, sizes,
  blob ids and LFS sha256 (``HfApi.model_info(files_metadata=True)``);
* ``HEAD /{repo}/resolve/{rev}/{file}``: the file's metadata (X-Repo-Commit, ETag or
  X-Linked-Etag, Content-Length / X-Linked-Size), as ``hf_hub_download`` asks before fetching;
* ``GET  /{repo}/resolve/{rev}/{file}``: the bytes, honouring ``Range: bytes=N-`` (resume).

Faults a test can switch on: a gated repo (403 with ``X-Error-Code: GatedRepo``), a corrupted
body (right size, wrong bytes: a checksum mismatch), and a body that stalls after N bytes until
the test releases it (an interrupted download to cancel and resume).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    lfs: set[str] = field(default_factory=set)  # files stored in LFS (etag = sha256)
    gated: bool = False
    license: str = "openrail"


@dataclass
class FakeHub:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, range)
    corrupt: set[str] = field(default_factory=set)  # filenames served with flipped bytes
    stall_after: dict[str, int] = field(default_factory=dict)  # filename -> bytes sent before stalling
    release: threading.Event = field(default_factory=threading.Event)
    bytes_sent: dict[str, int] = field(default_factory=dict)
    url: str = ""
    server: ThreadingHTTPServer | None = None

    def start(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # noqa: ANN002 - keep test output clean
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                hub._serve(self, head=True)

            def do_GET(self) -> None:  # noqa: N802
                hub._serve(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # ------------------------------------------------------------------ endpoints
    def _serve(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        path = unquote(urlparse(h.path).path)
        self.requests.append((h.command, path, h.headers.get("Range", "")))
        api = re.fullmatch(r"/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?", path)
        if api:
            return self._info(h, api["repo"])
        resolve = re.fullmatch(r"/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)", path)
        if resolve:
            return self._file(h, resolve["repo"], resolve["file"], head)
        self._error(h, 404, "EntryNotFound")

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str) -> None:
        body = json.dumps({"error": code}).encode()
        h.send_response(status)
        h.send_header("X-Error-Code", code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    def _repo(self, h: BaseHTTPRequestHandler, repo_id: str) -> FakeRepo | None:
        repo = self.repos.get(repo_id)
        if repo is None:
            self._error(h, 404, "RepoNotFound")
            return None
        if repo.gated and h.headers.get("Authorization") != "Bearer hf_test_token":
            self._error(h, 403, "GatedRepo")
            return None
        return repo

    def _info(self, h: BaseHTTPRequestHandler, repo_id: str) -> None:
        repo = self._repo(h, repo_id)
        if repo is None:
            return
        siblings = []
        for name, data in repo.files.items():
            entry = {"rfilename": name, "size": len(data), "blobId": git_blob_sha1(data)}
            if name in repo.lfs:
                entry["lfs"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "pointerSize": 134}
            siblings.append(entry)
        body = json.dumps({"id": repo_id, "sha": COMMIT, "siblings": siblings, "gated": "manual" if repo.gated else False,
                           "cardData": {"license": repo.license}, "private": False}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _file(self, h: BaseHTTPRequestHandler, repo_id: str, name: str, head: bool) -> None:
        repo = self._repo(h, repo_id)
        if repo is None:
            return
        if name not in repo.files:
            return self._error(h, 404, "EntryNotFound")
        data = repo.files[name]
        etag = hashlib.sha256(data).hexdigest() if name in repo.lfs else git_blob_sha1(data)
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", h.headers.get("Range", "") or "")
        if match and not head:
            start = int(match[1])
        body = data[start:]
        if name in self.corrupt:
            body = bytes(b ^ 0xFF for b in body)
        h.send_response(206 if start else 200)
        h.send_header("X-Repo-Commit", COMMIT)
        h.send_header("ETag", f'"{etag}"')
        if name in repo.lfs:
            h.send_header("X-Linked-Etag", f'"{etag}"')
            h.send_header("X-Linked-Size", str(len(data)))
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("Content-Length", str(len(body)))
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        h.end_headers()
        if head:
            return
        stall = self.stall_after.pop(name, None)
        try:
            if stall is not None:
                h.wfile.write(body[:stall])
                h.wfile.flush()
                self.bytes_sent[name] = self.bytes_sent.get(name, 0) + stall
                self.release.wait(30)
                h.close_connection = True
                return  # the connection closes short: the client sees a truncated body
            h.wfile.write(body)
            self.bytes_sent[name] = self.bytes_sent.get(name, 0) + len(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
