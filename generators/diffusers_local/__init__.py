"""The local diffusers generator (``pip install 'storyboard-app[diffusers]'``).

Importing this package does not import torch or diffusers; the adapter does, lazily.
"""

from .adapter import DiffusersGenerator

__all__ = ["DiffusersGenerator"]
