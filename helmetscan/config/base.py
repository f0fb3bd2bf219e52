"""What every settings section shares: a frozen model that refuses unknown keys, the documented field, and the knobs
of a YOLO model run by one stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from helmetscan.core.fielddoc import documented


class _Section(BaseModel):
    """A settings section: frozen, and a key it does not know is an error (a typo in a config file never passes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: A documented setting: default, one-line description, unit, pydantic constraints
#: (:func:`helmetscan.core.fielddoc.documented`).
setting = documented


def name_list(*names: str):
    """The default factory of a list of class or format names (a fresh list for every settings object)."""
    return lambda: list(names)


class _ModelSection(_Section):
    """A YOLO model run by one stage: its weight file and inference knobs (built by
    :func:`helmetscan.inference.yolo.build_detector`)."""

    model: str = setting("", "Weight file; a bare name is looked up in the weights folder.", "file")
    imgsz: int = setting(640, "Inference size; higher finds smaller objects, costs time quadratically.", "px", ge=32)
    conf: float = setting(0.25, "Minimum box confidence; lower finds more, reports more noise.", "0..1", ge=0, le=1)
    iou: float = setting(0.5, "NMS IoU threshold: boxes overlapping more than this are merged.", "0..1", gt=0, le=1)
    agnostic_nms: bool = setting(False, "Class-agnostic NMS: one box per object even when two classes fire on it.")
