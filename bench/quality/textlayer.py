"""Word recall against a PDF's own text layer, and control characters in the output.

- ``layer_words(path, password)``: the words of the PDF's text layer:
  pypdfium2 ``get_text_range()`` per page, NFC, pdfium's soft-hyphen markers
  (U+FFFE, U+0002) joined with what follows them, split on whitespace.
- ``output_words(markdown)``: the words of the markdown as a reader sees it:
  NFC, ``<br>`` and emphasis markers removed, CommonMark backslash escapes
  resolved, split on whitespace. Markers are not joined here: a marker that
  leaks into the output leaves its word split, as a reader sees it.
- ``word_recall(layer, output)``: the share of the layer's words found in the
  output, as multisets (a word counted twice must be there twice).
- ``control_chars(text)``: C0 control characters other than ``\\n`` and ``\\t``.

Inputs: PDF paths, strings. Outputs: word lists, figures.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)

_MARKERS = re.compile(r"[\ufffe\x02]\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _joined(text: str) -> str:
    return _MARKERS.sub("", unicodedata.normalize("NFC", text))


def layer_text(path: Path, password: str | None = None) -> str:
    """The PDF's text layer, pages joined with newlines."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path), password=password)
    try:
        parts = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(parts)
    finally:
        pdf.close()


def layer_words(path: Path, password: str | None = None) -> list[str]:
    """Words of the PDF's own text layer (markers joined, NFC)."""
    return _joined(layer_text(path, password)).split()


def output_words(markdown: str) -> list[str]:
    """Words of a markdown output as rendered: emphasis and ``<br>`` removed, escapes resolved."""
    escaped: list[str] = []

    def protect(m: re.Match[str]) -> str:
        escaped.append(m.group(1))
        return f"\ue000{len(escaped) - 1}\ue001"

    text = _ESCAPE.sub(protect, unicodedata.normalize("NFC", markdown))
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    for marker in (r"\*\*", "__", r"\*", "_"):
        text = re.sub(rf"(?<![^\W_]){marker}(?=\S)(.*?\S){marker}(?![^\W_])", r"\1", text)
    text = re.sub("\ue000(\\d+)\ue001", lambda m: escaped[int(m.group(1))], text)
    return text.split()


def word_recall(layer: list[str], output: list[str]) -> tuple[int, int]:
    """``(found, total)``: layer words present in the output, counted as multisets."""
    want = Counter(layer)
    have = Counter(output)
    return sum((want & have).values()), sum(want.values())


def missing_words(layer: list[str], output: list[str], limit: int = 8) -> list[str]:
    """The most frequent layer words the output lacks (for the report)."""
    lacking = Counter(layer) - Counter(output)
    return [w for w, _ in lacking.most_common(limit)]


def control_chars(text: str | None) -> int:
    """C0 control characters other than newline and tab."""
    return len(_CONTROL.findall(text or ""))


def document_figures(path: Path, password: str | None, payload: dict[str, Any]) -> dict[str, Any]:
    """Recall and control-character figures of one docworker payload for one PDF."""
    out: dict[str, Any] = {}
    try:
        layer = layer_words(path, password)
    except Exception as e:  # an unreadable layer is a figure we cannot have, not a crash
        return {"error": f"text layer: {type(e).__name__}: {e}"}
    data = payload.get("data") or {}
    markdown, text = data.get("markdown") or "", data.get("text") or ""
    found, total = word_recall(layer, output_words(markdown))
    out["layer_words"] = total
    out["found"] = found
    out["recall"] = round(found / total, 4) if total else None
    out["missing"] = missing_words(layer, output_words(markdown))
    out["control_text"] = control_chars(text)
    out["control_markdown"] = control_chars(markdown)
    if "error" in payload:
        out["error"] = (payload.get("error") or {}).get("code", "error")
    return out
