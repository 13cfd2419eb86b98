"""Functions that run inside a page process (see ``sandbox``), one task each.

- ``probe``: open the document, check password and limits, count pages.
- ``cpu_page``: the embedded CPU engine for one page: text layer when usable
  (plus pdfplumber's tables), else orientation detection and RapidOCR on the
  rendered page (plus framed or ruled tables from the image, ``stages.scan_tables``);
  returns a ``contract.PageResult``. ``PageTask.ocr_engine="tesseract"`` swaps
  RapidOCR for Tesseract (``stages.ocr_tesseract``).
- ``render_page``: render one page for the GPU engine (``pages.RenderedPage``).
- ``office``: DOCX/PPTX/XLSX/HTML through docstrange's local processors (ODT through
  ``stages.odt``), parsed into text, blocks and tables by ``stages.markdown_doc``.

Each child keeps the last opened document and the OCR models between tasks,
so a long PDF is opened once per child, not once per page.

Inputs: small picklable task dataclasses. Outputs: picklable results; errors
are raised as ``docworker.errors`` classes and shipped back by the sandbox.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docworker import decode, errors
from docworker.contract import PageResult
from docworker.engines.office.markdown import OfficeContent, parse
from docworker.geometry import Line
from docworker.pages import RenderedPage
from docworker.stages import reading_order
from docworker.stages.ocr.orientation import rotate_image, unrotate_box
from docworker.stages.ocr.rapidocr import OcrStage
from docworker.stages.text_layer import TextLayerStage
from docworker.tables import scanned
from docworker.tables.finder import TableStage

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocTask:
    """What every task needs to open the document."""

    path: str
    mime: str
    password: str | None
    max_pages: int
    max_page_points: float
    max_pixels: int


@dataclass(frozen=True)
class PageTask:
    doc: DocTask
    number: int
    ocr: str = "auto"  # auto | always | never
    dpi: int = 150
    min_chars: int = 16
    ocr_threads: int = 1
    text_layer: bool = True
    ocr_engine: str = "rapidocr"  # rapidocr | tesseract (Settings.ocr_engine)


@dataclass(frozen=True)
class ProbeResult:
    page_count: int


_open: tuple[DocTask, decode.DocumentHandle] | None = None
_ocr: dict[str, Any] = {}  # engine name -> OcrStage or TesseractStage


def init_child() -> None:
    """Runs once in each page process: it never needs the network."""
    try:
        from docworker.isolation import netguard
    except ImportError:  # pragma: no cover - netguard ships with the package
        return
    netguard.block_all()


def _document(doc: DocTask) -> decode.DocumentHandle:
    global _open
    if _open is not None and _open[0] == doc:
        return _open[1]
    if _open is not None:
        _open[1].close()
        _open = None
    handle = decode.open_document(
        Path(doc.path),
        doc.mime,
        doc.password,
        max_pages=doc.max_pages,
        max_page_points=doc.max_page_points,
        max_pixels=doc.max_pixels,
    )
    _open = (doc, handle)
    return handle


def ocr_stage(threads: int = 1, engine: str = "rapidocr") -> Any:
    """This process's OCR stage for ``engine``, built on first use and kept."""
    stage = _ocr.get(engine)
    if stage is None:
        if engine == "tesseract":
            from docworker.stages.ocr.tesseract import TesseractStage

            stage = TesseractStage.from_settings(threads=threads)
        elif engine == "rapidocr":
            stage = OcrStage.from_settings(threads=threads)
        else:
            raise errors.EngineUnavailable(f"unknown OCR engine {engine!r}")
        _ocr[engine] = stage
    return stage


def probe(doc: DocTask) -> ProbeResult:
    return ProbeResult(page_count=_document(doc).page_count)


def warmup(task: tuple[int, str]) -> list:
    """Load the OCR models and run them once on a blank image; returns model infos.

    ``task``: ``(OCR threads, engine)``.
    """
    from PIL import Image

    threads, engine = task
    stage = ocr_stage(threads, engine)
    stage(Image.new("RGB", (64, 32), "white"), 1.0)
    return stage.models()


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


_tables: TableStage | None = None


def table_stage() -> TableStage:
    global _tables
    if _tables is None:
        _tables = TableStage()
    return _tables


def cpu_page(task: PageTask) -> PageResult:
    """Text layer when usable (plus ruled tables), else orientation + OCR; then assembly."""
    handle = _document(task.doc)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    view = handle.page(task.number, text_layer=task.text_layer and task.doc.mime == decode.PDF)
    timings["text_layer"] = _ms(t)

    text_stage = TextLayerStage(min_chars=task.min_chars)
    has_text_layer = task.doc.mime == decode.PDF
    rotation = 0
    tables: list = []
    verdict = text_stage.judge(view) if has_text_layer else None
    if task.ocr == "never" or (task.ocr == "auto" and verdict is not None and verdict.usable):
        lines = text_stage(view) if has_text_layer else []
        source = "text_layer" if has_text_layer else "none"
        if has_text_layer and lines and table_stage().wanted(view.graphics, view.lines):
            t = time.perf_counter()
            tables = table_stage()(task.doc.path, task.doc.password, task.number)
            timings["tables"] = _ms(t)
    else:
        t = time.perf_counter()
        image, scale = handle.render(task.number, task.dpi, task.doc.max_pixels)
        timings["render"] = _ms(t)
        t = time.perf_counter()
        read = ocr_stage(task.ocr_threads, task.ocr_engine).read(image, scale)
        lines, rotation = read.lines, read.rotation
        timings["ocr"] = _ms(t)
        t = time.perf_counter()
        upright = rotate_image(image, rotation)
        tables = scanned.find(upright, lines, scale)
        timings["tables"] = _ms(t)
        if upright is not image:
            upright.close()
        image.close()
        source = "ocr"
        if not lines and verdict is not None and verdict.short and task.ocr == "auto":
            # A layer too short to trust on its own ("habibi") beats an empty OCR read.
            lines, rotation, tables, source = text_stage(view), 0, [], "text_layer"

    t = time.perf_counter()
    upright_w, upright_h = (
        (view.height, view.width) if rotation in (90, 270) else (view.width, view.height)
    )
    ordered = reading_order.reading_order(lines, upright_w)
    paras = reading_order.paragraphs(ordered)
    kinds = reading_order.furniture(paras, upright_h)
    if rotation:
        for line in ordered:
            line.bbox = unrotate_box(line.bbox, rotation, view.width, view.height)
        for table in tables:
            if table.bbox is not None:
                table.bbox = unrotate_box(table.bbox, rotation, view.width, view.height)
    items = reading_order.layout_items(paras, kinds, tables)
    block_source = "ocr" if source == "ocr" else "text_layer"
    timings["assemble"] = _ms(t)
    return PageResult(
        number=task.number,
        width=round(view.width, 2),
        height=round(view.height, 2),
        unit=view.unit,  # type: ignore[arg-type]
        rotation=rotation,
        source=source,  # type: ignore[arg-type]
        status="ok",
        text=reading_order.items_text(items),
        markdown=reading_order.items_markdown(items),
        blocks=reading_order.items_blocks(items, block_source),
        tables=tables,
        timings_ms=timings,
    )


def render_page(task: PageTask) -> RenderedPage:
    handle = _document(task.doc)
    view = handle.page(task.number, text_layer=task.doc.mime == decode.PDF)
    image, scale = handle.render(task.number, task.dpi, task.doc.max_pixels)
    lines = [Line(line.text, line.bbox) for line in view.lines]
    return RenderedPage(
        number=task.number,
        width=view.width,
        height=view.height,
        unit=view.unit,
        image=image,
        scale=scale,
        lines=lines,
    )


@dataclass(frozen=True)
class OfficeTask:
    path: str
    mime: str
    max_uncompressed: int
    max_ratio: float


def office(task: OfficeTask) -> OfficeContent:
    """An Office/HTML document as ``markdown_doc.OfficeContent`` (markdown, text, blocks, tables).

    The markdown comes from docstrange's local processors (the ODT reader for
    ODT) and is parsed here, in the page process, like any other document content.
    """
    path = Path(task.path)
    if task.mime != decode.HTML:
        check_zip(path, task.max_uncompressed, task.max_ratio)
    if task.mime == decode.ODT:
        from docworker.engines.office.odt import odt_to_markdown

        return parse(odt_to_markdown(path), task.mime)
    try:
        from docworker.engines.office.docstrange import office_to_markdown
    except ImportError as e:
        raise errors.EngineUnavailable("docstrange is not installed: pip install docstrange") from e
    return parse(office_to_markdown(path, task.mime), task.mime)


def check_zip(path: Path, max_uncompressed: int, max_ratio: float) -> None:
    """Refuse zip bombs before any Office parser touches the file.

    In order: the member count and directory size from the end record (before
    the directory is parsed), the total declared size, the whole file's
    ratio, and each member's own ratio (a bomb padded with incompressible
    members passes the whole-file ratio). Python's zipfile never inflates a
    member past its declared size, so the declared sizes bound what parsers get.
    """
    import zipfile

    try:
        directory = decode.zip_directory(path)
        if directory is None:
            raise zipfile.BadZipFile("no end of central directory record")
        if directory[0] > decode.MAX_ZIP_ENTRIES or directory[1] > decode.MAX_ZIP_DIRECTORY_BYTES:
            raise errors.LimitExceeded(
                f"the Office file has {directory[0]} members in a {directory[1]}-byte directory;"
                f" the limits are {decode.MAX_ZIP_ENTRIES} and {decode.MAX_ZIP_DIRECTORY_BYTES}"
            )
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
        total = sum(info.file_size for info in members)
        packed = max(1, os.path.getsize(path))
    except decode._ZIP_ERRORS as e:
        raise errors.CorruptDocument("the Office file is not a valid zip container") from e
    for info in members:
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > 1024 * 1024 and ratio > max_ratio:
            raise errors.LimitExceeded(
                f"an Office file member inflates {ratio:.0f}:1; the limit is {max_ratio:.0f}:1"
            )
    if total > max_uncompressed:
        raise errors.LimitExceeded(
            f"the Office file unpacks to {total} bytes; the limit is {max_uncompressed}"
        )
    if total / packed > max_ratio:
        raise errors.LimitExceeded(
            f"the Office file's compression ratio is {total / packed:.0f}:1; the limit is"
            f" {max_ratio:.0f}:1"
        )
