"""Figures and page images (job option ``images``) on the GPU engine.

A tiny random layout model predicts arbitrary boxes, so the Picture regions
are given to the page's assembly (``engines.gpu.page_result``) as known
layout regions over a render with a red figure drawn where they say; one job
then runs the whole GPU engine on the CPU with ``images: pages``.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from docworker.config import Settings
from docworker.contract import PageResult
from docworker.engines.gpu import page_result
from docworker.engines.gpu.figures import ImageRequest
from docworker.geometry import Line
from docworker.images import ImageBudget, engine_warning
from docworker.pages import RenderedPage
from docworker.pipeline import Pipeline
from docworker.stages.layout import Region
from docworker.stages.vlm import VlmResult
from tests.pdfgen import TextPage, build_pdf

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
W, H = 595.0, 842.0
RENDER_DPI = 150
#: Figure 1 (300 x 200 pt, red) and figure 2 (lower, blue), in top-left page points.
FIGURE = (100.0, 200.0, 400.0, 400.0)
LOWER = (100.0, 600.0, 300.0, 700.0)
OUTPUT = "Texto antes de la figura.\n\n<img>Un gráfico de barras</img>\n\nTexto después."


def _render(number: int = 3) -> RenderedPage:
    """A 150-dpi A4 render: figure 1 red, figure 2 blue, the rest white."""
    px = RENDER_DPI / 72.0
    image = Image.new("RGB", (round(W * px), round(H * px)), "white")
    draw = ImageDraw.Draw(image)
    for box, colour in ((FIGURE, (220, 30, 30)), (LOWER, (30, 30, 220))):
        draw.rectangle(tuple(round(v * px) for v in box), fill=colour)
    return RenderedPage(number=number, width=W, height=H, unit="pt", image=image, scale=1 / px)


def _regions() -> list[Region]:
    return [
        Region("Picture", 0.8, LOWER),  # the VLM does not mention it
        Region("Text", 0.9, (100.0, 420.0, 500.0, 440.0)),
        Region("Picture", 0.9, FIGURE),
        Region("Text", 0.9, (100.0, 150.0, 500.0, 170.0)),
    ]


def _page(mode: str, dpi: int = 72, max_per_page: int = 16) -> PageResult:
    request = ImageRequest(mode=mode, dpi=dpi, max_per_page=max_per_page)
    vlm = VlmResult(page=3, text=OUTPUT, tokens=40)
    outputs = ["text", "markdown", "blocks", "tables"]
    return page_result(_render(), _regions(), vlm, outputs, 1.0, None, [], request)


def _png(data: str) -> Image.Image:
    raw = base64.b64decode(data)
    assert raw.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image


def test_figures_are_crops_of_picture_regions_at_images_dpi_linked_where_they_stand():
    page = _page("figures", dpi=72)
    assert [(im.kind, im.name) for im in page.images] == [
        ("figure", "page-003-figure-01.png"),
        ("figure", "page-003-figure-02.png"),
    ]
    first, second = page.images
    assert first.bbox == FIGURE and second.bbox == LOWER
    # 72 dpi: one pixel per point, resampled from the 150-dpi render.
    assert (first.width, first.height) == (300, 200) and (second.width, second.height) == (200, 100)
    crop = _png(first.data)
    assert crop.size == (300, 200) and first.bytes == len(base64.b64decode(first.data))
    r, g, b = crop.convert("RGB").getpixel((150, 100))
    assert r > 180 and g < 80 and b < 80
    r, g, b = _png(second.data).convert("RGB").getpixel((100, 50))
    assert b > 180 and r < 80
    # The VLM's picture is linked in its place; the picture it did not mention follows
    # the text read before it.
    assert page.markdown == (
        "Texto antes de la figura.\n\n"
        "![Figure 1, page 3](page-003-figure-01.png)\n\n"
        "Texto después.\n\n"
        "![Figure 2, page 3](page-003-figure-02.png)"
    )
    pictures = [b for b in page.blocks if b.type == "picture"]
    assert [(b.text, b.bbox, b.source) for b in pictures] == [
        ("page-003-figure-01.png", FIGURE, "vlm"),
        ("page-003-figure-02.png", LOWER, "layout"),
    ]
    assert page.timings_ms["images"] >= 0
    PageResult.model_validate(page.model_dump())


def test_render_dpi_is_used_as_it_is_and_pages_mode_returns_the_render():
    page = _page("both", dpi=RENDER_DPI)
    kinds = [(im.kind, im.name) for im in page.images]
    assert kinds[-1] == ("page", "page-003.png") and len(kinds) == 3
    whole = page.images[-1]
    assert whole.bbox == (0.0, 0.0, W, H)
    assert (whole.width, whole.height) == (1240, 1754) == _png(whole.data).size
    assert (page.images[0].width, page.images[0].height) == (625, 417)


def test_pages_only_and_none_leave_the_vlm_pictures_as_they_were():
    pages = _page("pages")
    assert [im.name for im in pages.images] == ["page-003.png"]
    assert _png(pages.images[0].data).size == (595, 842)
    none = _page("none")
    assert none.images is None and "images" not in none.timings_ms
    for page in (pages, none):
        assert "![Un gráfico de barras]()" in page.markdown
        assert "page-003-figure" not in page.markdown
        assert next(b.text for b in page.blocks if b.type == "picture") == "Un gráfico de barras"


def test_caps_per_page_and_per_job_warn_and_drop_links():
    capped = _page("figures", max_per_page=1)
    assert [im.name for im in capped.images] == ["page-003-figure-01.png"]
    assert "figure-02" not in capped.markdown
    assert [b.text for b in capped.blocks if b.type == "picture"] == ["page-003-figure-01.png", ""]
    budget = ImageBudget("figures", max_bytes=10**9, max_per_page=1)
    budget.admit(capped)
    assert any("DOCWORKER_MAX_IMAGES_PER_PAGE (1)" in w for w in budget.warnings())

    page = _page("figures")
    first = page.images[0].bytes
    tight = ImageBudget("figures", max_bytes=first, max_per_page=16)
    tight.admit(page)
    assert [im.name for im in page.images] == ["page-003-figure-01.png"]
    assert "figure-02" not in page.markdown and "figure-01" in page.markdown
    assert any("DOCWORKER_MAX_IMAGE_BYTES_PER_JOB" in w for w in tight.warnings())


def test_a_page_falling_back_to_its_text_layer_keeps_its_figures_as_picture_blocks():
    page = _render()
    page.lines = [Line("Texto antes de la figura.", (100.0, 150.0, 500.0, 170.0))]
    looped = VlmResult(page=3, text="la la la", tokens=300, looped=True)
    request = ImageRequest(mode="figures", dpi=72)
    result = page_result(page, _regions(), looped, ["markdown", "blocks"], 1.0, None, [], request)
    assert result.source == "text_layer"
    names = ["page-003-figure-01.png", "page-003-figure-02.png"]
    assert [im.name for im in result.images] == names
    assert [b.text for b in result.blocks if b.type == "picture"] == names


def test_the_gpu_engine_no_longer_warns_about_images():
    assert engine_warning("both", "gpu") is None
    assert engine_warning("figures", "docstrange") is not None


@pytest.mark.models
def test_gpu_job_with_page_images(tiny_model_dir, tmp_path: Path):
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(build_pdf([TextPage(lines=[(72, 100, 14, "Resolución del año 2025")])]))
    settings = Settings(
        model_dir=tiny_model_dir, device="cpu", workers=1, vlm_max_new_tokens=8, warmup=False
    )
    pipeline = Pipeline.build(settings)
    try:
        assert "gpu" in pipeline.engines, pipeline.unavailable.get("gpu")
        payload = pipeline.run(
            {"document_path": str(pdf), "engine": "gpu", "images": "pages", "images_dpi": 72},
            job_id="gpu-images",
        )
    finally:
        pipeline.close()
    meta = payload["metadata"]
    assert meta["engine"]["name"] == "gpu"
    assert not any("images" in w for w in meta["warnings"]), meta["warnings"]
    (page,) = payload["data"]["pages"]
    assert page["status"] == "ok"
    (image,) = page["images"]
    assert image["kind"] == "page" and image["name"] == "page-001.png"
    assert _png(image["data"]).size == (image["width"], image["height"]) == (595, 842)
