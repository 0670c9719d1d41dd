"""Widgets import files through the checked, atomic import service, never a plain copy."""

from __future__ import annotations

from PIL import Image


def media_files(root) -> list:  # noqa: ANN001
    media = root / "media"
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def test_a_dropped_non_image_is_refused_by_name_and_leaves_no_file(make_window, tmp_path):
    window = make_window()
    window.save_as(tmp_path / "p")
    window.act_insert.trigger()
    shot = window.session.project.all_shots()[0]
    window.session.select([shot.id])
    fake = tmp_path / "holiday.png"
    fake.write_text("not a picture")
    bundle = tmp_path / "p.sbproj"
    assert not window.import_image_take(fake)
    assert shot.takes == [] and media_files(bundle) == []
    assert "holiday.png" in window.statusBar().currentMessage()


def test_reference_images_and_recorded_lines_are_checked(make_window, tmp_path):
    window = make_window()
    window.save_as(tmp_path / "p")
    bundle = tmp_path / "p.sbproj"
    panel = window.characters
    panel.add_character()
    character = window.session.project.characters[0]
    messages: list[str] = []
    window.session.message.connect(messages.append)
    broken = tmp_path / "face.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    assert not panel.add_reference(broken)
    assert character.reference_images == [] and media_files(bundle) == []
    assert any("face.jpg" in m for m in messages)
    good = tmp_path / "face.png"
    Image.new("RGB", (32, 32), (10, 200, 10)).save(good)
    assert panel.add_reference(good)
    ref = window.session.project.characters[0].reference_images[0]
    assert ref.startswith("media/refs/") and (bundle / ref).is_file()

    window.act_insert.trigger()
    shot = window.session.project.all_shots()[0]
    window.session.select([shot.id])
    window.inspector.add_line()
    silent = tmp_path / "line.wav"
    silent.write_bytes(b"RIFF not really a wave file")
    assert not window.inspector.attach_audio(0, silent)
    assert shot.dialogue[0].audio is None and any("line.wav" in m for m in messages)
