"""Text-layer stage: decide whether a PDF page's own text can be trusted, and read it.

A page's text layer is used only when it is *usable*: enough visible
characters, few replacement or control characters, and not mostly invisible
text (a hidden OCR layer from a scanner, which is often worse than our OCR).

Input: a ``decode.PageView`` with its text-layer lines. Output: ``Line``
objects in page points, or a verdict with the reason the layer was rejected.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from docworker.decode import PageView
from docworker.stages.assemble import Line


@dataclass(frozen=True)
class Verdict:
    usable: bool
    reason: str


def _is_garbage(ch: str) -> bool:
    if ch == "\ufffd":
        return True
    category = unicodedata.category(ch)
    return category in ("Co", "Cn", "Cc") and ch not in "\t\n"


class TextLayerStage:
    """Reads and judges the PDF text layer."""

    name = "text_layer"

    def __init__(
        self,
        min_chars: int = 16,
        max_garbage_ratio: float = 0.1,
        max_invisible_ratio: float = 0.5,
    ):
        self.min_chars = min_chars
        self.max_garbage_ratio = max_garbage_ratio
        self.max_invisible_ratio = max_invisible_ratio

    def judge(self, page: PageView) -> Verdict:
        """Is the text layer good enough to skip OCR?"""
        chars = [ch for line in page.lines for ch in line.text if not ch.isspace()]
        if len(chars) < self.min_chars:
            return Verdict(False, f"text layer has {len(chars)} characters (< {self.min_chars})")
        garbage = sum(1 for ch in chars if _is_garbage(ch)) / len(chars)
        if garbage > self.max_garbage_ratio:
            return Verdict(False, f"text layer is {garbage:.0%} unreadable characters")
        if page.invisible_ratio > self.max_invisible_ratio:
            return Verdict(False, f"text layer is {page.invisible_ratio:.0%} invisible (hidden OCR)")
        return Verdict(True, "text layer usable")

    def __call__(self, page: PageView) -> list[Line]:
        return [Line(text=line.text, bbox=line.bbox, confidence=None) for line in page.lines]
