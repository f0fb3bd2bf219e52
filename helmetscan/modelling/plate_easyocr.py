"""Our plate reader run by EasyOCR (its custom-network form, :mod:`helmetscan.models.easyocr_plate_network`) against
our own runtime on the same network (ONNX Runtime, five views, a beam search held to the plate formats).

``export`` writes the network, its yaml and weights (rebuilt from ``weights/plate_reader.onnx``) into a folder;
``main`` reads labelled folders (``labels.csv``, as ``evaluate-plates``) with both and prints the figures, the
reader rule's floor included (``plate_eval.rule_floor``, 99 %, on the folders given).

    python -m helmetscan.modelling.plate_easyocr ~/data/plate_sets/tuning ~/data/plate_sets/real_train --rule
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from helmetscan.models.base import TextRead

#: EasyOCR's name for the network (its files are NAME.py, NAME.yaml, NAME.pth).
NETWORK = "helmetscan_plate"


def export(onnx_path: Path, out: Path, sample_inputs: np.ndarray) -> Path:
    """Write ``NETWORK.py``, ``NETWORK.yaml`` and ``NETWORK.pth`` into ``out`` (created) for the CRNN in ``onnx_path``
    and return ``out``. ``sample_inputs``: (N, 64, W) uint8 model inputs for the batch norms' statistics
    (``plate_reader_weights.crnn_state_dict``).

    Raises:
        ValueError: ``onnx_path`` is not a CRNN plate reader with one sequence per row.
    """
    import torch
    import yaml

    from helmetscan.modelling.plate_reader_weights import crnn_state_dict, reader_bands, reader_rows
    from helmetscan.modelling.plate_render import ALPHABET

    if not reader_rows(onnx_path):
        raise ValueError(f"{onnx_path}: not a reader with one sequence per row (session 14 on)")
    out.mkdir(parents=True, exist_ok=True)
    state = crnn_state_dict(onnx_path, sample_inputs)
    torch.save({f"module.net.{k}": v for k, v in state.items()}, out / f"{NETWORK}.pth")  # EasyOCR drops "module."
    (out / f"{NETWORK}.py").write_text("from helmetscan.models.easyocr_plate_network import Model  # noqa: F401\n")
    config = {"network_params": {"bands": reader_bands(onnx_path), "bidirectional": True, "rows": True},
              "imgH": 64, "lang_list": ["en"], "character_list": ALPHABET}
    (out / f"{NETWORK}.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return out


class EasyOcrPlateNetwork:
    """A :class:`~helmetscan.models.base.TextRecognizer`: EasyOCR's recognition (greedy CTC decoding, its own
    resizing and contrast step, confidence = its mean of the steps' top probabilities) running our network.

    Args:
        folder: a folder written by :func:`export`.
    """

    def __init__(self, folder: Path):
        import warnings

        import easyocr

        from helmetscan.modelling.plate_render import ALPHABET

        self.allowlist = ALPHABET  # else EasyOCR ignores every character outside the English list (all Hangul)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._reader = easyocr.Reader(["en"], gpu=False, model_storage_directory=str(folder),
                                          user_network_directory=str(folder), recog_network=NETWORK,
                                          download_enabled=False, detector=False, verbose=False)

    def __call__(self, image: np.ndarray) -> TextRead:
        """Read one plate crop ((h, w, 3) uint8 BGR) whole: text and EasyOCR's confidence."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = self._reader.recognize(image, allowlist=self.allowlist, detail=1)
        if not results:
            return TextRead("", 0.0)
        return TextRead("".join(r[1] for r in results).replace(" ", ""), float(min(r[2] for r in results)))


def main(argv: list[str] | None = None) -> None:
    import cv2

    from helmetscan.cli import _crop_reader
    from helmetscan.config import load_settings
    from helmetscan.fielddoc import markdown_table
    from helmetscan.modelling.plate_eval import evaluate, read_labels, rule_floor, summary
    from helmetscan.models.plate_recognizer import to_model_input
    from helmetscan.pipeline.plate_reading import CropReader

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path, help="folders with labels.csv (file,text)")
    ap.add_argument("--network", type=Path, default=Path("runs/easyocr_plate_network"),
                    help="where the EasyOCR form of the reader is written")
    ap.add_argument("--config", type=Path, help="a helmetscan config file (TOML)")
    ap.add_argument("--rule", action="store_true", help="print the reader rule's floor over all the folders")
    ap.add_argument("--easyocr-floor", type=float,
                    help="plate floor of the EasyOCR runtime (its confidence is another scale; default: ours)")
    args = ap.parse_args(argv)
    settings = load_settings(args.config)
    ours, plates = _crop_reader(settings, "helmetscan")
    first = args.folders[0]
    sample = np.stack([to_model_input(cv2.imread(str(first / f))) for f, _ in read_labels(first)[:512]])
    network = EasyOcrPlateNetwork(export(settings.model_path(plates.reader_model), args.network, sample))
    theirs = CropReader(network, plates)  # fed as ours is: the loose crop, not upscaled or trimmed
    floors = {"ours (ONNX Runtime)": plates, "ours in EasyOCR": plates.model_copy(
        update={"min_plate_conf": args.easyocr_floor}) if args.easyocr_floor is not None else plates}
    rows, pooled = [], {"ours (ONNX Runtime)": [], "ours in EasyOCR": []}
    for folder in args.folders:
        for name, reader in (("ours (ONNX Runtime)", ours), ("ours in EasyOCR", theirs)):
            outcomes, ms = evaluate(folder, reader, floors[name])
            pooled[name] += outcomes
            figures = summary(outcomes)
            rows.append([folder.name, name, figures["plates"], figures["exact"], figures["char_acc"],
                         figures["reported"], figures["precision"], round(ms, 1)])
    print(markdown_table(["set", "runtime", "plates", "exact", "char_acc", "reported", "precision", "ms_per_crop"],
                         rows))
    if args.rule:
        for name, outcomes in pooled.items():
            print(name, rule_floor(outcomes))


if __name__ == "__main__":
    main()
