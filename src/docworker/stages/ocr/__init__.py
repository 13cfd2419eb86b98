"""OCR of a rendered page image: engines behind one registry.

- ``rapidocr``: PP-OCR detection + recognition ONNX models shipped inside the
  ``rapidocr`` wheel (the default; multilingual, Spanish included).
- ``tesseract``: Tesseract 5 through tesserocr, language data from Debian.
- ``orientation``: finds a page's rotation and maps boxes back.
- ``lines``: OCR lines cut at column gutters, drop caps merged (both engines).

Every engine's stage is built by ``build(name, threads)`` and is called as
``stage.read(image, scale) -> OcrRead`` (lines in page units plus the rotation)
and ``stage.models() -> list[ModelInfo]``.
"""

from __future__ import annotations

import importlib
from typing import Any

from docworker import errors

#: OCR engine name → "module:Class" (modules import lazily).
OCR_ENGINES: dict[str, str] = {
    "rapidocr": "docworker.stages.ocr.rapidocr:OcrStage",
    "tesseract": "docworker.stages.ocr.tesseract:TesseractStage",
}
DEFAULT = "rapidocr"


def build(name: str, threads: int = 1) -> Any:
    """The OCR stage registered as ``name``; an unknown name lists the known ones."""
    target = OCR_ENGINES.get(name)
    if target is None:
        raise errors.EngineUnavailable(
            f"unknown OCR engine {name!r}; known: {', '.join(sorted(OCR_ENGINES))}"
        )
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls).from_settings(threads=threads)
