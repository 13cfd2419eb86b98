"""The page shapes every decoder returns: ``PageView`` and ``DocumentHandle``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image

from docworker.geometry import Line


@dataclass
class PageView:
    """One page, ready for stages."""

    number: int
    width: float
    height: float
    unit: str
    lines: list[Line] = field(default_factory=list)
    invisible_ratio: float = 0.0
    unreadable: int = 0  # text-layer characters dropped as controls or unmapped glyphs (PDF only)
    turn: int = 0  # clockwise turn that sets most of the text layer upright (PDF only)
    image_coverage: float = 0.0  # share of the page under image objects (PDF only)
    graphics: int = 0  # vector path segments on the page (PDF only; rulings, boxes)
    objects: Any = None  # PDF only: ``pdfobjects.PageObjects`` (paths for tables, image boxes)
    pictures: list[tuple[float, float, float, float]] = field(default_factory=list)  # pdfimages
    fields: list[Line] = field(default_factory=list)  # PDF only: filled form fields (pdffields)
    #: PDF only: text set askew (a diagonal watermark), read after the page's text.
    slanted: list[Line] = field(default_factory=list)


class DocumentHandle(Protocol):
    page_count: int

    def page(self, number: int, *, text_layer: bool, keep: bool = False) -> PageView:
        """With ``keep``, what the page's text layer was read from stays open for
        ``kept_text`` until ``release`` (PDF only)."""
        ...

    def kept_text(self, number: int) -> Any | None:
        """The open text page ``page`` kept for page ``number``, or None."""
        ...

    def release(self) -> None: ...

    def render(self, number: int, dpi: int, max_pixels: int) -> tuple[Image.Image, float]:
        """The page as RGB and the scale from image pixels to page units."""
        ...

    def close(self) -> None: ...


def render_scale(width_units: float, height_units: float, scale: float, max_pixels: int) -> float:
    """Lower ``scale`` so the rendered page stays under ``max_pixels``."""
    pixels = width_units * scale * height_units * scale
    if pixels > max_pixels:
        scale *= math.sqrt(max_pixels / pixels) * 0.998  # pdfium rounds sizes up
    return scale
