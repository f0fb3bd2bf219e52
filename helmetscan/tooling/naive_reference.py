"""The naive way, written only to be measured against (``make bench``).

What the typical helmet-and-plate repository does, and what helmetscan's first prototype did: read every frame with
OpenCV, keep every 6th, run each model on the whole frame one after another — a COCO detector for riders and
motorcycles, the helmet model for heads, the plate detector for plates — and give every plate crop to EasyOCR's full
``readtext`` (its CRAFT text detector, then recognition). No tracking, no crops, no threads. It finds what its models
find on each frame; it writes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

#: Every 6th frame: 5 frames/s of a 30 fps video, the rate helmetscan samples at.
FRAME_STRIDE = 6
#: The models it runs, all on the whole frame (weights folder names); the helmet model is the borrowed YOLOv12m.
COCO, HELMET, PLATE = "yolov8n-coco.onnx", "yolov12m-helmet.pt", "license_plate_detector.pt"


@dataclass
class NaiveRun:
    """What the naive run did: frames read and analysed, seconds per stage (``decode``, ``detector``, ``helmet``,
    ``plates``, ``ocr``), calls per stage, bare heads and plates found, the texts EasyOCR read."""

    frames_read: int = 0
    frames_analysed: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    bare_heads: int = 0
    plates: int = 0
    texts: list[str] = field(default_factory=list)

    def _time(self, stage: str, t0: float, calls: int = 1) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - t0
        self.calls[stage] = self.calls.get(stage, 0) + calls


def run_naive(video: Path, weights_dir: Path) -> NaiveRun:
    """Analyse ``video`` the naive way with the weights in ``weights_dir``.

    Raises:
        WeightsError: a weight file is missing.
        VideoError: the video cannot be opened.
    """
    import cv2
    import easyocr

    from helmetscan.core.errors import VideoError
    from helmetscan.inference.yolo import load_ultralytics

    coco = load_ultralytics(weights_dir / COCO, "detect")
    helmet = load_ultralytics(weights_dir / HELMET, "detect")
    plate = load_ultralytics(weights_dir / PLATE, "detect")
    reader = easyocr.Reader(["en"], gpu=False, model_storage_directory=str(weights_dir / "easyocr"),
                            download_enabled=False, verbose=False)
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise VideoError(f"{video}: cannot open as a video")
    run = NaiveRun()
    try:
        while True:
            t0 = time.perf_counter()
            ok, frame = cap.read()
            run._time("decode", t0)
            if not ok:
                break
            run.frames_read += 1
            if (run.frames_read - 1) % FRAME_STRIDE:
                continue
            run.frames_analysed += 1
            t0 = time.perf_counter()
            coco.predict(frame, verbose=False)
            run._time("detector", t0)
            t0 = time.perf_counter()
            heads = helmet.predict(frame, verbose=False)[0]
            run._time("helmet", t0)
            run.bare_heads += sum(heads.names[int(c)].lower().startswith("without") for c in heads.boxes.cls)
            t0 = time.perf_counter()
            found = plate.predict(frame, verbose=False)[0].boxes.xyxy.cpu().numpy().astype(int)
            run._time("plates", t0)
            t0 = time.perf_counter()
            for x1, y1, x2, y2 in found:
                run.texts += [text for _, text, _ in reader.readtext(frame[y1:y2, x1:x2])]
            run._time("ocr", t0, calls=len(found))
            run.plates += len(found)
    finally:
        cap.release()
    return run
