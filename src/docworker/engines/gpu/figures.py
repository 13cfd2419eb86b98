"""The GPU engine's figures and page images (job option ``images``).

``ImageRequest`` is what a job asked for (mode, DPI, per-page cap, pixel
cap). ``picture_regions`` picks the layout model's ``Picture`` regions, top to
bottom (the order their names number them in). ``export`` crops them from the
page render the engine already holds (``RenderedPage.image``), resampled to
``images_dpi`` when the render's resolution differs (for PDFs; an image
document keeps its own resolution, as on the cpu engine), and/or returns the
whole render as the page image, through ``docworker.images.export_image``
(PNG encoding, names, caps).

Inputs: a ``RenderedPage`` and its ``Region`` list. Outputs:
``contract.PageImage`` entries and ``picture index → name``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from docworker import images
from docworker.contract import PageImage
from docworker.decode.types import render_scale
from docworker.pages import RenderedPage
from docworker.stages.layout import Region

_log = logging.getLogger(__name__)

#: Renders within this share of the wanted size are used as they are.
_SAME_SIZE = 0.01


@dataclass(frozen=True)
class ImageRequest:
    """The job's ``images`` option with the worker's limits."""

    mode: str = "none"  # none | figures | pages | both
    dpi: int = 144
    max_per_page: int = 16
    max_pixels: int = 40_000_000

    @property
    def figures(self) -> bool:
        return self.mode in images.FIGURES


def picture_regions(regions: list[Region]) -> list[Region]:
    """The page's ``Picture`` regions, top to bottom then left to right."""
    pictures = [r for r in regions if r.label == "Picture"]
    return sorted(pictures, key=lambda r: (round(r.bbox[1]), r.bbox[0]))


def _at_dpi(page: RenderedPage, dpi: int, max_pixels: int) -> tuple[Any, float]:
    """The render at ``dpi`` (PDF pages) and its page units per pixel; the render if close."""
    image = page.image
    if page.unit != "pt":
        return image, page.scale
    wanted = render_scale(page.width, page.height, dpi / 72.0, max_pixels)
    size = (max(1, round(page.width * wanted)), max(1, round(page.height * wanted)))
    if abs(size[0] - image.width) <= _SAME_SIZE * image.width:
        return image, page.scale
    from PIL import Image

    resized = image.resize(size, Image.Resampling.LANCZOS)
    return resized, page.width / resized.width


def export(
    page: RenderedPage, pictures: list[Region], request: ImageRequest
) -> tuple[list[PageImage], dict[int, str]]:
    """PNGs for ``request.mode``: picture crops and/or the page; ``(images, index → name)``.

    A page whose images cannot be made keeps its text: it gets no images, and
    the job's ``ImageBudget`` warns.
    """
    boxes = [r.bbox for r in pictures] if request.figures else []
    if not (boxes or request.mode in images.PAGES):
        return [], {}
    try:
        image, scale = _at_dpi(page, request.dpi, request.max_pixels)
        try:
            return images.export_image(
                image,
                scale,
                page.number,
                request.mode,
                (page.width, page.height),
                boxes,
                request.max_per_page,
            )
        finally:
            if image is not page.image:
                image.close()
    except images.EXPORT_ERRORS as e:
        _log.warning("page %d: images not made (%s)", page.number, type(e).__name__)
        return [], {}
