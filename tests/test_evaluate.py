"""``evaluate`` on real data: third-party models are scored only on the classes their names map to."""


import pandas as pd
import pytest

from conftest import CCTV_CLIP as CLIP, needs_cctv_clip, needs_weights
from helmetscan.config import Settings
from helmetscan.core.errors import HelmetscanError
from helmetscan.tooling.dataset import build, load_specs
from helmetscan.tooling.evaluate import COLUMNS, evaluate_model, read_split, target_classes_of, write_outputs
from helmetscan.tooling.labels import read_yolo_labels




def test_class_names_map_by_role():
    roles = Settings()  # detector roles (person, motorcycle, rider), verification roles (heads), plate roles
    coco = {0: "person", 1: "bicycle", 3: "motorcycle"}
    assert target_classes_of(coco, roles) == {"rider (rule)": 0}  # person + motorcycle, joined by the rider rule
    assert target_classes_of({0: "With Helmet", 1: "Without Helmet"}, roles) == {"without helmet": 1, "with helmet": 2}
    assert target_classes_of({0: "license_plate"}, roles) == {"license_plate": 3}
    ours = {0: "rider", 1: "without helmet", 2: "with helmet", 3: "number plate"}
    assert sorted(target_classes_of(ours, roles).values()) == [0, 1, 2, 3]
    assert target_classes_of({0: "person"}, roles) == {}  # a person alone is not a rider


@pytest.fixture(scope="module")
def clip_test(tmp_path_factory):
    """A 4-class test split of 12 frames of the labelled CCTV clip (never in the training data: its source frames were
    removed from helmet9), built by the real dataset code."""
    import cv2

    src = tmp_path_factory.mktemp("src")
    for sub in ("images", "labels"):
        (src / "test" / sub).mkdir(parents=True)
    cap = cv2.VideoCapture(str(CLIP / "helmet9_cctv_india_15fps.mp4"))
    for index in range(0, 300, 25):  # clip frame index + 1 = label file number
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
        assert ok
        cv2.imwrite(str(src / "test" / "images" / f"{index + 1:06d}.jpg"), frame)
        label = (CLIP / "labels" / f"frame_{index + 1:06d}.txt").read_text()
        (src / "test" / "labels" / f"{index + 1:06d}.txt").write_text(label)
    cap.release()
    (src / "data.yaml").write_text((CLIP / "data.yaml").read_text())
    spec_file = src / "sources.toml"
    spec_file.write_text(
        f'[[source]]\nname = "clip"\nroot = "{src}"\ngroup = "image"\n'
        'mapping = { rider = "rider", no_helmet = "without helmet", helmet = "with helmet", lisc = "number plate", '
        'bike = "", noise = "" }\n')
    out = tmp_path_factory.mktemp("ds") / "clip4"
    build(load_specs(spec_file, src), out, test_share=1.0, val_share=0.0)
    return out / "data.yaml"


@needs_weights
@needs_cctv_clip
def test_models_are_scored_on_the_classes_they_know(tmp_path, clip_test):
    images = read_split(clip_test, "test")
    assert len(images) == 12
    s = Settings()
    results = {name: evaluate_model(s.model_path(name), images, s)
               for name in ("yolov8n-coco.onnx", "license_plate_detector.pt", "helmet4n.pt")}
    csv, md, png = write_outputs(results, tmp_path, "helmet9 sample")
    table = pd.read_csv(csv)
    assert list(table.columns) == COLUMNS
    coco = table[table.model == "yolov8n-coco.onnx"]
    plates = table[table.model == "license_plate_detector.pt"]
    assert coco["class"].tolist() == ["rider", "all"] and plates["class"].tolist() == ["number plate", "all"]
    assert plates.iloc[0].instances == sum(int((i.classes == 3).sum()) for i in images) > 0
    ours = table[table.model == "helmet4n.pt"].set_index("class")
    assert ours.index.tolist() == ["rider", "without helmet", "with helmet", "number plate", "all"]
    print(table.to_string())
    # our model was trained on this camera's other frames; the borrowed ones never saw an overhead view
    assert ours.loc["rider", "mAP50"] > coco.iloc[0]["mAP50"] and ours.loc["number plate", "mAP50"] > plates.iloc[0]["mAP50"]
    assert (table.ms_per_frame > 0).all()
    assert table[table.model != "helmet4n.pt"].training_time_h.isna().all()  # third-party: no training log
    assert ours.loc["all", "training_time_h"] > 0.5  # from weights/helmet4n.train_time.json
    assert "| license_plate_detector.pt | number plate |" in md.read_text()


def test_split_errors_name_the_file(tmp_path):
    with pytest.raises(HelmetscanError, match="dataset yaml not found"):
        read_split(tmp_path / "nope.yaml")
    (tmp_path / "d.yaml").write_text("names: {0: cat}\ntest: images/test\n")
    with pytest.raises(HelmetscanError, match="are not"):
        read_split(tmp_path / "d.yaml")


def test_label_reader_skips_malformed_lines_and_reads_an_absent_file_as_empty(tmp_path):
    (tmp_path / "a.txt").write_text("1 0.5 0.5 0.2 0.4\nfoo\n\n2 0.1 0.1 0.1\n3 0.25 0.75 0.1 0.1\n")
    classes, boxes = read_yolo_labels(tmp_path / "a.txt")
    assert classes.tolist() == [1, 3]
    assert boxes.ravel().tolist() == pytest.approx([0.4, 0.3, 0.6, 0.7, 0.2, 0.7, 0.3, 0.8])
    classes, boxes = read_yolo_labels(tmp_path / "absent.txt")
    assert classes.shape == (0,) and boxes.shape == (0, 4)
