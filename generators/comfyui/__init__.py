"""The ComfyUI generator: shots through a workflow on a self-hosted ComfyUI server.

Importing this package imports httpx but starts nothing; the server is first contacted by
``check()`` or ``generate()``.
"""

from .adapter import ComfyUIGenerator

__all__ = ["ComfyUIGenerator"]
