"""``make bench``: helmetscan against the naive way and against its own slow path, in one process, on one clip.

Usage: ``helmetscan bench [--clip V] [--no-naive] [--long]`` (``make bench``; :func:`run_benchmark`).

* The clip: 62 s of 1080p30 H.264 made from the real CCTV footage of ``../shared`` (:mod:`helmetscan.tooling.
  bench_clip`; cached in ``~/.cache/helmetscan/bench``), or ``--clip``.
* **helmetscan** (the default settings: decoding and each stage-1 model in a thread of its own, the COCO assist at
  416 px in INT8), its **slow path** (:data:`SLOW`: the same models, one stage after another in one thread),
  **before** (:data:`BEFORE`: the slow path with helmet4n in PyTorch and the COCO assist at 640 px in float, as
  before the fast path) and the **naive** reference (:mod:`helmetscan.tooling.naive_reference`) each analyse it;
  the table gives wall time, real-time factor, items/s per stage, the process's peak RSS during the run (sampled
  every 50 ms; the models of earlier runs stay loaded, so later runs start higher: the RSS at their start is shown
  too) and each one's speed over the naive way.
* **No accuracy traded silently**: helmetscan, its slow path and *before* also analyse every clip of
  ``../shared/footage``; the violations (track, evidence frame, people's verdicts) and plates of each are printed side
  by side, and helmetscan's must equal its slow path's.
* ``--long`` (alone, so that only helmetscan's models are in memory): memory flat in video length: helmetscan on the
  62 s clip and on a 10-minute one made the same way (its first encoding takes minutes), peak RSS of each and their
  ratio (goal: within 10 %).

Figures are for this machine only; the README gives the command and the figures it printed.
"""

from __future__ import annotations

import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from helmetscan.tooling.paths import SHARED

FOOTAGE = SHARED / "footage"
#: The real footage the clips are made from, and the clips compared for accuracy.
CCTV = FOOTAGE / "helmet9_cctv_clip" / "helmet9_cctv_india_15fps.mp4"
ACCURACY_CLIPS = [FOOTAGE / "rider_pillion_no_helmet.mp4", CCTV]
CACHE = Path.home() / ".cache" / "helmetscan" / "bench"
#: Length of the main clip (s): the 62 s clip the issue's figures were taken on.
CLIP_S = 62
#: Lengths of the long-video check (s): the main clip against a ten times longer one.
SHORT_S, LONG_S = CLIP_S, 600
#: How often peak RSS is sampled (s).
RSS_EVERY_S = 0.05
#: Stages whose rate is shown (keys of ``VideoRecord.stage_fps``).
STAGES = ["decode", "stage1", "assist", "tracking", "stage2", "plates"]
#: The slow path: the same models, one stage after another in one thread (each model on both cores).
SLOW = {"runtime": {"pipelined": False, "threads": 2}}
#: What helmetscan ran before the fast path: the slow path with helmet4n in PyTorch and the COCO assist at 640 px in
#: float.
BEFORE = {**SLOW, "detector": {"model": "helmet4n.pt"}, "assist": {"model": "yolov8n-coco.onnx", "imgsz": 640}}


@dataclass
class Run:
    """One analysis of one clip: ``wall_s``, peak and starting RSS (bytes), per-stage rates, what it found."""

    name: str
    wall_s: float
    footage_s: float
    rss_start: int
    rss_peak: int
    rates: dict[str, float] = field(default_factory=dict)
    found: list[tuple] = field(default_factory=list)

    @property
    def real_time_factor(self) -> float:
        """Seconds of footage per second of wall time."""
        return self.footage_s / self.wall_s


@contextmanager
def peak_rss():
    """Sample this process's RSS every :data:`RSS_EVERY_S` while the block runs; yields a dict whose ``start`` and
    ``peak`` (bytes) are filled when the block ends."""
    import psutil

    process, stop, box = psutil.Process(), threading.Event(), {}
    box["start"] = box["peak"] = process.memory_info().rss

    def sample() -> None:
        while not stop.wait(RSS_EVERY_S):
            box["peak"] = max(box["peak"], process.memory_info().rss)

    thread = threading.Thread(target=sample, name="rss", daemon=True)
    thread.start()
    try:
        yield box
    finally:
        stop.set()
        thread.join()
        box["peak"] = max(box["peak"], process.memory_info().rss)


def _runner(overrides: dict):
    from helmetscan.config import Settings
    from helmetscan.pipeline.loading import load_models
    from helmetscan.runner.batch import BatchRunner

    settings = Settings(**overrides)
    return BatchRunner(settings, load_models(settings))


def _analyse(name: str, runner, clip: Path, out: Path) -> Run:
    from helmetscan.core.errors import HelmetscanError
    from helmetscan.results.evidence import load_results

    with peak_rss() as rss:
        t0 = time.perf_counter()
        record = runner.run_video(clip, out, f"{name}_{clip.stem}")
        wall = time.perf_counter() - t0
    if record.error:
        raise HelmetscanError(record.error)  # it names the clip first, once
    _, violations = load_results(out)
    found = sorted((v.track_id, v.frame_index, tuple((p.person_id, str(p.verdict)) for p in v.people),
                    v.plate.text or "unread") for v in violations if v.video_key == record.video_key)
    return Run(name, wall, record.info.duration_s, rss["start"], rss["peak"], dict(record.stage_fps), found)


def _naive(clip: Path) -> Run:
    from helmetscan.config import Settings
    from helmetscan.tooling.naive_reference import run_naive
    from helmetscan.pipeline.sampling import open_video

    cap, info = open_video(clip)
    cap.release()
    with peak_rss() as rss:
        t0 = time.perf_counter()
        naive = run_naive(clip, Settings().weights_dir)
        wall = time.perf_counter() - t0
    rates = {stage: naive.calls[stage] / s for stage, s in naive.seconds.items() if s > 0}
    return Run("naive", wall, info.duration_s, rss["start"], rss["peak"], rates,
               [("bare heads", naive.bare_heads), ("plates", naive.plates)])


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f}"


def _long_check(console, fast, out: Path) -> int:
    """The long-video memory check; returns 1 when peak RSS grows by more than 10 %."""
    from helmetscan.tooling.bench_clip import make_clip

    short = make_clip(CCTV, CACHE / f"cctv_1080p30_{SHORT_S}s.mp4", SHORT_S)
    long = make_clip(CCTV, CACHE / f"cctv_1080p30_{LONG_S}s.mp4", LONG_S)
    r1, r10 = _analyse("short", fast, short, out / "short"), _analyse("long", fast, long, out / "long")
    growth = r10.rss_peak / r1.rss_peak - 1
    console.print(f"long video: peak RSS {_gib(r1.rss_peak)} GiB on {SHORT_S} s, {_gib(r10.rss_peak)} GiB on {LONG_S} s "
                  f"({growth:+.1%}; goal within 10 %); {r1.real_time_factor:.2f}× and {r10.real_time_factor:.2f}× "
                  f"real time")
    return int(growth > 0.10)


def _found(run: Run) -> str:
    return "\n".join(map(str, run.found)) or "none"


def run_benchmark(clip: Path | None = None, naive: bool = True, long: bool = False, console=None) -> int:
    """Run the benchmark (module docstring) on ``clip`` (default: :data:`CLIP_S` s of 1080p30 made from the CCTV
    footage), with the naive reference unless ``naive`` is False, or only the long-video check (``long``), and print
    its tables on ``console`` (a rich ``Console``; default: stdout, 200 columns). Returns 0, or 1 when helmetscan's
    violations or plates on the footage differ from its slow path's, or (``long``) peak RSS grows by more than 10 %.

    Raises:
        VideoError, WeightsError, ConfigError: no clip can be made or read, a weight file is missing.
    """
    from rich.console import Console
    from rich.table import Table

    from helmetscan.tooling.bench_clip import make_clip

    console = console or Console(width=200)
    clip = clip or make_clip(CCTV, CACHE / f"cctv_1080p30_{CLIP_S}s.mp4", CLIP_S)

    t0 = time.perf_counter()
    fast = _runner({})
    load_fast = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if long:
            return _long_check(console, fast, out)
        slow, before = _runner(SLOW), _runner(BEFORE)
        runs = [_analyse("helmetscan", fast, clip, out / "fast"), _analyse("slow path", slow, clip, out / "slow"),
                _analyse("before", before, clip, out / "before")]
        if naive:
            runs.append(_naive(clip))
        reference = runs[-1] if naive else None
        table = Table(title=f"{clip.name}: {runs[0].footage_s:.1f} s (helmetscan's models loaded in {load_fast:.1f} s, "
                            f"not in the wall times)")
        for col in ["path", "wall s", "× real time", "× naive", "peak RSS GiB", "RSS at start GiB",
                    *[f"{s}/s" for s in STAGES], "naive: detector/s", "helmet/s", "plates/s", "ocr/s"]:
            table.add_column(col, justify="right")
        for run in runs:
            cells = [run.name, f"{run.wall_s:.1f}", f"{run.real_time_factor:.2f}",
                     f"{reference.wall_s / run.wall_s:.1f}" if reference else "-", _gib(run.rss_peak), _gib(run.rss_start)]
            if run.name == "naive":
                cells += ["-"] * len(STAGES) + [f"{run.rates.get(s, 0):.1f}" for s in ("detector", "helmet", "plates",
                                                                                         "ocr")]
            else:
                cells += [f"{run.rates[s]:.1f}" if s in run.rates else "-" for s in STAGES] + ["-"] * 4
            table.add_row(*cells)
        console.print(table)
        console.print("decode counts every decoded frame, stage 1, assist and tracking sampled frames, stage 2 heads' "
                      "motorcycles, plates plate reads; the naive path's rates are frames (ocr: plate crops).")
        if reference:
            console.print(f"naive found {dict(reference.found)} on {clip.name}")

        accuracy = Table(title="No accuracy traded silently: violations (track, evidence frame, people, plate) on "
                               "../shared/footage")
        for col in ["clip", "helmetscan", "slow path (same models)", "equal", "before (helmet4n.pt, COCO 640 px)"]:
            accuracy.add_column(col)
        status = 0
        for footage in (c for c in ACCURACY_CLIPS if c.is_file()):
            a, b, c = (_analyse(name, runner, footage, out / f"acc_{name}")
                       for name, runner in (("fast", fast), ("slow", slow), ("before", before)))
            status |= a.found != b.found
            accuracy.add_row(footage.name, _found(a), _found(b), "yes" if a.found == b.found else "NO", _found(c))
        console.print(accuracy)
        console.print("helmetscan must equal its slow path (exit 1 otherwise). Against `before` the models differ "
                      "(helmet4n in ONNX, the assist at 416 px in INT8): that change is measured per person by "
                      "`helmetscan check-violations` (weights/ASSIST_INT8.md).")
    return status
