"""One page's layout regions and VLM output → a ``PageResult`` with boxes.

``assemble_page`` places each markdown element (``engines.gpu.elements``) on
its layout region (``engines.gpu.align``) and turns it into a
``contract.Block`` with the region's box in page units (elements no region
matched get the gap between their neighbours); page headers, footers, page
numbers and watermarks become ``page_header`` / ``page_footer`` / ``other``
blocks and stay out of the page's markdown and text; tables become
``contract.Table`` with their box. Unmatched header, footer, picture and table
regions become blocks of their own (``source: layout``).

``page_result`` wraps that into the page's ``PageResult``: a failed
generation becomes a failed page; a page whose generation looped falls back to
its text layer when it has one (``text_layer_page``); loops, truncated pages
and missing layout boxes go to the ``warnings`` list the caller passes.

Inputs: a ``RenderedPage``, its ``Region`` list, its ``VlmResult``.
Output: ``AssembledPage`` / ``PageResult``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from docworker import errors
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


def assemble_page(page: RenderedPage, markdown: str, regions: list[Region]) -> AssembledPage:
    """VLM markdown + layout regions → blocks with page-unit boxes, markdown, text, tables."""
    elements = split_elements(markdown)
    ordered = reading_order(regions)
    region_words = [word_set(region_text(r, page)) for r in ordered]
    assigned = align(elements, ordered, region_words)
    boxes: list[BBox | None] = [ordered[k].bbox if k is not None else None for k in assigned]
    blocks: list[Block] = []
    tables: list[Table] = []
    md_parts: list[str] = []
    text_parts: list[str] = []
    for index, (element, k) in enumerate(zip(elements, assigned, strict=True)):
        region = ordered[k] if k is not None else None
        bbox = boxes[index] or gap_box(boxes, index, page)
        kind = _block_type(element, region.label if region else None, region, page)
        if element.table is not None:
            table = element.table.model_copy(update={"bbox": _round(bbox)})
            tables.append(table)
        blocks.append(
            Block(
                type=kind,
                text=element.text,
                bbox=_round(bbox),
                confidence=region.score if region else None,
                source="vlm",
            )
        )
        if kind not in _KEPT_OUT:
            md_parts.append(_element_markdown(element, kind))
            text_parts.append(element.text)
    matched = {k for k in assigned if k is not None}
    for k, region in enumerate(ordered):
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
) -> PageResult:
    """One page's result from its layout regions and VLM output (or its error)."""
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
    source = "vlm"
    if result.looped and page.lines:
        warnings.append(
            f"page {page.number}: the VLM fell into a repetition loop; used the text layer instead"
        )
        assembled = text_layer_page(page)
        source = "text_layer"
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
        assembled = assemble_page(page, result.text, regions)
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
        timings_ms=timings,
    )
