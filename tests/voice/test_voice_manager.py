"""The voice catalogue and manager against a loopback hub: pull, resume, checksums, space, rm."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from voice_hub_fixtures import (
    TEST_VOICE,
    HubServer,
    build_test_voice,
    catalogue_entry,
    isolated_user_data,
    serve_catalogue,
)

from storyboard_app.media.ffmpeg import Cancelled
from storyboard_app.voice import hub as hub_module
from storyboard_app.voice.catalogue import (
    Catalogue,
    load_catalogue,
    parse_voices,
    refresh_catalogue,
)
from storyboard_app.voice.engine import VoiceError
from storyboard_app.voice.hub import DownloadError
from storyboard_app.voice.manager import (
    installed_voices,
    partial_pulls,
    pull_voice,
    remove_voice,
    voice_dir,
)
from storyboard_app.voice.piper_engine import PiperEngine


@pytest.fixture
def user_data(tmp_path: Path, monkeypatch) -> Path:
    return isolated_user_data(tmp_path, monkeypatch)


@pytest.fixture
def hub(monkeypatch):
    server = HubServer().start()
    monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield server
    server.stop()


def fake_voice(hub: HubServer, work: Path, key: str = "en_GB-fake-low", size: int = 3_000_000,
               md5: str | None = None) -> Catalogue:
    """A small made-up voice (random bytes; the downloader does not care) on the hub."""
    work.mkdir(parents=True, exist_ok=True)
    model, config = work / f"{key}.onnx", work / f"{key}.onnx.json"
    model.write_bytes(os.urandom(size))
    config.write_text(json.dumps({"audio": {"sample_rate": 16000}}), encoding="utf-8")
    entry = catalogue_entry(key, model, config)
    if md5 is not None:
        next(v for p, v in entry["files"].items() if p.endswith(".onnx"))["md5_digest"] = md5
    serve_catalogue(hub, work, {key: (entry, model, config)})
    return Catalogue(parse_voices({key: entry}, {}, "test"), "test")


# --------------------------------------------------------------------------- the catalogue


def test_the_shipped_catalogue_is_the_hubs_with_our_annotations():
    catalogue = load_catalogue(Path("/nonexistent"))
    assert len(catalogue.voices) > 100 and "en" in {v.language[:2] for v in catalogue.voices.values()}
    joe = catalogue.find("en_US-joe-medium")
    model = PiperEngine(voice_dirs=[]).model_path("en_US-joe-medium")
    # the snapshot's size and MD5 are the hub's: the bundled copy of joe matches them exactly
    assert joe.model_file.size == model.stat().st_size
    assert joe.model_file.md5 == hashlib.md5(model.read_bytes(), usedforsecurity=False).hexdigest()
    assert (joe.gender, joe.licence) == ("male", "CC0-1.0")
    assert catalogue.find("amy").key == "en_US-amy-medium"  # a name picks the medium quality
    semaine = catalogue.find("en_GB-semaine-medium")
    assert semaine.speakers == ("prudence", "spike", "obadiah", "poppy")  # speaker-id order
    assert semaine.speaker_label("poppy") == "poppy (female)"
    females = {v.key for v in catalogue.select(language="en-us", gender="female")}
    assert "en_US-amy-medium" in females and "en_US-joe-medium" not in females
    assert all(v.language.startswith("en_US") for v in catalogue.select(language="en_US"))


def test_an_unknown_or_ambiguous_name_is_a_clear_error():
    catalogue = load_catalogue(Path("/nonexistent"))
    with pytest.raises(VoiceError, match=r"no voice 'zzz' in the Piper catalogue"):
        catalogue.find("zzz")
    with pytest.raises(VoiceError, match=r"'mls' names several voices: .*de_DE-mls-medium"):
        catalogue.find("mls")  # three languages, each with a medium "mls" voice
    with pytest.raises(VoiceError, match=r"malformed"):
        parse_voices({"x": {"name": "x"}}, {}, "voices.json")


def test_refresh_downloads_the_hubs_catalogue_and_a_broken_one_is_refused(user_data, hub, tmp_path):
    model, config = build_test_voice(tmp_path / "built")
    serve_catalogue(hub, tmp_path / "srv", {TEST_VOICE: (catalogue_entry(TEST_VOICE, model, config), model, config)})
    catalogue = refresh_catalogue()
    assert TEST_VOICE in catalogue.voices and "hub copy" in catalogue.source
    assert load_catalogue().voices.keys() == {TEST_VOICE}  # the refreshed copy is preferred
    (tmp_path / "srv" / "voices.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(VoiceError, match="not valid JSON"):
        refresh_catalogue()
    assert TEST_VOICE in load_catalogue().voices  # the good copy was kept


# --------------------------------------------------------------------------- pulling


def test_pull_downloads_checks_and_installs_with_progress(user_data, hub, tmp_path):
    catalogue = fake_voice(hub, tmp_path / "srv")
    seen: list[tuple[int, int]] = []
    result = pull_voice("en_GB-fake-low", catalogue=catalogue, progress=lambda d, t, m: seen.append((d, t)))
    assert result.downloaded and result.model == voice_dir() / "en_GB-fake-low.onnx"
    assert result.model.read_bytes() == (tmp_path / "srv" / "en_GB-fake-low.onnx").read_bytes()
    total = result.voice.download_size
    assert seen[-1] == (total, total) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert not list(voice_dir().glob("*.part"))
    again = pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert not again.downloaded  # already there and intact: nothing fetched again
    assert [r for r in hub.ranges if r[0].endswith(".onnx")][-1] == ("en/en_GB/fake/low/en_GB-fake-low.onnx", "")


def test_an_interrupted_download_resumes_where_it_stopped(user_data, hub, tmp_path):
    catalogue = fake_voice(hub, tmp_path / "srv")
    onnx = "en/en_GB/fake/low/en_GB-fake-low.onnx"
    hub.cut_after[onnx] = 1_000_000
    with pytest.raises(DownloadError, match="stopped at 1000000 of 3000000 bytes.*again to resume"):
        pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert partial_pulls() == {"en_GB-fake-low": 1_000_000}
    assert "en_GB-fake-low" not in installed_voices()  # a half voice is not offered
    pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert (onnx, "bytes=1000000-") in hub.ranges  # only the rest was asked for
    installed = voice_dir() / "en_GB-fake-low.onnx"
    assert installed.read_bytes() == (tmp_path / "srv" / "en_GB-fake-low.onnx").read_bytes()


def test_cancel_keeps_the_part_and_the_next_pull_resumes(user_data, hub, tmp_path):
    catalogue = fake_voice(hub, tmp_path / "srv", size=4_000_000)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled, match="kept to resume"):
        pull_voice("en_GB-fake-low", catalogue=catalogue, cancelled=cancelled)
    kept = partial_pulls()["en_GB-fake-low"]
    assert 0 < kept < 4_000_000
    pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert ("en/en_GB/fake/low/en_GB-fake-low.onnx", f"bytes={kept}-") in hub.ranges
    assert hashlib.md5((voice_dir() / "en_GB-fake-low.onnx").read_bytes(), usedforsecurity=False).hexdigest() \
        == catalogue.voices["en_GB-fake-low"].model_file.md5


def test_a_checksum_mismatch_is_an_error_and_leaves_nothing(user_data, hub, tmp_path):
    catalogue = fake_voice(hub, tmp_path / "srv", md5="0" * 32)
    with pytest.raises(DownloadError, match=r"MD5 mismatch \(expected 0{32}, got [0-9a-f]{32}\)"):
        pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert not (voice_dir() / "en_GB-fake-low.onnx").exists()
    assert partial_pulls() == {}


def test_no_download_starts_without_the_disk_space(user_data, hub, tmp_path, monkeypatch):
    catalogue = fake_voice(hub, tmp_path / "srv")

    class Usage:
        free = 10_000_000

    monkeypatch.setattr(hub_module.shutil, "disk_usage", lambda _p: Usage)
    with pytest.raises(DownloadError, match=r"not enough disk space.*needs 3\.0 MB.*10\.0 MB free"):
        pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert hub.ranges == []


def test_a_missing_file_on_the_hub_names_the_url(user_data, hub, tmp_path):
    catalogue = fake_voice(hub, tmp_path / "srv")
    hub.files.pop("en/en_GB/fake/low/en_GB-fake-low.onnx")
    with pytest.raises(DownloadError, match=r"en_GB-fake-low\.onnx: not found on the hub \(HTTP 404\)"):
        pull_voice("en_GB-fake-low", catalogue=catalogue)


def test_rm_removes_a_pulled_voice_but_not_the_bundled_one(user_data, hub, tmp_path):
    catalogue = fake_voice(hub, tmp_path / "srv")
    pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert "en_GB-fake-low" in installed_voices()
    removed = remove_voice("en_GB-fake-low")
    assert {p.name for p in removed} == {"en_GB-fake-low.onnx", "en_GB-fake-low.onnx.json"}
    assert "en_GB-fake-low" not in installed_voices()
    with pytest.raises(VoiceError, match="bundled with the app"):
        remove_voice("en_US-joe-medium")
    with pytest.raises(VoiceError, match="not installed"):
        remove_voice("en_GB-fake-low")


def test_pulling_the_bundled_voice_downloads_nothing(user_data, hub):
    result = pull_voice("en_US-joe-medium")
    assert not result.downloaded and result.model.name == "en_US-joe-medium.onnx"
    assert hub.ranges == []


def test_a_server_that_ignores_range_gets_a_clean_restart(user_data, hub, tmp_path):
    catalogue = fake_voice(hub, tmp_path / "srv")
    hub.cut_after["en/en_GB/fake/low/en_GB-fake-low.onnx"] = 700_000
    with pytest.raises(DownloadError):
        pull_voice("en_GB-fake-low", catalogue=catalogue)
    hub.ignore_range = True  # the whole file comes back: the part must not be appended to
    pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert (voice_dir() / "en_GB-fake-low.onnx").read_bytes() == (tmp_path / "srv" / "en_GB-fake-low.onnx").read_bytes()


def test_hf_token_is_sent_when_set(user_data, hub, tmp_path, monkeypatch):
    catalogue = fake_voice(hub, tmp_path / "srv", size=1000)
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert hub.auth and set(hub.auth) == {"Bearer hf_test"}


def test_a_second_pull_of_the_same_voice_at_once_is_refused(user_data, hub, tmp_path):
    import fcntl

    catalogue = fake_voice(hub, tmp_path / "srv", size=1000)
    folder = voice_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".en_GB-fake-low.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a pull in another process holds it
        with pytest.raises(DownloadError, match="another pull of 'en_GB-fake-low' is running"):
            pull_voice("en_GB-fake-low", catalogue=catalogue)
    assert pull_voice("en_GB-fake-low", catalogue=catalogue).downloaded
