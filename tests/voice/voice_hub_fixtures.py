"""A loopback stand-in for the Hugging Face hub's file endpoint, and a locally built voice.

``HubServer`` serves ``/{repo}/resolve/{revision}/{path}`` like the hub: whole files with 200,
``Range: bytes=N-`` with 206 and ``Content-Range``, 416 past the end, 404 for unknown paths. A
test can make it drop the connection after some bytes of a file (an interrupted download) or
serve other bytes than the catalogue lists (a checksum mismatch), and it records each request's
``Range`` header. Point ``HF_ENDPOINT`` at ``server.endpoint``.

``build_test_voice`` makes a voice that is not joe: the bundled joe model under another key, with
an ``.onnx.json`` that names another dataset, a slower length scale (so it audibly differs) and
a catalogue entry that says the speaker is female. It is what the picker, the catalogue and the
end-to-end tests pull, offline.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TEST_VOICE = "en_US-testwoman-medium"
PREFIX = "/rhasspy/piper-voices/resolve/main/"


@dataclass
class HubServer:
    files: dict[str, Path] = field(default_factory=dict)  # repo path → file on disk
    cut_after: dict[str, int] = field(default_factory=dict)  # repo path → bytes sent, then drop
    ranges: list[tuple[str, str]] = field(default_factory=list)  # (path, Range header or "")
    ignore_range: bool = False  # answer every request with the whole file (200), as some mirrors do
    auth: list[str] = field(default_factory=list)  # the Authorization header of each request

    def start(self) -> HubServer:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                if not self.path.startswith(PREFIX):
                    self.send_error(404)
                    return
                from urllib.parse import unquote

                repo_path = unquote(self.path[len(PREFIX):])
                hub.ranges.append((repo_path, self.headers.get("Range", "")))
                hub.auth.append(self.headers.get("Authorization", ""))
                source = hub.files.get(repo_path)
                if source is None:
                    self.send_error(404)
                    return
                data = source.read_bytes()
                start = 0
                match = None if hub.ignore_range else re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
                if match:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                limit = hub.cut_after.pop(repo_path, None)
                if limit is not None:
                    self.wfile.write(body[:limit])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def joe_files() -> tuple[Path, Path]:
    from storyboard_app.voice.piper_engine import PiperEngine

    model = PiperEngine(voice_dirs=[]).model_path("en_US-joe-medium")
    return model, model.with_name(model.name + ".json")


def build_test_voice(folder: Path, key: str = TEST_VOICE, length_scale: float = 1.3,
                     speakers: dict[str, int] | None = None) -> tuple[Path, Path]:
    """``KEY.onnx`` (joe's weights, linked or copied) and an edited ``KEY.onnx.json`` in ``folder``."""
    model, config = joe_files()
    folder.mkdir(parents=True, exist_ok=True)
    out_model, out_config = folder / f"{key}.onnx", folder / f"{key}.onnx.json"
    try:
        out_model.symlink_to(model)
    except OSError:
        import shutil

        shutil.copy(model, out_model)
    data = json.loads(config.read_text(encoding="utf-8"))
    data["dataset"] = key.split("-")[1]
    data["inference"]["length_scale"] = length_scale
    if speakers:
        data["num_speakers"], data["speaker_id_map"] = len(speakers), speakers
    out_config.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return out_model, out_config


def catalogue_entry(key: str, model: Path, config: Path, speakers: dict[str, int] | None = None) -> dict:
    """The hub's voices.json entry for a locally built voice (real sizes and MD5s)."""
    lang, name, quality = key.split("-")
    base = f"{lang.split('_')[0]}/{lang}/{name}/{quality}/{key}"
    return {
        "key": key, "name": name, "quality": quality,
        "language": {"code": lang, "family": lang.split("_")[0], "region": lang.split("_")[1],
                     "name_native": "English", "name_english": "English", "country_english": "United States"},
        "num_speakers": len(speakers or {}) or 1, "speaker_id_map": speakers or {}, "aliases": [],
        "files": {f"{base}.onnx": {"size_bytes": model.stat().st_size, "md5_digest": md5(model)},
                  f"{base}.onnx.json": {"size_bytes": config.stat().st_size, "md5_digest": md5(config)}},
    }


def serve_catalogue(server: HubServer, work: Path, entries: dict[str, tuple[dict, Path, Path]]) -> Path:
    """Publish ``entries`` (key → (voices.json entry, model, config)) and their voices.json."""
    for entry, model, config in entries.values():
        onnx, cfg = sorted(entry["files"], key=len)
        server.files[onnx], server.files[cfg] = model, config
    work.mkdir(parents=True, exist_ok=True)
    catalogue = work / "voices.json"
    catalogue.write_text(json.dumps({k: e for k, (e, _m, _c) in entries.items()}), encoding="utf-8")
    server.files["voices.json"] = catalogue
    return catalogue


def female_annotations(key: str = TEST_VOICE) -> dict:
    return {key: {"gender": "female", "licence": "CC0-1.0"}}


def isolated_user_data(tmp_path: Path, monkeypatch) -> Path:  # noqa: ANN001
    """A private user data folder (platformdirs follows XDG_DATA_HOME) and a piper engine that
    scans it, registered for the test; returns the voices folder. Undo with ``restore_engine``."""
    from storyboard_app.voice import registry
    from storyboard_app.voice.piper_engine import PiperEngine

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(registry, "_engines", dict(registry._engines))  # put back after the test
    registry.register_engine(PiperEngine(threads=1))
    return tmp_path / "xdg" / "storyboard-app" / "voices"


def publish_test_voice(server: HubServer, work: Path, user_voices: Path, key: str = TEST_VOICE,
                       speakers: dict[str, int] | None = None) -> None:
    """Build the test voice, put it and a voices.json listing it on the hub, and note it as
    female in the user's annotations (as a studio would after listening to it)."""
    model, config = build_test_voice(work / "built", key, speakers=speakers)
    serve_catalogue(server, work / "srv", {key: (catalogue_entry(key, model, config, speakers), model, config)})
    user_voices.mkdir(parents=True, exist_ok=True)
    (user_voices / "annotations.json").write_text(json.dumps({"voices": female_annotations(key)}), encoding="utf-8")
