"""Peer extractors scored beside docworker, for comparison only (bench-only dependencies).

- ``raw``: pypdfium2's ``get_text_range()`` per page; form feeds inside a page
  become newlines and pages are joined with ``"\\n\\f\\n"`` so the scorer can
  find pages; files pdfium cannot open (images) give an empty output.
- ``markitdown``: ``MarkItDown().convert(path).text_content`` (MIT).
- ``pymupdf4llm``: ``pymupdf4llm.to_markdown(path)``, with ``pymupdf.layout``
  imported first when ``pymupdf-layout`` is installed (AGPL: never in
  requirements.txt or the image; bench/requirements.txt only).

``unavailable(name)`` says why a peer cannot run ("not installed") or returns
``None``; ``convert(name)`` returns the peer's ``path -> markdown`` function;
``time_limit(seconds)`` bounds one conversion (SIGALRM, main thread only).

Inputs: document paths. Outputs: markdown strings.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)

PEERS = ("raw", "markitdown", "pymupdf4llm")
_MODULES = {"raw": "pypdfium2", "markitdown": "markitdown", "pymupdf4llm": "pymupdf4llm"}
_PINS = {
    "raw": "pypdfium2",
    "markitdown": "markitdown[pdf]==0.1.9",
    "pymupdf4llm": "pymupdf4llm==1.28.2 pymupdf-layout==1.28.2",
}


def unavailable(name: str) -> str | None:
    """Why peer ``name`` cannot run here, or ``None`` when it can."""
    if name not in _MODULES:
        return f"unknown peer (known: {', '.join(PEERS)})"
    if importlib.util.find_spec(_MODULES[name]) is None:
        return f"not installed (pip install {_PINS[name]})"
    return None


def raw_text(path: Path) -> str:
    """pypdfium2's text layer, pages joined with form feeds; ``""`` for non-PDFs."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return ""
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range().replace("\f", "\n"))
            textpage.close()
            page.close()
        return "\n\f\n".join(pages)
    finally:
        pdf.close()


def _markitdown() -> Callable[[Path], str]:
    from markitdown import MarkItDown

    converter = MarkItDown()
    return lambda path: converter.convert(str(path)).text_content or ""


def _pymupdf4llm() -> Callable[[Path], str]:
    if importlib.util.find_spec("pymupdf.layout") is not None:
        import pymupdf.layout  # noqa: F401  (switches pymupdf4llm to its layout model)
    import pymupdf4llm

    return lambda path: pymupdf4llm.to_markdown(str(path)) or ""


def convert(name: str) -> Callable[[Path], str]:
    """The ``path -> markdown`` function of peer ``name`` (raises ImportError if absent)."""
    if name == "raw":
        return raw_text
    if name == "markitdown":
        return _markitdown()
    if name == "pymupdf4llm":
        return _pymupdf4llm()
    raise ValueError(f"unknown peer {name!r}")


def mode(name: str) -> str:
    """A short description of how the peer runs here (versions, layout, OCR)."""
    from importlib.metadata import PackageNotFoundError, version

    def ver(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "absent"

    if name == "raw":
        return f"pypdfium2 {ver('pypdfium2')}"
    if name == "markitdown":
        return f"markitdown {ver('markitdown')}, pdfminer.six {ver('pdfminer.six')}"
    layout = ver("pymupdf-layout")
    tess = "no Tesseract data (image-only pages are not OCRed)"
    with contextlib.suppress(Exception):
        import pymupdf

        if pymupdf.get_tessdata():
            tess = "Tesseract OCR on image-only pages"
    return f"pymupdf4llm {ver('pymupdf4llm')}, pymupdf-layout {layout}, {tess}"


class Timeout(Exception):
    """A conversion ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise ``Timeout`` in the block after ``seconds`` (no limit off the main thread)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(*_: Any) -> None:
        raise Timeout(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
