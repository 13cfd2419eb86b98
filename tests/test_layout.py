"""Layout stage: real RT-DETR load → batch → forward → post-process, boxes in PAGE space."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from docworker import errors
from docworker.config import Settings
from docworker.pages import RenderedPage
from docworker.stages.layout import (
    DOCLAYNET,
    LayoutStage,
    Region,
    drop_duplicates,
    label_names,
    to_page_box,
)
from tests import tinymodels


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    return tinymodels.shared_model_dir(tmp_path_factory)


def _page(number: int, size: tuple[int, int], scale: float, unit: str = "pt") -> RenderedPage:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((size[0] // 8, size[1] // 8, size[0] // 2, size[1] // 3), fill="black")
    draw.text((size[0] // 8, size[1] // 2), "Año ¿señal?", fill="black")
    return RenderedPage(
        number=number,
        width=size[0] * scale,
        height=size[1] * scale,
        unit=unit,
        image=image,
        scale=scale,
    )


def test_to_page_box_scales_and_clips():
    page = _page(1, (200, 100), 0.36)  # 72 / 200 dpi: a PDF page rendered at 200 dpi
    assert to_page_box((100, 50, 150, 75), page) == (36.0, 18.0, 54.0, 27.0)
    # beyond the render: clipped to the page, which is 72 x 36 pt
    assert to_page_box((-10, -10, 500, 500), page) == (0.0, 0.0, 72.0, 36.0)
    assert to_page_box((300, 10, 400, 20), page) is None  # entirely off the page


def test_label_names_fall_back_to_doclaynet():
    assert label_names({0: "LABEL_0", 1: "LABEL_1"}, 2) == ["Caption", "Footnote"]
    assert label_names({"0": "Caption", "1": "Table"}, 2) == ["Caption", "Table"]


def test_drop_duplicates_keeps_best_of_same_label():
    a = Region("Text", 0.9, (0, 0, 10, 10))
    b = Region("Text", 0.8, (0, 0, 10, 10.5))
    c = Region("Table", 0.7, (0, 0, 10, 10))
    assert drop_duplicates([b, a, c], 0.9) == [a, c]


@pytest.mark.models
def test_boxes_are_in_page_space_not_render_space(tiny_dir):
    import torch

    settings = Settings(model_dir=tiny_dir, device="cpu", layout_batch_size=2, layout_threshold=0.3)
    stage = LayoutStage.from_settings(settings, device="cpu")
    assert stage.labels == list(DOCLAYNET[:11])
    pages = [
        _page(1, (96, 128), 0.5),  # rendered at 2x: page is 48 x 64 pt
        _page(2, (120, 90), 2.0),  # shrunk image: page is 240 x 180 px
        _page(3, (64, 64), 1.0, unit="px"),
    ]
    regions = stage(pages)
    assert len(regions) == 3

    # The same model run by hand, boxes in render pixels.
    images = [p.image for p in pages]
    inputs = stage.processor(images=images, return_tensors="pt")
    with torch.inference_mode():
        outputs = stage.model(**inputs)
    raw = stage.processor.post_process_object_detection(
        outputs, threshold=0.3, target_sizes=[(i.height, i.width) for i in images]
    )
    for page, found, got in zip(pages, raw, regions, strict=True):
        assert got, "the tiny model is biased to detect Text regions"
        expected = sorted(
            to_page_box(box, page) for box in found["boxes"].tolist() if to_page_box(box, page)
        )
        got_boxes = sorted(r.bbox for r in got)
        assert set(got_boxes) <= set(expected)
        for region in got:
            x0, y0, x1, y1 = region.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
            assert region.label in DOCLAYNET and 0.3 <= region.score <= 1
    # Page 2's page is twice its image: boxes must use page units, beyond the image's width.
    render_box = next(b for b in raw[1]["boxes"].tolist() if to_page_box(b, pages[1]))
    page_box = to_page_box(render_box, pages[1])
    assert page_box[2] == pytest.approx(min(render_box[2] * 2.0, 240.0), abs=0.01)
    assert max(r.bbox[2] for r in regions[1]) > max(b[2] for b in raw[1]["boxes"].tolist()) * 1.5


@pytest.mark.models
def test_batch_size_does_not_change_results(tiny_dir):
    pages = [_page(i, (80 + 8 * i, 100), 0.75) for i in range(1, 4)]
    one = LayoutStage.from_settings(
        Settings(model_dir=tiny_dir, layout_batch_size=1, layout_threshold=0.3), device="cpu"
    )
    three = LayoutStage(
        one.model, one.processor, one.options.model_copy(update={"batch_size": 3}), "cpu"
    )
    for a, b in zip(one(pages), three(pages), strict=True):
        assert [r.label for r in a] == [r.label for r in b]
        for ra, rb in zip(a, b, strict=True):
            assert ra.bbox == pytest.approx(rb.bbox, abs=0.05)


def test_missing_model_is_engine_unavailable(tmp_path):
    with pytest.raises(errors.EngineUnavailable, match="no layout model"):
        LayoutStage.from_settings(Settings(model_dir=tmp_path), device="cpu")
