"""Our plate reader run by EasyOCR against our own runtime on the same network (ONNX Runtime, five views, a beam
search held to the plate formats). Issue 8 suggests it, so that EasyOCR could stay the runtime the design card names.

EasyOCR loads a custom recognition network from ``easyocr.Reader(..., recog_network=NAME,
user_network_directory=DIR)``: ``DIR/NAME.py`` defines ``Model(num_class, **network_params)``, ``DIR/NAME.yaml`` its
settings, ``model_storage_directory/NAME.pth`` its weights (EasyOCR 1.7 ``easyocr.Reader.__init__``,
``recognition.get_recognizer``). ``export`` writes the three (the ``.py`` imports :class:`Model` from here, the weights
rebuilt from ``weights/plate_reader.onnx``); ``main`` reads labelled folders (``labels.csv``, as ``evaluate-plates``)
with both runtimes and prints the figures, the reader rule's floor included (``plate_eval.rule_floor``, 99 %).

    python -m helmetscan.modelling.plate_easyocr ~/data/plate_sets/tuning ~/data/plate_sets/real_train --rule
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

from helmetscan.models.base import TextRead
from helmetscan.models.plate_recognizer import INPUT_HEIGHT, INPUT_WIDTH

#: EasyOCR's name for the network (its files are NAME.py, NAME.yaml, NAME.pth).
NETWORK = "helmetscan_plate"

#: The network's input (height, width): the whole crop squeezed to it (``plate_recognizer.to_model_input``).
INPUT_SIZE = (INPUT_HEIGHT, INPUT_WIDTH)


class Model(nn.Module):
    """Our CRNN (``plate_train.build_ctc_model``) behind EasyOCR's recogniser interface.

    EasyOCR hands ``forward`` a batch of grey crops resized to the yaml's ``imgH`` (64) with their aspect kept and
    scaled to -1..1 ((N, 1, 64, W) float); :class:`EasyOcrPlateNetwork` gives it crops already squeezed to
    :data:`INPUT_SIZE`, so EasyOCR neither resizes nor pads them (it pads a narrower crop to ``ceil(w / h) · 64`` by
    repeating its last column, ``recognition.NormalizePAD``). ``forward`` maps them back to 0..1, resizes any other
    size to :data:`INPUT_SIZE` and returns the CRNN's logits ((N, steps, num_class); EasyOCR applies the softmax and
    decodes, class 0 = the CTC blank as in ours).

    Args:
        num_class: 1 + the number of characters in the yaml's ``character_list`` (our ``plate_render.ALPHABET``).
        bands, bidirectional, rows: the CRNN's layout (``build_ctc_model``), from the yaml's ``network_params``.
    """

    def __init__(self, num_class: int, bands: int = 2, bidirectional: bool = True, rows: bool = True):
        super().__init__()
        from helmetscan.modelling.plate_train import build_ctc_model

        self.net = build_ctc_model(num_class, bands, bidirectional, rows)

    def forward(self, image: torch.Tensor, text=None) -> torch.Tensor:
        x = (image + 1.0) / 2.0
        if tuple(x.shape[-2:]) != INPUT_SIZE:
            x = nn.functional.interpolate(x, size=INPUT_SIZE, mode="bilinear", align_corners=False)
        return self.net.logits(x)


def export(onnx_path: Path, out: Path, sample_inputs: np.ndarray) -> Path:
    """Write ``NETWORK.py``, ``NETWORK.yaml`` and ``NETWORK.pth`` into ``out`` (created) for the CRNN in ``onnx_path``
    and return ``out``. ``sample_inputs``: (N, 64, W) uint8 model inputs for the batch norms' statistics
    (``plate_reader_weights.crnn_state_dict``).

    Raises:
        ValueError: ``onnx_path`` is not a CRNN plate reader with one sequence per row.
    """
    import yaml

    from helmetscan.modelling.plate_reader_weights import crnn_state_dict, reader_bands, reader_rows
    from helmetscan.modelling.plate_render import ALPHABET

    if not reader_rows(onnx_path):
        raise ValueError(f"{onnx_path}: not a reader with one sequence per row (session 14 on)")
    out.mkdir(parents=True, exist_ok=True)
    state = crnn_state_dict(onnx_path, sample_inputs)
    torch.save({f"module.net.{k}": v for k, v in state.items()}, out / f"{NETWORK}.pth")  # EasyOCR drops "module."
    (out / f"{NETWORK}.py").write_text("from helmetscan.modelling.plate_easyocr import Model  # noqa: F401\n")
    config = {"network_params": {"bands": reader_bands(onnx_path), "bidirectional": True, "rows": True},
              "imgH": 64, "lang_list": ["en"], "character_list": ALPHABET}
    (out / f"{NETWORK}.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return out


class EasyOcrPlateNetwork:
    """A :class:`~helmetscan.models.base.TextRecognizer`: EasyOCR's recognition running our network on the crop
    squeezed to :data:`INPUT_SIZE` grey (as our runtime feeds it): greedy CTC decoding without the plate formats, its
    contrast step for low-contrast crops, and its confidence (``recognition.custom_mean``: the product of the
    non-blank steps' top probabilities to the power 2 / sqrt(steps)).

    Args:
        folder: a folder written by :func:`export`.
        quantize: EasyOCR's default on CPU: its ``torch.quantization.quantize_dynamic`` turns our LSTMs and linear
            head to int8; False keeps them float, as our runtime runs them.
    """

    def __init__(self, folder: Path, quantize: bool = True):
        import warnings

        import easyocr

        from helmetscan.modelling.plate_render import ALPHABET

        self.allowlist = ALPHABET  # else EasyOCR ignores every character outside the English list (all Hangul)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._reader = easyocr.Reader(["en"], gpu=False, model_storage_directory=str(folder),
                                          user_network_directory=str(folder), recog_network=NETWORK,
                                          download_enabled=False, detector=False, verbose=False,
                                          quantize=quantize)

    def __call__(self, image: np.ndarray) -> TextRead:
        """Read one plate crop ((h, w, 3) uint8 BGR) whole: text and EasyOCR's confidence."""
        import warnings

        from helmetscan.models.plate_recognizer import to_model_input

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = self._reader.recognize(to_model_input(image, INPUT_SIZE), allowlist=self.allowlist, detail=1)
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
    ap.add_argument("--no-quantize", action="store_true", help="keep EasyOCR from quantising our network to int8")
    ap.add_argument("--easyocr-floor", type=float,
                    help="plate floor of the EasyOCR runtime (its confidence is another scale; default: ours)")
    args = ap.parse_args(argv)
    settings = load_settings(args.config)
    ours, plates = _crop_reader(settings, "helmetscan")
    first = args.folders[0]
    sample = np.stack([to_model_input(cv2.imread(str(first / f))) for f, _ in read_labels(first)[:512]])
    network = EasyOcrPlateNetwork(export(settings.model_path(plates.reader_model), args.network, sample),
                                  quantize=not args.no_quantize)
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
