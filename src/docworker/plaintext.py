"""reStructuredText inline markup (docstring style) → text a user reads as printed.

Docstrings and field descriptions are written for Sphinx-style readers
(````code````, ``:class:`Name```); ``--help`` and the published JSON Schemas
print them to users. ``plain(text)`` drops the markup (``code`` becomes
``code``); ``plain(text, code="`")`` keeps code as a Markdown code span, the
way the other schema descriptions already quote names.

Input: a string. Output: the string without reST inline markup.
"""

from __future__ import annotations

import re
from typing import Any

# :role:`text` or :role:`title <target>` (Sphinx cross-references)
_ROLE = re.compile(r":[a-zA-Z][\w.-]*(?::[\w.-]+)?:`([^`<]+?)(?:\s*<[^`>]*>)?`")
# ``literal``
_LITERAL = re.compile(r"``(.+?)``")
# `link <url>`_ and `text`_
_LINK = re.compile(r"`([^`<]+?)\s*(?:<[^`>]*>)?`__?")


def _role_title(target: str) -> str:
    """``~a.b.C`` shows as ``C`` (Sphinx's short form); anything else as written."""
    target = target.strip()
    return target[1:].rsplit(".", 1)[-1] if target.startswith("~") else target


def plain(text: str, code: str = "") -> str:
    """``text`` without reST inline markup; literals wrapped in ``code`` (e.g. a backtick)."""
    text = _ROLE.sub(lambda m: f"{code}{_role_title(m.group(1))}{code}", text)
    text = _LITERAL.sub(lambda m: f"{code}{m.group(1)}{code}", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    if not code:
        text = re.sub(r"`([^`]+)`", r"\1", text)
    return text


def plain_descriptions(schema: Any, code: str = "`") -> Any:
    """A JSON Schema with every ``description`` string made plain (in place; also returned)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "description" and isinstance(value, str):
                schema[key] = plain(value, code)
            else:
                plain_descriptions(value, code)
    elif isinstance(schema, list):
        for item in schema:
            plain_descriptions(item, code)
    return schema
