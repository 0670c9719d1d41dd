"""fal.ai: the queue API (https://fal.ai/docs/model-endpoints/queue).

``POST {queue}/{model_id}`` with ``Authorization: Key ...`` and the model's input as the JSON body
answers ``request_id``, ``status_url``, ``response_url`` and ``cancel_url``. ``GET status_url``
(``?logs=1``) says ``IN_QUEUE`` (with ``queue_position``), ``IN_PROGRESS`` (with ``logs``) or
``COMPLETED``; ``GET response_url`` gives the result (``{"video": {"url": ...}}``); ``PUT cancel_url``
cancels. A result of 10 KB or more is kept about 6 minutes, so the adapter downloads at once.
Images go as data URIs, which fal accepts wherever it takes an image URL.
"""

from __future__ import annotations

from typing import Any

from storyboard_app.generation.remote.adapter import RemoteGenerator, Status
from storyboard_app.generation.remote.errors import MalformedResponse
from storyboard_app.generation.remote.http import RemoteClient
from storyboard_app.generation.remote.presets import Preset
from storyboard_app.generation.request import ShotRequest


class FalGenerator(RemoteGenerator):
    id = "fal"
    version = "1"
    label = "fal.ai (hosted video models)"
    service = "fal"
    DEFAULT_BASE_URL = "https://queue.fal.run"
    BASE_URL_ENV = "STORYBOARD_FAL_BASE_URL"

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Key {key}"}

    def submit(self, client: RemoteClient, preset: Preset, request: ShotRequest) -> dict[str, Any]:
        image = self.image_value(client, request)
        endpoint = preset.endpoint_for(image is not None)
        body = client.request_json("POST", endpoint, json_body=preset.build_input(request, image),
                                   what=f"submitting to {endpoint}", submission=True)
        request_id = body.get("request_id") if isinstance(body, dict) else None
        if not isinstance(request_id, str) or not request_id:
            raise MalformedResponse(f"submitting to {endpoint}: fal's answer has no request_id")
        # status and result live under the model id without a sub-path (fal-ai/veo3.1/image-to-video
        # → fal-ai/veo3.1); fal names the URLs in its answer, the fallbacks follow its documentation
        app = "/".join(endpoint.split("/")[:2])
        base = f"{client.base_url}/{app}/requests/{request_id}"
        return {
            "service": self.id, "endpoint": endpoint, "job_id": request_id,
            "status_url": _text(body, "status_url") or f"{base}/status",
            "response_url": _text(body, "response_url") or base,
            "cancel_url": _text(body, "cancel_url") or f"{base}/cancel",
        }

    def poll(self, client: RemoteClient, job: dict[str, Any]) -> Status:
        body = client.request_json("GET", job["status_url"], params={"logs": 1}, what="checking the job")
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise MalformedResponse("checking the job: fal's status has no 'status'")
        state = body["status"].upper()
        if state == "IN_QUEUE":
            position = body.get("queue_position")
            return Status("queued", position if isinstance(position, int) else None)
        if state == "IN_PROGRESS":
            return Status("running", message=_last_log(body.get("logs")))
        if state == "COMPLETED":
            error = body.get("error")
            if error:
                return Status("failed", message=str(error))
            return Status("done")
        if state in ("FAILED", "ERROR"):
            return Status("failed", message=str(body.get("error") or _last_log(body.get("logs"))))
        if state in ("CANCELED", "CANCELLED"):
            return Status("canceled")
        raise MalformedResponse(f"checking the job: unknown fal status {state!r}")

    def fetch_result(self, client: RemoteClient, job: dict[str, Any], status: Status) -> Any:
        return client.request_json("GET", job["response_url"], what="fetching the result", expired_on_missing=True)

    def cancel_remote(self, client: RemoteClient, job: dict[str, Any]) -> None:
        client.request_json("PUT", job["cancel_url"], what="cancelling the job")


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def _last_log(logs: Any) -> str:
    if isinstance(logs, list) and logs and isinstance(logs[-1], dict):
        return str(logs[-1].get("message", ""))[:120]
    return ""
