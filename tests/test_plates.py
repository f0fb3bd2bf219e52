import numpy as np
import pytest

from helmetscan.config import PlateSettings
from helmetscan.plates.crop import text_band, upscale
from helmetscan.core.plate_formats import (BUILTIN_FORMATS, KR_DISTRICTS, KR_DISTRICTS_BY_REGION, KR_REGIONS,
                                               FormatConstraint, compile_formats, correct, plate_format)
from helmetscan.core.plate_formats import normalise
from helmetscan.core.status import PlateStatus
from helmetscan.plates.fuse import PlateRead, fuse_reads

ALL = compile_formats(["kr", "kr_region", "kr_old", "in", "vn", "generic"])


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("TN.05.AT.7024", "TN05AT7024"), ("tn 05 at-7024", "TN05AT7024"), ("12가 3456", "12가3456"),
     ("서울 강남 가 1234", "서울강남가1234"), (" 5AU 5341 ", "5AU5341"), ("!@#", "")],
)
def test_normalise(raw, normalised):
    assert normalise(raw) == normalised


@pytest.mark.parametrize(
    ("text", "fmt"),
    [  # Korean cars: 2 or 3 digits, usage syllable, 4 digits
     ("12가3456", "kr"), ("123가4567", "kr"), ("12배3456", "kr"),
     ("1가3456", None), ("1234가5678", None), ("12가345", None), ("12가34567", None), ("12쀍3456", None),
     ("12카3456", None),  # 카 is a motorcycle syllable, not a car one
     # two-row region plates: region, district of 1–3 syllables (or none, 세종), usage, 4 digits
     ("서울중자1234", "kr_region"), ("서울마포자6553", "kr_region"), ("인천서카6500", "kr_region"),
     ("인천서갸6500", None), ("부산해운대가1234", "kr_region"), ("세종아1234", "kr_region"),
     ("서울12가3456", "kr_old"), ("울산9바8364", "kr_old"), ("서울123가3456", None), ("세종12가3456", "kr_old"),
     ("서울12자1234", "kr_old"), ("서울12카3456", None), ("서울마포12가3456", None), ("서울영등포구가1234", None),  # 4-syllable district
     ("서울마푸자6553", None), ("경기동두천하1234", "kr_region"),  # districts from the list of 시·군·구 names
     ("한국마포자6553", None),  # not a region
     ("서울마포자655", None),
     # others
     ("TN05AT7024", "in"), ("29B178476", "vn"), ("29R91510", "vn"), ("5AU5341", "generic"),
     ("ABCDEF", None), ("", None)],
)
def test_plate_format(text, fmt):
    assert plate_format(text, ALL) == fmt


def test_formats_are_a_setting():
    assert plate_format("5AU5341", compile_formats(["kr"])) is None
    mine = compile_formats(["mine"], {"mine": r"[A-Z]{2}\d{4}"})
    assert plate_format("AB1234", mine) == "mine" and plate_format("AB12345", mine) is None
    with pytest.raises(ValueError, match="unknown plate format 'xx'"):
        compile_formats(["xx"])
    with pytest.raises(ValueError, match="must"):
        PlateSettings(formats=["kr", "must"])


def test_every_builtin_format_names_its_source():
    assert all(f.source for f in BUILTIN_FORMATS.values())


@pytest.mark.parametrize(
    ("read", "fixed", "fmt"),
    [("12가34S6", "12가3456", "kr"), ("I2가3456", "12가3456", "kr"),
     ("서울마포자655O", "서울마포자6550", "kr_region"), ("서울마포지6553", "서울마포지6553", None),  # 지 ↔ 자 not confusable
     ("29B178476", "29B178476", "vn"),  # already valid: left alone
     ("5AU5341", "5AU5341", "generic"),  # a real plate the catch-all accepts is never forced into 54U5341 (vn)
     ("TNO5AT7O24", "TNO5AT7O24", "generic"),
     ("QQQQQQQQQ", "QQQQQQQQQ", None)],  # would need more than two swaps to fit any format
)
def test_positional_correction(read, fixed, fmt):
    assert correct(read, ALL) == (fixed, fmt)


def test_without_the_catch_all_latin_reads_are_corrected_to_a_specific_format():
    assert correct("TNO5AT7O24", compile_formats(["kr", "in"])) == ("TN05AT7024", "in")


def test_correction_never_turns_one_valid_syllable_into_another():
    # 어/머/버 are all usage syllables: the format cannot tell them apart, so the read is kept
    assert correct("12어3456", ALL) == ("12어3456", "kr")


def reads(*pairs):
    return [PlateRead(t, c, i) for i, (t, c) in enumerate(pairs)]


def test_fusion_corrects_single_frame_errors_position_by_position():
    fused = fuse_reads(reads(("TN05AT7024", 0.9), ("TNO5AT7024", 0.7), ("TN05AT7O24", 0.6), ("TN05AT7024", 0.8)), ALL)
    assert (fused.text, fused.status, fused.format) == ("TN05AT7024", "read", "in")
    assert (fused.frames_read, fused.frames_agreeing) == (4, 2)  # all four match the generic format and vote
    strict = fuse_reads(reads(("TN05AT7024", 0.9), ("TNO5AT7024", 0.7), ("TN05AT7O24", 0.6)),
                        compile_formats(["in"]))
    assert (strict.text, strict.frames_read) == ("TN05AT7024", 1)  # only format-valid reads vote


def test_fusion_per_position_beats_every_single_read():
    # no single read is right, the vote per position is
    fused = fuse_reads(reads(("TN05AT7029", 0.5), ("TN05AT1024", 0.5), ("TN06AT7024", 0.5)), ALL)
    assert fused.text == "TN05AT7024"
    assert fused.frames_agreeing == 0


def test_unreadable_plate_is_recorded_as_unread():
    fused = fuse_reads(reads(("", 0.9), ("TM", 0.03), ("TN", 0.05)), ALL, min_confidence=0.1)
    assert (fused.text, fused.status, fused.frames_read) == ("", "unread", 0)
    assert fused.best_guess == "TN"  # no read votes, the most confident one is kept for a reviewer


def test_a_read_with_zero_confidence_does_not_vote():  # Tesseract returns confidence 0 for some words
    fused = fuse_reads(reads(("29B178476", 0.0)), ALL)
    assert (fused.status, fused.frames_read) == ("unread", 0)


def test_text_without_a_format_is_kept_but_flagged():
    fused = fuse_reads(reads(("ABCDEF", 0.9), ("ABCDEF", 0.8)), ALL)
    assert (fused.text, fused.status, fused.format, fused.frames_agreeing) == ("ABCDEF", "unvalidated", None, 2)


def test_korean_two_row_plate_fuses():
    fused = fuse_reads(reads(("서울강남가1234", 0.8), ("서울강님가1234", 0.3), ("서울강남가1234", 0.6)), ALL)
    assert (fused.text, fused.format) == ("서울강남가1234", "kr_region")


def test_fusion_weighs_each_character_by_its_own_confidence():
    # two reads disagree on the usage syllable; the one sure of that character wins although it is less sure overall
    a = PlateRead("12어3456", 0.40, 0, (0.99, 0.99, 0.40, 0.99, 0.99, 0.99, 0.99))
    b = PlateRead("12머3456", 0.45, 1, (0.45, 0.99, 0.95, 0.99, 0.99, 0.99, 0.99))
    fused = fuse_reads([a, b], ALL)
    assert fused.text == "12머3456"
    assert fused.char_confidences[2] == pytest.approx(0.95 / 2)  # support of 머 over the two reads
    assert fused.confidence == pytest.approx(min(min(fused.char_confidences), (0.40 + 0.45) / 2))  # capped by the reads


def test_below_the_confidence_floor_a_plate_is_unread_but_keeps_its_best_guess():
    weak = [PlateRead("29B178476", 0.3, 0), PlateRead("29B178478", 0.3, 1)]
    fused = fuse_reads(weak, ALL, min_plate_confidence=0.5)
    assert (fused.text, fused.status, fused.format) == ("", "unread", None)
    assert fused.best_guess[:8] == "29B17847" and fused.confidence < 0.5
    sure = fuse_reads([PlateRead("29B178476", 0.9, 0), PlateRead("29B178476", 0.8, 1)], ALL, min_plate_confidence=0.5)
    assert (sure.text, sure.status, sure.frames_agreeing) == ("29B178476", "read", 2)


def test_the_track_floor_applies_from_two_voting_reads_and_a_single_read_keeps_the_plate_floor():
    two = [PlateRead("29B178476", 0.55, 0), PlateRead("29B178476", 0.52, 1)]
    fused = fuse_reads(two, ALL, min_plate_confidence=0.6, min_track_confidence=0.5)
    assert (fused.text, fused.status, fused.frames_read) == ("29B178476", "read", 2) and 0.5 <= fused.confidence < 0.6
    assert fuse_reads(two, ALL, min_plate_confidence=0.6).status == "unread"  # no track floor: the plate floor
    one = fuse_reads(two[:1], ALL, min_plate_confidence=0.6, min_track_confidence=0.5)
    assert (one.status, one.frames_read, one.best_guess) == ("unread", 1, "29B178476")
    # a read below min_confidence does not vote, so it does not make a one-read plate a track
    lone = fuse_reads([two[0], PlateRead("29B178476", 0.1, 2)], ALL, 0.2, 0.6, min_track_confidence=0.5)
    assert (lone.status, lone.frames_read) == ("unread", 1)
    with pytest.raises(TypeError):  # the track floor is named, never taken by position
        fuse_reads(two, ALL, 0.2, 0.6, 0.5)


def test_the_track_floor_follows_a_plate_floor_the_user_set():
    assert PlateSettings().track_floor() == 0.5 and PlateSettings().plate_floor() == 0.6
    assert PlateSettings(min_plate_conf=0.8).track_floor() == 0.8
    assert PlateSettings(min_plate_conf=0.8, min_track_conf=0.7).track_floor() == 0.7
    assert PlateSettings(recognizer="easyocr").track_floor() == PlateSettings(recognizer="easyocr").plate_floor()


def test_easyocr_and_tesseract_plates_are_reported_only_above_their_measured_floors():
    # session 16: at 0.5 their reported tuning reads were 22 % and 16 % right; EasyOCR is 99 % right from 0.9997 only
    sure_twice = [PlateRead("29B178476", 0.99, 0), PlateRead("29B178476", 0.98, 1)]
    for recognizer, expected in (("easyocr", "unread"), ("tesseract", "read")):
        settings = PlateSettings(recognizer=recognizer)
        fused = fuse_reads(sure_twice, ALL, min_plate_confidence=settings.plate_floor(),
                           min_track_confidence=settings.track_floor())
        assert fused.status == expected and fused.best_guess == "29B178476", recognizer
    settings = PlateSettings(recognizer="tesseract")
    fused = fuse_reads([PlateRead("29B178476", 0.9, 0)], ALL, min_plate_confidence=settings.plate_floor())
    assert fused.status == "unread"  # a read the old 0.5 floor reported
    settings = PlateSettings(recognizer="easyocr", min_plate_conf=0.5)  # the user's floor still governs
    assert fuse_reads(sure_twice, ALL, min_plate_confidence=settings.plate_floor(),
                      min_track_confidence=settings.track_floor()).status == "read"


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


def test_district_names_are_one_to_three_syllables_and_unique():
    assert len(KR_DISTRICTS) == len(set(KR_DISTRICTS)) > 200
    assert {len(d) for d in KR_DISTRICTS} == {1, 2, 3}
    assert {"마포", "해운대", "중", "서귀포", "군위"} <= set(KR_DISTRICTS)
    assert set(KR_DISTRICTS_BY_REGION) == set(KR_REGIONS) and not KR_DISTRICTS_BY_REGION["세종"]
    assert sum(map(len, KR_DISTRICTS_BY_REGION.values())) == 228  # 226 시·군·구 of 2023 + 제주시, 서귀포시


def test_a_two_row_plate_names_a_district_of_its_own_region():
    region = BUILTIN_FORMATS["kr_region"]
    for plate in ["서울마포자6553", "인천서카6500", "부산해운대가1234", "대구군위가1234", "경기광주가1234", "세종가1234",
                  "제주서귀포하1234"]:
        assert region.matches(plate), plate
    for plate in ["인천마포자6553", "경북군위가1234", "세종마포가1234", "광주광주가1234", "서울마포자655",
                  "서울12가3456"]:  # the older region car layout is kr_old since session 13
        assert not region.matches(plate), plate  # 마포 is in 서울; 군위 moved to 대구 in 2023; 세종 has no districts
    constraint = FormatConstraint(compile_formats(["kr_region"]))
    assert constraint.viable("부산해") and not constraint.viable("서울해")  # 해운대 only under 부산


def test_a_plate_fused_into_an_unreported_format_stays_unread_with_its_text_as_best_guess():
    formats = compile_formats(["kr", "kr_region", "kr_old"])
    reads = [PlateRead("충남8마6245", 0.62, 0), PlateRead("충남8마6245", 0.56, 1)]  # session 13: 0.6231, 0.561
    reported = fuse_reads(reads, formats, 0.2, 0.65, min_track_confidence=0.5)
    assert (reported.status, reported.format) == (PlateStatus.READ, "kr_old")  # a dropped digit reads as a valid plate
    held = fuse_reads(reads, formats, 0.2, 0.65, min_track_confidence=0.5, unreported_formats=("kr_old",))
    assert (held.text, held.status, held.format, held.best_guess) == ("", PlateStatus.UNREAD, None, "충남8마6245")
    assert held.confidence == reported.confidence and held.frames_read == 2
    assert held.withheld and not reported.withheld  # why it is unread: its format, not its confidence
    low = fuse_reads(reads, formats, 0.2, 0.95, unreported_formats=("kr_old",))  # under the floor and withheld
    assert low.status is PlateStatus.UNREAD and low.withheld
    other = fuse_reads([PlateRead("서울마포자6553", 0.9, 0)], formats, 0.2, 0.65, unreported_formats=("kr_old",))
    assert other.status is PlateStatus.READ and other.text == "서울마포자6553" and not other.withheld


def test_our_reader_never_reports_the_older_region_layout_unless_told():
    assert PlateSettings().unreported() == ("kr_old",)
    assert PlateSettings(recognizer="easyocr").unreported() == ()
    assert PlateSettings(unreported_formats=[]).unreported() == ()
    assert "kr_old" in PlateSettings().formats
    assert PlateSettings(formats=["kr", "kr_region", "in"]).formats == ["kr", "kr_region", "kr_old", "in"]  # pre-13 list
    assert PlateSettings(formats=["kr", "in"]).formats == ["kr", "in"]
    with pytest.raises(ValueError, match="unknown plate format 'kr_olde'"):
        PlateSettings(unreported_formats=["kr_olde"])


def test_format_constraint_knows_prefixes_of_plates_and_whole_plates():
    constraint = FormatConstraint(compile_formats(["kr", "kr_region"]))
    for prefix in ["", "1", "12", "12가", "서", "서울", "서울마", "서울마포자65", "세종아"]:
        assert constraint.viable(prefix), prefix
    for prefix in ["A", "12가3456X", "서울마푸", "12카", "한국"]:
        assert not constraint.viable(prefix), prefix
    assert constraint.complete("서울마포자6553") and constraint.complete("123가4567")
    assert not constraint.complete("서울마포자655") and not constraint.complete("TN05AT7024")
    default = FormatConstraint(ALL)  # with the catch-all: Latin prefixes that can still get a digit, nothing else
    assert default.viable("AB") and default.viable("ABCDEFGHI") and default.viable("서울마")
    for prefix in ["가가", "ABCDEFGHIJ", "12345678901", "한국"]:
        assert not default.viable(prefix), prefix
    custom = FormatConstraint(compile_formats(["my"], {"my": r"[A-Z]{2}\d{4}"}))
    assert custom.viable("AB1") and not custom.viable("A1") and custom.complete("AB1234")
