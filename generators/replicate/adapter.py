"""Replicate: predictions of official models (https://replicate.com/docs/reference/http).

``POST /v1/models/{owner}/{name}/predictions`` with ``Authorization: Bearer ...`` and
``{"input": {...}}`` answers a prediction: ``id``, ``status`` and ``urls.get`` / ``urls.cancel``.
``GET urls.get`` reports ``starting``, ``processing``, ``succeeded`` (with ``output``: a URL or a
list of them), ``failed`` (with ``error``) or ``canceled``; ``POST urls.cancel`` cancels. Input
images go as data URIs under 1 MB, larger ones through ``POST /v1/files`` (multipart ``content``).
Outputs are deleted after an hour, so the adapter downloads at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storyboard_app.generation.remote.adapter import RemoteGenerator, Status
from storyboard_app.generation.remote.errors import MalformedResponse
from storyboard_app.generation.remote.http import RemoteClient
from storyboard_app.generation.remote.presets import Preset
from storyboard_app.generation.request import ShotRequest

STATES = {"starting": "queued", "processing": "running", "succeeded": "done", "failed": "failed",
          "canceled": "canceled", "aborted": "canceled"}


class ReplicateGenerator(RemoteGenerator):
    id = "replicate"
    version = "1"
    label = "Replicate (hosted video models)"
    service = "replicate"
    DEFAULT_BASE_URL = "https://api.replicate.com"
    BASE_URL_ENV = "STORYBOARD_REPLICATE_BASE_URL"
    SUPPORTS_UPLOAD = True  # POST /v1/files

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def submit(self, client: RemoteClient, preset: Preset, request: ShotRequest) -> dict[str, Any]:
        image = self.image_value(client, request)
        endpoint = preset.endpoint_for(image is not None)
        body = client.request_json("POST", f"v1/models/{endpoint}/predictions",
                                   json_body={"input": preset.build_input(request, image)},
                                   what=f"submitting to {endpoint}", submission=True)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
            raise MalformedResponse(f"submitting to {endpoint}: Replicate's answer has no prediction id")
        urls = body.get("urls") if isinstance(body.get("urls"), dict) else {}
        base = f"{client.base_url}/v1/predictions/{body['id']}"
        return {"service": self.id, "endpoint": endpoint, "job_id": body["id"],
                "get_url": urls.get("get") or base, "cancel_url": urls.get("cancel") or f"{base}/cancel"}

    def poll(self, client: RemoteClient, job: dict[str, Any]) -> Status:
        body = client.request_json("GET", job["get_url"], what="checking the prediction")
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise MalformedResponse("checking the prediction: Replicate's answer has no 'status'")
        state = STATES.get(body["status"])
        if state is None:
            raise MalformedResponse(f"checking the prediction: unknown status {body['status']!r}")
        if state == "failed":
            return Status("failed", message=str(body.get("error") or "no reason given"))
        logs = body.get("logs")
        last = logs.strip().splitlines()[-1][:120] if isinstance(logs, str) and logs.strip() else ""
        return Status(state, message=last, result=body if state == "done" else None)

    def cancel_remote(self, client: RemoteClient, job: dict[str, Any]) -> None:
        client.request_json("POST", job["cancel_url"], what="cancelling the prediction")

    def upload_image(self, client: RemoteClient, path: Path, data: bytes, mime: str) -> str:
        body = client.request_json("POST", "v1/files", files={"content": (path.name, data, mime)},
                                   what=f"uploading {path.name}")
        url = (body.get("urls") or {}).get("get") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url:
            raise MalformedResponse(f"uploading {path.name}: Replicate's answer has no urls.get")
        return url
