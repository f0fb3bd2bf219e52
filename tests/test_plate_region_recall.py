"""The plate-region measurement cuts the same region ``analyze`` searches for a rider's plate, from real labelled
images of ../shared (hcmute: street video with labelled motorcyclists and plates)."""

import cv2

from conftest import HCMUTE, needs_datasets
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
