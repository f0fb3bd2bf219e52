"""The head locator's rider crops: which heads a unit holds, which crops are never written, and a real build."""

from pathlib import Path
import random

import pandas as pd
import pytest

from helmetscan.tooling.dataset import LabelBox, Sample
from helmetscan.tooling.locator_crops import crop_labels, pad_random, units

from conftest import needs_datasets


def sample(*boxes, source="s"):
    return Sample(source, Path("x.jpg"), "x", "g", [LabelBox(name, xyxy) for name, xyxy in boxes])


def test_heads_above_a_motorcycle_box_belong_to_it_and_widen_the_unit():
    # helmonzy boxes the motorcycle only; its rider's head sits above it (640 x 360 frame, shares of it)
    moto = ("rider", (0.20, 0.56, 0.31, 0.85))
    head = ("with helmet", (0.247, 0.49, 0.278, 0.555))
    far_head = ("without helmet", (0.70, 0.10, 0.72, 0.14))  # someone else's, across the road
    found = units(sample(moto, head, far_head), 640, 360)
    assert len(found) == 1 and found[0].complete
    assert [bare for _, bare in found[0].heads] == [False]
    assert found[0].box[1] == pytest.approx(0.49 * 360)  # the unit reaches up to the head


def test_a_rider_without_a_head_box_is_incomplete():
    # hcmute: a motorcyclist with no helmet box is in most cases a bare head nobody boxed
    found = units(sample(("rider", (0.1, 0.1, 0.3, 0.6)), ("rider", (0.5, 0.1, 0.7, 0.6)),
                         ("with helmet", (0.17, 0.11, 0.23, 0.18))), 640, 640)
    assert [u.complete for u in found] == [True, False]


def test_photos_without_rider_boxes_get_a_unit_around_each_head():
    found = units(sample(("without helmet", (0.4, 0.1, 0.5, 0.2))), 500, 300)
    (unit,) = found
    assert unit.heads == [((200.0, 30.0, 250.0, 60.0), True)]
    assert unit.box == pytest.approx((140.0, 21.0, 310.0, 210.0))  # 1.2 head widths aside, 5 head heights below


def test_a_crop_that_cuts_a_head_in_half_is_refused_and_heads_outside_are_not_labelled():
    heads = [(40.0, 10.0, 60.0, 30.0), (300.0, 300.0, 320.0, 320.0)]
    assert crop_labels((0, 0, 100, 200), heads) == [pytest.approx((0.5, 0.1, 0.2, 0.1))]
    assert crop_labels((50, 20, 100, 200), heads) is None  # the crop's corner on the first head's centre: a quarter in


def test_padding_stays_inside_the_frame():
    rng = random.Random(0)
    for _ in range(50):
        x1, y1, x2, y2 = pad_random((5.0, 5.0, 600.0, 350.0), rng, 640, 360)
        assert 0 <= x1 <= 5 and 0 <= y1 <= 5 and 600 < x2 <= 640 and 350 < y2 <= 360


@needs_datasets
def test_a_held_out_source_gives_no_crop(tmp_path):
    """A real build of pavan and one helmonzy camera (a spec of those two), the camera held out: only pavan crops,
    every one with at least one head box."""
    from helmetscan.tooling.locator_crops import LOCATOR_SPEC, build_locator_crops

    text = LOCATOR_SPEC.read_text()
    spec = tmp_path / "spec.toml"
    header, *sources = text.split("\n[[source]]")
    spec.write_text("\n[[source]]".join([header] + [s for s in sources if '"pavan"' in s or '"helmonzy_square"' in s]))
    counts = build_locator_crops(tmp_path / "crops", spec, LOCATOR_SPEC.parents[2], hold_out=("helmonzy_square",))
    table = pd.read_csv(tmp_path / "crops" / "crops.csv")
    assert set(table.source) == {"pavan"} and set(k[0] for k in counts) == {"pavan"}
    assert (table.heads >= 1).all()
    labels = list((tmp_path / "crops" / "labels" / "train").glob("*.txt"))
    assert labels and all(line.startswith("0 ") for f in labels[:50] for line in f.read_text().splitlines())
    with pytest.raises(ValueError, match="nosuch"):
        build_locator_crops(tmp_path / "other", spec, LOCATOR_SPEC.parents[2], hold_out=("nosuch",))


@needs_datasets
def test_head_crops_are_cut_from_the_boxes_the_locator_gives(tmp_path):
    """With the shipped locator, the classifier's crops of a real source (helmonzy's square camera, which the locator
    never trained on) are cut from the locator's boxes wherever it finds the head: about two heads in three (0.66 when
    the shipped classifier's crops were cut); the rest from the labelled boxes."""
    from conftest import WEIGHTS
    from helmetscan.tooling.head_crops import build_head_crops
    from helmetscan.tooling.locator_crops import LOCATOR_SPEC

    locator = WEIGHTS / "head_locator.onnx"
    if not locator.is_file():
        pytest.skip("run `make weights`")
    header, *sources = LOCATOR_SPEC.read_text().split("\n[[source]]")
    spec = tmp_path / "spec.toml"
    spec.write_text("\n[[source]]".join([header] + [s for s in sources if '"helmonzy_square"' in s]))
    counts = build_head_crops(tmp_path / "crops", spec, LOCATOR_SPEC.parents[2], locator=locator)
    table = pd.read_csv(tmp_path / "crops" / "crops.csv")
    first = table[table.variant == 0]
    assert sum(counts.values()) == len(first) and 0.55 <= first.located.mean() <= 0.8
