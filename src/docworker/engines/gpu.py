"""The GPU engine: RT-DETR layout → VLM markdown → page results with boxes.

``GpuEngine.from_settings(settings)`` checks, fastest first, that the engine
can run (packages, device policy, baked weights against MANIFEST.json, the
torch/torchvision pair) and raises ``errors.EngineUnavailable`` with the reason
when it cannot; only then does it load the models, once.

``process(pages, job)`` runs layout and the VLM over a window of rendered
pages and assembles each page:

* the VLM's markdown is split into elements (headings, list items, HTML or
  pipe tables, pictures, formulas, page numbers, paragraphs);
* layout regions are put in reading order (recursive XY-cut, page headers
  first and footers last) and aligned with the elements in order, by type and,
  where the page has a text layer, by shared words;
* each element becomes a ``contract.Block`` with its region's box in page
  units (elements no region matched get the gap between their neighbours);
* page headers, footers, page numbers and watermarks become ``page_header`` /
  ``page_footer`` / ``other`` blocks and stay out of the page's markdown and text;
* HTML tables become ``contract.Table`` (cells, markdown, html).

A page whose generation looped falls back to its text layer when it has one.
Warnings (loops, truncated pages) go to the ``warnings`` list the caller
passes, and to the log.

Input: ``list[RenderedPage]`` and the ``JobInput``. Output: ``list[PageResult]``.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docworker import errors
from docworker.checks import gpu as gpu_checks
from docworker.contract import Block, ErrorInfo, JobInput, ModelInfo, PageResult, Table, TableCell
from docworker.geometry import BBox
from docworker.geometry import union as _union
from docworker.pages import RenderedPage
from docworker.stages.layout import LayoutStage, Region
from docworker.stages.structured import StructuredStage
from docworker.stages.vlm import (
    MODEL_FOLDERS,
    VlmRequest,
    VlmResult,
    VlmStage,
    find_html_tables,
    page_prompt,
    parse_html_table,
)
from docworker.tables import render

_log = logging.getLogger(__name__)


_PACKAGES = {
    "torch": "torch==2.14.1",
    "torchvision": "torchvision==0.29.1",
    "transformers": "transformers==5.23.0",
    "PIL": "pillow",
    "jsonschema": "jsonschema",
}

# ------------------------------------------------------------------- markdown elements


@dataclass
class Element:
    """A piece of the VLM's markdown, in its order."""

    #: heading, list_item, table, picture, formula, code, page_number, watermark, paragraph
    kind: str
    text: str
    markdown: str
    level: int = 0
    table: Table | None = None


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_TAGGED = re.compile(r"<(page_number|watermark|img)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_INLINE_MARKUP = re.compile(r"(\*\*|__|`)")
_PLACEHOLDER = "\x00T{}\x00"


def _plain(text: str) -> str:
    return " ".join(_INLINE_MARKUP.sub("", text).split())


def _pipe_table(lines: list[str]) -> Table:
    rows = [
        [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        for i, line in enumerate(lines)
        if i != 1
    ]
    width = max(len(r) for r in rows)
    grid = [r + [""] * (width - len(r)) for r in rows]
    cells = [
        TableCell(row=i, col=j, text=c, header=i == 0)
        for i, r in enumerate(grid)
        for j, c in enumerate(r)
    ]
    return Table(
        n_rows=len(grid),
        n_cols=width,
        cells=cells,
        markdown=render.markdown(grid),
        html=render.html(cells, len(grid)),
    )


def _table_element(table: Table) -> Element:
    text = "\n".join(
        " | ".join(c.text for c in sorted(table.cells, key=lambda c: c.col) if c.row == row)
        for row in range(table.n_rows)
    )
    return Element("table", text, table.markdown or table.html, table=table)


def split_elements(markdown: str) -> list[Element]:
    """The VLM's output as ordered elements; HTML tables parsed into ``Table``."""
    tables: list[Table] = []
    pieces: list[str] = []
    cursor = 0
    for start, end in find_html_tables(markdown):
        pieces.append(markdown[cursor:start])
        pieces.append("\n\n" + _PLACEHOLDER.format(len(tables)) + "\n\n")
        tables.append(parse_html_table(markdown[start:end]))
        cursor = end
    pieces.append(markdown[cursor:])
    text = "".join(pieces)

    # Tagged spans (page numbers, watermarks, images) become their own blocks.
    def _tag(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        return f"\n\n<{name}>{' '.join(match.group(2).split())}</{name}>\n\n"

    text = _TAGGED.sub(_tag, text)
    elements: list[Element] = []
    lines = text.split("\n")
    i = 0
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            body = "\n".join(paragraph).strip()
            if body:
                elements.append(Element("paragraph", _plain(body), body))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            flush()
            i += 1
            continue
        placeholder = re.fullmatch(r"\x00T(\d+)\x00", stripped)
        tagged = re.fullmatch(r"<(page_number|watermark|img)>(.*)</\1>", stripped)
        if placeholder:
            flush()
            elements.append(_table_element(tables[int(placeholder.group(1))]))
        elif tagged:
            flush()
            kind = {"img": "picture"}.get(tagged.group(1), tagged.group(1))
            content = tagged.group(2).strip()
            md = f"![{content}]()" if kind == "picture" else content
            elements.append(Element(kind, content, md))
        elif stripped.startswith("```"):
            flush()
            block = [line]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            if i < len(lines):
                block.append(lines[i])
            body = "\n".join(block)
            elements.append(Element("code", "\n".join(block[1:-1]).strip(), body))
        elif stripped.startswith("$$"):
            flush()
            block = [stripped]
            closed = len(stripped) > 2 and stripped.endswith("$$")
            while not closed and i + 1 < len(lines):
                i += 1
                block.append(lines[i].strip())
                closed = lines[i].strip().endswith("$$")
            body = "\n".join(block)
            elements.append(Element("formula", body.strip("$").strip(), body))
        elif (m := _HEADING.match(stripped)) is not None:
            flush()
            elements.append(Element("heading", _plain(m.group(2)), stripped, level=len(m.group(1))))
        elif (
            stripped.startswith("|") and i + 1 < len(lines) and _PIPE_SEPARATOR.match(lines[i + 1])
        ):
            flush()
            block = [stripped]
            i += 1
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            elements.append(_table_element(_pipe_table(block)))
            continue
        elif (m := _LIST.match(line)) is not None:
            flush()
            elements.append(Element("list_item", _plain(m.group(1)), stripped))
        else:
            paragraph.append(line.rstrip())
        i += 1
    flush()
    return elements


# ---------------------------------------------------------------------- reading order

_FURNITURE = {"Page-header", "Page-footer"}


def _gaps(intervals: list[tuple[float, float]], tolerance: float) -> list[float]:
    """Cut positions between runs of 1-D intervals that no interval crosses.

    Intervals may overlap their neighbours by ``tolerance`` (detector jitter)
    and still be cut apart.
    """
    cuts = []
    ordered = sorted(intervals)
    reach = ordered[0][1]
    for lo, hi in ordered[1:]:
        if lo + tolerance > reach:
            cuts.append((reach + lo) / 2)
        reach = max(reach, hi)
    return cuts


def xy_cut(regions: list[Region], _depth: int = 0) -> list[Region]:
    """Reading order by recursive XY-cut, columns before rows.

    A vertical cut (a gutter no region crosses) splits columns, read left to
    right; otherwise a horizontal cut splits rows, read top to bottom. Trying
    columns first keeps a two-column page column by column even where both
    columns happen to break at the same height; a full-width title or table
    blocks the vertical cut, so it is read in its row.
    """
    if len(regions) <= 1 or _depth > 32:
        return sorted(regions, key=lambda r: (r.bbox[1], r.bbox[0]))
    for axis in (0, 1):
        lo = min(r.bbox[axis] for r in regions)
        hi = max(r.bbox[axis + 2] for r in regions)
        cuts = _gaps([(r.bbox[axis], r.bbox[axis + 2]) for r in regions], 0.005 * (hi - lo))
        if cuts:
            bounds = [float("-inf"), *cuts, float("inf")]
            groups = [
                [r for r in regions if a <= (r.bbox[axis] + r.bbox[axis + 2]) / 2 < b]
                for a, b in itertools.pairwise(bounds)
            ]
            return [r for g in groups if g for r in xy_cut(g, _depth + 1)]
    return sorted(regions, key=lambda r: (r.bbox[1], r.bbox[0]))


def reading_order(regions: list[Region]) -> list[Region]:
    """Page headers (top down), body in XY-cut order, then page footers (top down)."""
    headers = sorted((r for r in regions if r.label == "Page-header"), key=lambda r: r.bbox[1])
    footers = sorted((r for r in regions if r.label == "Page-footer"), key=lambda r: r.bbox[1])
    body = [r for r in regions if r.label not in _FURNITURE]
    return headers + xy_cut(body) + footers


# -------------------------------------------------------------------------- alignment

_COMPAT: dict[str, dict[str, float]] = {
    "heading": {"Section-header": 2.0, "Title": 2.0, "Page-header": 0.5, "Text": 0.5},
    "list_item": {"List-item": 2.0, "Text": 1.0},
    "table": {"Table": 3.0, "Document Index": 2.0, "Form": 1.0, "Key-Value Region": 1.0},
    "picture": {"Picture": 3.0},
    "formula": {"Formula": 3.0, "Text": 0.5},
    "code": {"Code": 3.0, "Text": 0.5},
    "page_number": {"Page-footer": 3.0, "Page-header": 3.0},
    "watermark": {},
    "paragraph": {
        "Text": 2.0,
        "Caption": 1.5,
        "Footnote": 1.5,
        "Page-header": 1.0,
        "Page-footer": 1.0,
        "Title": 1.0,
        "Section-header": 1.0,
        "List-item": 1.0,
        "Formula": 0.5,
        "Code": 0.5,
        "Checkbox-Selected": 1.0,
        "Checkbox-Unselected": 1.0,
        "Form": 1.0,
        "Key-Value Region": 1.0,
    },
}

_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def region_text(region: Region, page: RenderedPage) -> str:
    """Text-layer lines whose centre lies inside the region (empty for scans)."""
    x0, y0, x1, y1 = region.bbox
    inside = []
    for line in page.lines:
        cx = (line.bbox[0] + line.bbox[2]) / 2
        cy = (line.bbox[1] + line.bbox[3]) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            inside.append(line.text)
    return " ".join(inside)


def align(
    elements: list[Element], regions: list[Region], region_words: list[set[str]]
) -> list[int | None]:
    """For each element, the index of its region (monotone, several elements may share one)."""
    n, m = len(elements), len(regions)
    score = [[0.0] * m for _ in range(n)]
    for i, element in enumerate(elements):
        words = _words(element.text)
        for j, region in enumerate(regions):
            compat = _COMPAT.get(element.kind, {}).get(region.label, 0.0)
            overlap = 0.0
            if words and region_words[j]:
                overlap = len(words & region_words[j]) / len(words | region_words[j])
            if compat > 0 or overlap > 0.5:
                score[i][j] = compat + 4.0 * overlap
    neg = float("-inf")
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            options = []
            if i > 0:
                options.append((best[i - 1][j], 1))  # element unmatched
            if j > 0:
                options.append((best[i][j - 1], 2))  # region unmatched
            if i > 0 and j > 0 and score[i - 1][j - 1] > 0:
                options.append((best[i - 1][j - 1] + score[i - 1][j - 1], 3))  # match
                options.append((best[i - 1][j] + 0.8 * score[i - 1][j - 1], 4))  # share region
            value, how = max(options, key=lambda o: o[0])
            best[i][j] = value
            move[i][j] = how
    assigned: list[int | None] = [None] * n
    i, j = n, m
    while i > 0 or j > 0:
        how = move[i][j]
        if how == 1:
            i -= 1
        elif how == 2:
            j -= 1
        elif how == 3:
            assigned[i - 1] = j - 1
            i, j = i - 1, j - 1
        else:
            assigned[i - 1] = j - 1
            i -= 1
    return assigned


def _gap_box(boxes: list[BBox | None], index: int, page: RenderedPage) -> BBox:
    """A box for an unmatched element: the band between its matched neighbours."""
    before = next((boxes[k] for k in range(index - 1, -1, -1) if boxes[k] is not None), None)
    after = next((boxes[k] for k in range(index + 1, len(boxes)) if boxes[k] is not None), None)
    top = before[3] if before else 0.0
    bottom = after[1] if after else page.height
    known = [b for b in (before, after) if b is not None]
    x0, x1 = (min(b[0] for b in known), max(b[2] for b in known)) if known else (0.0, page.width)
    if bottom <= top:
        union = _union(known) if known else (0.0, 0.0, page.width, page.height)
        return union
    return (x0, top, x1, bottom)


# --------------------------------------------------------------------------- assembly


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
    words = [_words(region_text(r, page)) for r in ordered]
    assigned = align(elements, ordered, words)
    boxes: list[BBox | None] = [ordered[k].bbox if k is not None else None for k in assigned]
    blocks: list[Block] = []
    tables: list[Table] = []
    md_parts: list[str] = []
    text_parts: list[str] = []
    for index, (element, k) in enumerate(zip(elements, assigned, strict=True)):
        region = ordered[k] if k is not None else None
        bbox = boxes[index] or _gap_box(boxes, index, page)
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
        if k in matched or region.label not in (_FURNITURE | {"Picture", "Table"}):
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


# ----------------------------------------------------------------------------- engine


def synthetic_page() -> RenderedPage:
    """A built-in A4 page (heading, paragraph, small table) for warm-up."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 60), "Información pública: año 2025", fill="black")
    draw.text((60, 100), "¿Señal? ¡Sí! Artículo 1. Objeto y ámbito de aplicación.", fill="black")
    for row in range(4):
        for col in range(3):
            x, y = 60 + col * 160, 160 + row * 30
            draw.rectangle((x, y, x + 160, y + 30), outline="black")
            draw.text((x + 6, y + 8), f"celda {row}.{col}", fill="black")
    return RenderedPage(
        number=1, width=595.0, height=842.0, unit="pt", image=image, scale=595.0 / 620.0
    )


class GpuEngine:
    """Layout + VLM (+ structured output) with models loaded once."""

    name = "gpu"

    def __init__(
        self,
        layout: LayoutStage,
        vlm: VlmStage,
        structured_stage: StructuredStage,
        *,
        device: str,
        model_infos: list[ModelInfo],
    ) -> None:
        self.layout = layout
        self.vlm = vlm
        self.structured_stage = structured_stage
        self.device = device
        self.dtype = str(vlm.dtype).replace("torch.", "")
        self._models = model_infos

    @classmethod
    def from_settings(cls, settings: Any) -> GpuEngine:
        """Check, then load. Raises ``errors.EngineUnavailable`` naming the reason."""
        missing = [pkg for mod, pkg in _PACKAGES.items() if importlib.util.find_spec(mod) is None]
        if missing:
            raise errors.EngineUnavailable(
                "the GPU engine needs packages that are not installed:"
                f" pip install {' '.join(missing)}"
            )
        device = choose_engine_device(settings.device)
        vlm_folder = MODEL_FOLDERS.get(settings.vlm_model)
        if vlm_folder is None:
            raise errors.EngineUnavailable(
                f"unknown vlm_model {settings.vlm_model!r}; known: {', '.join(MODEL_FOLDERS)}"
            )
        model_dir = Path(settings.model_dir)
        weights = gpu_checks.check_weights(model_dir, [gpu_checks.LAYOUT_NAME, vlm_folder])
        bad = [w.detail for w in weights if not w.ok]
        if bad:
            raise errors.EngineUnavailable("GPU engine weights not usable: " + "; ".join(bad))
        pair = gpu_checks.check_torch_pair()
        if not pair.ok:
            raise errors.EngineUnavailable(pair.detail)
        started = time.perf_counter()
        layout = LayoutStage.from_settings(settings, device=device)
        vlm = VlmStage.from_settings(settings, device=device)
        manifest = gpu_checks.manifest_entries(model_dir)
        infos = []
        for role, name in (("layout", gpu_checks.LAYOUT_NAME), ("vlm", vlm_folder)):
            entry = manifest.get(name)
            infos.append(
                ModelInfo(
                    role=role,
                    id=entry.id if entry else name,
                    version=entry.revision if entry else "unknown",
                    runtime="torch",
                )
            )
        _log.info(
            "gpu engine ready on %s (%s) in %.1f s",
            device,
            vlm.dtype,
            time.perf_counter() - started,
        )
        return cls(
            layout,
            vlm,
            StructuredStage.from_settings(settings, vlm),
            device=device,
            model_infos=infos,
        )

    def models(self) -> list[ModelInfo]:
        """What produced the pages: id and revision from MANIFEST.json, runtime torch."""
        return list(self._models)

    def process(
        self, pages: list[RenderedPage], job: JobInput, warnings: list[str] | None = None
    ) -> list[PageResult]:
        """One ``PageResult`` per page, in order; a failed page never fails the others."""
        return self._process(pages, job.outputs, job.languages, warnings)

    def _process(
        self,
        pages: list[RenderedPage],
        outputs: list[str],
        languages: list[str],
        warnings: list[str] | None,
        max_new_tokens: int | None = None,
    ) -> list[PageResult]:
        if not pages:
            return []
        sink = warnings if warnings is not None else []
        started = time.perf_counter()
        try:
            regions = self.layout(pages)
            layout_error: errors.WorkerError | None = None
        except Exception as e:  # layout is optional for the markdown; keep going without boxes
            _log.exception("layout failed on pages %d-%d", pages[0].number, pages[-1].number)
            regions = [[] for _ in pages]
            layout_error = errors.EngineFailed(f"layout detection failed ({type(e).__name__})")
            sink.append(f"pages {pages[0].number}-{pages[-1].number}: layout detection failed")
        layout_ms = (time.perf_counter() - started) * 1000 / len(pages)
        prompt = page_prompt(languages)
        requests = [VlmRequest(page=p.number, images=[p.image], prompt=prompt) for p in pages]
        results = self.vlm.run(requests, max_new_tokens=max_new_tokens)
        out = []
        for page, page_regions, result in zip(pages, regions, results, strict=True):
            out.append(
                page_result(page, page_regions, result, outputs, layout_ms, layout_error, sink)
            )
        return out

    def structured(
        self, pages: list[RenderedPage], markdown: str, schema: dict[str, Any]
    ) -> dict[str, Any]:
        """The document as an object filling ``schema`` (see ``stages.structured``)."""
        return self.structured_stage(pages, markdown, schema)

    def warmup(self, max_new_tokens: int = 16) -> float:
        """Run the built-in page through layout and the VLM; milliseconds taken."""
        started = time.perf_counter()
        result = self._process([synthetic_page()], ["markdown"], ["es"], None, max_new_tokens)
        if result[0].status != "ok":
            raise errors.EngineFailed(f"GPU engine warm-up failed: {result[0].error}")
        elapsed = (time.perf_counter() - started) * 1000
        _log.info("gpu engine warm-up took %.0f ms", elapsed)
        return elapsed


def choose_engine_device(requested: str) -> str:
    """The GPU engine's device: CUDA, or the CPU only when asked for by name.

    ``auto`` and ``cuda`` need CUDA (a job asking for the GPU engine on a worker
    without one gets ``engine_unavailable``); ``cpu`` runs the same models,
    slowly, in fp32 (development and tests).
    """
    device = gpu_checks.choose_device(requested)
    if device == "cpu" and requested == "auto":
        raise errors.EngineUnavailable(
            "no CUDA device on this worker (set DOCWORKER_DEVICE=cpu to run the GPU engine's"
            " models on the CPU, slowly)"
        )
    return device
