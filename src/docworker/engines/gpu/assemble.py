"""One page's layout regions and VLM output → a ``PageResult`` with boxes.

``assemble_page`` places each markdown element (``engines.gpu.elements``) on
its layout region (``engines.gpu.align``) and turns it into a
``contract.Block`` with the region's box in page units (elements no region
matched get the gap between their neighbours); page headers, footers, page
numbers and watermarks become ``page_header`` / ``page_footer`` / ``other``
blocks and stay out of the page's markdown and text; tables become
``contract.Table`` with their box. Unmatched header, footer, picture and table
regions become blocks of their own (``source: layout``). With ``Figures``
(job ``images`` of ``figures`` or ``both``) every Picture region is a
``picture`` block named after its exported crop, linked in the markdown where
the picture stands (``docworker.images.figure_link``).

``page_result`` wraps that into the page's ``PageResult``: a failed
generation becomes a failed page; a page whose generation looped falls back to
its text layer when it has one (``text_layer_page``); loops, truncated pages
and missing layout boxes go to the ``warnings`` list the caller passes; with
an ``ImageRequest`` it carries the page's PNGs (``engines.gpu.figures``).

Inputs: a ``RenderedPage``, its ``Region`` list, its ``VlmResult``.
Output: ``AssembledPage`` / ``PageResult``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from docworker import errors, images
from docworker.contract import Block, ErrorInfo, PageResult, Table
from docworker.engines.gpu.align import (
    FURNITURE,
    align,
    gap_box,
    reading_order,
    region_text,
    word_set,
)
from docworker.engines.gpu.elements import Element, split_elements
from docworker.engines.gpu.figures import ImageRequest, export, picture_regions
from docworker.geometry import BBox
from docworker.pages import RenderedPage
from docworker.stages.layout import Region
from docworker.stages.vlm import VlmResult


def _block_type(
    element: Element, label: str | None, region: Region | None, page: RenderedPage
) -> str:
    if label == "Page-header":
        return "page_header"
    if label == "Page-footer":
        return "page_footer"
    kind = element.kind
    if kind == "page_number":
        if region is not None and (region.bbox[1] + region.bbox[3]) / 2 < page.height / 2:
            return "page_header"
        return "page_footer"
    if kind == "watermark":
        return "other"
    if kind in ("table", "picture", "formula", "code", "list_item"):
        return kind
    if kind == "heading":
        return "title" if label == "Title" else "heading"
    return {
        "Caption": "caption",
        "Footnote": "footnote",
        "Formula": "formula",
        "Code": "code",
        "Title": "title",
        "Section-header": "heading",
        "List-item": "list_item",
    }.get(label or "", "paragraph")


_KEPT_OUT = {"page_header", "page_footer", "other"}


def _element_markdown(element: Element, block_type: str) -> str:
    """Markdown for a body element; layout can promote a paragraph to a heading."""
    if element.kind == "paragraph" and block_type == "title":
        return f"# {element.text}"
    if element.kind == "paragraph" and block_type == "heading":
        return f"## {element.text}"
    if element.kind == "paragraph" and block_type == "list_item":
        return f"- {element.text}"
    return element.markdown


def _round(box: BBox) -> BBox:
    return (round(box[0], 2), round(box[1], 2), round(box[2], 2), round(box[3], 2))


@dataclass
class AssembledPage:
    text: str
    markdown: str
    blocks: list[Block]
    tables: list[Table]


@dataclass
class Figures:
    """The page's Picture regions (top to bottom) and the exported ones' names, by index."""

    pictures: list[Region]
    names: dict[int, str]

    def index(self, region: Region | None) -> int | None:
        return next((i for i, p in enumerate(self.pictures) if p is region), None)


def assemble_page(
    page: RenderedPage, markdown: str, regions: list[Region], figures: Figures | None = None
) -> AssembledPage:
    """VLM markdown + layout regions → blocks with page-unit boxes, markdown, text, tables.

    With ``figures`` (the job asked for figures), a picture on a Picture region
    is linked to its image where it stands (``images.figure_link``) and its
    block's ``text`` is the image's name, or empty when it was not exported.
    """
    elements = split_elements(markdown)
    ordered = reading_order(regions)
    region_words = [word_set(region_text(r, page)) for r in ordered]
    assigned = align(elements, ordered, region_words)
    boxes: list[BBox | None] = [ordered[k].bbox if k is not None else None for k in assigned]
    blocks: list[Block] = []
    tables: list[Table] = []
    md_parts: list[str] = []
    md_at: list[int] = []  # the element index of each markdown part
    text_parts: list[str] = []
    placed: set[int] = set()  # Picture regions with their picture block
    for index, (element, k) in enumerate(zip(elements, assigned, strict=True)):
        region = ordered[k] if k is not None else None
        bbox = boxes[index] or gap_box(boxes, index, page)
        kind = _block_type(element, region.label if region else None, region, page)
        if element.table is not None:
            table = element.table.model_copy(update={"bbox": _round(bbox)})
            tables.append(table)
        text, part = element.text, _element_markdown(element, kind)
        figure = figures.index(region) if figures and kind == "picture" else None
        if figures is not None and figure is not None and figure not in placed:
            placed.add(figure)
            name = figures.names.get(figure, "")
            text = name
            if name:
                part = images.figure_link(page.number, figure + 1)
        blocks.append(
            Block(
                type=kind,
                text=text,
                bbox=_round(bbox),
                confidence=region.score if region else None,
                source="vlm",
            )
        )
        if kind not in _KEPT_OUT:
            md_parts.append(part)
            md_at.append(index)
            text_parts.append(element.text)
    matched = {k for k in assigned if k is not None}
    for k, region in enumerate(ordered):
        figure = figures.index(region) if figures else None
        if figures is not None and figure is not None and figure not in placed:
            placed.add(figure)
            name = figures.names.get(figure, "")
            if name:  # the link goes before the first element read after the region
                after = [i for i, a in enumerate(assigned) if a is not None and a > k]
                at = next((j for j, i in enumerate(md_at) if after and i >= after[0]), None)
                at = len(md_parts) if at is None else at
                md_parts.insert(at, images.figure_link(page.number, figure + 1))
                md_at.insert(at, -1)
            blocks.append(
                Block(
                    type="picture",
                    text=name,
                    bbox=_round(region.bbox),
                    confidence=region.score,
                    source="layout",
                )
            )
            continue
        if k in matched or region.label not in (FURNITURE | {"Picture", "Table"}):
            continue
        kind = {"Page-header": "page_header", "Page-footer": "page_footer"}.get(
            region.label, region.label.lower()
        )
        blocks.append(
            Block(
                type=kind,
                text=region_text(region, page),
                bbox=_round(region.bbox),
                confidence=region.score,
                source="layout",
            )
        )
    return AssembledPage(
        text="\n\n".join(t for t in text_parts if t),
        markdown="\n\n".join(m for m in md_parts if m),
        blocks=blocks,
        tables=tables,
    )


def text_layer_page(page: RenderedPage) -> AssembledPage:
    """The page from its text layer alone (the fallback for a looping VLM)."""
    blocks = [
        Block(type="line", text=line.text, bbox=_round(line.bbox), source="text_layer")
        for line in page.lines
    ]
    text = "\n".join(line.text for line in page.lines)
    return AssembledPage(text=text, markdown=text, blocks=blocks, tables=[])


def page_result(
    page: RenderedPage,
    regions: list[Region],
    result: VlmResult,
    outputs: list[str],
    layout_ms: float,
    layout_error: errors.WorkerError | None,
    warnings: list[str],
    request: ImageRequest | None = None,
) -> PageResult:
    """One page's result from its layout regions and VLM output (or its error).

    With a ``request`` for images, the page's figures and/or page image come
    from its render (``engines.gpu.figures``).
    """
    timings = {"layout": round(layout_ms, 2), "vlm": round(result.seconds * 1000, 2)}
    base = {
        "number": page.number,
        "width": page.width,
        "height": page.height,
        "unit": page.unit,
    }
    if result.error is not None:
        err = result.error
        return PageResult(
            **base,
            source="none",
            status="failed",
            error=ErrorInfo(
                code=err.code, message=err.message, retryable=err.retryable, page=page.number
            ),
            timings_ms=timings,
        )
    started = time.perf_counter()
    exported, figures = None, None
    if request is not None and request.mode != "none":
        pictures = picture_regions(regions)
        exported, names = export(page, pictures, request)
        figures = Figures(pictures, names) if request.figures else None
        timings["images"] = round((time.perf_counter() - started) * 1000, 2)
        started = time.perf_counter()
    source = "vlm"
    if result.looped and page.lines:
        warnings.append(
            f"page {page.number}: the VLM fell into a repetition loop; used the text layer instead"
        )
        assembled = text_layer_page(page)
        source = "text_layer"
        for i, region in enumerate(figures.pictures if figures else []):
            name = figures.names.get(i, "") if figures else ""
            assembled.blocks.append(
                Block(type="picture", text=name, bbox=_round(region.bbox), source="layout")
            )
    else:
        if result.looped:
            warnings.append(
                f"page {page.number}: the VLM fell into a repetition loop; output cut at the loop"
            )
        elif result.hit_limit:
            warnings.append(
                f"page {page.number}: the VLM reached its {result.tokens}-token limit;"
                " the page may be incomplete"
            )
        assembled = assemble_page(page, result.text, regions, figures)
    if layout_error is not None and source == "vlm":
        warnings.append(f"page {page.number}: no layout boxes ({layout_error.message})")
    timings["assemble"] = round((time.perf_counter() - started) * 1000, 2)
    return PageResult(
        **base,
        source=source,
        status="ok",
        text=assembled.text if "text" in outputs else None,
        markdown=assembled.markdown if "markdown" in outputs else None,
        blocks=assembled.blocks if "blocks" in outputs else None,
        tables=assembled.tables if "tables" in outputs else None,
        images=exported,
        timings_ms=timings,
    )
