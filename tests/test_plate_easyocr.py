"""Our plate reader in EasyOCR's custom-network form (issue 8's suggestion): the exported network computes what the
shipped ONNX file computes, and EasyOCR loads it from the folder we write and reads the shipped rendered crops."""

import csv

import cv2
import numpy as np
import pytest
import torch

from conftest import RENDERED_KR, WEIGHTS, needs_weights


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from helmetscan.config import Settings
    from helmetscan.modelling.plate_easyocr import export
    from helmetscan.models.plate_recognizer import to_model_input

    rows = list(csv.DictReader(open(RENDERED_KR / "labels.csv", encoding="utf-8")))
    crops = [cv2.imread(str(RENDERED_KR / r["file"])) for r in rows]
    onnx_path = WEIGHTS / Settings().plates.reader_model
    folder = export(onnx_path, tmp_path_factory.mktemp("net"), np.stack([to_model_input(c) for c in crops]))
    return folder, onnx_path, rows, crops


@needs_weights
def test_the_exported_network_computes_what_the_shipped_onnx_file_computes(exported):
    from helmetscan.modelling.plate_easyocr import NETWORK, Model
    from helmetscan.modelling.plate_render import ALPHABET
    from helmetscan.models.onnx_session import cpu_session
    from helmetscan.models.plate_recognizer import to_model_input

    folder, onnx_path, _, crops = exported
    assert {p.name for p in folder.iterdir()} == {f"{NETWORK}.py", f"{NETWORK}.yaml", f"{NETWORK}.pth"}
    model = Model(len(ALPHABET) + 1)
    model.load_state_dict({k[len("module."):]: v for k, v in torch.load(folder / f"{NETWORK}.pth").items()})
    model.eval()
    x = np.stack([to_model_input(c) for c in crops[:4]])[:, None].astype(np.float32) / 255.0
    session = cpu_session(onnx_path, 1)
    expected = session.run(None, {session.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        got = torch.softmax(model(torch.from_numpy(x) * 2.0 - 1.0), dim=-1).numpy()  # EasyOCR's -1..1 input
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 2e-3


@needs_weights
def test_easyocr_runs_our_network_from_the_exported_folder(exported):
    from helmetscan.modelling.plate_easyocr import EasyOcrPlateNetwork

    folder, _, rows, crops = exported
    network = EasyOcrPlateNetwork(folder, quantize=False)
    reads = [network(c) for c in crops]
    right = sum(r.text == row["text"] for r, row in zip(reads, rows))
    # EasyOCR decodes one view greedily, without our formats; the network is ours (EasyOCR's own English model has no
    # Hangul and reads none of these plates)
    assert right >= 9, [(r.text, row["text"]) for r, row in zip(reads, rows)]
    assert any(ch >= "가" for r in reads for ch in r.text)  # Hangul comes out, not dropped by EasyOCR's language list
    assert all(0.0 <= r.confidence <= 1.0 for r in reads)
