"""Architecture and style rules, enforced by the suite so that ``make test`` fails when broken.

* import-linter contracts (pyproject ``[tool.importlinter]``): the core packages never import
  Qt or torch, and the model is the bottom layer.
* ``ruff check`` over the code, tests and benchmarks.
* A runtime cross-check of the first rule that does not depend on import-linter's static view:
  importing every core module in a fresh interpreter must not load PySide6 or torch (a lazy
  import inside a function is fine; one at module level is not).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = ["storyboard_app.model", "storyboard_app.generation", "storyboard_app.voice",
        "storyboard_app.render", "storyboard_app.media", "storyboard_app.script"]


def tool(name: str) -> str:
    """A dev tool from the environment running the tests (the project's .venv under make)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed; install the dev extra: pip install -e '.[dev]'")
    return found


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=240)


def test_import_contracts_are_kept():
    result = run(tool("lint-imports"), "--no-cache")
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "0 broken" in report and "KEPT" in report


def test_ruff_is_clean():
    targets = [name for name in ("storyboard_app", "generators", "tests", "bench")
               if (REPO / name).exists()]
    result = run(tool("ruff"), "check", "--no-cache", *targets)
    assert result.returncode == 0, result.stdout + result.stderr


_PROBE = r"""
import importlib, pkgutil, sys
failed = []
for root in sys.argv[1:]:
    package = importlib.import_module(root)
    for info in pkgutil.walk_packages(package.__path__, root + "."):
        try:
            importlib.import_module(info.name)
        except ImportError as exc:  # an optional dependency missing is not this test's business
            failed.append(f"{info.name}: {exc}")
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "torch", "diffusers"))
print("HEAVY", " ".join(heavy))
print("FAILED", " | ".join(failed))
print("END .")
"""


def test_core_modules_load_no_qt_and_no_torch_at_import():
    result = run(sys.executable, "-c", _PROBE, *CORE)
    assert result.returncode == 0, result.stderr
    report = dict(ln.split(" ", 1) for ln in result.stdout.splitlines() if " " in ln)
    assert not report.get("FAILED", "").strip(), f"core modules fail to import: {report['FAILED']}"
    assert not report.get("HEAVY", "").strip(), f"loaded at import time: {report['HEAVY']}"
