import numpy as np
import pytest

from helmetscan.config import PlateSettings
from helmetscan.pipeline.plate_image import text_band, upscale
from helmetscan.pipeline.plate_text import PlateRead, fuse_reads, normalise, plate_format

ALL = ["kr", "kr_region", "in", "generic"]


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("TN.05.AT.7024", "TN05AT7024"), ("tn 05 at-7024", "TN05AT7024"), ("12가 3456", "12가3456"),
     ("서울 강남 가 1234", "서울강남가1234"), (" 5AU 5341 ", "5AU5341"), ("!@#", "")],
)
def test_normalise(raw, normalised):
    assert normalise(raw) == normalised


@pytest.mark.parametrize(
    ("text", "fmt"),
    [("12가3456", "kr"), ("123가4567", "kr"), ("서울강남가1234", "kr_region"), ("서울12가3456", "kr_region"),
     ("TN05AT7024", "in"), ("5AU5341", "generic"), ("ABCDEF", None), ("12가345", None), ("", None)],
)
def test_plate_format(text, fmt):
    assert plate_format(text, ALL) == fmt


def test_formats_are_a_setting():
    assert plate_format("5AU5341", ["kr"]) is None


def reads(*pairs):
    return [PlateRead(t, c, i) for i, (t, c) in enumerate(pairs)]


def test_fusion_corrects_single_frame_errors_position_by_position():
    fused = fuse_reads(reads(("TN05AT7024", 0.9), ("TNO5AT7024", 0.7), ("TN05AT7O24", 0.6), ("TN05AT7024", 0.8)), ALL)
    assert (fused.text, fused.status, fused.format) == ("TN05AT7024", "read", "in")
    assert (fused.frames_read, fused.frames_agreeing) == (4, 2)  # all four match the generic format and vote
    strict = fuse_reads(reads(("TN05AT7024", 0.9), ("TNO5AT7024", 0.7), ("TN05AT7O24", 0.6)), ["in"])
    assert (strict.text, strict.frames_read) == ("TN05AT7024", 1)  # only format-valid reads vote


def test_fusion_per_position_beats_every_single_read():
    # no single read is right, the vote per position is
    fused = fuse_reads(reads(("TN05AT7029", 0.5), ("TN05AT1024", 0.5), ("TN06AT7024", 0.5)), ALL)
    assert fused.text == "TN05AT7024"
    assert fused.frames_agreeing == 0


def test_unreadable_plate_is_recorded_as_unread():
    fused = fuse_reads(reads(("", 0.9), ("TN", 0.05)), ALL, min_confidence=0.1)
    assert (fused.text, fused.status, fused.frames_read) == ("", "unread", 0)


def test_text_without_a_format_is_kept_but_flagged():
    fused = fuse_reads(reads(("ABCDEF", 0.9), ("ABCDEF", 0.8)), ALL)
    assert (fused.text, fused.status, fused.format, fused.frames_agreeing) == ("ABCDEF", "unvalidated", None, 2)


def test_korean_two_row_plate_fuses():
    fused = fuse_reads(reads(("서울강남가1234", 0.8), ("서울강님가1234", 0.3), ("서울강남가1234", 0.6)), ALL)
    assert (fused.text, fused.format) == ("서울강남가1234", "kr_region")


def test_upscale_keeps_aspect_and_does_not_touch_input():
    crop = np.random.default_rng(0).integers(0, 255, (20, 80, 3), dtype=np.uint8)
    before = crop.copy()
    out = upscale(crop, PlateSettings(upscale_height_px=64, clahe=True, sharpen=True))
    assert out.shape == (64, 256, 3) and out.dtype == np.uint8
    assert np.array_equal(crop, before)


def test_text_band_trims_a_loose_plate_box_to_its_text():
    import cv2

    crop = np.full((120, 300, 3), 30, np.uint8)  # dark surroundings (lamp, bumper)
    crop[35:90, 15:285] = 200  # bright plate face
    cv2.putText(crop, "AB12CD", (60, 78), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (20, 20, 20), 3)
    x1, y1, x2, y2 = text_band(crop)
    assert 33 <= y1 <= 37 and 88 <= y2 <= 92
    assert 40 <= x1 <= 62 and 200 <= x2 <= 250
