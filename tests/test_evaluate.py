"""``evaluate`` on real data: third-party models are scored only on the classes their names map to."""

import os

import pandas as pd
import pytest

from conftest import SHARED, needs_weights
from helmetscan.config import ModelRoles, Settings
from helmetscan.dataset import build, load_specs
from helmetscan.evaluate import COLUMNS, evaluate_model, read_split, target_classes_of, write_outputs
from helmetscan.errors import HelmetscanError

HELMET9 = SHARED / "datasets" / "helmet9_rider_plate"
needs_helmet9 = pytest.mark.skipif(not HELMET9.is_dir(), reason=f"{HELMET9} absent (../shared not beside the repo)")


def test_class_names_map_by_role():
    roles = ModelRoles()
    coco = {0: "person", 1: "bicycle", 3: "motorcycle"}
    assert target_classes_of(coco, roles) == {"rider (rule)": 0}  # person + motorcycle, joined by the rider rule
    assert target_classes_of({0: "With Helmet", 1: "Without Helmet"}, roles) == {"without helmet": 1, "with helmet": 2}
    assert target_classes_of({0: "license_plate"}, roles) == {"license_plate": 3}
    ours = {0: "rider", 1: "without helmet", 2: "with helmet", 3: "number plate"}
    assert sorted(target_classes_of(ours, roles).values()) == [0, 1, 2, 3]
    assert target_classes_of({0: "person"}, roles) == {}  # a person alone is not a rider


@pytest.fixture(scope="module")
def helmet9_test(tmp_path_factory):
    """A 4-class test split of 12 real helmet9 images (symlinked), built by the real dataset code."""
    src = tmp_path_factory.mktemp("src")
    for sub in ("images", "labels"):
        (src / "test" / sub).mkdir(parents=True)
    for image in sorted((HELMET9 / "test" / "images").glob("*.jpg"))[:12]:
        os.symlink(image, src / "test" / "images" / image.name)
        os.symlink(HELMET9 / "test" / "labels" / f"{image.stem}.txt", src / "test" / "labels" / f"{image.stem}.txt")
    (src / "data.yaml").write_text((HELMET9 / "data.yaml").read_text())
    spec_file = src / "sources.toml"
    spec_file.write_text(
        f'[[source]]\nname = "helmet9"\nroot = "{src}"\ngroup = "frame_block:100"\n'
        'mapping = { rider = "rider", no_helmet = "without helmet", helmet = "with helmet", lisc = "number plate", '
        'bike = "", noise = "" }\n')
    out = tmp_path_factory.mktemp("ds") / "helmet4"
    build(load_specs(spec_file, src), out, test_share=1.0, val_share=0.0)
    return out / "data.yaml"


@needs_weights
@needs_helmet9
def test_third_party_models_are_scored_on_the_classes_they_know(tmp_path, helmet9_test):
    images = read_split(helmet9_test, "test")
    assert len(images) == 12
    s = Settings()
    results = {name: evaluate_model(s.model_path(name), images, None, s.detector.roles, s.riders)
               for name in ("yolov8n-coco.onnx", "license_plate_detector.pt")}
    csv, md, png = write_outputs(results, tmp_path, "helmet9 sample")
    table = pd.read_csv(csv)
    assert list(table.columns) == COLUMNS
    coco = table[table.model == "yolov8n-coco.onnx"]
    plates = table[table.model == "license_plate_detector.pt"]
    assert coco["class"].tolist() == ["rider", "all"] and plates["class"].tolist() == ["number plate", "all"]
    assert plates.iloc[0].instances == sum(int((i.classes == 3).sum()) for i in images) > 0
    # measured 2026-11-22: both borrowed models are weak on this overhead CCTV camera (rider recall 0.11 via the
    # rider rule, plate mAP50 0.04): the reason issue 3 trains our own stage 1
    assert 0 < coco.iloc[0]["recall"] < 0.5 and 0 < plates.iloc[0]["recall"] < 0.5
    assert (table.ms_per_frame > 0).all() and table.training_time_h.isna().all()  # no run folder: third-party
    assert "| license_plate_detector.pt | number plate |" in md.read_text()


def test_split_errors_name_the_file(tmp_path):
    with pytest.raises(HelmetscanError, match="dataset yaml not found"):
        read_split(tmp_path / "nope.yaml")
    (tmp_path / "d.yaml").write_text("names: {0: cat}\ntest: images/test\n")
    with pytest.raises(HelmetscanError, match="are not"):
        read_split(tmp_path / "d.yaml")
