"""Benchmark: analyse clips and print wall time and frames/s per stage on this machine.

Usage: ``python -m helmetscan.modelling.benchmark [VIDEO ...]`` (default: the bundled sample and, when ``../shared`` is
beside the repository, its real footage). Every clip runs through the batch runner with the default settings, as
``helmetscan analyze`` runs it, into a temporary folder; the figures come from the per-stage timers of the video record
it returns (what ``video.json`` stores).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

#: The repository root (``helmetscan/modelling/benchmark.py`` → three levels up).
ROOT = Path(__file__).resolve().parents[2]
#: Clips run when none is given: the bundled sample, then the real footage of ``../shared`` (skipped when absent).
DEFAULT_CLIPS = [
    ROOT / "sample_videos" / "bikes.mp4",
    ROOT.parent / "shared" / "footage" / "rider_pillion_no_helmet.mp4",
    ROOT.parent / "shared" / "footage" / "helmet9_cctv_clip" / "helmet9_cctv_india_15fps.mp4",
]
#: Stages whose rate is shown (keys of ``VideoRecord.stage_fps``).
STAGES = ["decode", "stage1", "tracking", "stage2", "plates"]


def main(argv: list[str]) -> int:
    """Benchmark the clips named in ``argv`` (default :data:`DEFAULT_CLIPS` that exist) and print one table row per
    clip: duration (s), frames sampled, wall time (s), riders, violations, plates read and items/s per stage. A clip
    that fails is shown as ``failed`` with its reason. Returns the exit status (0).

    Raises:
        ConfigError: the device or a model's classes do not fit the default settings.
        WeightsError: a weight file is missing, corrupt or unloadable.
    """
    from rich.console import Console
    from rich.table import Table

    from helmetscan.config import Settings
    from helmetscan.models.loader import load_models
    from helmetscan.results.records import VideoStatus
    from helmetscan.runner.batch import BatchRunner

    clips = [Path(a) for a in argv] or [p for p in DEFAULT_CLIPS if p.is_file()]
    settings = Settings()
    t0 = time.perf_counter()
    runner = BatchRunner(settings, load_models(settings))
    load_s = time.perf_counter() - t0
    table = Table(title=f"helmetscan benchmark (models loaded in {load_s:.1f} s; sampling {settings.sampling.fps} fps)")
    for col in ["clip", "duration s", "frames sampled", "wall s", "riders", "violations", "plates read",
                *[f"{s} frames/s" for s in STAGES]]:
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as out:
        for index, clip in enumerate(clips):
            t = time.perf_counter()
            r = runner.run_video(clip, Path(out), f"{index:02d}_{clip.stem}")
            wall = time.perf_counter() - t
            if r.status is not VideoStatus.DONE:
                table.add_row(clip.name, "failed", r.error or "")
                continue
            table.add_row(
                clip.name, f"{r.info.duration_s:.1f}", str(r.counts.frames_sampled), f"{wall:.1f}",
                str(r.counts.riders_tracked), str(r.counts.violations), str(r.counts.plates_read),
                *[f"{r.stage_fps[s]:.1f}" if s in r.stage_fps else "-" for s in STAGES],
            )
    Console(width=200).print(table)
    print("stage2 and plates count calls (rider crops, plate crops), not frames.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
