"""Layout stage: read as docling-ibm-models' LayoutPredictor reads it; boxes in PAGE space."""

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
    to_page_box,
)


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


def test_drop_duplicates_keeps_best_of_same_label():
    a = Region("Text", 0.9, (0, 0, 10, 10))
    b = Region("Text", 0.8, (0, 0, 10, 10.5))
    c = Region("Table", 0.7, (0, 0, 10, 10))
    assert drop_duplicates([b, a, c], 0.9) == [a, c]


@pytest.mark.models
def test_boxes_are_in_page_space_not_render_space(tiny_model_dir):
    import torch

    settings = Settings(
        model_dir=tiny_model_dir, device="cpu", layout_batch_size=2, layout_threshold=0.3
    )
    stage = LayoutStage.from_settings(settings, device="cpu")
    assert stage.label_offset == 1 and stage.classes[0] == "Background"
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
        outputs, threshold=0.3, target_sizes=torch.tensor([(i.height, i.width) for i in images])
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
def test_batch_size_does_not_change_results(tiny_model_dir):
    pages = [_page(i, (80 + 8 * i, 100), 0.75) for i in range(1, 4)]
    one = LayoutStage.from_settings(
        Settings(model_dir=tiny_model_dir, layout_batch_size=1, layout_threshold=0.3), device="cpu"
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


def test_our_labels_are_docling_canonical_classes():
    from docling_ibm_models.layoutmodel.labels import LayoutLabels

    assert tuple(LayoutLabels().canonical_categories().values()) == DOCLAYNET


def _mixed_pages() -> list[RenderedPage]:
    return [
        _page(1, (96, 128), 1.0, unit="px"),
        _page(2, (150, 90), 1.0, unit="px"),
        _page(3, (64, 200), 1.0, unit="px"),
    ]


@pytest.mark.models
def test_labels_scores_and_boxes_equal_docling_layout_predictor(tiny_model_dir):
    """The same checkpoint (real file layout, background at 0) through LayoutPredictor."""
    import json

    import torch
    from docling_ibm_models.layoutmodel.layout_predictor import LayoutPredictor

    folder = tiny_model_dir / "layout"
    config = json.loads((folder / "config.json").read_text())
    assert config["id2label"]["0"] == "background" and len(config["id2label"]) == 18
    predictor = LayoutPredictor(str(folder), device="cpu", num_threads=torch.get_num_threads())
    assert predictor.info()["threshold"] == 0.3
    settings = Settings(model_dir=tiny_model_dir, layout_batch_size=3)
    stage = LayoutStage.from_settings(settings, device="cpu")
    stage.options = stage.options.model_copy(update={"duplicate_iou": 1.0})  # no merging
    pages = _mixed_pages()
    expected = predictor.predict_batch([p.image for p in pages])
    got = stage(pages)
    assert sum(len(found) for found in expected) >= 3
    for page_expected, page_got in zip(expected, got, strict=True):
        want = sorted(
            (d["label"], round(d["confidence"], 4), (d["l"], d["t"], d["r"], d["b"]))
            for d in page_expected
        )
        have = sorted((r.label, r.score, r.bbox) for r in page_got)
        assert [w[:2] for w in want] == [h[:2] for h in have]
        for w, h in zip(want, have, strict=True):
            assert h[2] == pytest.approx(w[2], abs=0.006)  # page units are rounded to 0.01
    # The checkpoint's own names are one class off: docling's "Text" is config's "Table".
    names = {r.label for found in got for r in found}
    assert names == {"Text"} and config["id2label"]["9"] == "Table"


@pytest.mark.models
def test_a_checkpoint_that_does_not_fit_its_model_is_refused(tiny_model_dir, tmp_path):
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "models" / "layout"
    shutil.copytree(tiny_model_dir / "layout", folder)
    tensors = load_file(folder / "model.safetensors")
    dropped = sorted(tensors)[0]
    del tensors[dropped]
    tensors["extra.weight"] = torch.zeros(2)
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(errors.EngineUnavailable) as caught:
        LayoutStage.from_settings(Settings(model_dir=tmp_path / "models"), device="cpu")
    message = caught.value.message
    assert "does not fit its model" in message and dropped in message
    assert "unexpected keys: extra.weight" in message
