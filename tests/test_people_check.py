"""Our head classifier on held-aside real heads, and the per-person check that scores whole pipelines."""

from pathlib import Path

import numpy as np
import pytest

from conftest import FOOTAGE, WEIGHTS, needs_datasets, needs_footage, needs_weights
from helmetscan.config import Settings
from helmetscan.tooling.dataset import LabelBox, Sample
from helmetscan.tooling.person_check import check_image, summarise
from helmetscan.core.detections import Detection
from helmetscan.pipeline.helmet_check import HelmetCheck


def sample(*boxes):
    return Sample("helmet9", Path("1000_jpg.rf.x.jpg"), "1000", "helmet9:block10", list(boxes))


def test_check_image_matches_each_labelled_head_to_its_verdict():
    frame = np.zeros((400, 400, 3), np.uint8)
    bare = LabelBox("without helmet", (0.30, 0.10, 0.35, 0.15))  # (120, 40, 140, 60) px
    helmeted = LabelBox("with helmet", (0.60, 0.10, 0.65, 0.15))  # (240, 40, 260, 60) px, on no rider
    stage1 = lambda image: [Detection((100.0, 30.0, 160.0, 200.0), 0.9, "rider")]  # noqa: E731

    def stage2(crop):  # crop starts at (91, 4.5): the labelled bare head, and a bare head nobody labelled
        return [Detection((29.0, 35.5, 49.0, 55.5), 0.9, "without helmet"),
                Detection((51.0, 37.5, 69.0, 55.5), 0.8, "without helmet")]

    settings = Settings(detector={"roles": {"rider": ["rider"]}}, verification={"heads_from": "stage2"},
                        riders={"confirm_rider_boxes": False})
    rows = check_image(sample(bare, helmeted), frame, stage1, HelmetCheck(stage2, settings.verification), settings)
    assert [(r.truth, r.state) for r in rows] == [(True, "without_helmet"), (False, "no rider"), (None, "without_helmet")]
    table = summarise(__import__("pandas").DataFrame([r.__dict__ for r in rows]))
    first = table.iloc[0]
    assert (first["TP"], first["FP unlabelled"], first["reported"], first["no rider"]) == (1, 1, 2, 1)
    assert first["precision"] == pytest.approx(0.5) and first["recall"] == pytest.approx(1.0)


@needs_weights
@needs_datasets
@pytest.mark.skipif(not (WEIGHTS / "helmet_cls.pt").is_file(), reason="run `make weights`")
def test_head_classifier_judges_held_aside_real_heads():
    """60 labelled heads (>= 24 px) of the stage-1 test split — never trained on — in all three sources."""
    import random

    import cv2

    from helmetscan.inference.head_classifier import HeadClassifier, square_crop
    from helmetscan.tooling.person_check import labelled_heads, split_samples

    heads = []
    for s in split_samples("test"):
        for _, box, bare in labelled_heads(s, 1, 1):
            heads.append((s.image, box, bare))
    rng = random.Random(1)
    crops, truth = [], []
    for image_path, box, bare in rng.sample(heads, 200):
        image = cv2.imread(str(image_path))
        h, w = image.shape[:2]
        xyxy = (box[0] * w, box[1] * h, box[2] * w, box[3] * h)
        if max(xyxy[2] - xyxy[0], xyxy[3] - xyxy[1]) >= 24 and len(crops) < 60:
            crops.append(square_crop(image, xyxy))
            truth.append(bare)
    said = [label == "without helmet" for label, _ in HeadClassifier(WEIGHTS / "helmet_cls.pt")(crops)]
    accuracy = np.mean([s == t for s, t in zip(said, truth)])
    bare_said = [t for s, t in zip(said, truth) if s]
    assert len(crops) == 60 and sum(truth) >= 15
    assert accuracy >= 0.8, accuracy
    assert np.mean(bare_said) >= 0.8  # precision of "without helmet"


def test_film_labels_give_heads_for_labelled_frames_only():
    from helmetscan.tooling.person_check import FILM_LABELS, csv_clip_heads

    heads_of = csv_clip_heads(FILM_LABELS)
    [head] = heads_of(0, 720, 1280)
    assert head.class_name == "without helmet"
    assert head.xyxy == pytest.approx((345 / 720, 211 / 1280, 618 / 720, 463 / 1280))
    assert len(heads_of(18, 720, 1280)) == 2  # rider and pillion
    assert heads_of(54, 720, 1280) is None  # motion blur: nobody labelled it


@needs_weights
@pytest.mark.skipif(not (WEIGHTS / "helmet_cls.pt").is_file(), reason="run `make weights`")
def test_a_classifier_whose_classes_are_not_the_head_roles_is_a_configuration_error():
    from helmetscan.core.errors import ConfigError
    from helmetscan.pipeline.loading import build_helmet_check

    settings = Settings(verification={"roles": {"head_with_helmet": ["helmet"], "head_without_helmet": ["bare"]}})
    with pytest.raises(ConfigError, match="head classifier"):
        build_helmet_check(settings, {0: "rider", 1: "bare", 2: "helmet"})


def test_reviews_apply_to_the_same_head_when_another_model_moves_its_box(tmp_path):
    import pandas as pd

    from helmetscan.tooling.person_check import apply_reviews

    reviews = tmp_path / "reviews.csv"
    reviews.write_text('# comment\nimage,xyxy,review\na.jpg,"(10.0, 10.0, 30.0, 30.0)",bare\n'
                       'a.jpg,"(100.0, 10.0, 120.0, 30.0)",not_head\nb.jpg,"(10.0, 10.0, 30.0, 30.0)",unclear\n')
    table = pd.DataFrame({"image": ["a.jpg", "a.jpg", "a.jpg", "b.jpg", "c.jpg"],
                          "xyxy": ["(10.5, 10.2, 30.4, 31.0)", "(101.0, 10.0, 121.0, 30.0)", "(50.0, 50.0, 70.0, 70.0)",
                                   "(10.0, 10.0, 30.0, 30.0)", "(10.0, 10.0, 30.0, 30.0)"],
                          "truth": [None] * 5, "head": [""] * 5}, dtype=object)
    got = apply_reviews(table, reviews)
    # a moved box keeps its review; a box elsewhere in the image, an unclear review and another image do not
    assert list(got.truth) == [True, False, None, None, None]
    assert list(got["head"][:2]) == ["reviewed:bare", "reviewed:not_head"]


def test_the_locator_without_a_classifier_is_a_configuration_error():
    from helmetscan.core.errors import ConfigError
    from helmetscan.pipeline.loading import build_helmet_check

    settings = Settings(verification={"heads_from": "locator", "classifier": ""})
    with pytest.raises(ConfigError, match="needs verification.classifier"):
        build_helmet_check(settings, {0: "rider", 1: "without helmet", 2: "with helmet"})


@needs_weights
@needs_footage
def test_the_locator_finds_the_film_clip_heads_at_source_resolution():
    """On a real frame of the film clip (rider and pillion, both bare-headed, labelled by eye), the shipped locator on
    the crop of the motorcycle boxes the rider's head (IoU >= 0.3) and nothing else above its floor, and the models'
    hashes name it. (The pillion, half hidden behind the rider, scores 0.11: weights/HEAD_LOCATOR.md.)"""
    import cv2

    from helmetscan.core.geometry import iou, pad, shift
    from helmetscan.pipeline.loading import build_helmet_check, model_hashes
    from helmetscan.tooling.person_check import csv_clip_heads

    settings = Settings(verification={"heads_from": "locator"})
    locator, classifier = build_helmet_check(settings, {})
    assert classifier is not None and "head_locator.onnx" in model_hashes(settings)
    capture = cv2.VideoCapture(str(FOOTAGE))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 18)
    ok, frame = capture.read()
    assert ok
    h, w = frame.shape[:2]
    heads = [(b.xyxy[0] * w, b.xyxy[1] * h, b.xyxy[2] * w, b.xyxy[3] * h) for b in csv_clip_heads()(18, w, h)]
    people = (min(b[0] for b in heads) - 60, min(b[1] for b in heads) - 20, max(b[2] for b in heads) + 60, h - 1)
    x1, y1, x2, y2 = pad(people, 0.15, w, h)
    found = [shift(d.xyxy, x1, y1) for d in locator(frame[y1:y2, x1:x2])]
    assert len(heads) == 2 and len(found) == 1
    assert iou(heads[0], found[0]) >= 0.3
