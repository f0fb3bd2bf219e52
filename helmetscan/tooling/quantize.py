"""INT8 copies of our stage-1 detectors for ONNX Runtime (static quantisation, calibrated on training images).

This CPU has AVX-512 VNNI, on which ONNX Runtime's INT8 convolutions take about half the time of float ones. The
detection head's last steps (box decoding, class sigmoid, the concatenation of boxes in pixels with scores in 0..1)
stay in float: one INT8 scale cannot hold both ranges. Weights are quantised per channel (INT8), activations per tensor
(UINT8), QDQ format (ONNX Runtime ``quantize_static``); the calibration images are drawn, seeded, from the *train*
split of the stage-1 dataset (:func:`helmetscan.tooling.dataset.split_sources`), never from val or test, and
letterboxed exactly as :class:`~helmetscan.inference.onnx_yolo.OnnxYoloDetector` letterboxes frames.

``helmetscan quantize IN OUT.onnx [--imgsz 416] [--images 128] [--seed 0]`` (:func:`quantize_detector`); ``IN`` is
a float ONNX export (``yolov8n-coco-416.onnx``) or an Ultralytics ``.pt`` (``weights/helmet4n.pt``), exported to ONNX
first at ``--imgsz`` (:func:`export_onnx`).
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np

#: Calibration images: enough for stable activation ranges of a YOLOv8n (more changed nothing measurable; our choice).
CALIBRATION_IMAGES = 128


def head_prefix(model) -> str:
    """The name prefix of the module that produces the graph's output (``/model.22/`` for a YOLOv8n detection
    export): the detection head."""
    output = model.graph.output[0].name
    producer = next(n for n in model.graph.node if output in n.output)
    return "/".join(producer.name.split("/")[:2]) + "/"


def float_head_nodes(model) -> list[str]:
    """The head's nodes that stay in float: all but its convolutions (``cv2``: boxes, ``cv3``: classes)."""
    prefix = head_prefix(model)
    return [n.name for n in model.graph.node
            if n.name.startswith(prefix) and not ("/cv2." in n.name or "/cv3." in n.name)]


def calibration_images(count: int = CALIBRATION_IMAGES, seed: int = 0) -> list[Path]:
    """``count`` images of the stage-1 dataset's train split, drawn with ``seed``.

    Raises:
        FileNotFoundError: ``../shared/datasets`` is not beside the repository.
    """
    from helmetscan.tooling.dataset import split_sources

    train = sorted(str(s.image) for s, split in split_sources() if split == "train")
    return [Path(p) for p in random.Random(seed).sample(train, min(count, len(train)))]


#: ONNX opset of our exports (ONNX Runtime 1.31 runs it; Ultralytics' default for this version).
OPSET = 17


def export_onnx(weights: Path, dst: Path, imgsz: int, dynamic: bool = False) -> Path:
    """Export an Ultralytics detection ``.pt`` to an ``imgsz`` ONNX file ``dst`` (batch 1, opset :data:`OPSET`,
    not simplified: no extra package), static unless ``dynamic``.

    Raises:
        WeightsError: the file cannot be loaded.
    """
    import shutil

    from helmetscan.inference.yolo import load_ultralytics

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / weights.name
        shutil.copyfile(weights, copy)  # ultralytics writes the export beside its input
        exported = load_ultralytics(copy, "detect").export(format="onnx", imgsz=imgsz, simplify=False,
                                                           dynamic=dynamic, opset=OPSET)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(exported, dst)
    return dst


def quantize(src: Path, dst: Path, images: list[Path]) -> Path:
    """Write ``dst``, the INT8 copy of the float detection export ``src``, calibrated on ``images``.

    Raises:
        WeightsError: ``src`` is not a static YOLOv8-style export.
        ValueError: no image can be read.
    """
    import cv2
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from helmetscan.inference.onnx_yolo import OnnxYoloDetector

    letterbox = OnnxYoloDetector(src)._letterbox
    blobs = []
    for path in images:
        image = cv2.imread(str(path))
        if image is not None:
            padded = letterbox(image=image)
            blobs.append(np.ascontiguousarray(padded[..., ::-1].transpose(2, 0, 1)[None], dtype=np.float32) / 255.0)
    if not blobs:
        raise ValueError("no calibration image could be read")
    name = onnx.load(str(src)).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._items = iter({name: b} for b in blobs)

        def get_next(self):
            return next(self._items, None)

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
        keep_float = float_head_nodes(onnx.load(str(prepared)))
        dst.parent.mkdir(parents=True, exist_ok=True)
        quantize_static(str(prepared), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_exclude=keep_float)
    model = onnx.load(str(dst))  # keep the export's metadata (class names, size) for the adapter
    meta = {p.key: p.value for p in onnx.load(str(src)).metadata_props}
    meta["helmetscan_int8_calibration"] = f"{len(blobs)} train images"
    onnx.helper.set_model_props(model, meta)
    onnx.save(model, str(dst))
    return dst


def quantize_detector(src: Path, dst: Path, imgsz: int = 416, images: int = CALIBRATION_IMAGES, seed: int = 0) -> Path:
    """``helmetscan quantize``: write ``dst``, the INT8 copy of the detector ``src`` (a float ONNX export, or an
    Ultralytics ``.pt`` exported first at ``imgsz`` px), calibrated on ``images`` train images drawn with ``seed``.

    Raises:
        FileNotFoundError: ``../shared/datasets`` is not beside the repository.
        WeightsError: ``src`` cannot be loaded or is not a static YOLOv8-style export.
        ValueError: no calibration image can be read.
    """
    calibration = calibration_images(images, seed)
    if src.suffix == ".pt":
        with tempfile.TemporaryDirectory() as tmp:
            return quantize(export_onnx(src, Path(tmp) / "float.onnx", imgsz), dst, calibration)
    return quantize(src, dst, calibration)
