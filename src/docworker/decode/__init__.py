"""Bytes on disk → pages: type sniffing, PDF text layer and rendering, image frames.

Modules: ``formats`` (type table, sniffing), ``pdf`` (pypdfium2), ``image``
(Pillow), ``rtl`` (right-to-left text in logical order), ``types``. Runs
inside a page process (see ``isolation``). pypdfium2 and Pillow errors are
translated here into ``errors`` classes. Everything returned uses the original
page's coordinate space with the origin at the top-left: PDF points for PDF
pages, pixels for image pages.

Inputs: a file path, its sniffed MIME type, an optional password.
Outputs: ``DocumentHandle`` objects with ``page_count`` and per-page
``PageView`` objects (size, text-layer lines, a ``render(dpi)`` method).
"""

from __future__ import annotations

from pathlib import Path

from docworker import errors
from docworker.decode.formats import (
    BMP,
    DOCX,
    GIF,
    HTML,
    IMAGE_TYPES,
    JPEG,
    MAX_ZIP_DIRECTORY_BYTES,
    MAX_ZIP_ENTRIES,
    ODT,
    OFFICE_TYPES,
    PDF,
    PNG,
    PPTX,
    SUPPORTED_TYPES,
    TIFF,
    WEBP,
    XLSX,
    ZIP_ERRORS,
    sniff_type,
    zip_directory,
)
from docworker.decode.image import ImageHandle
from docworker.decode.pdf import MAX_PAGE_CHARS, MAX_PAGE_RUNS, PdfHandle
from docworker.decode.types import DocumentHandle, PageView

__all__ = [
    "BMP", "DOCX", "GIF", "HTML", "IMAGE_TYPES", "JPEG", "MAX_PAGE_CHARS", "MAX_PAGE_RUNS",
    "MAX_ZIP_DIRECTORY_BYTES", "MAX_ZIP_ENTRIES", "ODT", "OFFICE_TYPES", "PDF", "PNG", "PPTX",
    "SUPPORTED_TYPES", "TIFF", "WEBP", "XLSX", "ZIP_ERRORS", "DocumentHandle", "ImageHandle",
    "PageView", "PdfHandle", "open_document", "sniff_type", "zip_directory",
]  # fmt: skip


def open_document(
    path: Path,
    mime: str,
    password: str | None,
    *,
    max_pages: int,
    max_page_points: float,
    max_pixels: int,
) -> DocumentHandle:
    """Open a PDF or image for page access; raise a ``WorkerError`` when it can't be."""
    if mime == PDF:
        return PdfHandle(path, password, max_pages, max_page_points)
    if mime in IMAGE_TYPES:
        return ImageHandle(path, max_pixels, max_pages)
    raise errors.UnsupportedType(f"no page decoder for {mime}")
