"""Settings of the plate stage: the plate detector, the reader, the fusion of a track's reads, and the confidence
floors and formats that decide which plates are reported. How each default of our reader was measured:
``weights/PLATE_READER.md``; of the plate detector: ``weights/PLATE_DETECTOR.md``."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from helmetscan.config.base import _ModelSection, _Section, name_list, setting

#: Confidence floor of a plate read once, per reader, when ``plates.min_plate_conf`` is empty: the lowest confidence
#: from which the reader's reads of the tuning sets are 99 % right, rounded up to 0.05 (``weights/PLATE_READER.md``;
#: EasyOCR never reaches 99 % below 1.0).
DEFAULT_PLATE_FLOORS = {"helmetscan": 0.6, "easyocr": 1.0, "tesseract": 0.95}

#: Confidence floor of a plate fused from two or more reads, per reader, when ``plates.min_track_conf`` and
#: ``plates.min_plate_conf`` are empty: the same 99 % rule on rendered tuning tracks (``weights/PLATE_READER.md``);
#: a reader not listed keeps its plate floor.
DEFAULT_TRACK_FLOORS = {"helmetscan": 0.5}

#: Plate formats a reader's plates are never reported in, per reader, when ``plates.unreported_formats`` is empty:
#: our reader misreads the older two-row region layout too often (``weights/PLATE_READER.md``).
DEFAULT_UNREPORTED_FORMATS = {"helmetscan": ("kr_old",)}


class PlateRoles(_Section):
    """Which plate-detector class names are a licence plate (matched case-insensitively)."""

    plate: list[str] = setting(name_list("number plate", "license_plate", "licenseplate", "lisc"),
                               "Classes that are a licence plate.", "class names")


class PlateSettings(_ModelSection):
    """Plate detection near the rider, recognition (our plate reader, EasyOCR or Tesseract), fusion over the track."""

    model: str = setting(
        "rider_plate_detector.pt", "Weight file of the plate detector; default: ours, a YOLOv8n plate detector "
        "fine-tuned on riders' plate regions (weights/PLATE_DETECTOR.md).", "file"
    )
    imgsz: int = setting(480, "Inference size for the rider/motorcycle region crop.", "px", ge=32)
    photo_imgsz: int = setting(
        960, "Inference size of the plate detector on a whole photo or frame (`helmetscan plate --find`, "
             "`evaluate-plates --find`); smaller is faster and misses more plates (measured in "
             "weights/PLATE_READER.md, *Decoding*).", "px", ge=32
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
        12, "Located plates per track that are read, best first (wider, sharper, surer plate boxes).", "reads", ge=1
    )
    recognizer: Literal["helmetscan", "easyocr", "tesseract"] = setting(
        "helmetscan", "Plate reader: our own (Latin and Korean, ONNX Runtime), EasyOCR (Latin) or Tesseract "
                      "(Debian tesseract-ocr-kor).")
    reader_model: str = setting("plate_reader.onnx", "Weight file of our plate reader (weights/PLATE_READER.md).",
                                "file")
    reader_views: int = setting(
        5, "Views our reader reads of each crop (as given, tighter, looser, two shifted); 1 reads the crop once, about "
           "5× faster.", "views", ge=1, le=5
    )
    reader_beam_width: int = setting(
        8, "Texts our reader's CTC beam search keeps per view, held to the accepted formats; the plate confidence is "
           "the network's probability of the text (widths compared in weights/PLATE_READER.md, *Decoding*).",
        "texts", ge=1, le=64
    )
    tighten: bool | None = setting(
        None, "Trim the plate box to its text band before OCR; empty: only for EasyOCR and Tesseract (our reader is "
              "trained on loose boxes).")
    upscale_height_px: int = setting(
        64, "Plate crops are resized to this height before OCR (EasyOCR recognises at 64 px).", "px", ge=16
    )
    interpolation: Literal["nearest", "linear", "cubic", "area", "lanczos"] = setting(
        "cubic", "OpenCV interpolation used to upscale the plate crop."
    )
    clahe: bool = setting(True, "Apply CLAHE contrast equalisation to the upscaled crop.")
    sharpen: bool = setting(False, "Apply an unsharp mask to the upscaled crop.")
    ocr_languages: list[str] = setting(name_list("en"), "EasyOCR language codes.", "codes")
    allowlist: str = setting("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "Characters EasyOCR may output.", "characters")
    min_ocr_conf: float = setting(0.2, "Reads below this confidence do not vote in their track's plate.", "0..1", ge=0,
                                  le=1)
    min_plate_conf: float | None = setting(
        None, "A plate below this confidence is `unread`. Empty: by reader, "
              f"{DEFAULT_PLATE_FLOORS['helmetscan']} for ours, {DEFAULT_PLATE_FLOORS['easyocr']} for EasyOCR, "
              f"{DEFAULT_PLATE_FLOORS['tesseract']} for Tesseract: where each reader's reads of the tuning sets are "
              "99 % right (weights/PLATE_READER.md).", "0..1", ge=0, le=1
    )
    min_track_conf: float | None = setting(
        None, "A plate fused from two or more voting reads below this confidence is `unread`. Empty: `min_plate_conf` "
              f"if set, else {DEFAULT_TRACK_FLOORS['helmetscan']} for ours, where its fused tuning tracks are 99 % "
              "right (weights/PLATE_READER.md); EasyOCR and Tesseract keep their plate floor.", "0..1", ge=0, le=1
    )
    unreported_formats: list[str] | None = setting(
        None, "Plates fused into one of these formats stay `unread` whatever their confidence (the text is kept as "
              "the record's best guess). Empty: by reader, "
              f"{', '.join(DEFAULT_UNREPORTED_FORMATS['helmetscan'])} for ours (the older two-row region layout, "
              "which it misreads too often to report: weights/PLATE_READER.md); none for EasyOCR and Tesseract.",
        "names"
    )
    two_row_max_aspect: float = setting(
        2.2, "EasyOCR and Tesseract read crops with width/height below this as two rows (top and bottom half).",
        "ratio", gt=0
    )
    formats: list[str] = setting(
        name_list("kr", "kr_region", "kr_old", "in", "vn", "generic"),
        "Plate formats accepted as valid, most specific first: built-in (kr, kr_region, kr_old, in, vn, generic) or "
        "custom. A list with kr_region but not kr_old gets kr_old after it (older region plates, 서울 12 / 가 3456).",
        "names"
    )
    custom_formats: dict[str, str] = setting(
        dict, "Your own formats: name = regular expression over normalised text (A-Z, 0-9, Hangul), e.g. "
              "`my = '^[A-Z]{2}[0-9]{4}$'`; list the name in `formats` to use it.", "regexes"
    )

    @field_validator("formats")
    @classmethod
    def _old_region_with_region(cls, value: list[str]) -> list[str]:
        # `kr_old` (서울12가3456) is the older region layout that `kr_region` once took too: a list that names
        # kr_region without it keeps that meaning, so the beam search cannot force such a plate into another format
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
