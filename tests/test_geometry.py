"""Box geometry on xyxy pixel boxes: tables of cases, edge cases included."""

import pytest

from helmetscan.core.geometry import area, centre, contains, extend_down, inside_share, intersection, iou, pad, shift, union_box

A = (0.0, 0.0, 10.0, 10.0)


@pytest.mark.parametrize(
    ("box", "expected"),
    [(A, 100.0), ((0, 0, 0, 5), 0.0), ((5, 5, 2, 8), 0.0), ((1.5, 2.0, 3.0, 6.0), 6.0)],
)
def test_area(box, expected):
    assert area(box) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("b", "inter", "union_iou"),
    [
        (A, 100.0, 1.0),  # the same box
        ((5, 5, 15, 15), 25.0, 25 / 175),  # a quarter overlaps
        ((10, 0, 20, 10), 0.0, 0.0),  # touching edges share no area
        ((20, 20, 30, 30), 0.0, 0.0),  # apart
        ((2, 2, 4, 4), 4.0, 4 / 100),  # inside
    ],
)
def test_intersection_and_iou(b, inter, union_iou):
    assert intersection(A, b) == pytest.approx(inter)
    assert intersection(b, A) == pytest.approx(inter)
    assert iou(A, b) == pytest.approx(union_iou)


def test_iou_of_degenerate_boxes_is_zero():
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0


@pytest.mark.parametrize(
    ("inner", "expected"),
    [((2, 2, 4, 4), 1.0), ((5, 0, 15, 10), 0.5), ((20, 20, 30, 30), 0.0), ((3, 3, 3, 3), 0.0)],
)
def test_inside_share(inner, expected):
    assert inside_share(inner, A) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("point", "inside"),
    [((5, 5), True), ((0, 0), True), ((10, 10), True), ((10.01, 5), False), ((-1, 5), False)],
)
def test_contains_includes_the_edge(point, inside):
    assert contains(A, point) is inside


@pytest.mark.parametrize(
    ("box", "share", "size", "expected"),
    [
        ((10, 10, 20, 20), 0.0, (100, 100), (10, 10, 20, 20)),
        ((10, 10, 20, 20), 0.5, (100, 100), (5, 5, 25, 25)),
        ((2, 2, 12, 12), 0.5, (100, 100), (0, 0, 17, 17)),  # clipped at the top-left
        ((90, 90, 99, 99), 0.5, (100, 100), (85, 85, 100, 100)),  # clipped at the bottom-right
        ((10.2, 10.7, 19.3, 19.6), 0.0, (100, 100), (10, 10, 20, 20)),  # rounded outwards
        ((50, 50, 60, 60), 0.0, (40, 40), (50, 50, 50, 50)),  # outside the image: an empty slice, never inverted
    ],
)
def test_pad(box, share, size, expected):
    assert pad(box, share, *size) == expected


@pytest.mark.parametrize(
    ("box", "share", "height", "expected"),
    [((0, 10, 5, 30), 0.5, 100, (0, 10, 5, 40)), ((0, 10, 5, 30), 0.5, 35, (0, 10, 5, 35))],
)
def test_extend_down(box, share, height, expected):
    assert extend_down(box, share, height) == expected


def test_centre_union_and_shift():
    assert centre((0, 0, 10, 4)) == (5.0, 2.0)
    assert union_box((0, 5, 10, 10), (5, 0, 20, 8)) == (0, 0, 20, 10)
    assert shift((1, 2, 3, 4), 10, 20) == (11, 22, 13, 24)
