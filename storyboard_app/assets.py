"""The app's bundled resources (fonts, stylesheet, style presets, example projects).

In the source tree they live in the top-level ``resources/`` folder, where the project guide puts
them; ``setup.py`` ships that folder inside the package as ``storyboard_app/resources``, so an
installed wheel or a frozen bundle finds it through ``importlib.resources`` wherever it is
installed. Code asks for resources here and never computes paths from ``__file__``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE = "storyboard_app"


@cache
def resources_root() -> Traversable:
    """The resources folder: package data when installed, the checkout's folder when not."""
    package = files(PACKAGE)
    packaged = package / "resources"
    if packaged.is_dir():  # an installed wheel or a frozen bundle
        return packaged
    # running from a source checkout (PYTHONPATH or an editable install): the package directory
    # sits beside the top-level resources/ folder
    checkout = Path(str(package)).parent / "resources"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"the {PACKAGE} resources folder is missing (looked in {packaged} and {checkout})")


def resource(*parts: str) -> Traversable:
    """A resource file or folder, e.g. ``resource("fonts", "DejaVuSans.ttf")``."""
    return resources_root().joinpath(*parts)


def resource_path(*parts: str) -> Path:
    """A resource as a real filesystem path (for Qt, ``shutil.copytree``...).

    Wheels and frozen bundles unpack to the filesystem, so this is the resource itself; a
    zip-imported package has no such path and gets a clear error instead of a silent miss.
    """
    item = resource(*parts)
    path = Path(str(item))
    if not path.exists():
        raise FileNotFoundError(f"bundled resource {'/'.join(parts)} not found at {path}")
    return path
