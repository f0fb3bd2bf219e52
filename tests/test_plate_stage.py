"""Which frames of a track the plate is read from: ranked by plate quality, never a plate cut by the frame border."""

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.core.detections import Detection, TextRead
from helmetscan.plates.region import PlateCandidate, PlateCandidates, plate_quality, touches_edge
from helmetscan.plates.stage import PlateStage


def test_touches_edge():
    assert touches_edge((0, 50, 40, 60), (1280, 720))
    assert touches_edge((1200, 700, 1280, 719), (1280, 720))
    assert not touches_edge((100, 100, 180, 140), (1280, 720))


def test_quality_grows_with_width_sharpness_and_confidence_and_saturates():
    assert plate_quality(64, 300, 0.8) < plate_quality(128, 300, 0.8) < plate_quality(256, 300, 0.8)
    assert plate_quality(256, 300, 0.8) == plate_quality(320, 300, 0.8)  # the reader sees 256 px
    assert plate_quality(128, 100, 0.8) < plate_quality(128, 300, 0.8)
    assert plate_quality(128, 300, 0.4) < plate_quality(128, 300, 0.8)


class RecordingReader:
    """Reads every crop as the same plate and records the width of each crop it was given."""

    def __init__(self):
        self.widths = []

    def __call__(self, image):
        self.widths.append(image.shape[1])
        return TextRead("29B178476", 0.9)


def candidate(frame_index, plate_w, sharp, offset_xy=(200, 200), frame_size=(1280, 720)):
    """A 200 × 300 region whose detector box is a ``plate_w`` px wide textured (sharp) or flat (blurred) patch."""
    import cv2

    rng = np.random.default_rng(frame_index)
    region = np.full((200, 300, 3), 120, np.uint8)
    patch = rng.integers(0, 255, (40, plate_w, 3), dtype=np.uint8)
    if not sharp:
        patch = cv2.GaussianBlur(patch, (0, 0), 4)
    region[100:140, 10:10 + plate_w] = patch
    return PlateCandidate(1000.0, frame_index, region, offset_xy, frame_size)




def box_detector(region):
    """The textured patch's box: columns that differ from the flat background on row 120."""
    cols = np.nonzero(np.any(region[120] != 120, axis=1))[0]
    return [Detection((float(cols[0]), 100.0, float(cols[-1] + 1), 140.0), 0.8, "license_plate")]


def test_the_best_plates_are_read_first_and_edge_plates_never():
    cands = PlateCandidates(limit=10)
    for c in [candidate(0, 60, False), candidate(1, 140, False), candidate(2, 150, True),
              candidate(3, 280, True, offset_xy=(-10, 200))]:  # frame 3's plate starts at the frame's left border
        cands.offer(c)
    reader = RecordingReader()
    stage = PlateStage(box_detector, reader, PlateSettings(max_reads_per_track=2, recognizer="easyocr",
                                                           min_plate_conf=0.5, tighten=False, upscale_height_px=40))
    result = stage.read(cands, evidence_frame_index=3)
    # the wide sharp plate, then the wider of the two blurred ones; then their fragment probes, 10 % wider each side
    # of the plate (upscaled to 40 px high with the 5 % taller box)
    assert reader.widths[:2] == [150, 140] and len(reader.widths) == 4 and reader.widths[2] > 150
    assert result.reads == 2 and result.plate.text == "29B178476"
    assert result.xyxy_in_evidence_frame == (0.0, 300.0, 280.0, 340.0)  # located and flagged, but not read


def test_the_crop_reader_normalises_and_corrects_the_read_and_keeps_the_raw_text():
    from helmetscan.plates.read import CropReader

    reader = CropReader(lambda image: TextRead("12가 34S6", 0.5), PlateSettings(formats=["kr"]))
    (crop_read,) = reader.read([np.zeros((40, 120, 3), np.uint8)], [7])
    # 34S6 is corrected to 3456 (a digit is expected there); the confidence is the recogniser's
    assert (crop_read.read.text, crop_read.read.confidence, crop_read.read.frame_index) == ("12가3456", 0.5, 7)
    assert crop_read.raw_text == "12가 34S6" and crop_read.read.char_confidences is None


def test_a_read_the_wider_probe_reads_more_of_never_votes():
    """Frame 1's box holds part of its plate: its crop reads ``T7024``, its probe ``AT7024``; frame 2's box holds the
    whole plate (crop and probe read the same). Only frame 2's read votes, and the evidence crop is frame 2's."""
    cands = PlateCandidates(limit=10)
    for c in [candidate(1, 120, True), candidate(2, 100, True)]:
        cands.offer(c)
    widths = {}

    def reader(image):  # upscaled to 40 px high: frame 1's crop is 120 px wide -> 120, its probe ≈ 144 x 44 px -> 129
        widths.setdefault(image.shape[1], 0)
        widths[image.shape[1]] += 1
        if image.shape[1] == 120:
            return TextRead("T7024", 0.95)
        if 125 <= image.shape[1] <= 135:
            return TextRead("AT7024", 0.9)
        return TextRead("TN05AT7024", 0.9)

    stage = PlateStage(box_detector, reader, PlateSettings(max_reads_per_track=2, recognizer="easyocr",
                                                           min_plate_conf=0.5, tighten=False, upscale_height_px=40))
    result = stage.read(cands, evidence_frame_index=1)
    assert sorted(widths) == [100, 109, 120, 129] and result.reads == 2
    assert result.plate.text == "TN05AT7024" and result.crop.shape[1] == 100  # frame 2's crop, not the fragment's
