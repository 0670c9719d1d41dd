"""The failures a remote generation can end in, each a ``GenerationError`` whose message is shown
on the take as it is: it names what went wrong in the user's words and carries the service's own
explanation (already scrubbed of secrets by the client that raised it)."""

from __future__ import annotations

from ..protocol import GenerationError, GeneratorSetupError


class RemoteError(GenerationError):
    """A remote call failed. ``status`` is the HTTP status (None: no response at all)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class AuthFailed(RemoteError):
    """401/403: the key is missing, wrong or lacks access. A setup problem, not the shot's: no
    failed take is recorded, and an accepted job's take waits to be resumed once the key is right."""

    setup_error = True


class ContentPolicyRefused(RemoteError):
    """The service refused the prompt or image under its content policy."""


class InvalidInput(RemoteError):
    """400/422: the service rejected the request's fields (a duration or size the model lacks)."""


class NotFound(RemoteError):
    """404: the model or the job does not exist (a misspelt preset endpoint, a purged job)."""


class ServiceUnavailable(RemoteError):
    """5xx, 429 or no connection, still failing after every retry."""


class RemoteTimeout(ServiceUnavailable):
    """The service did not answer within the timeout, after every retry."""


class MalformedResponse(RemoteError):
    """The service answered with something that is not the JSON its protocol promises."""


class DownloadFailed(RemoteError):
    """The result could not be downloaded whole (truncated, too large, not a video, undecodable)."""


class ResultExpired(RemoteError):
    """The job finished but its result was deleted before it was downloaded (fal keeps results
    minutes, Replicate an hour). Running it again costs money, so it happens only with consent."""


class RemoteJobFailed(RemoteError):
    """The service ran the job and reports that it failed (its message says why)."""


class MissingKey(GeneratorSetupError):
    """No API key in the environment or the keyring."""


def classify(status: int, message: str, what: str) -> RemoteError:
    """The typed error for a non-retryable HTTP ``status`` (``message``: the service's words)."""
    detail = f"{what}: {message}" if message else what
    if status in (401, 403):
        return AuthFailed(f"authentication failed ({status}) — check the API key; {detail}", status)
    if looks_like_content_policy(message):
        return ContentPolicyRefused(f"refused by the service's content policy: {detail}", status)
    if status == 404:
        return NotFound(f"not found (404): {detail}", status)
    if status in (400, 409, 413, 415, 422):
        return InvalidInput(f"invalid input ({status}): {detail}", status)
    if status == 402:
        return RemoteError(f"payment required (402) — check the account's credit; {detail}", status)
    return RemoteError(f"request failed ({status}): {detail}", status)


_POLICY_WORDS = ("content policy", "content_policy", "nsfw", "safety", "flagged", "sensitive content",
                 "moderation", "prohibited")


def looks_like_content_policy(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _POLICY_WORDS)
