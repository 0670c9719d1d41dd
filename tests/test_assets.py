"""Resources load through importlib.resources, from a checkout and from an installed wheel."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from storyboard_app.assets import resource, resource_path

REPO = Path(__file__).resolve().parents[1]
NEEDED = ["fonts/DejaVuSans.ttf", "fonts/DroidSansFallback-CJK.ttf", "fonts/Symbola-Emoji.ttf",
          "styles/dark.qss", "styles/presets/noir.json", "examples/night_market.sbproj/project.json",
          "comfyui/still_sd15.json", "comfyui/still_sd15.mapping.json",
          "voices/catalogue.json", "voices/annotations.json"]


def test_resources_are_found_through_the_package():
    for name in NEEDED:
        assert resource(*name.split("/")).is_file(), name
    assert resource_path("examples", "night_market.sbproj").is_dir()


def test_no_resource_lookup_computes_paths_from_the_source_file():
    offenders = []
    for folder in ("storyboard_app", "generators"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"__file__\)?\.resolve\(\)\.parents\[|Path\(__file__\).*\"resources\"", text):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


@pytest.mark.slow
def test_the_wheel_ships_the_resources_inside_the_package(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                             "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=600)
    if result.returncode != 0 and "No module named" in result.stderr:
        pytest.skip(f"cannot build a wheel here: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("storyboard_app-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in NEEDED:
        assert f"storyboard_app/resources/{name}" in names, name
    # and an installed copy finds them through importlib.resources, away from the checkout
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = ("import storyboard_app.assets as a, sys; r = a.resources_root(); "
            "assert str(r).startswith(sys.argv[1]), r; print(a.resource('fonts', 'DejaVuSans.ttf').is_file())")
    out = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "True", out.stderr
