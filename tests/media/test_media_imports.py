"""The import service: checked, atomic, uniquely named copies into the bundle's media/."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from storyboard_app.media.ffmpeg import write_wav
from storyboard_app.media.imports import MediaImportError, import_media


@pytest.fixture
def bundle(tmp_path):
    root = tmp_path / "p.sbproj"
    root.mkdir()
    return root


def files_below(root) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_an_image_is_copied_checked_and_named_inside_media(bundle, tmp_path):
    source = tmp_path / "My Frame (final).PNG"
    Image.new("RGB", (64, 36), (200, 20, 20)).save(source, format="PNG")
    relative = import_media(bundle, source, "image", "media/takes/s1", stem="take_1")
    assert relative == "media/takes/s1/take_1.png"
    assert (bundle / relative).read_bytes() == source.read_bytes()
    assert (bundle / relative).stat().st_ino != source.stat().st_ino
    again = import_media(bundle, source, "image", "media/refs")
    assert again == "media/refs/My_Frame_final.png"
    third = import_media(bundle, source, "image", "media/refs")  # never overwrites an earlier import
    assert third != again and third.startswith("media/refs/My_Frame_final-") and (bundle / again).is_file()


def test_a_text_file_named_png_is_refused_by_name_and_leaves_nothing(bundle, tmp_path):
    source = tmp_path / "notes.png"
    source.write_text("this is a shopping list, not a picture")
    with pytest.raises(MediaImportError) as info:
        import_media(bundle, source, "image", "media/takes/s1", stem="take_1")
    assert str(source) in str(info.value) and "image" in str(info.value)
    assert files_below(bundle) == []


def test_a_truncated_image_is_refused(bundle, tmp_path):
    source = tmp_path / "cut.png"
    Image.effect_noise((128, 128), 40).save(source)
    source.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(MediaImportError, match="cut.png"):
        import_media(bundle, source, "image", "media/refs")
    assert files_below(bundle) == []


def test_audio_is_probed_with_ffmpeg(bundle, tmp_path):
    wav = tmp_path / "line.wav"
    write_wav(wav, np.zeros(4800, np.float32), 48000)
    assert import_media(bundle, wav, "audio", "media/audio", stem="ln_1") == "media/audio/ln_1.wav"
    fake = tmp_path / "fake.wav"
    fake.write_bytes(b"RIFF....not really")
    with pytest.raises(MediaImportError, match="fake.wav: not an audio file"):
        import_media(bundle, fake, "audio", "media/audio", stem="ln_2")
    assert files_below(bundle) == ["media/audio/ln_1.wav"]


def test_wrong_kind_missing_file_and_escaping_folder_are_clear_errors(bundle, tmp_path):
    with pytest.raises(MediaImportError, match="clip.mov: not an image"):
        import_media(bundle, tmp_path / "clip.mov", "image", "media/refs")
    with pytest.raises(MediaImportError, match="gone.png: file not found"):
        import_media(bundle, tmp_path / "gone.png", "image", "media/refs")
    source = tmp_path / "ok.png"
    Image.new("RGB", (8, 8)).save(source)
    with pytest.raises((ValueError, MediaImportError)):
        import_media(bundle, source, "image", "media/../../outside")
    with pytest.raises(ValueError):
        import_media(bundle, source, "image", "project_files")
    assert files_below(bundle) == [] and not (tmp_path / "outside").exists()
