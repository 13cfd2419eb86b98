"""Word recall against a PDF's own text layer, and control characters in the output.

- ``layer_words(path, password)``: the words of the PDF's text layer:
  pypdfium2 ``get_text_range()`` per page, NFC, pdfium's soft-hyphen markers
  (U+FFFE, U+0002) joined with what follows them, U+21B5 between letters read
  as the "ff" it stands for (as the worker does), split on whitespace.
  pdfium marks real compounds too, so a word joined at a marker is also found
  in its hyphenated form ("self-publishing" for "self\x02publishing"):
  ``alternatives`` maps one to the other.
- ``is_word(token)``: a token with a letter or a digit. Recall counts only
  these: a dot leader's dots (". . . ."), a lone dash or bullet are not words.
- ``output_words(markdown)``: the words of the markdown as a reader sees it:
  NFC, ``<br>``, a table's HTML tags and emphasis markers removed, CommonMark backslash escapes
  resolved, superscript figures read as the figures the text layer has for them
  (docworker writes a raised footnote mark or exponent as "reports²", pdfium's text
  "reports2"), split on whitespace. Markers are not joined here: a marker that
  leaks into the output leaves its word split, as a reader sees it.
  Display equations (``$$ ... $$``) are left out there and counted in their
  plain reading instead (``formula_text``).
- ``word_recall(layer, output)``: the share of the layer's words found in the
  output, as multisets (a word counted twice must be there twice).
- ``furniture_text(payload)``: the text of the page header and footer blocks,
  which the markdown leaves out by design; recall is measured over the
  markdown plus these (``recall``) and over the markdown alone
  (``recall_markdown``).
- ``formula_text(payload)``: the plain reading of each formula block: the
  ``line`` blocks inside its box, which keep the text layer's characters.
  An equation's LaTeX re-tokenises its symbols (``R^{2}`` for pdfium's ``R``
  ``2``, ``\\mapsto`` for TeX's two-glyph ``7→``), so counting words in it would
  measure tokenisation, not loss.
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

from docworker import superscripts
from docworker.decode.pdfchars import RETURN_ARROW, ff_ligature
from docworker.geometry import CJK

_log = logging.getLogger(__name__)

_MARKERS = re.compile(r"[\ufffe\x02]\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_DISPLAY = re.compile(r"\$\$.+?\$\$", re.S)
#: The tags of a table written as HTML (a cell's first word would keep its "<td>").
_TABLE_TAG = re.compile(r"</?(?:table|thead|tbody|tr|th|td)\b[^>]*>", re.I)


def _joined(text: str) -> str:
    text = _MARKERS.sub("", unicodedata.normalize("NFC", text))
    if RETURN_ARROW not in text:
        return text
    # Computer Modern's "ff" without a Unicode map, read by the worker's own rule.
    return "".join(
        "ff" if ch == RETURN_ARROW and ff_ligature(text, i) else ch for i, ch in enumerate(text)
    )


def alternatives(text: str) -> dict[str, str]:
    """Words joined at a soft-hyphen marker → the same word with a hyphen there."""
    marked = _MARKERS.sub("\ue002", unicodedata.normalize("NFC", text))
    return {
        t.replace("\ue002", ""): t.replace("\ue002", "-") for t in marked.split() if "\ue002" in t
    }


def is_word(token: str) -> bool:
    """A token with a letter or a digit (dot leaders and lone punctuation are not words)."""
    return any(ch.isalnum() for ch in token)


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


def _split(text: str) -> list[str]:
    """Whitespace-separated tokens; Chinese and Japanese, written without spaces, one
    token a character (a line of them is no word, and lines join without a space)."""
    if not CJK.search(text):
        return text.split()
    return [t for token in text.split() for t in _CJK_TOKEN.findall(token)]


_CJK_TOKEN = re.compile(CJK.pattern + "|(?:(?!" + CJK.pattern + ")\\S)+")


def layer_words(path: Path, password: str | None = None) -> list[str]:
    """Words of the PDF's own text layer (markers joined, NFC)."""
    return _split(_joined(layer_text(path, password)))


def output_words(markdown: str) -> list[str]:
    """Words of a markdown output as rendered: emphasis and ``<br>`` removed, escapes resolved."""
    escaped: list[str] = []

    def protect(m: re.Match[str]) -> str:
        escaped.append(m.group(1))
        return f"\ue000{len(escaped) - 1}\ue001"

    markdown = _DISPLAY.sub(" ", markdown)
    text = _ESCAPE.sub(protect, unicodedata.normalize("NFC", markdown))
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = _TABLE_TAG.sub(" ", text)
    for marker in (r"\*\*", "__", r"\*", "_"):
        text = re.sub(rf"(?<![^\W_]){marker}(?=\S)(.*?\S){marker}(?![^\W_])", r"\1", text)
    text = re.sub("\ue000(\\d+)\ue001", lambda m: escaped[int(m.group(1))], text)
    return _split(text.translate(superscripts.PLAIN))


def _lacking(layer: list[str], output: list[str], alts: dict[str, str]) -> Counter[str]:
    want, have = Counter(layer), Counter(output)
    lacking = want - have
    rest = have - want
    for word, n in list(lacking.items()):
        alt = alts.get(word)
        if alt and rest[alt]:
            took = min(n, rest[alt])
            rest[alt] -= took
            lacking[word] -= took
    return +lacking


def word_recall(
    layer: list[str], output: list[str], alts: dict[str, str] | None = None
) -> tuple[int, int]:
    """``(found, total)``: layer words present in the output, counted as multisets.

    A word joined at a marker also counts when its hyphenated form (``alts``) is there.
    """
    lacking = _lacking(layer, output, alts or {})
    return len(layer) - sum(lacking.values()), len(layer)


def missing_words(
    layer: list[str], output: list[str], limit: int = 8, alts: dict[str, str] | None = None
) -> list[str]:
    """The most frequent layer words the output lacks (for the report)."""
    return [w for w, _ in _lacking(layer, output, alts or {}).most_common(limit)]


def furniture_text(payload: dict[str, Any]) -> str:
    """Text of the page header and footer blocks (left out of the markdown by design)."""
    pages = (payload.get("data") or {}).get("pages") or []
    return "\n".join(
        b.get("text") or ""
        for page in pages
        for b in page.get("blocks") or []
        if b.get("type") in ("page_header", "page_footer")
    )


def formula_text(payload: dict[str, Any]) -> str:
    """The plain reading of the formula blocks: the ``line`` blocks inside each one's box."""
    parts = []
    for page in (payload.get("data") or {}).get("pages") or []:
        blocks = page.get("blocks") or []
        for formula in (b for b in blocks if b.get("type") == "formula"):
            x0, y0, x1, y1 = formula["bbox"]
            parts.extend(
                b.get("text") or ""
                for b in blocks
                if b.get("type") == "line"
                and b["bbox"][0] >= x0 - 1
                and b["bbox"][1] >= y0 - 1
                and b["bbox"][2] <= x1 + 1
                and b["bbox"][3] <= y1 + 1
            )
    return "\n".join(parts)


def control_chars(text: str | None) -> int:
    """C0 control characters other than newline and tab."""
    return len(_CONTROL.findall(text or ""))


def document_figures(path: Path, password: str | None, payload: dict[str, Any]) -> dict[str, Any]:
    """Recall and control-character figures of one docworker payload for one PDF."""
    out: dict[str, Any] = {}
    try:
        raw = layer_text(path, password)
    except Exception as e:  # an unreadable layer is a figure we cannot have, not a crash
        return {"error": f"text layer: {type(e).__name__}: {e}"}
    layer = [w for w in _split(_joined(raw)) if is_word(w)]
    alts = alternatives(raw)
    data = payload.get("data") or {}
    markdown, text = data.get("markdown") or "", data.get("text") or ""
    shown = output_words(markdown) + output_words(formula_text(payload))
    with_furniture = shown + output_words(furniture_text(payload))
    found, total = word_recall(layer, with_furniture, alts)
    out["layer_words"] = total
    out["found"] = found
    out["recall"] = round(found / total, 4) if total else None
    found_md, _ = word_recall(layer, shown, alts)
    out["found_markdown"] = found_md
    out["recall_markdown"] = round(found_md / total, 4) if total else None
    out["missing"] = missing_words(layer, with_furniture, alts=alts)
    out["control_text"] = control_chars(text)
    out["control_markdown"] = control_chars(markdown)
    if "error" in payload:
        out["error"] = (payload.get("error") or {}).get("code", "error")
    return out
