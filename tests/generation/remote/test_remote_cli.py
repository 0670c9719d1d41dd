"""The CLI around remote generators: cost estimate and cap, keys in the keyring, and a canary
key that must never appear in anything the app writes or prints."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid

import pytest
from test_remote_jobs_survive import ROOT, RUNNER, _cli_env, make_document

from storyboard_app.cli import main


def test_max_cost_refuses_before_submitting_anything(fal_service, tmp_path, capsys):
    doc = make_document(tmp_path / "p.sbproj")  # 2 shots, ltx-2: 6 s billed at $0.06/s each
    code = main(["generate", str(doc.paths.root), "--max-cost", "0.50"])
    err = capsys.readouterr().err
    assert code == 1 and "estimated cost: $0.72 for 2 shot(s)" in err and "over the cap of $0.50" in err
    assert fal_service.calls == []
    code = main(["generate", str(doc.paths.root), "--max-cost", "1", "--model", "hailuo-02"])
    err = capsys.readouterr().err
    assert code == 0 and "estimated cost: $0.54 for 2 shot(s) (cap $1.00)" in err  # 6 s x $0.045 x 2
    assert len(fal_service.submissions) == 2
    assert {c.path for c in fal_service.submissions} == {"/fal-ai/minimax/hailuo-02/standard/text-to-video"}


def test_unknown_model_preset_is_a_usage_error(fal_service, tmp_path, capsys):
    doc = make_document(tmp_path / "p.sbproj")
    assert main(["generate", str(doc.paths.root), "--model", "sora-2"]) == 2
    assert "no fal model preset 'sora-2'" in capsys.readouterr().err
    assert main(["generate", str(doc.paths.root), "--generator", "sketch", "--model", "veo-3.1"]) == 2


def test_auth_set_status_clear_through_the_keyring(isolated_keyring, monkeypatch, capsys):
    monkeypatch.delenv("FAL_KEY", raising=False)
    assert main(["auth", "status", "fal"]) == 0
    assert "fal.ai: not set" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-from-stdin-123456\n"))
    assert main(["auth", "set", "fal"]) == 0
    out = capsys.readouterr().out
    assert "stored" in out and "sk-from-stdin-123456" not in out
    assert isolated_keyring.store[("storyboard-app", "fal")] == "sk-from-stdin-123456"
    assert main(["auth", "status", "fal"]) == 0
    assert "fal.ai: keyring" in capsys.readouterr().out
    monkeypatch.setenv("FAL_KEY", "env-wins-abcdef")
    assert main(["auth", "status", "fal"]) == 0
    assert "environment (FAL_KEY)" in capsys.readouterr().out
    assert main(["auth", "clear", "fal"]) == 0
    assert ("storyboard-app", "fal") not in isolated_keyring.store
    assert main(["auth", "set", "fal", "sk-on-the-command-line"]) == 2  # the key is never an argument
    assert ("storyboard-app", "fal") not in isolated_keyring.store


def test_an_empty_key_is_refused(isolated_keyring, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["auth", "set", "replicate"]) == 2
    assert isolated_keyring.store == {}


@pytest.mark.slow
def test_a_canary_key_appears_in_no_file_and_no_output(fal_service, tmp_path):
    canary = f"canary-{uuid.uuid4().hex}"
    fal_service.key = canary
    doc = make_document(tmp_path / "p.sbproj")
    env = _cli_env(fal_service)
    # a failing run: the service echoes the key back in its error, as a careless proxy would
    fal_service.fault("submit", 422, times=2, body={"detail": f"invalid input; you sent 'Authorization: Key {canary}'"})
    failing = subprocess.run([sys.executable, "-c", RUNNER, "generate", str(doc.paths.root)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert failing.returncode == 1 and "invalid input" in failing.stdout
    # a run with a wrong key (401 echoes the header) and a succeeding run
    wrong = subprocess.run([sys.executable, "-c", RUNNER, "generate", str(doc.paths.root)], cwd=ROOT,
                           env={**env, "FAL_KEY": canary + "-wrong"}, capture_output=True, text=True, timeout=300)
    assert wrong.returncode == 1 and "authentication failed" in wrong.stdout
    ok = subprocess.run([sys.executable, "-c", RUNNER, "generate", str(doc.paths.root)], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    listing = subprocess.run([sys.executable, "-c", RUNNER, "generators"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert "FAL_KEY" in listing.stdout
    assert fal_service.submissions and all(c.headers["authorization"].startswith("Key canary-")
                                           for c in fal_service.submissions[-2:])
    outputs = [failing.stdout, failing.stderr, wrong.stdout, wrong.stderr, ok.stdout, ok.stderr,
               listing.stdout, listing.stderr]
    assert not [text for text in outputs if canary in text]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".mp4" for p in written) and len(written) > 3
    leaks = [str(p) for p in written if canary.encode() in p.read_bytes()]
    assert leaks == []


def test_rerun_expired_needs_the_flag_and_reaches_the_worker(fal_service, tmp_path, capsys):
    doc = make_document(tmp_path / "p.sbproj", shots=1)
    fal_service.download_mode = "result_expired"
    assert main(["generate", str(doc.paths.root)]) == 1
    out = capsys.readouterr().out
    assert "expired" in out and "--rerun-expired" in out and len(fal_service.submissions) == 1
    assert main(["generate", str(doc.paths.root), "--rerun-expired"]) == 1  # re-run once, expired again
    assert len(fal_service.submissions) == 3
