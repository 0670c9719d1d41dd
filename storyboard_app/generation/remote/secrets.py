"""API keys for remote services: from the environment or the OS keyring, and nowhere else.

A key is looked up when a job runs (in the worker process) and lives only in memory: it is never
written to the project, the cache, a log or an error message. Every text that leaves the remote
code (errors, progress messages) goes through ``scrub``, which replaces each key this process has
seen with ``***``, so a service that echoes the ``Authorization`` header back cannot leak it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

#: the keyring "service" name under which every key is stored (the user name is the service id)
KEYRING_SERVICE = "storyboard-app"


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    label: str
    env: str  # the environment variable that holds its key
    url: str  # where a user gets a key


SERVICES: dict[str, ServiceInfo] = {
    "fal": ServiceInfo("fal", "fal.ai", "FAL_KEY", "https://fal.ai/dashboard/keys"),
    "replicate": ServiceInfo("replicate", "Replicate", "REPLICATE_API_TOKEN",
                             "https://replicate.com/account/api-tokens"),
}

_known: set[str] = set()
_lock = threading.Lock()


class UnknownService(KeyError):
    def __str__(self) -> str:
        return f"unknown service {self.args[0]!r} (known: {', '.join(sorted(SERVICES))})"


def service_info(service: str) -> ServiceInfo:
    try:
        return SERVICES[service]
    except KeyError:
        raise UnknownService(service) from None


def remember(secret: str) -> None:
    """Make ``scrub`` replace ``secret`` from now on (keys shorter than 4 characters are not
    secrets worth the false positives)."""
    if secret and len(secret) >= 4:
        with _lock:
            _known.add(secret)


def scrub(text: str, *extra: str) -> str:
    """``text`` with every known secret (and ``extra``) replaced by ``***``."""
    with _lock:
        secrets = sorted(_known | {s for s in extra if s and len(s) >= 4}, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def _keyring():  # noqa: ANN202 - the keyring module, imported lazily (it probes backends on import)
    import keyring

    return keyring


def get_key(service: str) -> tuple[str, str] | None:
    """``(key, source)`` for ``service`` — the environment first, then the keyring — or None."""
    info = service_info(service)
    value = os.environ.get(info.env, "").strip()
    if value:
        remember(value)
        return value, f"environment ({info.env})"
    try:
        stored = _keyring().get_password(KEYRING_SERVICE, service)
    except Exception:  # noqa: BLE001 - no usable keyring backend: as if nothing were stored
        stored = None
    if stored:
        stored = stored.strip()
        remember(stored)
        return stored, "keyring"
    return None


def key_status(service: str) -> str:
    """Where the key comes from ("environment (FAL_KEY)", "keyring") or "not set"; never the key."""
    found = get_key(service)
    return found[1] if found else "not set"


class KeyringUnavailable(RuntimeError):
    """The OS keyring cannot store keys here (no backend): use the environment variable instead."""


def set_key(service: str, key: str) -> None:
    """Store ``key`` for ``service`` in the OS keyring."""
    info = service_info(service)
    key = key.strip()
    if not key:
        raise ValueError("the key is empty")
    remember(key)
    try:
        _keyring().set_password(KEYRING_SERVICE, service, key)
    except Exception as exc:  # noqa: BLE001 - one clear message, without the key
        raise KeyringUnavailable(
            f"could not store the key in the OS keyring ({scrub(str(exc))}); set {info.env} in the "
            "environment instead") from None


def clear_key(service: str) -> bool:
    """Remove ``service``'s key from the keyring; whether there was one."""
    service_info(service)
    try:
        keyring = _keyring()
        if keyring.get_password(KEYRING_SERVICE, service) is None:
            return False
        keyring.delete_password(KEYRING_SERVICE, service)
        return True
    except Exception as exc:  # noqa: BLE001
        raise KeyringUnavailable(f"could not reach the OS keyring: {scrub(str(exc))}") from None
