"""fal.ai's queue API as a generator (``--generator fal``). Plain HTTP through httpx; the key
comes from FAL_KEY or the OS keyring (``storyboard-app auth set fal``)."""

from .adapter import FalGenerator

__all__ = ["FalGenerator"]
