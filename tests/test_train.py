"""A 1-epoch training smoke run on a handful of images (a real ultralytics training loop, tiny sizes), and
``evaluate`` on that run."""

import json

import numpy as np
import pytest

from helmetscan.core.errors import ConfigError
from helmetscan.tooling.train import preset, train


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    import cv2

    root = tmp_path_factory.mktemp("ds")
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("val", 2), ("test", 2)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(n):
            img = rng.integers(0, 80, (96, 96, 3), dtype=np.uint8)
            cv2.rectangle(img, (20, 20), (60, 80), (230, 230, 230), -1)
            cv2.imwrite(str(root / "images" / split / f"{i}.jpg"), img)
            (root / "labels" / split / f"{i}.txt").write_text("0 0.4167 0.5208 0.4167 0.625\n3 0.7 0.2 0.1 0.05\n")
    names = "".join(f"  {i}: {n}\n" for i, n in enumerate(["rider", "without helmet", "with helmet", "number plate"]))
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/val\ntest: images/test\nnames:\n{names}")
    return root / "data.yaml"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory, tiny_dataset):
    run = tmp_path_factory.mktemp("runs") / "smoke"
    return run, train(tiny_dataset, run, "yolov8n.yaml", preset("cpu", epochs=1, imgsz=64, batch=2, workers=0))


def test_one_epoch_smoke_run_writes_checkpoint_metrics_and_time(smoke_run):
    run, best = smoke_run
    assert best.is_file() and best.name in {"best.pt", "last.pt"}
    assert (run / "results.csv").is_file()
    assert json.loads((run / "train_time.json").read_text())["total_s"] > 0
    from ultralytics import YOLO

    assert YOLO(str(best)).names == {0: "rider", 1: "without helmet", 2: "with helmet", 3: "number plate"}


def test_presets():
    assert (preset("default").epochs, preset("default").imgsz, preset("default").batch) == (100, 640, 16)
    assert (preset("default").patience, preset("default").save_period) == (50, 10)
    assert preset("cpu", epochs=3).epochs == 3
    with pytest.raises(ConfigError, match="'gpu-farm'.*default, cpu"):
        preset("gpu-farm")


def test_evaluate_writes_every_column_for_the_smoke_run(tmp_path, tiny_dataset, smoke_run):
    import pandas as pd

    from helmetscan.tooling.evaluate import COLUMNS, evaluate_model, read_split, write_outputs

    run, best = smoke_run
    images = read_split(tiny_dataset, "test")
    assert len(images) == 2 and images[0].classes.tolist() == [0, 3]
    result = evaluate_model(best, images)
    csv, md, png = write_outputs({"smoke": result}, tmp_path / "eval", "smoke")
    table = pd.read_csv(csv)
    assert list(table.columns) == COLUMNS
    assert table["class"].tolist() == ["rider", "number plate", "all"]  # the classes the test labels hold
    row = table.iloc[-1]
    assert row.images == 2 and row.instances == 4 and row.size_mb > 0 and row.peak_memory_mb > 100
    assert row.ms_per_frame > 0 and row.training_time_h >= 0  # read back from the run's train_time.json
    assert table[["precision", "recall", "mAP50", "mAP50-95"]].apply(lambda c: c.between(0, 1)).all().all()
    assert md.read_text().count(f"| smoke/{best.name} |") == 3  # named by its run folder
    assert png.stat().st_size > 10_000
