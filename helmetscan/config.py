"""Settings: one validated model, a section per pipeline stage.

Precedence: command-line option > TOML config file > the defaults below (which live only here). The resolved settings
are written to ``OUT/settings.json`` and into every evidence record, so a result can always be traced to its knobs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from helmetscan.errors import ConfigError

#: Where ``make weights`` puts the weight files: ``weights/`` at the top of the source tree.
DEFAULT_WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SamplingSettings(_Section):
    fps: float = Field(5.0, gt=0, le=120, description="Frames per second analysed, taken at the stream's timestamps.")


class ModelRoles(_Section):
    """Which class names of a detector mean what. Names are matched case-insensitively.

    The default fits the COCO YOLOv8n (``person`` + ``motorcycle`` → rider by the rider rule). A 4-class model with
    classes ``rider, without helmet, with helmet, number plate`` is used by setting ``rider``, ``head_without_helmet``,
    ``head_with_helmet`` and ``plate`` instead; no code changes.
    """

    rider: list[str] = Field(default_factory=list, description="Classes that are a rider already (with the motorcycle).")
    person: list[str] = Field(default_factory=lambda: ["person"], description="Classes that are a person.")
    motorcycle: list[str] = Field(default_factory=lambda: ["motorcycle"], description="Classes that are a motorcycle.")
    head_with_helmet: list[str] = Field(default_factory=lambda: ["with helmet", "helmet"])
    head_without_helmet: list[str] = Field(default_factory=lambda: ["without helmet", "no_helmet", "no helmet"])
    plate: list[str] = Field(default_factory=lambda: ["number plate", "license_plate", "licenseplate", "lisc"])


class DetectorSettings(_Section):
    """Stage 1: the small detector run on every sampled frame."""

    model: str = Field("yolov8n-coco.onnx", description="Weight file; a bare name is looked up in the weights dir.")
    imgsz: int = Field(640, ge=32, description="Inference size in pixels (the COCO ONNX export is fixed at 640).")
    conf: float = Field(0.2, ge=0, le=1, description="Minimum detection confidence; lower finds more, tracks more noise.")
    iou: float = Field(0.6, gt=0, le=1, description="NMS IoU threshold.")
    roles: ModelRoles = Field(default_factory=ModelRoles)


class RiderRule(_Section):
    """When a person counts as a motorcycle rider (used only when stage 1 has no ``rider`` class).

    Our heuristic, tuned on the footage in ``../shared/footage`` and ``bikes.mp4``: the person's box must overlap a
    motorcycle box by a share of the *motorcycle* box, the person's horizontal centre must lie over the motorcycle, and the
    person's top must be above the motorcycle's top (a rider sits on it; a pedestrian behind a parked motorcycle is not).
    """

    min_motorcycle_conf: float = Field(0.35, ge=0, le=1, description="Motorcycle boxes below this are ignored.")
    min_overlap_of_motorcycle: float = Field(
        0.25, ge=0, le=1, description="Intersection / motorcycle box area; higher rejects passers-by, may drop riders."
    )
    centre_margin: float = Field(
        0.1, ge=0, le=1, description="Share of the motorcycle width the person's centre may lie outside its box."
    )


class TrackingSettings(_Section):
    """ByteTrack (ultralytics' implementation) on rider boxes. Knobs as in ultralytics' ``bytetrack.yaml``."""

    track_high_thresh: float = Field(0.25, ge=0, le=1, description="First-association confidence threshold.")
    track_low_thresh: float = Field(0.1, ge=0, le=1, description="Second-association (low score) threshold.")
    new_track_thresh: float = Field(0.25, ge=0, le=1, description="Unmatched detections above this start a track.")
    lost_track_buffer_s: float = Field(
        2.0, gt=0, description="Seconds a lost track is kept; converted to sampled frames (ultralytics counts frames)."
    )
    match_thresh: float = Field(0.8, gt=0, le=1, description="Association cost threshold (1 - IoU, fused with score).")
    fuse_score: bool = Field(True, description="Fuse detection score into the matching cost.")


class VerificationSettings(_Section):
    """Stage 2: the larger helmet model re-examines the padded rider crop."""

    model: str = Field("yolov12m-helmet.pt", description="Weight file of the head (with/without helmet) detector.")
    imgsz: int = Field(480, ge=32, description="Inference size for the rider crop in pixels; higher is slower.")
    conf: float = Field(0.35, ge=0, le=1, description="Minimum head-box confidence; higher means fewer, surer verdicts.")
    crop_padding: float = Field(0.15, ge=0, le=1, description="Padding around the rider box, as a share of its size.")
    head_region_fraction: float = Field(
        0.4, gt=0, le=1, description="Top share of the rider box in which that rider's own head must lie."
    )
    min_head_inside: float = Field(
        0.6, ge=0, le=1, description="Share of the head box that must lie inside the rider box."
    )
    max_checks_per_track: int = Field(8, ge=1, description="Upper bound on stage-2 runs per track.")
    settle_margin: int = Field(
        3, ge=1, description="A track's verdict is settled (no more checks) once one side leads by this many frames."
    )
    roles: ModelRoles = Field(default_factory=ModelRoles)


class DecisionSettings(_Section):
    """Per-track verdict: one rider track gives at most one violation."""

    min_no_helmet_frames: int = Field(2, ge=1, description="Verified no-helmet frames a violation needs at least.")
    min_no_helmet_share: float = Field(
        0.5, ge=0, le=1, description="No-helmet frames must be MORE than this share of the frames the head was seen."
    )


class PlateSettings(_Section):
    """Plate detection near the rider, OpenCV upscaling, EasyOCR recognition, fusion over the track's frames."""

    model: str = Field("license_plate_detector.pt", description="Weight file of the plate detector.")
    imgsz: int = Field(480, ge=32, description="Inference size for the rider/motorcycle region crop.")
    conf: float = Field(0.25, ge=0, le=1, description="Minimum plate-box confidence.")
    below_fraction: float = Field(
        0.35, ge=0, le=2, description="How far below the rider/motorcycle box to search, as a share of its height."
    )
    max_frames_per_track: int = Field(
        12, ge=1, description="Frames per violating track whose plate is read (largest rider boxes first)."
    )
    tighten: bool = Field(True, description="Trim the plate box to its text band before OCR (see plates.text_band).")
    upscale_height_px: int = Field(
        64, ge=16, description="Plate crops are resized to this height before OCR (EasyOCR recognises at 64 px)."
    )
    interpolation: Literal["nearest", "linear", "cubic", "area", "lanczos"] = "cubic"
    clahe: bool = Field(True, description="Apply CLAHE contrast equalisation to the upscaled crop.")
    sharpen: bool = Field(False, description="Apply an unsharp mask to the upscaled crop.")
    ocr_languages: list[str] = Field(default_factory=lambda: ["en"], description="EasyOCR language codes.")
    allowlist: str = Field("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", description="Characters EasyOCR may output.")
    min_ocr_conf: float = Field(0.2, ge=0, le=1, description="Reads below this confidence do not vote.")
    two_row_max_aspect: float = Field(
        2.2, gt=0, description="Crops with width/height below this are read as two rows (top and bottom half)."
    )
    formats: list[Literal["kr", "kr_region", "in", "generic"]] = Field(
        default_factory=lambda: ["kr", "kr_region", "in", "generic"], description="Plate formats accepted as valid."
    )


class EvidenceSettings(_Section):
    png_compression: int = Field(0, ge=0, le=9, description="cv2.IMWRITE_PNG_COMPRESSION for evidence frames (0 = none).")
    jpeg_quality: int = Field(92, ge=1, le=100, description="Quality of the annotated JPEG.")


class Settings(_Section):
    """All knobs of one run. ``Settings()`` gives the defaults."""

    weights_dir: Path = Field(DEFAULT_WEIGHTS_DIR, description="Folder holding the weight files.")
    device: str = Field("cpu", description="Torch device for the models ('cpu', 'cuda:0').")
    sampling: SamplingSettings = Field(default_factory=SamplingSettings)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    riders: RiderRule = Field(default_factory=RiderRule)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    verification: VerificationSettings = Field(default_factory=VerificationSettings)
    decision: DecisionSettings = Field(default_factory=DecisionSettings)
    plates: PlateSettings = Field(default_factory=PlateSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)

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
