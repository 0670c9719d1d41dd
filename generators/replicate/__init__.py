"""Replicate's predictions API as a generator (``--generator replicate``). Plain HTTP through
httpx; the key comes from REPLICATE_API_TOKEN or the OS keyring (``storyboard-app auth set replicate``)."""

from .adapter import ReplicateGenerator

__all__ = ["ReplicateGenerator"]
