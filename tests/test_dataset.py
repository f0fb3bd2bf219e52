"""Dataset build on a tiny fixture: mapping, VOC parsing, bad-box reporting, group-aware split, pseudo-label flagging."""

import pandas as pd
import pytest

from helmetscan.tooling.dataset import LabelBox, SourceSpec, build, group_key, original_name

VOC = """<annotation><size><width>200</width><height>100</height><depth>3</depth></size>
<object><name>{name}</name><bndbox><xmin>{x1}</xmin><ymin>10</ymin><xmax>{x2}</xmax><ymax>50</ymax></bndbox></object>
</annotation>"""


def _image(path, shade=0):
    import cv2
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((100, 200, 3), shade, np.uint8))


@pytest.fixture
def sources(tmp_path):
    # CCTV-like YOLO source: frames 100..139 in export splits, frame 105 exported twice
    cctv = tmp_path / "cctv"
    for i, split in [(i, "train" if i % 3 else "valid") for i in range(100, 140)]:
        _image(cctv / split / "images" / f"{i}_jpg.rf.{i:04x}aa.jpg", shade=i)
        (cctv / split / "labels").mkdir(parents=True, exist_ok=True)
        (cctv / split / "labels" / f"{i}_jpg.rf.{i:04x}aa.txt").write_text("5 0.5 0.5 0.2 0.4\n3 0.5 0.2 0.05 0.05\n0 0.5 0.7 0.3 0.3\n")
    _image(cctv / "test" / "images" / "105_jpg.rf.ffffbb.jpg", shade=105)
    (cctv / "test" / "labels").mkdir(parents=True)
    (cctv / "test" / "labels" / "105_jpg.rf.ffffbb.txt").write_text("5 0.5 0.5 0.2 0.4\n")
    # one broken label file: a box outside the image, a bad line and an unknown class id
    (cctv / "train" / "labels" / "101_jpg.rf.0065aa.txt").write_text("5 0.5 0.5 0.2 0.4\n5 1.4 0.5 0.2 0.2\nfoo\n9 0.1 0.1 0.1 0.1\n")
    # LabelImg VOC source
    voc = tmp_path / "voc"
    for i, (name, x1, x2) in enumerate([("Without Helmet", 20, 60), ("With Helmet", 80, 120), ("bicycle", 0, 10),
                                        ("With Helmet", 90, 80)]):
        _image(voc / f"img{i}.jpg", shade=200 + i)
        (voc / f"img{i}.xml").write_text(VOC.format(name=name, x1=x1, x2=x2))
    return [
        SourceSpec("cctv", cctv, {"bike": None, "helmet": "with helmet", "lisc": "number plate", "no_helmet": "without helmet",
                                  "noise": None, "rider": "rider"}, "frame_block:10",
                   ["bike", "helmet", "lisc", "no_helmet", "noise", "rider"]),
        SourceSpec("voc", voc, {"With Helmet": "with helmet", "Without Helmet": "without helmet"}),
    ]


def test_build(tmp_path, sources):
    def pseudo(sample):  # a stand-in labeller: one rider box on each VOC image
        return [LabelBox("rider", (0.1, 0.1, 0.9, 0.9))] if sample.source == "voc" else []

    out = tmp_path / "built"
    stats = build(sources, out, pseudo_labeller=pseudo)
    assert stats["images"] == 40 + 4 and stats["duplicates_dropped"] == 1
    prov = pd.read_csv(out / "provenance.csv")
    # groups never straddle splits; CCTV blocks of 10 frames → 4 groups: 1 test (the 8:2 hold-out), 1 val, 2 train
    assert prov.groupby("group")["split"].nunique().max() == 1
    cctv = prov[prov.source == "cctv"]
    assert cctv.group.nunique() == 4
    assert cctv.split.value_counts().to_dict() == {"train": 20, "test": 10, "val": 10}
    assert prov[prov.source == "voc"].split.value_counts().to_dict() == {"train": 2, "test": 1, "val": 1}
    assert stats["split"] == {"train": 22, "val": 11, "test": 11}
    # pseudo-labels are flagged
    assert prov[prov.source == "voc"].pseudo_boxes.tolist() == [1, 1, 1, 1]
    assert stats["pseudo_boxes"] == 4
    problems = pd.read_csv(out / "problems.csv")
    reasons = " | ".join(problems.reason)
    assert "box outside the image" in reasons and "not 'class cx cy w h'" in reasons
    assert "class id 9 outside 0..5" in reasons and "class 'bicycle' not in the mapping" in reasons
    assert "empty box" in reasons  # the VOC box with xmax < xmin
    assert len(problems) == 5
    # labels: class order rider, without helmet, with helmet, number plate; bike/noise dropped by mapping
    label = (out / "labels" / prov[prov.original == "110"].split.iloc[0] / "cctv__110_jpg.rf.006eaa.txt").read_text()
    assert [line.split()[0] for line in label.splitlines()] == ["0", "1"]
    assert "names:\n  0: rider\n  1: without helmet\n  2: with helmet\n  3: number plate" in (out / "data.yaml").read_text()
    # reproducible
    again = build(sources, tmp_path / "again", pseudo_labeller=pseudo)
    assert again == stats
    assert pd.read_csv(tmp_path / "again" / "provenance.csv").split.tolist() == prov.split.tolist()


@pytest.mark.parametrize(
    ("group", "original", "key"),
    [("frame_block:100", "22306", "s:block223"), ("video", "2023_09_19_16_29_IMG_6003_MOV-11", "s:IMG_6003"),
     ("image", "03-19-1", "s:03-19-1"), ("name_block:25", "Screenshot-160-_png", "s:Screenshot-6"),
     ("name_block:25", "yosiabatch2-109-_png", "s:yosiabatch2-4")],
)
def test_group_key(group, original, key):
    assert group_key(SourceSpec("s", None, {}, group), original) == key


def test_original_name_strips_the_export_suffix():
    from pathlib import Path

    assert original_name(Path("2023_IMG_6003_MOV-11_jpg.rf.03b30df835da73f2045adb6ef25cc18d.jpg")) == "2023_IMG_6003_MOV-11"
