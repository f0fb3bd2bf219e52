"""The model tooling's commands: ``dataset``, ``train``, ``evaluate``, ``quantize`` (the detectors),
``check-violations`` (whole configurations judged per person against labels), ``head-crops``, ``train-heads``,
``evaluate-heads`` (the head classifier), ``bench`` (speed and memory), ``docs`` (the README's generated tables), and
the plate reader's (:mod:`helmetscan.cli.plate_tooling`); :data:`COMMANDS` lists them all.

They run from a source checkout (labels and sets beside it, :mod:`helmetscan.tooling.paths`); each is thin: options
in, one function of :mod:`helmetscan.tooling` called inside :func:`~helmetscan.cli.common.exit_codes`, its result
printed. Defaults are written out here (the tooling is imported only when a command runs) and equal the functions'
own (tested).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from helmetscan.cli import plate_tooling
from helmetscan.cli.common import console, exit_codes, fail, load, note, out_console


def dataset(
    out: Annotated[Path, typer.Argument(help="Folder to build the YOLO dataset in (replaced).")],
    spec: Annotated[Optional[Path], typer.Option(help="TOML list of sources.",
                                                 show_default="weights/labels/dataset_sources.toml")] = None,
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
    from helmetscan.tooling.paths import REPOSITORY

    with exit_codes(prefix="dataset: ", failing=(OSError, ValueError, KeyError)):
        specs = load_specs(spec or DEFAULT_SPEC, REPOSITORY)
        labeller = None
        if pseudo_labels:
            from helmetscan.inference.yolo import build_detector
            from helmetscan.tooling.pseudo_labels import PSEUDO_LABEL_CONFIG, ModelPseudoLabeller

            s = load(PSEUDO_LABEL_CONFIG)  # the COCO cascade: never our own model labelling its own data
            labeller = ModelPseudoLabeller(
                build_detector(s.verification, s, conf=min_head_conf), build_detector(s.detector, s),
                {sp.name: sp.pseudo for sp in specs}, min_head_conf, min_rider_conf, s.verification,
                s.detector.roles, s.riders,
            )
        stats = build(specs, out, pseudo_labeller=labeller, test_share=test_share, val_share=val_share, seed=seed)
    out_console.print_json(data=stats)


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

    with exit_codes():
        settings = preset(preset_name, epochs=epochs, imgsz=imgsz, batch=batch, device=device, fraction=fraction,
                          warmup_epochs=warmup_epochs)
        best = train(data, run_dir, start, settings)
    out_console.print(f"best weights: {best}", highlight=False)


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

    settings = load(config, {})
    with exit_codes(prefix="evaluate: ", failing=(OSError,)):
        images = read_split(data, split)
        results = {}
        for name in models:
            path = settings.model_path(name)
            console.print(f"evaluating {model_label(path)} on {len(images)} {split} images", highlight=False)
            results[model_label(path)] = evaluate_model(path, images, settings, imgsz)
        csv, md, png = write_outputs(results, out, f"{split} split of {data}")
    out_console.print(md.read_text(encoding="utf-8"), markup=False, highlight=False)
    out_console.print(f"wrote {csv}, {md}, {png}", highlight=False)


def check_violations_cmd(
    configs: Annotated[list[Path], typer.Argument(help="Settings TOML files to compare (e.g. helmetscan/configs/*.toml).")],
    clip: Annotated[Optional[Path], typer.Option(help="Clip with a YOLO label file per frame.")] = None,
    labels: Annotated[Optional[Path], typer.Option(help="Folder of the clip's labels (frame_NNNNNN.txt).")] = None,
    film: Annotated[Optional[Path], typer.Option(help="The film clip rider_pillion_no_helmet.mp4, checked per person "
                                                      "against its heads labelled by eye (weights/labels/film_people.csv).")] = None,
    people: Annotated[bool, typer.Option(help="Check every labelled head of the stage-1 test split, per person.")] = True,
    sample: Annotated[int, typer.Option(help="Test images sampled (seeded) for the per-person check; 0 = all.")] = 0,
    held_out: Annotated[Optional[list[str]], typer.Option(metavar="SOURCE",
        help="A source of weights/labels/head_locator_sources.toml checked per person on every image (e.g. helmonzy, "
             "which no shipped model trained on before the head locator).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the runs and the tables.")] = Path("violation_check"),
) -> None:
    """Compare configurations at violation level, per person: reported bare heads judged against labels and reviews
    (precision first), on the labelled clip (tracked as `analyze` runs, and frame by frame) and on the stage-1 test
    split (by source, head size and view)."""
    from helmetscan.tooling.person_check import check_configs

    if (clip is None) != (labels is None):
        fail("--clip and --labels go together", 2)
    settings_list = [(config, load(config, {})) for config in configs]
    with exit_codes(prefix="check-violations: ", failing=(OSError, ValueError)):
        table = check_configs(settings_list, clip, labels, film, people, sample, out,
                              show=lambda text: out_console.print(text, markup=False, highlight=False),
                              held_out=tuple(held_out or ()))
    out_console.print(table, markup=False, highlight=False)


def quantize_cmd(
    src: Annotated[Path, typer.Argument(help="A float ONNX detection export, or an Ultralytics .pt (exported first "
                                             "at --imgsz).")],
    dst: Annotated[Path, typer.Argument(help="The INT8 ONNX file to write.")],
    imgsz: Annotated[int, typer.Option(help="Export size of a .pt input (px).")] = 416,
    images: Annotated[int, typer.Option(help="Calibration images, drawn from the stage-1 train split.")] = 128,
    seed: Annotated[int, typer.Option(help="Seed of the calibration draw.")] = 0,
) -> None:
    """Make an INT8 copy of a detector for ONNX Runtime (static quantisation, calibrated on training images; the
    detection head's last steps stay in float)."""
    from helmetscan.tooling.quantize import quantize_detector

    with exit_codes(prefix="quantize: ", failing=(OSError, ValueError)):
        path = quantize_detector(src, dst, imgsz, images, seed)
    out_console.print(str(path), highlight=False)


def head_crops_cmd(
    out: Annotated[Path, typer.Argument(help="Folder for the crops (missing or empty).")],
    hold_out: Annotated[Optional[list[str]], typer.Option(metavar="SOURCE",
        help="A source of weights/labels/head_locator_sources.toml left out entirely (leave-one-source-out).")] = None,
    locator: Annotated[Optional[Path], typer.Option(
        help="Cut each head the head locator (.onnx) finds from the locator's box, as analyze cuts it.")] = None,
) -> None:
    """Cut the head crops of the stage-2 head classifier from the head locator's sources, split as the stage-1 dataset
    is; write crops.csv."""
    from helmetscan.tooling.head_crops import build_head_crops

    with exit_codes(prefix="head-crops: ", failing=(OSError, ValueError)):
        counts = build_head_crops(out, hold_out=tuple(hold_out or ()), locator=locator)
    for (split, label), n in counts.items():
        out_console.print(f"{split} {label}: {n}", highlight=False)


def train_heads_cmd(
    crops: Annotated[Path, typer.Argument(help="Head crops cut by `head-crops`.")],
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder (resumes if it holds weights/last.pt).")],
    epochs: Annotated[int, typer.Option(help="Epochs (training stops earlier after 6 without a better val "
                                             "accuracy).")] = 20,
    imgsz: Annotated[int, typer.Option(help="Input size (px).")] = 64,
) -> None:
    """Train (or resume) the stage-2 head classifier (with / without helmet), its backbone started from helmet4n.pt."""
    from helmetscan.tooling.head_train import train_head_classifier

    with exit_codes(prefix="train-heads: ", failing=(OSError,)):
        best = train_head_classifier(crops, run_dir, epochs, imgsz)
    out_console.print(f"best weights: {best}", highlight=False)


def evaluate_heads_cmd(
    crops: Annotated[Path, typer.Argument(help="Head crops cut by `head-crops`.")],
    model: Annotated[Path, typer.Argument(help="The head classifier (.pt).")],
    split: Annotated[str, typer.Option(help="Split of the crops to score.")] = "test",
) -> None:
    """Score a head classifier: precision and recall of "without helmet" per probability floor, accuracy by head size
    and by source (the figures behind verification.min_head_px and verification.classifier_conf)."""
    from helmetscan.tooling.head_eval import head_report

    with exit_codes(prefix="evaluate-heads: ", failing=(OSError,)):
        text = head_report(crops, model, split)
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


def locator_crops_cmd(
    out: Annotated[Path, typer.Argument(help="Folder for the crops (missing or empty).")],
    hold_out: Annotated[Optional[list[str]], typer.Option(metavar="SOURCE",
        help="A source of weights/labels/head_locator_sources.toml left out entirely (leave-one-source-out).")] = None,
) -> None:
    """Cut the head locator's rider crops (every head in them boxed) from its sources, split as the stage-1 dataset
    is; write data.yaml and crops.csv."""
    from helmetscan.tooling.locator_crops import build_locator_crops

    with exit_codes(prefix="locator-crops: ", failing=(OSError, ValueError)):
        counts = build_locator_crops(out, hold_out=tuple(hold_out or ()))
    for (source, split), n in counts.items():
        out_console.print(f"{source} {split}: {n}", highlight=False)


def train_locator_cmd(
    crops: Annotated[Path, typer.Argument(help="Rider crops cut by `locator-crops`.")],
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="Run folder (resumes if it holds weights/last.pt).")],
    epochs: Annotated[int, typer.Option(help="Epochs (training stops earlier after 8 without a better val "
                                             "fitness).")] = 20,
    export: Annotated[Optional[Path], typer.Option(help="Also export the best weights to this ONNX file.")] = None,
) -> None:
    """Train (or resume) the head locator (one class, head) on rider crops, started from helmet4n.pt; optionally
    export it for ONNX Runtime."""
    from helmetscan.tooling.locator_train import export_locator, train_locator

    with exit_codes(prefix="train-locator: ", failing=(OSError,)):
        best = train_locator(crops, run_dir, epochs)
        out_console.print(f"best weights: {best}", highlight=False)
        if export:
            out_console.print(f"exported: {export_locator(best, export)}", highlight=False)


def bench_cmd(
    clip: Annotated[Optional[Path], typer.Option(help="Clip to time.", show_default="62 s of 1080p30 made from "
                                                                                    "../shared")] = None,
    no_naive: Annotated[bool, typer.Option("--no-naive", help="Skip the naive reference (it takes minutes).")] = False,
    long: Annotated[bool, typer.Option("--long", help="Only the long-video memory check (62 s and 10 minutes; "
                                                      "helmetscan's models alone in the process).")] = False,
) -> None:
    """Time helmetscan against the naive way and its own slow path on one clip (wall time, real-time factor, rates per
    stage, peak memory), and check its violations on ../shared/footage equal its slow path's. Exit code 1 when they
    differ, or when --long finds peak memory growing by more than 10 %."""
    from helmetscan.tooling.benchmark import run_benchmark

    with exit_codes(prefix="bench: ", failing=(OSError,)):
        status = run_benchmark(clip, naive=not no_naive, long=long)
    if status:
        raise typer.Exit(status)


def docs_cmd(
    path: Annotated[Path, typer.Argument(help="Markdown file with generated sections.")] = Path("README.md"),
) -> None:
    """Rewrite the README's generated sections (every setting, record field and CSV column) from the code."""
    from helmetscan.tooling.docs import write_docs

    with exit_codes(prefix="docs: ", failing=(OSError,)):
        changed = write_docs(path)
    note(f"{path}: generated sections {'rewritten' if changed else 'already up to date'}")


#: Every tooling command by name, in the order ``helmetscan --help`` lists them (:mod:`helmetscan.cli` registers
#: them in the tooling panel).
COMMANDS = (("dataset", dataset), ("train", train_cmd), ("evaluate", evaluate_cmd), ("quantize", quantize_cmd),
            ("check-violations", check_violations_cmd), ("bench", bench_cmd), ("head-crops", head_crops_cmd),
            ("train-heads", train_heads_cmd), ("evaluate-heads", evaluate_heads_cmd), ("locator-crops", locator_crops_cmd),
            ("train-locator", train_locator_cmd), *plate_tooling.COMMANDS,
            ("docs", docs_cmd))
