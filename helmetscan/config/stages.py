"""Settings of the stages that find violations: frame sampling, the stage-1 detectors and their class roles, the rider
rule, tracking, the helmet check (section ``verification``) and the per-person decision."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from helmetscan.config.base import _ModelSection, _Section, name_list, setting


class SamplingSettings(_Section):
    """Which frames are analysed."""

    fps: float = setting(5.0, "Frames per second analysed, taken at the stream's timestamps.", "frames/s", gt=0, le=120)


class DetectorRoles(_Section):
    """Which stage-1 class names mean what (matched case-insensitively).

    The default fits the default stage 1: our 4-class ``helmet4n`` (``rider``) and the COCO YOLOv8n beside it
    (``person`` + ``motorcycle``, joined by the rider rule). Another model's names are set here; no code changes.
    """

    rider: list[str] = setting(name_list("rider"), "Classes that are a rider already (rider and motorcycle in one "
                                                   "box).", "class names")
    person: list[str] = setting(name_list("person"), "Classes that are a person (joined to a motorcycle by the rider "
                                                     "rule).", "class names")
    motorcycle: list[str] = setting(name_list("motorcycle"), "Classes that are a motorcycle.", "class names")


class HeadRoles(_Section):
    """Which stage-2 class names are a head with and without a helmet (matched case-insensitively)."""

    head_with_helmet: list[str] = setting(name_list("with helmet", "helmet"), "Classes that are a helmeted head.",
                                          "class names")
    head_without_helmet: list[str] = setting(name_list("without helmet", "no_helmet", "no helmet"),
                                             "Classes that are a bare head.", "class names")


class DetectorSettings(_ModelSection):
    """Stage 1: the small detector run on every sampled frame. Default: our 4-class ``helmet4n`` (riders with their
    motorcycle, heads, plates), joined by the COCO detector (``[assist]``) for close-up riders; chosen on the
    per-person check (README, *Our own models*)."""

    model: str = setting("helmet4n.onnx", "Stage-1 weight file; a bare name is looked up in the weights folder. "
                                          "Default: our helmet4n exported to ONNX, the same boxes as helmet4n.pt in a "
                                          "third less time (weights/MODEL_CARD.md).", "file")
    imgsz: int = setting(416, "Inference size (helmet4n was trained at 416 px, weights/MODEL_CARD.md; a static ONNX "
                              "export runs at its own input size whatever this says).", "px", ge=32)
    conf: float = setting(0.25, "Minimum detection confidence; lower finds more, tracks more noise.", "0..1", ge=0,
                          le=1)
    iou: float = setting(0.6, "NMS IoU threshold.", "0..1", gt=0, le=1)
    roles: DetectorRoles = Field(default_factory=DetectorRoles)


class AssistSettings(_ModelSection):
    """A second stage-1 detector run on every sampled frame beside the first; its boxes join the first's
    (:mod:`helmetscan.inference.ensemble`). Default: the COCO detector, whose person and motorcycle boxes give the
    close-up riders our 4-class model misses. Empty ``model``: none."""

    model: str = setting(
        "yolov8n-coco-416-int8.onnx", "Second stage-1 weight file; empty: none. Default: the COCO YOLOv8n at a 416 px "
        "input, quantised to INT8: 4x less time than the 640 px `yolov8n-coco.onnx` at the same per-person precision "
        "(weights/ASSIST_INT8.md).", "file")
    imgsz: int = setting(416, "Inference size (a static ONNX export runs at its own input size whatever this says).",
                         "px", ge=32)
    conf: float = setting(
        0.08, "Minimum detection confidence. Its faint motorcycles confirm rider boxes whose motorcycle the rider hides "
              "(its faint persons join only motorcycles of `riders.min_motorcycle_conf`): "
              "0.08 instead of 0.2 raised per-person recall on the stage-1 test split from 0.247 to 0.333 at precision "
              "0.938 -> 0.940 (README, *Our own models*).", "0..1", ge=0, le=1)
    iou: float = setting(0.6, "NMS IoU threshold.", "0..1", gt=0, le=1)


class RiderRule(_Section):
    """When a person rides a motorcycle (person and motorcycle boxes, :func:`helmetscan.pipeline.riders.riding_score`),
    when a rider-class box counts, and when two units are one motorcycle.

    Our heuristic, set by hand from the geometry of seated riders and checked on dashcam footage of riders and on a
    street clip with a parked motorcycle beside pedestrians (which must give no rider): the person's centre lies over
    the motorcycle, their top is above its top, their bottom lies between ``min_seat_depth`` below its top and
    ``max_feet_below`` below its bottom (shares of the motorcycle's height), and enough of the person box lies over
    it. A pillion is judged like the rider: no share of the *motorcycle* box is required (a pillion covers little of
    it).
    """

    min_motorcycle_conf: float = setting(
        0.35, "A person is seated on a motorcycle box only from this confidence on (fainter motorcycles still confirm "
        "rider-class boxes, `confirm_rider_boxes`).", "0..1", ge=0, le=1)
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
        "lower part, or when it is at least `unconfirmed_rider_conf` confident: our 4-class model sometimes boxes a "
        "pedestrian as a rider. Needs a stage-1 model with a motorcycle class."
    )
    unconfirmed_rider_conf: float = setting(
        0.7, "With `confirm_rider_boxes`, a rider-class box at least this confident counts without a motorcycle under "
        "it (a rider seen from behind hides it); 1.0: never. 0.7 raised per-person recall on the stage-1 test split "
        "from 0.333 to 0.374 at precision 0.940 -> 0.946 (0.6: 0.409 at 0.934; README, *Our own models*).", "0..1",
        ge=0, le=1
    )
    confirm_lower_share: float = setting(
        0.6, "The lower part of a rider-class box where the confirming motorcycle's centre must lie.", "0..1", gt=0,
        le=1
    )
    max_nested_share: float = setting(
        0.7, "Ridden motorcycles whose box lies at least this share inside another's are one motorcycle (merged).",
        "0..1", gt=0, le=1
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


class HelmetCheckSettings(_ModelSection):
    """Stage 2, the helmet check (settings section ``verification``, the name settings files have always used): finds
    the heads on each ridden motorcycle and judges each. Default: our head locator on the motorcycle's crop of the
    source frame (``weights/HEAD_LOCATOR.md``), each head judged by our head classifier (``weights/HELMET_CLS.md``);
    stage 1's own head boxes (``heads_from = "stage1"``) and the borrowed YOLOv12m helmet model on the motorcycle crop
    (``"stage2"``, ``helmetscan/configs/coco-yolov12m.toml``) stay selectable."""

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
    heads_from: Literal["locator", "stage2", "stage1"] = setting(
        "locator", "Where head boxes come from: `locator` runs the head locator on each motorcycle's crop of the "
        "source frame (needs `classifier`); `stage2` runs `model` there; `stage1` takes the stage-1 model's own head "
        "boxes (a model with head classes, e.g. helmet4n) and runs no second detector."
    )
    locator: str = setting("head_locator.onnx", "Head locator (one class, head) run on motorcycle crops when "
                           "`heads_from` is `locator` (ours, weights/HEAD_LOCATOR.md).", "file")
    locator_imgsz: int = setting(160, "Inference size of the head locator (its training size).", "px", ge=32)
    locator_conf: float = setting(0.3, "Minimum head-locator confidence (weights/HEAD_LOCATOR.md).", "0..1", ge=0,
                                  le=1)
    classifier: str = setting(
        "helmet_cls.pt", "Head classifier that re-judges every head (ours, weights/HELMET_CLS.md); empty: the head "
        "boxes' own classes decide.", "file"
    )
    classifier_conf: float = setting(
        0.9, "Below this classifier probability a head is unknown (abstains), never a violation; the default was "
        "chosen for precision on the classifier's val heads (weights/HELMET_CLS.md).", "0..1", ge=0, le=1
    )
    max_checks_per_track: int = setting(8, "Upper bound on stage-2 runs per track.", "frames", ge=1)
    settle_margin: int = setting(
        3, "A track is settled (no more checks) once, for each of its people, one head state leads by this many "
        "frames.", "frames", ge=1
    )
    roles: HeadRoles = Field(default_factory=HeadRoles)


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
