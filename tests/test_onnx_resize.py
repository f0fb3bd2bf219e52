"""The COCO export re-sized to 416 px: the rewrite is exact (at 640 it gives back the original's tensors), its file is
the one the manifest pins, and at 416 it finds on real frames what the 640 original finds."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FOOTAGE, WEIGHTS, needs_footage
from helmetscan.weights.onnx_resize import anchor_count, anchor_tables, resize_yolov8_onnx
from helmetscan.weights.registry import read_manifest, sha256_file

ORIGINAL = WEIGHTS / "yolov8n-coco.onnx"
needs_coco = pytest.mark.skipif(not ORIGINAL.exists(), reason=f"{ORIGINAL} absent; run `make weights`")


def _film_frames(step: int) -> list[np.ndarray]:
    """Every ``step``-th frame of the film clip (720 x 1280 portrait), (H, W, 3) uint8 BGR."""
    import av

    with av.open(str(FOOTAGE)) as container:
        return [f.to_ndarray(format="bgr24") for i, f in enumerate(container.decode(video=0)) if i % step == 0]


def _same_boxes(a, b, frames) -> int:
    """Assert that detectors ``a`` and ``b`` give the same boxes on every frame (labels in confidence order, corners
    within 0.5 px, confidences within 1e-3); returns how many boxes were compared."""
    compared = 0
    for frame in frames:
        found_a, found_b = (sorted(d(frame), key=lambda x: -x.confidence) for d in (a, b))
        assert [x.label for x in found_a] == [x.label for x in found_b]
        for x, y in zip(found_a, found_b):
            assert np.allclose(x.xyxy, y.xyxy, atol=0.5) and abs(x.confidence - y.confidence) < 1e-3
            compared += 1
    return compared


def _found_again(reference, other, frames, labels=("person", "motorcycle")) -> tuple[int, int]:
    """``(matched, total)``: the ``reference`` detector's boxes of ``labels`` that ``other`` finds again on the same
    frame with the same label at IoU >= 0.7."""
    from helmetscan.core.geometry import iou

    matched = total = 0
    for frame in frames:
        found = other(frame)
        for box in (b for b in reference(frame) if b.label in labels):
            total += 1
            matched += any(o.label == box.label and iou(o.xyxy, box.xyxy) >= 0.7 for o in found)
    return matched, total


def test_anchor_tables_are_those_of_a_yolov8_head():
    assert anchor_count(640) == 8400 and anchor_count(416) == 3549
    points, strides = anchor_tables(416)
    assert points.shape == (1, 2, 3549) and strides.shape == (1, 3549)
    assert points[0, :, 0].tolist() == [0.5, 0.5] and points[0, :, 52].tolist() == [0.5, 1.5]  # 52 cells a row at 8
    assert strides[0, 2704] == 16 and strides[0, -1] == 32


@needs_coco
def test_at_640_the_rewrite_gives_back_the_original(tmp_path):
    import onnxruntime as ort

    again = resize_yolov8_onnx(ORIGINAL, tmp_path / "640.onnx", 640)
    x = np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)
    a, b = (ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"images": x})[0]
            for p in (ORIGINAL, again))
    assert np.array_equal(a, b)


@needs_coco
def test_the_416_file_is_the_pinned_one(tmp_path):
    [entry] = [e for e in read_manifest().weights if e.name == "yolov8n-coco-416.onnx"]
    assert entry.convert == "onnx_imgsz:416"
    assert sha256_file(resize_yolov8_onnx(ORIGINAL, tmp_path / "416.onnx", 416)) == entry.sha256


@needs_coco
def test_other_models_and_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="multiple of 32"):
        resize_yolov8_onnx(ORIGINAL, tmp_path / "x.onnx", 420)
    with pytest.raises(ValueError, match="input shape|not the YOLOv8 head"):
        resize_yolov8_onnx(WEIGHTS / "plate_reader.onnx", tmp_path / "x.onnx", 416)


@needs_coco
@needs_footage
def test_at_416_it_finds_the_riders_and_motorcycles_the_640_original_finds(tmp_path):
    from helmetscan.inference.yolo import YoloDetector

    small = resize_yolov8_onnx(ORIGINAL, tmp_path / "416.onnx", 416)
    big, fast = YoloDetector(ORIGINAL, conf=0.4), YoloDetector(small, conf=0.4)
    assert (big.imgsz, fast.imgsz) == (640, 416)  # each runs at its export's own size
    matched, total = _found_again(big, fast, _film_frames(10))
    assert total >= 8 and matched / total >= 0.85, (matched, total)


@needs_coco
@needs_footage
def test_our_onnx_runtime_adapter_gives_ultralytics_boxes_with_the_threads_we_set():
    from helmetscan.inference.onnx_yolo import OnnxYoloDetector
    from helmetscan.inference.yolo import YoloDetector

    ours, theirs = OnnxYoloDetector(ORIGINAL, 0.2, 0.6, threads=1), YoloDetector(ORIGINAL, 640, 0.2, 0.6)
    assert ours._session.get_session_options().intra_op_num_threads == 1 and ours.names[3] == "motorcycle"
    assert _same_boxes(ours, theirs, _film_frames(15)) >= 5


def test_thread_settings_follow_the_machine_and_the_pipeline():
    from helmetscan.config import RuntimeSettings

    assert RuntimeSettings(threads=0).resolved_threads() == __import__("os").cpu_count()
    assert RuntimeSettings(threads=8).model_threads() == 4  # two stage-1 models side by side
    assert RuntimeSettings(threads=8, pipelined=False).model_threads() == 8
    assert RuntimeSettings(threads=1).model_threads() == 1
    with pytest.raises(ValueError):
        RuntimeSettings(queue_frames=0)


@needs_footage
def test_the_int8_assist_finds_the_persons_and_motorcycles_of_its_float_source():
    from helmetscan.inference.onnx_yolo import OnnxYoloDetector

    float_file, int8_file = WEIGHTS / "yolov8n-coco-416.onnx", WEIGHTS / "yolov8n-coco-416-int8.onnx"
    if not (float_file.exists() and int8_file.exists()):
        pytest.skip("run `make weights`")
    exact, quantised = OnnxYoloDetector(float_file, 0.4, 0.6), OnnxYoloDetector(int8_file, 0.4, 0.6)
    assert quantised.names == exact.names and quantised.imgsz == 416
    matched, total = _found_again(exact, quantised, _film_frames(5))
    assert total >= 10 and matched / total >= 0.85, (matched, total)


@needs_footage
def test_helmet4n_in_onnx_runtime_gives_the_boxes_of_the_pytorch_model():
    from helmetscan.inference.onnx_yolo import OnnxYoloDetector
    from helmetscan.inference.yolo import YoloDetector

    if not (WEIGHTS / "helmet4n.onnx").exists():
        pytest.skip("run `make weights`")
    exported, original = OnnxYoloDetector(WEIGHTS / "helmet4n.onnx", 0.25, 0.7, imgsz=416), \
        YoloDetector(WEIGHTS / "helmet4n.pt", 416, 0.25, 0.7)
    assert exported.names == original.names
    # the film clip is 720 x 1280 portrait: a non-square input, as 16:9 video gives
    assert _same_boxes(exported, original, _film_frames(2)) >= 10
