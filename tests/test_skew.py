"""A scan's small tilt measured from OCR line boxes and taken out of them (``stages.ocr.skew``)."""

from __future__ import annotations

import math

import pytest
from PIL import Image

from docworker.stages.ocr import skew


def _quad(x, y, length, height, angle):
    """A line box of ``length`` × ``height`` whose top-left corner is (x, y), turned by
    ``angle`` (radians, falling to the right)."""
    c, s = math.cos(angle), math.sin(angle)
    return [(x, y), (x + length * c, y + length * s),
            (x + length * c - height * s, y + length * s + height * c),
            (x - height * s, y + height * c)]  # fmt: skip


def test_the_long_lines_give_the_tilt():
    angle = math.radians(1.5)
    quads = [_quad(100, 100 + 40 * i, 900, 30, angle) for i in range(8)]
    assert skew.page_skew(quads) == pytest.approx(angle)
    assert skew.page_skew([_quad(100, 100 + 40 * i, 900, 30, -angle) for i in range(8)]) == (
        pytest.approx(-angle)
    )


def test_no_tilt_where_it_is_too_small_too_large_unmeasured_or_disputed():
    def lines(angles):
        return [_quad(100, 100 + 40 * i, 900, 30, math.radians(a)) for i, a in enumerate(angles)]

    assert skew.page_skew(lines([0.1] * 8)) == 0.0  # rows stay rows
    assert skew.page_skew(lines([20.0] * 8)) == 0.0  # no scan's skew
    assert skew.page_skew(lines([1.5] * 4)) == 0.0  # too few long lines
    assert skew.page_skew(lines([1.5, -2.0, 3.0, -1.0, 2.5, -3.0, 0.5, 4.0])) == 0.0
    short = [_quad(100, 100 + 40 * i, 100, 30, math.radians(2)) for i in range(8)]
    assert skew.page_skew(short) == 0.0  # words, not lines


def test_straightened_boxes_are_level_and_map_back_onto_the_scan():
    angle = math.radians(2.0)
    quad = _quad(300, 500, 800, 30, angle)
    level = skew.straighten(quad, angle, 600, 800)
    assert level[0][1] == pytest.approx(level[1][1])  # the top edge is level
    assert level[1][0] - level[0][0] == pytest.approx(800)
    xs, ys = [p[0] for p in level], [p[1] for p in level]
    back = skew.tilt_box((min(xs), min(ys), max(xs), max(ys)), angle, 600, 800)
    assert back[0] == pytest.approx(min(p[0] for p in quad))
    assert back[1] == pytest.approx(min(p[1] for p in quad))
    assert back[2] == pytest.approx(max(p[0] for p in quad))
    assert back[3] == pytest.approx(max(p[1] for p in quad))


def test_the_image_turns_the_same_way_as_the_boxes():
    """A black dot turned with the image lands where ``straighten`` puts its centre."""
    image = Image.new("L", (400, 300), 255)
    image.paste(0, (300, 200, 306, 206))
    angle = math.radians(5.0)
    turned = skew.straighten_image(image, angle)
    x, y = skew.straighten([(303, 203)] * 4, angle, 200, 150)[0]
    assert turned.getpixel((round(x), round(y))) < 128
    assert turned.getpixel((0, 0)) == 255  # corners filled white
