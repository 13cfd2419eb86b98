"""Extraction outputs as the checks scorer reads them, one per checked document.

For a check on ``docling/pdf/multi_page.pdf``, ``find_output(OUTDIR, pdf)``
takes the first file that exists among ``OUTDIR/docling/pdf/multi_page.pdf.md``,
``OUTDIR/docling/pdf/multi_page.md``, ``OUTDIR/multi_page.pdf.md``,
``OUTDIR/multi_page.md`` and the same names ending in ``.json``.
``read_output`` reads a ``.md`` (pages split at form feeds when their number
equals the document's page count) or a ``.json`` worker response (markdown from
``data.markdown`` or a top-level ``markdown``; per-page text from ``data.pages``
items' ``markdown``/``text``/``content``, numbered by ``page``/``page_number``/
``number``, a 0-based ``index``, or list order). ``page_count`` counts a
document's pages (pypdfium2) or frames (Pillow).

Inputs: output folders, documents. Outputs: ``Output`` objects.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)


@dataclass
class Output:
    """One document's output: its markdown, and per-page texts when known."""

    text: str
    pages: dict[int, str] | None
    path: Path


def find_output(outdir: Path, pdf: str) -> Path | None:
    """The first existing output file for a checked document, as the README orders them."""
    rel = Path(pdf)
    stem_dir, name, stem = rel.parent, rel.name, rel.stem
    for ext in (".md", ".json"):
        for candidate in (
            outdir / stem_dir / f"{name}{ext}",
            outdir / stem_dir / f"{stem}{ext}",
            outdir / f"{name}{ext}",
            outdir / f"{stem}{ext}",
        ):
            if candidate.is_file():
                return candidate
    return None


def _json_pages(pages: Any) -> dict[int, str] | None:
    if not isinstance(pages, list) or not pages:
        return None
    out: dict[int, str] = {}
    for i, page in enumerate(pages):
        if not isinstance(page, dict):
            return None
        text = next(
            (page[k] for k in ("markdown", "text", "content") if isinstance(page.get(k), str)),
            None,
        )
        if text is None:
            continue
        named = [page[k] for k in ("page", "page_number", "number") if isinstance(page.get(k), int)]
        if named:
            number = named[0]
        elif isinstance(page.get("index"), int):
            number = page["index"] + 1
        else:
            number = i + 1
        out[number] = text
    return out or None


def read_output(path: Path, page_count: int | None) -> Output:
    """Read a ``.md`` (form feeds split pages when they match ``page_count``) or ``.json``."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".json":
        try:
            payload = json.loads(raw)
        except ValueError:
            return Output("", None, path)
        data = payload.get("data") if isinstance(payload, dict) else None
        data = data if isinstance(data, dict) else {}
        top = payload.get("markdown") if isinstance(payload, dict) else None
        text = data.get("markdown") or top
        return Output(text or "", _json_pages(data.get("pages")), path)
    segments = raw.split("\f")
    pages = None
    if page_count is not None and len(segments) == page_count:
        pages = {i + 1: s for i, s in enumerate(segments)}
    return Output(raw, pages, path)


def page_count(document: Path) -> int | None:
    """Pages of a PDF (pypdfium2) or frames of an image (Pillow); ``None`` if unknown."""
    try:
        if document.suffix.lower() == ".pdf":
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(str(document))
            try:
                return len(pdf)
            finally:
                pdf.close()
        from PIL import Image

        with Image.open(document) as im:
            return int(getattr(im, "n_frames", 1))
    except Exception as e:  # an unreadable file only makes page checks skip
        _log.debug("page count of %s: %s", document, e)
        return None
