"""Figures and page images: picture blocks, PNG crops, markdown links and the job's budget.

Job option ``images`` (``contract.JobInput``): ``none`` | ``figures`` | ``pages``
| ``both``, at ``images_dpi`` (default ``DOCWORKER_IMAGES_DPI``).

Page process side (``engines.cpu.read_page``):

- ``figure_regions``: the page's picture boxes (``decode.pdfimages``) less
  scan backgrounds: a box over half the page that holds half or more of the
  page's text is the scan (or a full-page picture) under that text, on
  OCR'd pages and on scans with an invisible text layer alike.
- ``export``: one render at the job's image DPI (the page's OCR render when
  that was made at the same DPI; ``export_image`` crops a render the caller
  already has); each figure cropped from it
  (at most ``DOCWORKER_MAX_IMAGES_PER_PAGE``), and/or the whole page, as PNG
  ``contract.PageImage`` entries with base64 ``data``. Names are stable and
  unique in the document: ``page-003-figure-01.png``, ``page-003.png``.
- ``assemble``: ``picture`` blocks and, for exported figures, a markdown link
  ``![Figure 1, page 3](page-003-figure-01.png)`` where the figure stands in
  reading order: after the last block above it that shares its columns.
  A picture block's ``text`` is its image's name when exported, else empty.

Worker side (``pipeline``):

- ``ImageBudget``: at most ``DOCWORKER_MAX_IMAGE_BYTES_PER_JOB`` PNG bytes
  per job; images past it are left out (their links too) with a warning,
  as are figures past the per-page cap and images a page process could not
  make (the page keeps its text). The job never fails over images.
- ``engine_warning``: only the cpu and gpu engines export images (the gpu
  engine crops its layout model's Picture regions, ``engines.gpu.figures``).

``results.ResultStore`` moves PNGs over ``DOCWORKER_MAX_INLINE_IMAGE_BYTES``
to the result bucket (``url`` instead of ``data``).

Inputs: page boxes, ``stages.markdown.PageItem`` lists, an open document.
Outputs: ``contract.Block`` lists, markdown, ``contract.PageImage`` lists.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from typing import Any

from docworker import errors
from docworker.contract import Block, PageImage, PageResult
from docworker.geometry import BBox, Line
from docworker.stages import markdown as md

_log = logging.getLogger(__name__)

FIGURES = ("figures", "both")
PAGES = ("pages", "both")
#: A picture box over this share of the page, holding this share of its text, is a background.
_BACKGROUND_AREA = 0.5
_BACKGROUND_TEXT = 0.5
#: The engines that export images (``engines.cpu``, ``engines.gpu.figures``).
EXPORTING_ENGINES = ("cpu", "gpu")
#: What making a page's images may raise; the page then keeps its text without them.
EXPORT_ERRORS = (errors.WorkerError, OSError, ValueError, MemoryError)


def figure_name(page: int, index: int) -> str:
    """``page-003-figure-01.png``: the ``index``-th (1-based) figure of page ``page``."""
    return f"page-{page:03d}-figure-{index:02d}.png"


def page_name(page: int) -> str:
    return f"page-{page:03d}.png"


def figure_link(page: int, index: int) -> str:
    """The markdown link to a figure, by its name (the CLI rewrites it to a relative path)."""
    return f"![Figure {index}, page {page}]({figure_name(page, index)})"


def _centre_in(box: BBox, region: BBox) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def figure_regions(boxes: list[BBox], lines: list[Line], width: float, height: float) -> list[BBox]:
    """``boxes`` without scan backgrounds (see the module docstring)."""
    area = width * height
    total = sum(len(line.text.strip()) for line in lines)
    kept = []
    for box in boxes:
        share = (box[2] - box[0]) * (box[3] - box[1]) / area if area > 0 else 0.0
        if share >= _BACKGROUND_AREA and total:
            inside = sum(len(ln.text.strip()) for ln in lines if _centre_in(ln.bbox, box))
            if inside / total >= _BACKGROUND_TEXT:
                continue
        kept.append(box)
    return kept


# ------------------------------------------------------------------- placing


def _item_box(item: md.PageItem) -> BBox | None:
    if item.paragraph is not None:
        return item.paragraph.bbox
    if item.table is not None:
        return item.table.bbox
    return None


def _shares_columns(a: BBox, b: BBox) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0


def place(items: list[md.PageItem], box: BBox) -> int:
    """Where a picture goes among ``items``: the index it is inserted at.

    After the last item (in reading order) that ends above the picture's top
    and shares its columns; else before the first item below its top that
    shares them; else where its top edge falls.
    """
    boxes = [_item_box(item) for item in items]
    above = [k for k, b in enumerate(boxes) if b and b[3] <= box[1] + 2 and _shares_columns(b, box)]
    if above:
        return above[-1] + 1
    below = [k for k, b in enumerate(boxes) if b and b[1] >= box[1] and _shares_columns(b, box)]
    if below:
        return below[0]
    return next((k for k, b in enumerate(boxes) if b and b[1] > box[1]), len(items))


def assemble(
    items: list[md.PageItem],
    pictures: list[BBox],
    names: dict[int, str],
    page: int,
    source: str,
) -> tuple[str, list[Block]]:
    """The page's markdown and blocks with a ``picture`` block per picture.

    ``names`` maps a picture's index to its exported image's name; only those
    get a markdown link.
    """
    slots: dict[int, list[int]] = {}
    for i, box in enumerate(pictures):
        slots.setdefault(place(items, box), []).append(i)
    parts: list[str] = []
    blocks: list[Block] = []
    start = 0
    for k in sorted(set(slots) | {len(items)}):
        run = items[start:k]  # the items before this slot, rendered as the page would be
        start = k
        if part := md.items_markdown(run):
            parts.append(part)
        blocks.extend(md.items_blocks(run, source))
        for i in slots.get(k, []):
            name = names.get(i, "")
            if name:
                parts.append(figure_link(page, i + 1))
            x0, y0, x1, y1 = pictures[i]
            blocks.append(
                Block(type="picture", text=name, bbox=(x0, y0, x1, y1), source=source)  # type: ignore[arg-type]
            )
    return "\n\n".join(parts), blocks


# ------------------------------------------------------------------ exporting


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _entry(kind: str, name: str, page: int, bbox: BBox, image: Any) -> PageImage:
    png = _png(image)
    return PageImage(
        kind=kind,  # type: ignore[arg-type]
        name=name,
        page=page,
        bbox=tuple(round(v, 2) for v in bbox),  # type: ignore[arg-type]
        width=image.width,
        height=image.height,
        bytes=len(png),
        data=base64.b64encode(png).decode("ascii"),
    )


def export(
    handle: Any,
    page: int,
    mode: str,
    dpi: int,
    max_pixels: int,
    size: tuple[float, float],
    pictures: list[BBox],
    max_figures: int,
    render: tuple[Any, float] | None = None,
) -> tuple[list[PageImage], dict[int, str]]:
    """PNGs for ``mode`` from one render of the page; ``(images, picture index → name)``.

    ``render``: ``(image, scale)`` of this page at ``dpi`` that the caller
    already has (the OCR render); it is cropped instead and stays open.
    """
    if not ((mode in FIGURES and pictures) or mode in PAGES):
        return [], {}
    if render is not None:
        return export_image(*render, page, mode, size, pictures, max_figures)
    image, scale = handle.render(page, dpi, max_pixels)
    try:
        return export_image(image, scale, page, mode, size, pictures, max_figures)
    finally:
        image.close()


def export_image(
    image: Any,
    scale: float,
    page: int,
    mode: str,
    size: tuple[float, float],
    pictures: list[BBox],
    max_figures: int,
) -> tuple[list[PageImage], dict[int, str]]:
    """PNGs for ``mode`` from a page render (``scale``: page units per pixel); ``image`` stays open.

    The cpu engine renders at the job's DPI (``export``); the gpu engine
    passes the render its models read (``engines.gpu.figures``).
    """
    images: list[PageImage] = []
    names: dict[int, str] = {}
    if mode in FIGURES:
        for i, box in enumerate(pictures[:max_figures]):
            left, top = int(box[0] / scale), int(box[1] / scale)
            right = min(image.width, max(left + 1, round(box[2] / scale)))
            bottom = min(image.height, max(top + 1, round(box[3] / scale)))
            if right - left < 2 or bottom - top < 2:
                continue
            name = figure_name(page, i + 1)
            crop = image.crop((left, top, right, bottom))
            try:
                images.append(_entry("figure", name, page, box, crop))
            finally:
                crop.close()
            names[i] = name
    if mode in PAGES:
        images.append(_entry("page", page_name(page), page, (0.0, 0.0, *size), image))
    return images, names


# --------------------------------------------------------------- worker side


def engine_warning(mode: str, engine: str) -> str | None:
    """A warning when the job asked for images that its engine does not export."""
    if mode == "none" or engine in EXPORTING_ENGINES:
        return None
    return (
        f"`images` is exported by the cpu and gpu engines only; this job ran on {engine}: no images"
    )


def _drop_link(page: PageResult, name: str) -> None:
    """Take a left-out figure's link out of the page's markdown and its picture block."""
    if page.markdown:
        link = re.compile(r"!\[[^\]]*\]\(" + re.escape(name) + r"\)")
        parts = [p for p in page.markdown.split("\n\n") if not link.fullmatch(p)]
        page.markdown = "\n\n".join(parts)
    for block in page.blocks or []:
        if block.type == "picture" and block.text == name:
            block.text = ""


class ImageBudget:
    """One job's images: at most ``max_bytes`` PNG bytes in all, in page order."""

    def __init__(self, mode: str, max_bytes: int, max_per_page: int) -> None:
        self.mode = mode
        self.max_bytes = max_bytes
        self.max_per_page = max_per_page
        self.used = 0
        self.left_out = 0
        self.over_page_cap: list[int] = []
        self.failed: list[int] = []

    def admit(self, page: PageResult) -> None:
        """Keep the page's images that fit; drop the rest (and their links)."""
        if page.images is not None:  # a page the engine made images for
            figures = sum(1 for im in page.images if im.kind == "figure")
            unexported = self.mode in FIGURES and any(
                b.type == "picture" and not b.text for b in page.blocks or []
            )
            if unexported and figures >= self.max_per_page:
                self.over_page_cap.append(page.number)
            elif unexported or (
                self.mode in PAGES and not any(im.kind == "page" for im in page.images)
            ):
                self.failed.append(page.number)
        if not page.images:
            return
        kept = []
        for image in page.images:
            if self.used + image.bytes > self.max_bytes:
                self.left_out += 1
                if image.kind == "figure":
                    _drop_link(page, image.name)
                continue
            self.used += image.bytes
            kept.append(image)
        page.images = kept

    def warnings(self) -> list[str]:
        out = []
        if self.over_page_cap:
            pages = ", ".join(str(n) for n in self.over_page_cap[:20])
            out.append(
                f"figures past DOCWORKER_MAX_IMAGES_PER_PAGE ({self.max_per_page}) were not"
                f" exported on page(s) {pages}"
            )
        if self.failed:
            pages = ", ".join(str(n) for n in self.failed[:20])
            out.append(f"images could not be made on page(s) {pages}; the text is complete")
        if self.left_out:
            out.append(
                f"{self.left_out} image(s) left out: the job's images reached"
                f" DOCWORKER_MAX_IMAGE_BYTES_PER_JOB ({self.max_bytes} bytes)"
            )
        return out
