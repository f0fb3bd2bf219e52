"""Evidence: what is written per violation, per video, and the SHA256SUMS over all of it.

What goes into one violation's folder, the SHA256SUMS over an output folder, and reading stored records back. The
whole layout of an output folder is in the README ("Output folder").
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from helmetscan.core.errors import OutputBusy, ResultsError
from helmetscan.results.records import VideoRecord, ViolationRecord

VIDEO_JSON = "video.json"
RECORD_JSON = "record.json"
SHA256SUMS = "SHA256SUMS"
#: Where a video's results are assembled before they are renamed into place (a killed run's leftovers are removed).
PARTIAL = ".partial"
#: Where what a run (``--force``) or a database rebuild replaces is kept: moved there, never deleted.
SUPERSEDED = ".superseded"
#: The lock ``analyze`` holds on an output folder while it writes (``filelock``: an OS lock the kernel drops when its
#: process ends, however it ends, so a killed run's lock never blocks a night); a database rebuild takes it too.
LOCK = ".helmetscan.lock"


@contextmanager
def holding_output(out: Path, busy: str) -> Iterator[None]:
    """Hold ``out``'s :data:`LOCK` for the block, without waiting.

    Raises:
        OutputBusy: another process holds it (``busy`` is the message).
    """
    from filelock import FileLock, Timeout

    lock = FileLock(out / LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise OutputBusy(busy) from None
    try:
        yield
    finally:
        lock.release()


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


def write_atomically(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``: readers (and a run killed
    mid-write) see the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def write_json(path: Path, data: Any) -> bytes:
    """Write ``data`` as UTF-8 JSON (sorted keys, indented) atomically; return the bytes written."""
    payload = (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    write_atomically(path, payload)
    return payload


def write_record(path: Path, record: BaseModel) -> bytes:
    """Write a record (:mod:`helmetscan.results.records`) as JSON with :func:`write_json`; return the bytes written."""
    return write_json(path, record.model_dump(mode="json"))


def excerpt_name(path: Path) -> str:
    """The name of a violation's clip excerpt in its folder: ``excerpt`` with the container suffix of ``path``."""
    return f"excerpt{path.suffix}"


def write_violation(
    folder: Path, images: EvidenceImages, record: ViolationRecord, png_compression: int, jpeg_quality: int,
    excerpt: Path | None = None,
) -> tuple[ViolationRecord, dict[str, str]]:
    """Write one violation's evidence into ``folder`` (created; emptied first if it exists).

    ``excerpt``: a clip excerpt already cut (outside ``folder``), moved in as :func:`excerpt_name`. The record is written
    as ``record.json`` with ``evidence_files`` (file name → SHA-256 of every other file).

    Returns:
        (the record as written, ``{file name: sha256}`` for every file written, ``record.json`` included).
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
    if excerpt is not None:
        from helmetscan.weights.registry import sha256_file

        moved = Path(shutil.move(excerpt, folder / excerpt_name(excerpt)))
        hashes[moved.name] = sha256_file(moved)
    record = record.model_copy(update={"evidence_files": dict(hashes)})
    hashes[RECORD_JSON] = _sha256_bytes(write_record(folder / RECORD_JSON, record))
    return record, hashes


def load_results(out: Path) -> tuple[list[VideoRecord], list[ViolationRecord]]:
    """Read every ``video.json`` and ``record.json`` under ``out``.

    Returns:
        (videos, records), each sorted by video key (then violation id).

    Raises:
        ResultsError: ``out`` is not a folder, or a JSON file cannot be read as its record (the message names it).
    """
    if not out.is_dir():
        raise ResultsError(f"{out}: not a results folder")
    videos = [read_record(path, VideoRecord) for path in sorted(out.glob(f"*/{VIDEO_JSON}"))]
    records = [read_record(path, ViolationRecord) for path in sorted(out.glob(f"*/*/{RECORD_JSON}"))]
    records.sort(key=lambda r: (r.video_key, r.violation_id))
    return videos, records


def read_record(path: Path, model: type[VideoRecord] | type[ViolationRecord]):
    """Read one stored record.

    Raises:
        ResultsError: the file cannot be read, is not JSON, or does not fit ``model`` (first problem named).
    """
    try:
        return model.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ResultsError(f"{path}: unreadable results file ({exc})") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ResultsError(f"{path}: not a valid {model.__name__} ({where}: {first['msg']})") from None


def write_sha256sums(out: Path, videos: list[VideoRecord]) -> Path:
    """Write ``OUT/SHA256SUMS`` from the hashes stored in each ``video.json`` (``evidence_sha256``: path relative to
    ``OUT`` → hash) plus the ``video.json`` files themselves, in ``sha256sum`` format."""
    lines = []
    for video in videos:
        lines += [f"{digest}  {rel}" for rel, digest in sorted(video.evidence_sha256.items())]
        vj = out / video.video_key / VIDEO_JSON
        if vj.is_file():
            lines.append(f"{_sha256_bytes(vj.read_bytes())}  {video.video_key}/{VIDEO_JSON}")
    # replaced atomically, so `sha256sum -c` verifies at every moment
    return write_atomically(out / SHA256SUMS, "".join(line + "\n" for line in lines).encode("utf-8"))
