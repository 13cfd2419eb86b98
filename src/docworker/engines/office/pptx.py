"""PPTX with python-pptx: slides in order, their text, lists, tables (with spans) and charts.

docstrange 1.1.8's PPTX converter keeps only text lines: no tables, no chart
data, no list structure. This reader walks each slide's shape tree in its
own order (groups unwrapped), as docling does:

- a ``<!-- slide n -->`` marker in the markdown before each slide (no block,
  no text);
- title placeholders become ``title`` blocks (``# Title``);
- text frames: each paragraph a ``paragraph`` or a ``list_item``: an explicit
  ``buAutoNum`` numbers it, ``buChar`` bullets it, ``buNone`` does neither, and
  a body or content placeholder's paragraph without one of these inherits the
  master's bullet; a paragraph's level is the item's depth;
- tables: one cell per merge origin with its row and column spans; the first
  row is the header when the table says so (``firstRow``);
- charts: the title as a ``caption`` and the cached data as a table
  (categories down, one column per series), read from the chart XML so that
  every chart type python-pptx does not model (3-D, for one) is read too;
- pictures: a ``picture`` block with the alt text.

Input: a PPTX path (already checked by ``office.check_zip``). Output:
``OfficeContent``; ``CorruptDocument`` when python-pptx cannot open it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from docworker import errors, superscripts
from docworker.engines.office.build import (
    MAX_TABLE_COLUMNS,
    MAX_TABLE_POSITIONS,
    ContentBuilder,
    GridCell,
    span_table,
)
from docworker.engines.office.markdown import OfficeContent

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
#: Groups nested deeper than this are not read (a hostile file could nest thousands).
MAX_GROUP_DEPTH = 16


def pptx_content(path: Path) -> OfficeContent:
    """The PPTX at ``path`` as ``OfficeContent``, slide by slide, uncapped."""
    return read_pptx(path).finish()


def read_pptx(path: Path) -> ContentBuilder:
    """The PPTX at ``path``, its pieces slide by slide."""
    import pptx
    from lxml import etree
    from pptx.exc import PackageNotFoundError

    try:
        presentation = pptx.Presentation(str(path))
        slides = list(presentation.slides)
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.LxmlError) as e:
        raise errors.CorruptDocument(f"PPTX could not be read ({type(e).__name__})") from e
    out = ContentBuilder()
    for number, slide in enumerate(slides, start=1):
        out.marker(f"<!-- slide {number} -->")
        _shapes(slide.shapes, out, 0)
    return out


def _shapes(shapes: Any, out: ContentBuilder, depth: int) -> None:
    from pptx.shapes.group import GroupShape
    from pptx.shapes.picture import Picture

    for shape in shapes:
        if isinstance(shape, GroupShape):
            if depth < MAX_GROUP_DEPTH:
                _shapes(shape.shapes, out, depth + 1)
        elif getattr(shape, "has_table", False):
            out.table(_table(shape.table))
        elif getattr(shape, "has_chart", False):
            _chart(shape, out)
        elif isinstance(shape, Picture):
            out.picture(_alt(shape))
        elif getattr(shape, "has_text_frame", False):
            _text_frame(shape, out)


def _placeholder_kind(shape: Any) -> str:
    """``title``, ``body`` (bullets inherited from the master) or ``other``."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    if not shape.is_placeholder:
        return "other"
    try:
        kind = shape.placeholder_format.type
    except (ValueError, KeyError):
        return "other"
    if kind in (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE):
        return "title"
    bodies = (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT)
    bodies += (PP_PLACEHOLDER.VERTICAL_BODY, PP_PLACEHOLDER.VERTICAL_OBJECT)
    return "body" if kind in bodies else "other"


def _text_frame(shape: Any, out: ContentBuilder) -> None:
    kind = _placeholder_kind(shape)
    paragraphs = shape.text_frame.paragraphs
    if kind == "title":
        out.heading(" ".join(_text(p) for p in paragraphs), 1, kind="title")
        return
    counters: dict[int, int] = {}
    for paragraph in paragraphs:
        text = _text(paragraph).replace("\v", "\n")
        level = max(0, min(paragraph.level, 8))
        bullet = _bullet(paragraph, inherited=kind == "body")
        if not text.strip():
            continue
        if bullet is None:
            counters.clear()
            out.paragraph(text)
            continue
        for deeper in [lvl for lvl in counters if lvl > level]:
            del counters[deeper]
        if bullet == "bullet":
            out.list_item(text, None, level, key=shape._element)
        else:
            counters[level] = counters.get(level, int(bullet) - 1) + 1
            out.list_item(text, f"{counters[level]}.", level, key=shape._element)


def _text(paragraph: Any) -> str:
    """The paragraph's text as python-pptx reads it (runs, fields, line breaks as
    ``\\v``), figures in a run set raised (``baseline`` above 0: a footnote mark, an
    exponent) as superscript characters ("reports²")."""
    if not any(_raised(r) for r in paragraph._p.iter(f"{A}rPr")):
        return paragraph.text
    parts: list[str] = []
    for child in paragraph._p:
        if child.tag in (f"{A}r", f"{A}fld"):
            t = child.find(f"{A}t")
            text = "" if t is None else t.text or ""
            props = child.find(f"{A}rPr")
            if props is not None and _raised(props):
                text = superscripts.raised(text) or text
            parts.append(text)
        elif child.tag == f"{A}br":
            parts.append("\v")
    return "".join(parts)


def _raised(props: Any) -> bool:
    """Is a run's ``a:rPr`` set raised (``baseline`` > 0, in thousandths of a percent)?"""
    try:
        return int(props.get("baseline") or 0) > 0
    except ValueError:
        return False


def _bullet(paragraph: Any, inherited: bool) -> str | None:
    """``"bullet"``, the start number of an auto-numbered item as a string, or ``None``."""
    p_pr = paragraph._p.pPr
    if p_pr is not None:
        if p_pr.find(f"{A}buNone") is not None:
            return None
        auto = p_pr.find(f"{A}buAutoNum")
        if auto is not None:
            start = auto.get("startAt") or "1"
            return start if start.isdigit() else "1"
        if p_pr.find(f"{A}buChar") is not None or p_pr.find(f"{A}buBlip") is not None:
            return "bullet"
    return "bullet" if inherited else None


def _alt(shape: Any) -> str:
    for element in shape._element.iter():
        if isinstance(element.tag, str) and element.tag.endswith("}cNvPr"):
            return element.get("descr") or ""
    return ""


def _table(table: Any) -> Any:
    n_rows, n_cols = len(table.rows), min(len(table.columns), MAX_TABLE_COLUMNS)
    if n_rows * n_cols > MAX_TABLE_POSITIONS:
        return span_table([GridCell(0, 0, "")], n_rows, n_cols, 0)  # raises LimitExceeded
    cells = []
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            if c >= n_cols:
                break
            if cell.is_spanned:
                continue
            rows = cell.span_height if cell.is_merge_origin else 1
            cols = cell.span_width if cell.is_merge_origin else 1
            cells.append(GridCell(r, c, cell.text.replace("\v", " "), rows, cols))
    return span_table(cells, n_rows, n_cols, 1 if table.first_row else 0)


# ------------------------------------------------------------------ charts


def _chart(shape: Any, out: ContentBuilder) -> None:
    space = shape.chart_part._element  # c:chartSpace, parsed by python-pptx's safe parser
    chart = space.find(f"{C}chart")
    if chart is None:
        return
    title = chart.find(f"{C}title")
    if title is not None:
        out.paragraph(" ".join(t.text or "" for t in title.iter(f"{A}t")), kind="caption")
    plot_area = chart.find(f"{C}plotArea")
    series = []
    for plot in plot_area if plot_area is not None else []:
        if isinstance(plot.tag, str) and plot.tag.endswith("Chart"):
            series.extend(plot.findall(f"{C}ser"))
    if not series:
        return
    names = [_series_name(s) for s in series]
    categories: dict[int, str] = {}
    values: list[dict[int, str]] = []
    for s in series:
        for idx, text in _points(s, ("cat", "xVal")).items():
            categories.setdefault(idx, text)
        values.append(_points(s, ("val", "yVal")))
    indexes = sorted(set(categories) | {i for v in values for i in v})
    n_rows, n_cols = len(indexes) + 1, min(len(series) + 1, MAX_TABLE_COLUMNS)
    if n_rows * n_cols > MAX_TABLE_POSITIONS:
        indexes = indexes[: MAX_TABLE_POSITIONS // n_cols - 1]
        n_rows = len(indexes) + 1
        out.notes.append(f"a PPTX chart's data was cut to its first {len(indexes)} points")
    cells = [GridCell(0, c + 1, name) for c, name in enumerate(names[: n_cols - 1])]
    for r, idx in enumerate(indexes, start=1):
        cells.append(GridCell(r, 0, categories.get(idx, "")))
        for c, points in enumerate(values[: n_cols - 1], start=1):
            cells.append(GridCell(r, c, points.get(idx, "")))
    out.table(span_table(cells, n_rows, n_cols, 1))


def _series_name(series: Any) -> str:
    tx = series.find(f"{C}tx")
    return "" if tx is None else " ".join(v.text or "" for v in tx.iter(f"{C}v"))


def _points(series: Any, tags: tuple[str, ...]) -> dict[int, str]:
    """A series' cached points under the first of ``tags`` it has: index → text."""
    for tag in tags:
        holder = series.find(f"{C}{tag}")
        if holder is None:
            continue
        points: dict[int, str] = {}
        for pt in holder.iter(f"{C}pt"):
            value = pt.find(f"{C}v")
            idx = pt.get("idx")
            if value is not None and idx is not None and idx.isdigit():
                points.setdefault(int(idx), value.text or "")
        return points
    return {}
