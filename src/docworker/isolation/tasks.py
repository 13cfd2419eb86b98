"""Tasks every page engine shares, run inside a page process (see ``isolation.pool``).

- ``init_child``: runs once per page process: blocks all network access and sets
  the cyclic garbage collector's first threshold (``GC_YOUNG``).
- ``document``: the process's open document, kept between tasks so a long PDF
  is opened once per process, not once per page.
- ``probe``: open the document, check password and limits, count pages.
- ``render_page``: render one page for an image model (``pages.RenderedPage``).

The engines' own page functions live with their engines
(``engines.cpu.read_page``, ``engines.office.convert``).

Inputs: small picklable task dataclasses. Outputs: picklable results; errors
are raised as ``docworker.errors`` classes and shipped back by the pool.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from pathlib import Path

from docworker import decode
from docworker.geometry import Line
from docworker.pages import RenderedPage

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
    #: rapidocr | rapidocr-small | rapidocr-tiny | tesseract (Settings.ocr_engine)
    ocr_engine: str = "rapidocr"
    languages: tuple[str, ...] = ()  # JobInput.languages (ISO 639); () = the engine's defaults
    images: str = "none"  # JobInput.images: none | figures | pages | both
    images_dpi: int = 144  # JobInput.images_dpi or Settings.images_dpi
    max_images_per_page: int = 16  # Settings.max_images_per_page


@dataclass(frozen=True)
class ProbeResult:
    page_count: int


_open: tuple[DocTask, decode.DocumentHandle] | None = None


#: New container objects the cyclic collector lets pile up before its youngest
#: generation is examined (Python's default: 700; every tenth such pass the middle one,
#: every hundredth the whole heap). A text-layer page makes thousands of short-lived
#: characters, tuples and dicts, almost none of them in a cycle: at 700 a book page
#: paid 3-5 young collections and a full one every 40-60 pages, at 20,000 next to none;
#: 2-12% of its CPU in process (docs/BENCHMARKS.md, "The page processes' garbage
#: collector").
GC_YOUNG = 20_000


def init_child() -> None:
    """Runs once in each page process: it never needs the network (``netguard``), and
    its collector looks at young objects less often (``GC_YOUNG``)."""
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    try:
        from docworker.isolation import netguard
    except ImportError:  # pragma: no cover - netguard ships with the package
        return
    netguard.block_all()


def document(doc: DocTask) -> decode.DocumentHandle:
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


def probe(doc: DocTask) -> ProbeResult:
    return ProbeResult(page_count=document(doc).page_count)


def render_page(task: PageTask) -> RenderedPage:
    handle = document(task.doc)
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
