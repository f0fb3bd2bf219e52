"""Our plate reader in EasyOCR's custom-network form (issue 8's suggestion): EasyOCR loads it from the folder we
write, undoes nothing of ours (its right padding is cut off again) and reads the shipped rendered crops."""

import csv

import cv2
import numpy as np
import torch

from conftest import RENDERED_KR, WEIGHTS, needs_weights
from helmetscan.models.easyocr_plate_network import unpad


def test_unpad_cuts_the_columns_easyocr_repeats_on_the_right():
    crop = torch.rand(1, 64, 141)
    padded = torch.cat([crop, crop[..., -1:].expand(1, 64, 51)], dim=-1)  # as recognition.NormalizePAD pads to 192
    out = unpad(padded)
    assert torch.equal(out, crop)  # the crop, its own last column kept
    assert unpad(crop).shape[-1] == 141  # nothing to cut (a random last column differs from the one before)


@needs_weights
def test_easyocr_runs_our_network_from_the_exported_folder(tmp_path):
    from helmetscan.config import Settings
    from helmetscan.modelling.plate_easyocr import NETWORK, EasyOcrPlateNetwork, export
    from helmetscan.models.plate_recognizer import to_model_input

    rows = list(csv.DictReader(open(RENDERED_KR / "labels.csv", encoding="utf-8")))
    crops = [cv2.imread(str(RENDERED_KR / r["file"])) for r in rows]
    folder = export(WEIGHTS / Settings().plates.reader_model, tmp_path / "net",
                    np.stack([to_model_input(c) for c in crops]))
    assert {p.name for p in folder.iterdir()} == {f"{NETWORK}.py", f"{NETWORK}.yaml", f"{NETWORK}.pth"}
    network = EasyOcrPlateNetwork(folder)
    reads = [network(c) for c in crops]
    right = sum(r.text == row["text"] for r, row in zip(reads, rows))
    # EasyOCR decodes one view greedily, without our formats: 11 of 16 right when written (session 17), but the network
    # is ours (EasyOCR's own English model has no Hangul and reads none of these plates)
    assert right >= 9, [(r.text, row["text"]) for r, row in zip(reads, rows)]
    assert any(ch >= "가" for r in reads for ch in r.text)  # Hangul comes out, not dropped by EasyOCR's language list
    assert all(0.0 <= r.confidence <= 1.0 for r in reads)
