"""Privacy blur: bystanders' faces and other plates blurred in what people look at, never in the lossless frame."""

import hashlib

import cv2
import numpy as np
import pytest

from conftest import FOOTAGE, WEIGHTS, needs_footage
from helmetscan.core.detections import Detection
from helmetscan.results.privacy import blur_boxes, bystander_boxes
from helmetscan.runner.batch import BatchRunner
from test_pipeline import runner


def test_faces_of_the_motorcycles_people_and_its_own_plate_are_kept():
    rider_head = (100.0, 50.0, 160.0, 120.0)
    faces = [(110.0, 65.0, 150.0, 110.0), (300.0, 60.0, 340.0, 100.0)]  # the rider's face, a pedestrian's
    plates = [(120.0, 300.0, 160.0, 320.0), (400.0, 300.0, 450.0, 320.0)]  # its plate, a car's
    assert bystander_boxes(faces, plates, [rider_head], plates[0]) == [faces[1], plates[1]]
    assert bystander_boxes(faces, plates, [], None) == faces + plates


def test_blur_changes_only_the_boxes_and_never_the_input():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    before = image.copy()
    out = blur_boxes(image, [(20.0, 30.0, 60.0, 80.0), (150.0, 110.0, 400.0, 400.0)])
    assert np.array_equal(image, before)
    inside = np.abs(out[30:80, 20:60].astype(int) - image[30:80, 20:60].astype(int)).mean()
    assert inside > 20  # random texture flattened
    mask = np.ones(image.shape[:2], bool)
    mask[30:80, 20:60] = False
    mask[110:, 150:] = False
    assert np.array_equal(out[mask], image[mask])


@needs_footage
@pytest.mark.skipif(not (WEIGHTS / "yolov12n-face.pt").is_file(), reason="run `make weights`")
def test_the_face_detector_finds_the_films_two_faces_and_the_riders_is_kept():
    from helmetscan.inference.yolo import YoloDetector

    cap = cv2.VideoCapture(str(FOOTAGE))
    for _ in range(25):
        ok, frame = cap.read()
    faces = [d.xyxy for d in YoloDetector(WEIGHTS / "yolov12n-face.pt", 640, 0.3, 0.5)(frame)]
    assert len(faces) == 2  # rider and pillion, frame 24
    rider_head = (287.0, 336.0, 469.0, 591.0)  # labelled by eye (weights/labels/film_people.csv)
    rider_face = min(faces, key=lambda f: f[0])
    assert rider_face not in bystander_boxes(faces, [], [rider_head], None)  # the violator's face stays visible
    assert bystander_boxes(faces, [], [], None) == faces  # nobody kept: both blurred


def test_the_annotated_image_is_blurred_and_the_lossless_frame_is_not(tmp_path):
    clip = tmp_path / "clip.avi"  # textured frames, so that a blur shows
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    rng = np.random.default_rng(0)
    for _ in range(30):
        writer.write(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8))
    writer.release()
    stranger = (250.0, 20.0, 300.0, 70.0)  # a face far from the rider
    fakes = runner()
    models = fakes.models.__class__(**{**fakes.models.__dict__,
                                       "face_detector": lambda image: [Detection(stranger, 0.9, "face")],
                                       "frame_plate_detector": lambda image: []})
    BatchRunner(fakes.settings, models).run([clip], tmp_path / "out")
    [folder] = (tmp_path / "out").glob("*/*/record.json")
    record = __import__("json").loads(folder.read_text())
    assert record["bystanders_blurred"] == 1
    frame = cv2.imread(str(folder.parent / "frame.png"))
    annotated = cv2.imread(str(folder.parent / "annotated.jpg"))
    x1, y1, x2, y2 = (int(v) for v in stranger)
    assert np.abs(annotated[y1:y2, x1:x2].astype(int) - frame[y1:y2, x1:x2].astype(int)).mean() > 5
    digest = hashlib.sha256((folder.parent / "frame.png").read_bytes()).hexdigest()
    assert record["evidence_files"]["frame.png"] == digest
