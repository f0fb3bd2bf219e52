"""Settings: one validated model, a section per pipeline stage.

Precedence: command-line option > TOML config file > the defaults below (which live only here). The resolved settings
are written to ``OUT/settings.json`` and into every evidence record, so a result can always be traced to its knobs.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from helmetscan.core.errors import ConfigError
from helmetscan.core.fielddoc import documented
from helmetscan.weights.registry import default_weights_dir


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: A documented setting (default, description, unit, constraints).
setting = documented


class SamplingSettings(_Section):
    """Which frames are analysed."""

    fps: float = setting(5.0, "Frames per second analysed, taken at the stream's timestamps.", "frames/s", gt=0, le=120)


def _names(*names: str):
    return lambda: list(names)


class DetectorRoles(_Section):
    """Which stage-1 class names mean what (matched case-insensitively).

    The default fits the default stage 1: our 4-class ``helmet4n`` (``rider``) and the COCO YOLOv8n beside it
    (``person`` + ``motorcycle``, joined by the rider rule). Another model's names are set here; no code changes.
    """

    rider: list[str] = setting(_names("rider"), "Classes that are a rider already (rider and motorcycle in one box).",
                               "class names")
    person: list[str] = setting(_names("person"), "Classes that are a person (joined to a motorcycle by the rider rule).",
                                "class names")
    motorcycle: list[str] = setting(_names("motorcycle"), "Classes that are a motorcycle.", "class names")


class VerifierRoles(_Section):
    """Which stage-2 class names are a head with and without a helmet (matched case-insensitively)."""

    head_with_helmet: list[str] = setting(_names("with helmet", "helmet"), "Classes that are a helmeted head.",
                                          "class names")
    head_without_helmet: list[str] = setting(_names("without helmet", "no_helmet", "no helmet"),
                                             "Classes that are a bare head.", "class names")


class PlateRoles(_Section):
    """Which plate-detector class names are a licence plate (matched case-insensitively)."""

    plate: list[str] = setting(_names("number plate", "license_plate", "licenseplate", "lisc"),
                               "Classes that are a licence plate.", "class names")


class _ModelSection(_Section):
    """A YOLO model run by one stage: its weight file and inference knobs (built by
    :func:`helmetscan.inference.yolo.build_detector`)."""

    model: str = setting("", "Weight file; a bare name is looked up in the weights folder.", "file")
    imgsz: int = setting(640, "Inference size; higher finds smaller objects, costs time quadratically.", "px", ge=32)
    conf: float = setting(0.25, "Minimum box confidence; lower finds more, reports more noise.", "0..1", ge=0, le=1)
    iou: float = setting(0.5, "NMS IoU threshold: boxes overlapping more than this are merged.", "0..1", gt=0, le=1)
    agnostic_nms: bool = setting(False, "Class-agnostic NMS: one box per object even when two classes fire on it.")


class DetectorSettings(_ModelSection):
    """Stage 1: the small detector run on every sampled frame. Default: our 4-class ``helmet4n`` (riders with their
    motorcycle, heads, plates), joined by the COCO detector (``[assist]``) for close-up riders; chosen on the
    per-person check (README, *Our own models*)."""

    model: str = setting("helmet4n.onnx", "Stage-1 weight file; a bare name is looked up in the weights folder. The "
                                          "default is our helmet4n.pt exported to ONNX (weights/MODEL_CARD.md): the "
                                          "same boxes, a third less time.", "file")
    imgsz: int = setting(416, "Inference size (helmet4n was trained at 416; the COCO ONNX export is fixed at 640).",
                         "px", ge=32)
    conf: float = setting(0.25, "Minimum detection confidence; lower finds more, tracks more noise.", "0..1", ge=0,
                          le=1)
    iou: float = setting(0.6, "NMS IoU threshold.", "0..1", gt=0, le=1)
    roles: DetectorRoles = Field(default_factory=DetectorRoles)


class AssistSettings(_ModelSection):
    """A second stage-1 detector run on every sampled frame beside the first; its boxes join the first's
    (:mod:`helmetscan.inference.ensemble`). Default: the COCO detector, whose person and motorcycle boxes give the
    close-up riders our 4-class model misses. Empty ``model``: none."""

    model: str = setting(
        "yolov8n-coco-416-int8.onnx", "Second stage-1 weight file; empty: none. The default is the COCO YOLOv8n "
        "export re-sized to a 416 px input and quantised to INT8 (weights/ASSIST_INT8.md): 4x less time than its "
        "640 px original (`yolov8n-coco.onnx`) at the same per-person precision.", "file")
    imgsz: int = setting(416, "Inference size (a static ONNX export runs at its own input size whatever this says).",
                         "px", ge=32)
    conf: float = setting(0.2, "Minimum detection confidence.", "0..1", ge=0, le=1)
    iou: float = setting(0.6, "NMS IoU threshold.", "0..1", gt=0, le=1)


class RiderRule(_Section):
    """When a person rides a motorcycle (person and motorcycle boxes, :func:`helmetscan.pipeline.riders.riding_score`),
    when a rider-class box counts, and when two units are one motorcycle.

    Our heuristic, set by hand from the geometry of seated riders and checked on the footage in ``../shared/footage``
    and ``bikes.mp4`` (a parked motorcycle beside pedestrians): the person's centre lies over the motorcycle, their top
    is above its top, their bottom lies between ``min_seat_depth`` below its top and ``max_feet_below`` below its
    bottom (shares of the motorcycle's height), and enough of the person box lies over it. A pillion is judged like the
    rider: no share of the *motorcycle* box is required (a pillion covers little of it).
    """

    min_motorcycle_conf: float = setting(0.35, "Motorcycle boxes below this confidence are ignored.", "0..1", ge=0, le=1)
    min_overlap_of_person: float = setting(
        0.15, "Intersection / person box area; higher rejects passers-by, may drop riders.", "0..1", ge=0, le=1
    )
    centre_margin: float = setting(
        0.1, "Share of the motorcycle width the person's centre may lie outside its box.", "0..1", ge=0, le=1
    )
    min_seat_depth: float = setting(
        0.3, "The person's bottom lies at least this share of the motorcycle height below its top.", "0..1", ge=0, le=1
    )
    confirm_rider_boxes: bool = setting(
        True, "A rider-class box counts only when a motorcycle box (e.g. the assist model's) has its centre in its "
        "lower part: our 4-class model sometimes boxes a pedestrian as a rider. Needs a stage-1 model with a "
        "motorcycle class."
    )
    confirm_lower_share: float = setting(
        0.6, "The lower part of a rider-class box where the confirming motorcycle's centre must lie.", "0..1", gt=0,
        le=1
    )
    max_nested_share: float = setting(
        0.7, "Ridden motorcycles whose box lies at least this share inside another's are one motorcycle (merged).", "0..1", gt=0,
        le=1
    )
    max_feet_below: float = setting(
        0.25, "The person's bottom lies at most this share of the motorcycle height below its bottom.", "0..2", ge=0,
        le=2
    )


class TrackingSettings(_Section):
    """ByteTrack (ultralytics' implementation) on rider boxes. Knobs as in ultralytics' ``bytetrack.yaml``."""

    track_high_thresh: float = setting(0.25, "First-association confidence threshold.", "0..1", ge=0, le=1)
    track_low_thresh: float = setting(0.1, "Second-association (low score) threshold.", "0..1", ge=0, le=1)
    new_track_thresh: float = setting(0.25, "Unmatched detections above this start a track.", "0..1", ge=0, le=1)
    lost_track_buffer_s: float = setting(
        2.0, "How long a lost track is kept; converted to sampled frames (ultralytics counts frames).", "s", gt=0
    )
    match_thresh: float = setting(0.8, "Association cost threshold (1 - IoU, fused with score).", "0..1", gt=0, le=1)
    fuse_score: bool = setting(True, "Fuse detection score into the matching cost.")


class VerificationSettings(_ModelSection):
    """Stage 2: finds the heads on each ridden motorcycle and judges each. Default: stage 1's own head boxes, judged
    by our head classifier (``weights/HELMET_CLS.md``); the borrowed YOLOv12m helmet model on the motorcycle crop stays
    selectable (``heads_from = "stage2"``, ``helmetscan/configs/coco-yolov12m.toml``)."""

    model: str = setting("yolov12m-helmet.pt", "Head (with/without helmet) detector run on motorcycle crops when "
                         "`heads_from` is `stage2`.", "file")
    imgsz: int = setting(480, "Inference size for the motorcycle crop; higher is slower.", "px", ge=32)
    conf: float = setting(0.25, "Minimum head-box confidence (of stage 1's head boxes, or of `model`'s).", "0..1", ge=0,
                          le=1)
    iou: float = setting(0.5, "NMS IoU threshold.", "0..1", gt=0, le=1)
    agnostic_nms: bool = setting(True, "Class-agnostic NMS: one head box even when both head classes fire on it.")
    crop_padding: float = setting(0.15, "Padding around the rider box, as a share of its size.", "0..1", ge=0, le=1)
    head_region_fraction: float = setting(
        0.4, "Top share of a person (or rider-class) box in which that person's head must lie.", "0..1", gt=0, le=1
    )
    min_head_inside: float = setting(0.6, "Share of the head box that must lie inside the person (or rider) box.",
                                     "0..1", ge=0, le=1)
    min_head_size_ratio: float = setting(
        0.5, "A head smaller than this share of the largest head on the motorcycle is someone behind it, not a "
        "passenger.", "0..1", ge=0, le=1
    )
    min_head_px: float = setting(
        16.0, "Heads whose longer side is below this are too small to judge: the person stays unknown, never a "
        "violation.", "px", ge=0
    )
    person_match_distance: float = setting(
        0.25, "Farthest a head may lie from a person's mean place on the motorcycle (share of its box) and still be "
        "that person.", "0..1", gt=0, le=1
    )
    heads_from: Literal["stage2", "stage1"] = setting(
        "stage1", "Where head boxes come from: `stage2` runs `model` on each motorcycle's crop; `stage1` takes the "
        "stage-1 model's own head boxes (a model with head classes, e.g. helmet4n) and runs no second detector."
    )
    classifier: str = setting(
        "helmet_cls.pt", "Head classifier that re-judges every head (our `helmet_cls.pt`, weights/HELMET_CLS.md); "
        "empty: the head boxes' own classes decide.", "file"
    )
    classifier_conf: float = setting(
        0.8, "Below this classifier probability a head is unknown (abstain), never a violation. 0.8: chosen on the "
        "classifier's val heads (bare precision 0.955 against 0.895 at 0.5, which never abstains).", "0..1", ge=0,
        le=1
    )
    max_checks_per_track: int = setting(8, "Upper bound on stage-2 runs per track.", "frames", ge=1)
    settle_margin: int = setting(
        3, "A track is settled (no more checks) once, for each of its people, one head state leads by this many "
        "frames.", "frames", ge=1
    )
    roles: VerifierRoles = Field(default_factory=VerifierRoles)


class DecisionSettings(_Section):
    """Per-person verdicts; a motorcycle track with at least one bare-headed person is one violation."""

    min_no_helmet_frames: int = setting(
        2, "Judged no-helmet frames a person needs at least to be bare-headed (and helmeted frames to be helmeted).",
        "frames", ge=1
    )
    min_no_helmet_share: float = setting(
        0.5, "No-helmet frames must be MORE than this share of the person's judged frames (heads large enough, "
        "classifier sure).", "0..1", ge=0, le=1
    )


#: Ways of fusing a track's plate reads (``plates.fusion``; ``plate_text.fuse_reads``).
FusionMethod = Literal["probability", "characters"]

#: What our reader's confidence is (``plates.reader_confidence``; ``plate_recognizer.CONFIDENCES``).
ReaderConfidence = Literal["probability", "margin"]

#: Confidence floor of a plate read once, per reader, when ``plates.min_plate_conf`` is empty; sources in its
#: description.
DEFAULT_PLATE_FLOORS = {"helmetscan": 0.6, "easyocr": 1.0, "tesseract": 0.95}

#: Confidence floor of a plate fused from two or more reads, per reader, when ``plates.min_track_conf`` and
#: ``plates.min_plate_conf`` are empty; a reader not listed keeps its plate floor. Source in its description.
DEFAULT_TRACK_FLOORS = {"helmetscan": 0.5}

#: Plate formats a reader's plates are never reported in, per reader, when ``plates.unreported_formats`` is empty.
#: Source in its description.
DEFAULT_UNREPORTED_FORMATS = {"helmetscan": ("kr_old",)}


class PlateSettings(_ModelSection):
    """Plate detection near the rider, recognition (our plate reader, EasyOCR or Tesseract), fusion over the track."""

    model: str = setting(
        "rider_plate_detector.pt",
        "Weight file of the plate detector (ours: license_plate_detector.pt fine-tuned on riders' plate regions, "
        "weights/PLATE_DETECTOR.md).", "file"
    )
    imgsz: int = setting(480, "Inference size for the rider/motorcycle region crop.", "px", ge=32)
    photo_imgsz: int = setting(
        960, "Inference size of the plate detector on a whole photo or frame (`helmetscan plate`, `evaluate-plates "
             "--find`). Tuned on the 27 hcmute train photos with one plate (640 px, plate_sets real_train_photos): "
             "480 / 640 / 960 px found and read 55.6 / 70.4 / 85.2 % of plates exactly, missed 10 / 4 / 0; 0.7 s per "
             "photo at 960 on the 2-core CPU.", "px", ge=32
    )
    conf: float = setting(0.25, "Minimum plate-box confidence.", "0..1", ge=0, le=1)
    iou: float = setting(0.5, "NMS IoU threshold.", "0..1", gt=0, le=1)
    roles: PlateRoles = Field(default_factory=PlateRoles)
    below_fraction: float = setting(
        0.35, "How far below the rider/motorcycle box to search, as a share of its height.", "0..2", ge=0, le=2
    )
    max_frames_per_track: int = setting(
        24, "Frames per violating track searched for its plate (largest rider boxes first; the bound on memory).",
        "frames", ge=1
    )
    max_reads_per_track: int = setting(
        12, "Located plates per track that are read, best plate quality first (plate_stage.plate_quality).", "reads",
        ge=1
    )
    recognizer: Literal["helmetscan", "easyocr", "tesseract"] = setting(
        "helmetscan", "Plate reader: our own (Latin and Korean, ONNX Runtime), EasyOCR (Latin) or Tesseract "
                      "(Debian tesseract-ocr-kor).")
    reader_model: str = setting("plate_reader.onnx", "Weight file of our plate reader.", "file")
    reader_views: int = setting(
        5, "Test-time views our reader reads of each crop and votes on (plate_recognizer.VIEWS: as given, tighter, "
           "looser, two shifted); 1 reads the crop once, 5× faster.", "views", ge=1, le=5
    )
    reader_beam_width: int = setting(
        8, "Our reader: texts kept by the CTC beam search over the views, held to the accepted formats "
           "(ctc_beam.prefix_beam_search; the plate confidence is then the network's probability of the text); 0: "
           "greedy decoding and a vote of the views, as before session 10 (set min_plate_conf = 0.65 with it: its "
           "confidence is another scale). On session 10's selection set (500 rendered plates) widths 4 / 8 / 16 "
           "read 44.6 / 44.2 / 45.0 % exactly, greedy 39.4 % (weights/PLATE_READER.md).",
        "texts", ge=0, le=64
    )
    tighten: bool | None = setting(
        None, "Trim the plate box to its text band before OCR (plate_image.text_band); empty: only for EasyOCR and "
              "Tesseract (our reader is trained on loose boxes).")
    upscale_height_px: int = setting(
        64, "Plate crops are resized to this height before OCR (EasyOCR recognises at 64 px).", "px", ge=16
    )
    interpolation: Literal["nearest", "linear", "cubic", "area", "lanczos"] = setting(
        "cubic", "OpenCV interpolation used to upscale the plate crop."
    )
    clahe: bool = setting(True, "Apply CLAHE contrast equalisation to the upscaled crop.")
    sharpen: bool = setting(False, "Apply an unsharp mask to the upscaled crop.")
    ocr_languages: list[str] = setting(_names("en"), "EasyOCR language codes.", "codes")
    allowlist: str = setting("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "Characters EasyOCR may output.", "characters")
    min_ocr_conf: float = setting(0.2, "Reads below this confidence do not vote.", "0..1", ge=0, le=1)
    reader_confidence: ReaderConfidence = setting(
        "probability", "Our reader with a beam: a read's confidence is the network's probability of the text "
                       "('probability') or that minus the next most probable text's ('margin'; "
                       "plate_recognizer.beam_read; a tie gives 0, and min_ocr_conf then keeps the read from "
                       "voting). The floors are on its scale: the tuning sets of session 17 give min_plate_conf = "
                       "0.4 (906 of 2,060 single crops reported, 9 wrong, against 791 at 0.6 with 'probability') "
                       "and 99 % of fused tracks right only from 0.41 (with fusion = 'characters': 728 reported at "
                       "0.45, 7 wrong, against 725 at 0.5), above the plate floor, where the track rule allows no "
                       "track floor; not measured on held-out sets, so not the default (weights/PLATE_READER.md).",
    )
    fusion: FusionMethod = setting(
        "characters", "How a track's reads become one plate (plate_text.fuse_reads): 'characters' votes per "
                      "character aligned by format position; 'probability' averages our reader's probability of "
                      "each candidate text over the reads (readers that score one text fall back to 'characters'). "
                      "On 400 rendered tracks (plate_tracks, seed 3000) with session 11's reader both fuse 54.0 % "
                      "right and report 24.0 / 23.0 % at the floor 0.6, all right, so the vote stays "
                      "(weights/PLATE_READER.md, session 11)."
    )
    min_plate_conf: float | None = setting(
        None, "A fused plate below this confidence is `unread` (plate_text.FusedPlate.confidence). Empty: by reader, "
              f"{DEFAULT_PLATE_FLOORS['helmetscan']} for ours (by the rule fixed in session 11 before it was "
              "measured: the lowest confidence from which its reads on the tuning sets of plate_sets, tuning and "
              "real_train, are 99 % right, rounded up to 0.05, or to the next 0.05 that is still 99 % right, reads "
              "in unreported_formats left out; session 16's reader (rows6): 0.5652 -> 0.6, 791 of 2,060 plates "
              "reported, 6 wrong; weights/PLATE_READER.md), "
              f"{DEFAULT_PLATE_FLOORS['easyocr']} for EasyOCR and {DEFAULT_PLATE_FLOORS['tesseract']} for "
              "Tesseract (the same rule, session 16: at the 0.5 they had before, EasyOCR's reported reads of the "
              "tuning sets were 22 % right and Tesseract's 16 %, and none of the real ones; EasyOCR is 99 % right "
              "from 0.9997 only, Tesseract from 0.95: 4 plates reported, all right; weights/PLATE_READER.md).",
        "0..1", ge=0, le=1
    )
    min_track_conf: float | None = setting(
        None, "A plate fused from two or more voting reads below this confidence is `unread`. Empty: "
              "`min_plate_conf` if that is set, else by reader: "
              f"{DEFAULT_TRACK_FLOORS['helmetscan']} for ours (by the rule fixed in session 12 before the held-out "
              "tracks were read: on the tuning tracks of plate_tracks, rendered with seed 3000 and the real_train "
              "plates cut five times, the lowest fused confidence of tracks of 2+ reads from which 99 % of reported "
              "plates are right, rounded up to 0.05, or to the next 0.05 that is still 99 % right: session 16's reader "
              "(rows6) 0.438 -> 0.5, 725 reported, 5 wrong; "
              "weights/PLATE_READER.md); EasyOCR and "
              "Tesseract keep their plate floor (not measured).",
        "0..1", ge=0, le=1
    )
    unreported_formats: list[str] | None = setting(
        None, "Plates fused into one of these formats stay `unread` whatever their confidence (the text is kept as "
              "the record's best guess). Empty: by reader, "
              f"{', '.join(DEFAULT_UNREPORTED_FORMATS['helmetscan'])} for ours: session 13's reader read the older "
              "two-row region layout (서울 12 / 가 3456) in 1 of 178 tuning plates; session 14's reads 127 of them, "
              "but of its 65 reads of the layout at the plate floor 2 are wrong (session 15's: 73, 1 wrong; "
              "session 16's: 77, 2 wrong), and the rule fixed before they were read releases the layout only with 99 % right and none wrong under 100 "
              "reads (weights/PLATE_READER.md, sessions 14 to 16); none for EasyOCR and Tesseract.",
        "names"
    )
    two_row_max_aspect: float = setting(
        2.2, "Crops with width/height below this are read as two rows (top and bottom half).", "ratio", gt=0
    )
    formats: list[str] = setting(
        _names("kr", "kr_region", "kr_old", "in", "vn", "generic"),
        "Plate formats accepted as valid, most specific first: built-in (plate_formats.BUILTIN_FORMATS) or custom. "
        "A list with kr_region but not kr_old gets kr_old after it (kr_region took that layout until session 13).",
        "names"
    )
    custom_formats: dict[str, str] = setting(
        dict, "Your own formats: name = regular expression over normalised text (A-Z, 0-9, Hangul), e.g. "
              "`my = '^[A-Z]{2}[0-9]{4}$'`; list the name in `formats` to use it.", "regexes"
    )

    @field_validator("formats")
    @classmethod
    def _old_region_with_region(cls, value: list[str]) -> list[str]:
        # until session 13 `kr_region` also took the older region layout (서울12가3456), now `kr_old`: a list written
        # before keeps its meaning, so the beam search cannot force such a plate into another format's spelling
        if "kr_region" in value and "kr_old" not in value:
            value = [*value]
            value.insert(value.index("kr_region") + 1, "kr_old")
        return value

    @field_validator("custom_formats")
    @classmethod
    def _regexes_compile(cls, value: dict[str, str]) -> dict[str, str]:
        for name, regex in value.items():
            try:
                re.compile(regex)
            except re.error as exc:
                raise ValueError(f"custom format {name!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _formats_known(self) -> "PlateSettings":
        self.plate_formats()  # raises ValueError naming an unknown format
        from helmetscan.core.plate_formats import compile_formats

        try:
            compile_formats(self.unreported_formats or (), self.custom_formats)
        except ValueError as exc:
            raise ValueError(f"unreported_formats: {exc}") from None
        return self

    def plate_floor(self) -> float:
        """The confidence floor of a fused plate: ``min_plate_conf``, or the default of the configured reader."""
        if self.min_plate_conf is not None:
            return self.min_plate_conf
        return DEFAULT_PLATE_FLOORS[self.recognizer]

    def track_floor(self) -> float:
        """The confidence floor of a plate fused from two or more reads: ``min_track_conf``, else ``min_plate_conf``
        when set (a floor the user chose governs every plate), else the default of the configured reader."""
        if self.min_track_conf is not None:
            return self.min_track_conf
        if self.min_plate_conf is not None:
            return self.min_plate_conf
        return DEFAULT_TRACK_FLOORS.get(self.recognizer, self.plate_floor())

    def unreported(self) -> tuple[str, ...]:
        """The formats whose plates stay ``unread``: ``unreported_formats``, or the default of the configured reader."""
        if self.unreported_formats is not None:
            return tuple(self.unreported_formats)
        return DEFAULT_UNREPORTED_FORMATS.get(self.recognizer, ())

    def plate_formats(self):
        """The accepted formats, compiled (:func:`helmetscan.core.plate_formats.compile_formats`)."""
        from helmetscan.core.plate_formats import compile_formats

        return compile_formats(self.formats, self.custom_formats)


class RecordingSettings(_Section):
    """Where and when footage was recorded: the dashcam's clock, the vehicle, the GPS track."""

    time_zone: str = setting("Asia/Seoul", "IANA time zone of the dashcams' clocks (file names are local time) and of "
                                           "every reported time.", "zone")
    vehicle: str = setting("", "Vehicle name of every input; empty: the top folder of each file below the folder "
                               "given to `analyze` (one folder per SD card).", "name")
    gps_max_gap_s: float = setting(10.0, "A violation further than this from every GPS fix has no place (a "
                                         "motorcycle at 50 km/h moves ~140 m in 10 s).", "s", gt=0)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Seoul, UTC)") from None
        return value


class EvidenceSettings(_Section):
    """How evidence is written: image encoding and the clip excerpt."""

    png_compression: int = setting(0, "cv2.IMWRITE_PNG_COMPRESSION for evidence frames (0 = none).", "0..9", ge=0,
                                   le=9)
    jpeg_quality: int = setting(92, "Quality of the annotated JPEG.", "1..100", ge=1, le=100)
    privacy_blur: bool = setting(True, "Blur the faces of everyone not on the violating motorcycle, and other "
                                       "vehicles' plates, in the annotated image and the crops (never in frame.png).")
    face_model: str = setting("yolov12n-face.pt", "Face detector for the privacy blur.", "file")
    face_conf: float = setting(0.3, "Minimum face confidence for the blur (low: a missed face is exposed, an extra "
                                    "blur costs nothing).", "0..1", ge=0, le=1)
    excerpt: bool = setting(True, "Write a clip excerpt of the original footage around each violation (copied, not "
                                  "re-encoded).")
    excerpt_before_s: float = setting(10.0, "Excerpt start before the evidence frame (clamped to the file; the copy "
                                            "starts at the keyframe at or before it).", "s", ge=0)
    excerpt_after_s: float = setting(10.0, "Excerpt end after the evidence frame (clamped to the file).", "s", ge=0)


class RuntimeSettings(_Section):
    """How the work is spread over this machine's cores."""

    threads: int = setting(0, "Threads for the models' own parallelism (torch, ONNX Runtime); 0: one per core "
                              "(os.cpu_count()).", "threads", ge=0)
    pipelined: bool = setting(True, "Decode frames, and run each stage-1 model, in a thread of its own, joined to "
                                    "the frame loop by bounded queues, so they use other cores while it works; "
                                    "false: one after another in one thread (same results, slower).")
    queue_frames: int = setting(4, "Frames each queue between the threads holds at most (a 1080p frame is 6 MB); "
                                   "memory stays flat whatever the video's length.", "frames", ge=1)

    def resolved_threads(self) -> int:
        """``threads``, or the number of cores when it is 0."""
        import os

        return self.threads or os.cpu_count() or 1

    def decoder_threads(self) -> int:
        """FFmpeg's decoding threads: pipelined, 1 (decoding has a thread of its own beside the two stage-1 models;
        FFmpeg's extra threads only fought them for the cores: 8 % slower on the 62 s 1080p bench clip, 2 cores);
        otherwise 0, FFmpeg's default (one per core)."""
        return 1 if self.pipelined else 0

    def model_threads(self) -> int:
        """Intra-op threads of each model: pipelined, the two stage-1 models run side by side (each in its own
        thread, beside decoding), so each gets half the threads (at least 1); otherwise all of them."""
        return max(1, self.resolved_threads() // 2) if self.pipelined else self.resolved_threads()


#: Torch device strings: ``cpu``, ``mps``, ``cuda``, ``cuda:N``, or ultralytics' GPU index form ``N`` / ``N,M``.
_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?|\d+(,\d+)*)$")


class Settings(_Section):
    """All knobs of one run. ``Settings()`` gives the defaults."""

    weights_dir: Path = setting(
        default_weights_dir, "Folder holding the weight files (default: $HELMETSCAN_WEIGHTS, else the per-user cache "
        "~/.cache/helmetscan/weights that `helmetscan fetch-weights` fills).", "folder",
        shown_default="$HELMETSCAN_WEIGHTS or ~/.cache/helmetscan/weights",
    )
    device: str = setting("cpu", "Torch device for the models: cpu, cuda, cuda:N, mps.", "device")
    sampling: SamplingSettings = Field(default_factory=SamplingSettings)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    assist: AssistSettings = Field(default_factory=AssistSettings)
    riders: RiderRule = Field(default_factory=RiderRule)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    verification: VerificationSettings = Field(default_factory=VerificationSettings)
    decision: DecisionSettings = Field(default_factory=DecisionSettings)
    plates: PlateSettings = Field(default_factory=PlateSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    recording: RecordingSettings = Field(default_factory=RecordingSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        if not _DEVICE.match(value):
            raise ValueError(f"{value!r} is not a torch device (expected cpu, cuda, cuda:N or mps)")
        return value

    def model_path(self, name: str) -> Path:
        """Resolve a weight file setting: an absolute path, or a path that exists from the current folder, is used as
        is; anything else is looked up in ``weights_dir``."""
        path = Path(name)
        return path if path.is_absolute() or path.exists() else self.weights_dir / path


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(config_file: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Build the settings of a run.

    Args:
        config_file: optional TOML file with sections named like the fields of :class:`Settings`.
        overrides: nested dict of command-line values (``{"sampling": {"fps": 2.0}}``); ``None`` values are ignored.

    Raises:
        ConfigError: the file is missing or not TOML, or a value fails validation (message names the key).
    """
    data: dict[str, Any] = {}
    if config_file is not None:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{config_file}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: not valid TOML ({exc})") from None
    data = _merge(data, _drop_none(overrides or {}))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
        )
        source = f"{config_file}: " if config_file else ""
        raise ConfigError(f"{source}invalid settings ({problems})") from None


def _drop_none(tree: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            value = _drop_none(value)
            if value:
                out[key] = value
        elif value is not None:
            out[key] = value
    return out
