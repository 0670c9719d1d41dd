from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from PIL import Image


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")
def test_screenshot_is_the_real_window(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "storyboard_app.ui.screenshots", str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    image = Image.open(tmp_path / "main-window.png").convert("RGB")
    assert image.size == (1600, 960)
    colours = image.resize((400, 240)).getcolors(maxcolors=400 * 240)
    assert colours is not None and len(colours) > 500  # a real UI with pictures, not a blank
    dark = sum(count for count, (r, g, b) in colours if max(r, g, b) < 60)
    assert dark > 0.3 * 400 * 240  # the dark theme is applied
