"""The plate-region measurement cuts the same region ``analyze`` searches for a rider's plate, from real labelled
images of ../shared (hcmute: street video with labelled motorcyclists and plates); the whole-frame measurement on the
labelled CCTV clip."""

import cv2

from conftest import CCTV_CLIP, HCMUTE, needs_cctv_clip, needs_datasets
from helmetscan.config import Settings
from helmetscan.modelling.dataset import LabelBox, Sample
from helmetscan.modelling.labels import read_yolo_boxes
from helmetscan.modelling.plate_region_recall import rider_regions
from helmetscan.pipeline.plate_stage import plate_region


def _sample_with_rider_and_plate():
    """The first hcmute test image that has a motorcyclist (class 2) and a licence plate (class 1; ``data.yaml``), as a Sample."""
    for image in sorted((HCMUTE / "test" / "images").iterdir()):
        h, w = cv2.imread(str(image)).shape[:2]
        boxes = read_yolo_boxes(HCMUTE / "test" / "labels" / f"{image.stem}.txt", w, h)
        names = {2: "rider", 1: "number plate"}
        mapped = [LabelBox(names[c], (b[0] / w, b[1] / h, b[2] / w, b[3] / h)) for c, b in boxes if c in names]
        if {b.class_name for b in mapped} == {"rider", "number plate"}:
            return Sample("hcmute", image, image.stem, image.stem, mapped)
    raise AssertionError("no hcmute test image with a rider and a plate")


@needs_datasets
def test_regions_are_the_pipelines_and_hold_their_plates_in_region_pixels():
    sample = _sample_with_rider_and_plate()
    image = cv2.imread(str(sample.image))
    settings = Settings()
    regions = rider_regions(sample, image, settings)
    assert regions
    h, w = image.shape[:2]
    riders = [b for b in sample.boxes if b.class_name == "rider"]
    plates = [b for b in sample.boxes if b.class_name == "number plate"]
    for (ox, oy), region, truth in regions:
        rh, rw = region.shape[:2]
        same = [plate_region(image, (r.xyxy[0] * w, r.xyxy[1] * h, r.xyxy[2] * w, r.xyxy[3] * h), None, 0,
                             settings.plates) for r in riders]
        assert any(c.offset_xy == (ox, oy) and c.region.shape == region.shape for c in same)
        for x1, y1, x2, y2 in truth:
            assert 0 <= (x1 + x2) / 2 < rw and 0 <= (y1 + y2) / 2 < rh
            back = (x1 + ox, y1 + oy, x2 + ox, y2 + oy)  # shifted back: a labelled plate of the image
            assert any(abs(back[0] - p.xyxy[0] * w) < 1e-6 and abs(back[3] - p.xyxy[3] * h) < 1e-6 for p in plates)


@needs_datasets
def test_picked_precision_counts_the_one_box_the_pipeline_keeps():
    import hashlib

    from helmetscan.models.base import Detection
    from helmetscan.modelling.dataset import split_sources
    from helmetscan.modelling.plate_region_recall import measure

    settings = Settings()
    truth_of = {}  # region bytes -> its labelled plates: an oracle detector looks its region up
    samples = [s for s, where in split_sources() if where == "test" and any(b.class_name == "number plate"
                                                                            for b in s.boxes)][:5]
    for sample in samples:
        for _, region, truth in rider_regions(sample, cv2.imread(str(sample.image)), settings):
            truth_of[hashlib.sha1(region.tobytes()).hexdigest()] = truth
    assert truth_of

    def oracle(decoy_conf):
        def detect(region):
            decoy = Detection((0.0, 0.0, 3.0, 3.0), decoy_conf, "number plate")  # a corner box on no plate
            truth = truth_of[hashlib.sha1(region.tobytes()).hexdigest()]
            return [decoy, *(Detection(tuple(t), 0.8, "number plate") for t in truth)]
        return detect

    results = measure({"right first": oracle(0.3), "decoy first": oracle(0.9)}, settings, 0.3, limit=5)
    regions, plates = len(truth_of), sum(len(t) for t in truth_of.values())
    right, decoy = results["right first"], results["decoy first"]
    assert right["labelled"]["all"] == plates == right["found"]["all"] == right["picked"]["all"]
    assert right["detected"]["all"] == plates + regions and right["detected"]["matched"] == plates
    assert right["detected"]["picked"] == right["detected"]["picked_matched"] == regions
    assert decoy["found"]["all"] == plates and decoy["picked"]["all"] == 0
    assert decoy["detected"]["picked"] == regions and decoy["detected"]["picked_matched"] == 0


@needs_cctv_clip
def test_whole_frame_recall_on_a_labelled_clip_counts_every_labelled_plate_of_every_frame():
    from collections import Counter as C

    from helmetscan.models.base import Detection
    from helmetscan.modelling.plate_detection_recall import measure_clip

    labels_dir = CCTV_CLIP / "labels"
    plates = sum(line.split()[0] == "2" for f in labels_dir.glob("frame_*.txt") for line in f.read_text().splitlines()
                 if line.strip())  # class 2 = lisc (data.yaml)
    frames = C()

    def corner(image):
        frames["seen"] += 1
        return [Detection((0.0, 0.0, 5.0, 5.0), 0.9, "number plate")]

    r = measure_clip(CCTV_CLIP / "helmet9_cctv_india_15fps.mp4", labels_dir, 2, corner, {"number plate"}, 0.3)
    assert plates > 100 and sum(r["labelled"].values()) == plates and sum(r["found"].values()) == 0
    assert r["detected"]["all"] == frames["seen"] == len(list(labels_dir.glob("frame_*.txt")))
    assert r["detected"]["matched"] == 0
