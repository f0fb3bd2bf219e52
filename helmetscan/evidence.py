"""Evidence: what is written per violation, per video, and the SHA256SUMS over all of it.

Layout of an output folder ``OUT``::

    OUT/settings.json                      resolved settings of the last run
    OUT/<video key>/video.json             video metadata, status, counts, timing, hashes of its evidence files
    OUT/<video key>/<violation id>/        frame.png (lossless, untouched), annotated.jpg, rider.png,
                                           plate.png, plate_upscaled.png, record.json
    OUT/SHA256SUMS                         `sha256sum -c SHA256SUMS` verifies every evidence file and record
    OUT/violations.csv, OUT/report.html    rebuilt by `helmetscan report OUT` from the JSON files
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from helmetscan.errors import ResultsError

VIDEO_JSON = "video.json"
RECORD_JSON = "record.json"
SHA256SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class EvidenceImages:
    """Images of one violation, all uint8 BGR: ``frame`` (H, W, 3) the untouched full frame; ``annotated`` a drawn copy;
    ``rider`` the padded rider crop; ``plate`` / ``plate_upscaled`` the plate crop before and after upscaling, or
    ``None`` when no plate was found."""

    frame: np.ndarray
    annotated: np.ndarray
    rider: np.ndarray
    plate: np.ndarray | None
    plate_upscaled: np.ndarray | None


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _encode(ext: str, image: np.ndarray, params: list[int]) -> bytes:
    import cv2

    ok, buf = cv2.imencode(ext, image, params)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.shape} image as {ext}")
    return buf.tobytes()


def write_json(path: Path, data: Any) -> bytes:
    """Write ``data`` as UTF-8 JSON (sorted keys, indented) atomically; return the bytes written."""
    payload = (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(payload)
    tmp.replace(path)
    return payload


def write_violation(
    folder: Path, images: EvidenceImages, record: dict[str, Any], png_compression: int, jpeg_quality: int
) -> dict[str, str]:
    """Write one violation's evidence into ``folder`` (created; emptied first if it exists).

    ``record`` gets an ``evidence_files`` entry (file name → SHA-256) before it is written as ``record.json``.

    Returns:
        ``{file name: sha256}`` for every file written, ``record.json`` included.
    """
    import cv2

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    png = [cv2.IMWRITE_PNG_COMPRESSION, png_compression]
    files = {
        "frame.png": _encode(".png", images.frame, png),
        "annotated.jpg": _encode(".jpg", images.annotated, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]),
        "rider.png": _encode(".png", images.rider, png),
    }
    if images.plate is not None and images.plate.size:
        files["plate.png"] = _encode(".png", images.plate, png)
    if images.plate_upscaled is not None and images.plate_upscaled.size:
        files["plate_upscaled.png"] = _encode(".png", images.plate_upscaled, png)
    hashes = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        hashes[name] = _sha256_bytes(data)
    record = {**record, "evidence_files": dict(hashes)}
    hashes[RECORD_JSON] = _sha256_bytes(write_json(folder / RECORD_JSON, record))
    return hashes


def load_results(out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read every ``video.json`` and ``record.json`` under ``out``.

    Returns:
        (videos, records), each sorted by video key (then violation id).

    Raises:
        ResultsError: ``out`` is not a folder, or a JSON file cannot be parsed (the message names it).
    """
    if not out.is_dir():
        raise ResultsError(f"{out}: not a results folder")
    videos, records = [], []
    for path in sorted(out.glob(f"*/{VIDEO_JSON}")):
        videos.append(_read_json(path))
    for path in sorted(out.glob(f"*/*/{RECORD_JSON}")):
        records.append(_read_json(path))
    records.sort(key=lambda r: (r.get("video_key", ""), r.get("violation_id", "")))
    return videos, records


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: unreadable results file ({exc})") from None


def write_sha256sums(out: Path, videos: list[dict[str, Any]]) -> Path:
    """Write ``OUT/SHA256SUMS`` from the hashes stored in each ``video.json`` (``evidence_sha256``: path relative to
    ``OUT`` → hash) plus the ``video.json`` files themselves, in ``sha256sum`` format."""
    lines = []
    for video in videos:
        lines += [f"{digest}  {rel}" for rel, digest in sorted(video.get("evidence_sha256", {}).items())]
        vj = out / video["video_key"] / VIDEO_JSON
        if vj.is_file():
            lines.append(f"{_sha256_bytes(vj.read_bytes())}  {video['video_key']}/{VIDEO_JSON}")
    path = out / SHA256SUMS
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def annotate(frame: np.ndarray, rider_xyxy, head_xyxy, plate_xyxy, caption: str) -> np.ndarray:
    """A copy of ``frame`` ((H, W, 3) uint8 BGR) with the rider (red), head (yellow) and plate (green) boxes and a
    caption drawn by OpenCV (never ultralytics' plotter, which downloads fonts). ``frame`` is not modified."""
    import cv2

    out = frame.copy()
    thickness = max(2, round(min(out.shape[:2]) / 300))
    for box, colour in ((rider_xyxy, (0, 0, 255)), (head_xyxy, (0, 255, 255)), (plate_xyxy, (0, 200, 0))):
        if box is not None:
            x1, y1, x2, y2 = (int(round(v)) for v in box)
            cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
    scale = max(0.5, min(out.shape[:2]) / 900)
    (tw, th), base = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    cv2.rectangle(out, (0, 0), (tw + 12, th + base + 12), (0, 0, 0), -1)
    cv2.putText(out, caption, (6, th + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return out
