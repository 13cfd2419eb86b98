"""Inline markdown helpers shared by the Office parsers: the markdown-it parser
and plain text from inline nodes.

Input: markdown-it nodes. Output: strings.
"""

from __future__ import annotations

import re
from typing import Any

from docworker import superscripts
from docworker.contract import Block

#: Office pages have no coordinates: width = height = 0, every box is this.
NO_BOX = (0.0, 0.0, 0.0, 0.0)


def parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def inline_text(node: Any) -> str:
    """Plain text of an inline node: markup dropped, breaks as newlines, images left out;
    figures inside ``<sup>`` as superscript characters ("reports²")."""
    parts: list[str] = []
    raised: int | None = None  # where the text of an open <sup> starts in ``parts``
    for child in node.children:
        t = child.type
        if t in ("text", "code_inline"):
            parts.append(child.content)
        elif t in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif t == "html_inline":
            if re.match(r"<br\s*/?>", child.content, re.I):
                parts.append("\n")
            elif re.match(r"<sup\b[^>]*>", child.content, re.I):
                raised = len(parts)
            elif re.match(r"</sup\s*>", child.content, re.I) and raised is not None:
                text = "".join(parts[raised:])
                parts[raised:] = [superscripts.raised(text) or text]
                raised = None
        elif t == "image":
            continue
        else:
            parts.append(inline_text(child))
    return "".join(parts)


def only_images(inline: Any) -> list[str] | None:
    """Alt texts when an inline node holds nothing but images (and blanks), else None."""
    alts: list[str] = []
    for child in inline.children:
        if child.type == "image":
            alts.append(inline_text(child).strip())
        elif child.type in ("softbreak", "hardbreak") or (
            child.type == "text" and not child.content.strip()
        ):
            continue
        else:
            return None
    return alts or None


def drop_comments(source: str) -> str:
    """``source`` without ``<!-- ... -->`` comments (an unclosed one runs to the end)."""
    out: list[str] = []
    i = 0
    while True:
        start = source.find("<!--", i)
        if start < 0:
            out.append(source[i:])
            break
        out.append(source[i:start] + " ")
        end = source.find("-->", start + 4)
        if end < 0:
            break
        i = end + 3
    return "".join(out)


def inline_of(node: Any) -> Any | None:
    return next((c for c in node.children if c.type == "inline"), None)


def block(kind: str, text: str) -> Block:
    return Block(type=kind, text=text, bbox=NO_BOX, source="office")  # type: ignore[arg-type]
