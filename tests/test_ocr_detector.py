"""The text detector's input size: an image of big print whose shorter side is under the
detector's 736 pixels is enlarged only as far as its glyphs need (``detector_side``), not
to 736, and reads the same."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from docworker.stages.ocr.rapidocr import GLYPH_PX, OcrStage, detector_side, glyph_height
from tests.pdfgen import text_image

DET_SIDE = 736  # rapidocr's limit_side_len

LINES = ["The quick brown fox jumps", "over the lazy dog by the river"]
#: rapidocr's defaults for the images it pads before detection
CFG = SimpleNamespace(min_height=30, width_height_ratio=8)


def _array(image) -> np.ndarray:
    return np.asarray(image)


def test_glyph_height_follows_the_print():
    small = glyph_height(_array(text_image(LINES * 3, size=(900, 500), font_size=14)))
    big = glyph_height(_array(text_image(LINES * 3, size=(1400, 700), font_size=40)))
    assert 6 <= small <= 16, small
    assert 20 <= big <= 40, big
    assert big > 2 * small
    assert glyph_height(np.full((300, 300, 3), 255, np.uint8)) == 0.0  # nothing to measure


def test_small_print_and_large_images_keep_the_detectors_size():
    big_print = _array(text_image(LINES, size=(640, 300), font_size=40))
    glyph = glyph_height(big_print)
    side = detector_side(big_print, DET_SIDE, CFG)
    assert 300 <= side < DET_SIDE
    assert side == pytest.approx(300 * GLYPH_PX / glyph, abs=1)  # glyphs brought to GLYPH_PX
    small_print = _array(text_image(LINES * 4, size=(640, 400), font_size=12))
    assert detector_side(small_print, DET_SIDE, CFG) == DET_SIDE
    large = _array(text_image(LINES * 8, size=(1000, 800), font_size=40))
    assert detector_side(large, DET_SIDE, CFG) == DET_SIDE  # never enlarged anyway
    assert detector_side(big_print, DET_SIDE, CFG, None) == DET_SIDE  # switched off
    strip = _array(text_image(LINES[:1], size=(1300, 120), font_size=40))
    assert detector_side(strip, DET_SIDE, CFG) == DET_SIDE  # rapidocr pads it first


@pytest.fixture(scope="module")
def stage():
    return OcrStage.from_settings(1)


def _detector_inputs(monkeypatch, stage) -> list[tuple[int, ...]]:
    """The shapes of the images the stage's real detector is given."""
    detector = stage._engine._load_det_model()
    real = detector.session
    shapes: list[tuple[int, ...]] = []

    def seen(image):
        shapes.append(tuple(image.shape))
        return real(image)

    monkeypatch.setattr(detector, "session", seen)
    return shapes


def test_big_print_on_a_small_image_is_detected_smaller_and_reads_the_same(monkeypatch, stage):
    image = text_image(LINES, size=(640, 300), font_size=40)
    shapes = _detector_inputs(monkeypatch, stage)
    read = stage.read(image, 1.0)
    assert [line.text for line in read.lines] == LINES
    (_, _, h, w), *_ = shapes
    assert min(h, w) < 500  # the inked part, enlarged by GLYPH_PX / glyph height
    monkeypatch.setattr(stage, "glyph_px", None)  # as rapidocr sizes it
    shapes.clear()
    again = stage.read(image, 1.0)
    assert [line.text for line in again.lines] == LINES
    (_, _, h, w), *_ = shapes
    assert min(h, w) >= DET_SIDE - 32  # 736, rounded to the network's 32-pixel steps
