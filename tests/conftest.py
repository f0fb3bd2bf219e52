"""Shared test helpers: where the real data and weights are, and skips with a reason when they are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from helmetscan.config import Settings
from helmetscan.weights.registry import default_weights_dir, read_manifest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FOOTAGE = SHARED / "footage" / "rider_pillion_no_helmet.mp4"
CCTV_CLIP = SHARED / "footage" / "helmet9_cctv_clip"
DATASETS = SHARED / "datasets"
HCMUTE = DATASETS / "hcmute_helmet_lp"
#: Rendered Korean plates (held-out fonts and degradations, seed 77 of plate_sets.export_rendered) with labels.csv.
RENDERED_KR = ROOT / "tests" / "data" / "plates_rendered_kr"
BIKES = ROOT / "sample_videos" / "bikes.mp4"
#: The weights folder the code uses ($HELMETSCAN_WEIGHTS, else the per-user cache `make weights` fills).
WEIGHTS = default_weights_dir()
#: Every file the default pipeline loads, and the borrowed verifier the comparison configs load: the detectors, our head
#: classifier and plate reader, EasyOCR's pinned files.
WEIGHT_FILES = [
    *(getattr(Settings(), stage).model for stage in ("detector", "assist", "verification", "plates")),
    Settings().verification.classifier,
    Settings().verification.locator,
    Settings().evidence.face_model,
    Settings().plates.reader_model,
    *(e.name for e in read_manifest().weights if e.name.startswith("easyocr/")),
]


def _missing(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths if not p.exists())


def _skip_unless(paths: list[Path], hint: str):
    missing = _missing(paths)
    return pytest.mark.skipif(bool(missing), reason=f"{missing} absent; {hint}")


needs_weights = _skip_unless([WEIGHTS / name for name in WEIGHT_FILES], "run `make weights`")
needs_footage = _skip_unless([FOOTAGE], "../shared is not beside the repository")
needs_cctv_clip = _skip_unless([CCTV_CLIP / "helmet9_cctv_india_15fps.mp4", CCTV_CLIP / "labels"],
                               "../shared is not beside the repository")
needs_datasets = _skip_unless([DATASETS], "../shared is not beside the repository")
needs_bikes = _skip_unless([BIKES], "run `make weights` (it fetches the sample video)")


def write_video(path: Path, n_frames: int, fps: float, size=(160, 120), fourcc="mp4v") -> Path:
    """Write a synthetic video whose frame ``i`` shows the number ``i`` as its grey level (i mod 256)."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"cannot write {path}"
    for i in range(n_frames):
        writer.write(np.full((size[1], size[0], 3), (i * 5) % 256, np.uint8))
    writer.release()
    return path
