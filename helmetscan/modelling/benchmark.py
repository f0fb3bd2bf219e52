"""Benchmark: analyse clips and print wall time and frames/s per stage on this machine.

Usage: ``python -m helmetscan.benchmark [VIDEO ...]`` (default: the bundled sample and, when ``../shared`` is beside the
repository, its real footage). Figures come from the per-stage timers the pipeline stores in ``video.json``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLIPS = [
    ROOT / "sample_videos" / "bikes.mp4",
    ROOT.parent / "shared" / "footage" / "rider_pillion_no_helmet.mp4",
    ROOT.parent / "shared" / "footage" / "helmet9_cctv_clip" / "helmet9_cctv_india_15fps.mp4",
]
STAGES = ["decode", "stage1", "tracking", "stage2", "plates"]


def main(argv: list[str]) -> int:
    from rich.console import Console
    from rich.table import Table

    from helmetscan.config import Settings
    from helmetscan.pipeline import Analyzer

    clips = [Path(a) for a in argv] or [p for p in DEFAULT_CLIPS if p.is_file()]
    settings = Settings()
    t0 = time.perf_counter()
    analyzer = Analyzer(settings)
    load_s = time.perf_counter() - t0
    table = Table(title=f"helmetscan benchmark (models loaded in {load_s:.1f} s; sampling {settings.sampling.fps} fps)")
    for col in ["clip", "duration s", "frames sampled", "wall s", "riders", "violations", "plates read",
                *[f"{s} frames/s" for s in STAGES]]:
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as out:
        for clip in clips:
            t = time.perf_counter()
            r = analyzer.analyze_video(clip, Path(out), clip.stem)
            wall = time.perf_counter() - t
            if r.status != "done":
                table.add_row(clip.name, "failed", r.error or "")
                continue
            table.add_row(
                clip.name, f"{r.info['duration_s']:.1f}", str(r.counts["frames_sampled"]), f"{wall:.1f}",
                str(r.counts["riders_tracked"]), str(r.counts["violations"]), str(r.counts["plates_read"]),
                *[f"{r.stage_fps[s]:.1f}" if s in r.stage_fps else "-" for s in STAGES],
            )
    Console(width=200).print(table)
    print("stage2 and plates count calls (rider crops, plate crops), not frames.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
