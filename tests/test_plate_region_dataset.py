"""The plate-region dataset's labels: plates inside a region become YOLO boxes, plates mostly outside are blanked."""

import pytest

from helmetscan.tooling.plate_region_dataset import region_labels


def test_a_plate_inside_the_region_becomes_a_normalised_box():
    keep, blank = region_labels((100, 200), [(20.0, 150.0, 60.0, 170.0)])
    assert keep == [pytest.approx((0.4, 0.8, 0.4, 0.1))] and blank == []


def test_a_plate_cut_by_the_region_is_clipped_when_mostly_inside_and_blanked_when_mostly_outside():
    keep, blank = region_labels((100, 200), [(80.0, 10.0, 120.0, 30.0),    # 20 of 40 px inside: kept, clipped
                                             (90.0, 50.0, 130.0, 70.0),    # 10 of 40 px inside: blanked
                                             (150.0, 10.0, 190.0, 30.0)])  # wholly outside: ignored
    assert keep == [pytest.approx((0.9, 0.1, 0.2, 0.1))]
    assert blank == [(90, 50, 100, 70)]
