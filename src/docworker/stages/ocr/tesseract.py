"""OCR stage: Tesseract 5 through tesserocr, the alternative to RapidOCR.

Chosen with ``DOCWORKER_OCR_ENGINE=tesseract``; RapidOCR (``stages.ocr``)
stays the default. Same interface as ``OcrStage``: ``read`` returns upright
lines in page units and the clockwise angle that made the page upright.

- Recognition: Tesseract's LSTM with the job's ``languages`` whose
  ``.traineddata`` files are installed (``languages.tesseract_plan``: "es" →
  ``spa``), else ``spa+eng`` (whichever of the two exist). Lines are
  Tesseract's text lines, cut at gaps as wide as a table's column gap
  (``SPLIT_GAP``), with their boxes, mean word confidence (0..1) and words;
  ``lines.tidy`` then cuts them at column gutters and merges drop caps.
  Small print is enlarged first (``TARGET_DPI``).
- Orientation: Tesseract's orientation and script detection (OSD) on a
  second API object loaded with ``osd.traineddata``; without that file the
  page is read as it is and the reason says so. OSD must never run on the
  recognition object: Tesseract 5.3 aborts the process when asked to.
- Dependencies, both optional: the ``tesserocr`` wheel (it bundles
  libtesseract) and the language data from Debian
  (``tesseract-ocr-eng tesseract-ocr-spa tesseract-ocr-osd``) or any folder
  named by ``TESSDATA_PREFIX``. Missing either raises ``EngineUnavailable``.
- Threads: the wheel's libtesseract is built without OpenMP (one thread).
  A libtesseract built with OpenMP (Debian's) would start one thread per
  core in every page process; ``OMP_THREAD_LIMIT`` is set to the page
  process's thread share before tesserocr is first imported, unless the
  environment already sets it.

The API objects are built once per page process (``pagework.ocr_stage``)
and reused for every page; they are not thread-safe, and a page process
runs one page at a time.

Input: an RGB page image and the scale from its pixels to page units.
Output: ``Line`` objects whose boxes are in page units.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from docworker import errors
from docworker.contract import ModelInfo
from docworker.geometry import Word
from docworker.stages.ocr import lines as ocr_lines
from docworker.stages.ocr.languages import tesseract_plan
from docworker.stages.ocr.orientation import rotate_image
from docworker.stages.ocr.rapidocr import OcrRead
from docworker.stages.reading_order import Line

_log = logging.getLogger(__name__)

#: Recognition languages, in Tesseract's order of preference.
LANGUAGES = ("spa", "eng")

#: Where Debian/Ubuntu, Fedora/Alpine and Homebrew put the language data.
#: ``TESSDATA_PREFIX`` (the folder holding the ``.traineddata`` files) comes first.
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)

#: OSD's orientation confidence below which a page is read as it is. Clear
#: pages score 9-30; a page with a few words scores below 2.
MIN_OSD_CONFIDENCE = 2.0

#: Tesseract's LSTM loses characters on small print: pages of known resolution
#: are enlarged towards ``TARGET_DPI`` (a 150-dpi render is read at 300), pages
#: of unknown resolution whose median text line is under ``MIN_LINE_PX`` pixels,
#: or whose mean confidence is under ``MIN_CONFIDENCE``, are read again enlarged
#: (to about ``LINE_PX``, at least twice). At most ``MAX_ENLARGEMENT``
#: times, and never past ``MAX_PIXELS`` (enlarged as 8-bit gray: one byte a pixel).
TARGET_DPI = 300
MIN_LINE_PX = 16
LINE_PX = 24
MIN_CONFIDENCE = 0.75
MAX_ENLARGEMENT = 3
MAX_PIXELS = 60_000_000

#: A gap between two words wider than this many of the line's mean character
#: widths splits the line: table cells and columns that Tesseract's layout
#: analysis put on one line. Measured on the corpus: gaps between sentences of
#: justified prose reach 3.2, between table cells 4.0 and more.
SPLIT_GAP = 3.5

INSTALL_HINT = (
    "pip install tesserocr==2.8.0 and apt-get install tesseract-ocr-eng tesseract-ocr-spa"
    " tesseract-ocr-osd (or set TESSDATA_PREFIX)"
)


def find_tessdata(environ: dict[str, str] | None = None) -> tuple[Path, list[str]] | None:
    """The first folder holding any of ``LANGUAGES``, and the languages it holds."""
    environ = dict(os.environ) if environ is None else environ
    candidates = [environ["TESSDATA_PREFIX"]] if environ.get("TESSDATA_PREFIX") else []
    candidates += TESSDATA_DIRS
    for folder in candidates:
        path = Path(folder)
        for inner in (path, path / "tessdata"):  # the prefix may name the parent folder
            found = [lang for lang in LANGUAGES if (inner / f"{lang}.traineddata").is_file()]
            if found:
                return inner, found
    return None


def installed_languages(folder: Path) -> frozenset[str]:
    """The recognition languages whose ``.traineddata`` files are in ``folder``."""
    return frozenset(p.stem for p in folder.glob("*.traineddata")) - {"osd", "equ"}


def language_codes(
    languages: Sequence[str] = (), environ: dict[str, str] | None = None
) -> tuple[str, ...]:
    """The data files Tesseract reads ``languages`` with: those installed, in order.

    Without a request, or when none of it is installed: ``LANGUAGES`` that are.
    Empty when no language data is found at all.
    """
    found = find_tessdata(environ)
    return () if found is None else _pick(*found, languages)


def _pick(folder: Path, defaults: list[str], languages: Sequence[str]) -> tuple[str, ...]:
    codes = tesseract_plan(languages, installed_languages(folder))[0] if languages else ()
    return codes or tuple(defaults)


class TesseractStage:
    """Runs Tesseract's layout analysis + LSTM recognition on one page image."""

    name = "ocr"

    def __init__(self, api: Any, osd: Any | None, models: list[ModelInfo]):
        self._api = api
        self._osd = osd
        self._models = models

    @classmethod
    def from_settings(cls, threads: int = 1, languages: Sequence[str] = ()) -> TesseractStage:
        """Load the language data; ``threads`` caps an OpenMP libtesseract's threads.

        ``languages``: the job's ISO 639 codes; those with installed data are
        read (see ``language_codes``), the others are left to the job's warnings.
        """
        os.environ.setdefault("OMP_THREAD_LIMIT", str(max(1, threads)))
        try:
            import tesserocr
        except ImportError as e:
            raise errors.EngineUnavailable(
                f"tesserocr is not installed (DOCWORKER_OCR_ENGINE=tesseract): {INSTALL_HINT}"
            ) from e
        found = find_tessdata()
        if found is None:
            raise errors.EngineUnavailable(
                f"no Tesseract language data ({', '.join(f'{x}.traineddata' for x in LANGUAGES)})"
                f" in TESSDATA_PREFIX or {', '.join(TESSDATA_DIRS)}: {INSTALL_HINT}"
            )
        folder, defaults = found
        if not languages and len(defaults) < len(LANGUAGES):
            _log.warning("Tesseract reads %s only: %s", "+".join(defaults), INSTALL_HINT)
        codes = list(_pick(folder, defaults, languages))
        try:
            api = tesserocr.PyTessBaseAPI(
                path=str(folder), lang="+".join(codes), psm=tesserocr.PSM.AUTO
            )
        except RuntimeError as e:  # tesserocr's "Failed to init API"
            raise errors.EngineUnavailable(
                f"Tesseract failed to load {'+'.join(codes)} from {folder}: {e}"
            ) from e
        osd = None
        if (folder / "osd.traineddata").is_file():
            try:
                osd = tesserocr.PyTessBaseAPI(
                    path=str(folder), lang="osd", psm=tesserocr.PSM.OSD_ONLY
                )
            except RuntimeError as e:
                _log.warning("Tesseract's osd data failed to load (%s): pages are not turned", e)
        version = tesserocr.tesseract_version().split()[1]
        return cls(api, osd, cls.describe(folder, codes, version, osd is not None))

    @staticmethod
    def describe(folder: Path, languages: list[str], version: str, osd: bool) -> list[ModelInfo]:
        """The language data files in use, as metadata entries."""
        runtime = f"tesserocr {_dist_version('tesserocr')}"
        models = [
            ModelInfo(
                role="ocr_rec",
                id=f"tesseract-{lang}",
                version=f"tesseract {version}, {folder / (lang + '.traineddata')}",
                runtime=runtime,
            )
            for lang in languages
        ]
        if osd:
            models.append(
                ModelInfo(
                    role="ocr_orientation",
                    id="tesseract-osd",
                    version=f"tesseract {version}, {folder / 'osd.traineddata'}",
                    runtime=runtime,
                )
            )
        return models

    def models(self) -> list[ModelInfo]:
        return list(self._models)

    def __call__(self, image: Image.Image, scale: float) -> list[Line]:
        """Lines of ``image`` as it is (no orientation handling), boxes in page units."""
        dpi = _resolution(image, scale)
        factor = _enlargement(image, dpi)
        work = _enlarge(image, factor)
        try:
            return self._lines(work, scale / factor, dpi * factor if dpi else None)
        finally:
            if work is not image:
                work.close()

    def read(self, image: Image.Image, scale: float) -> OcrRead:
        """Lines of the page read upright, and the clockwise angle that made it upright.

        Tesseract reads best at about 300 dpi: a page of known lower resolution
        (a 150-dpi PDF render) is enlarged before OSD and recognition; one of
        unknown resolution is enlarged and read again when it reads poorly
        (``_lines``).
        """
        dpi = _resolution(image, scale)
        factor = _enlargement(image, dpi)
        work = _enlarge(image, factor)
        try:
            angle, reason = self.orientation(work)
            if angle:
                _log.info("page turned by %d degrees (%s)", angle, reason)
            upright = rotate_image(work, angle)
            try:
                lines = self._lines(upright, scale / factor, dpi * factor if dpi else None)
            finally:
                if upright is not work:
                    upright.close()
        finally:
            if work is not image:
                work.close()
        return OcrRead(lines, angle, reason)

    def orientation(self, image: Image.Image) -> tuple[int, str]:
        """The clockwise angle that makes ``image`` upright (0 when unsure), and why."""
        if self._osd is None:
            return 0, "not checked: Tesseract's osd.traineddata is not installed"
        _set_image(self._osd, image, None)
        try:
            found = self._osd.DetectOrientationScript()
        except RuntimeError:  # too few characters to decide
            found = None
        finally:
            self._osd.Clear()
        if not found:
            return 0, "osd: too little text to decide"
        # OSD reports how far the text is turned counter-clockwise.
        angle = (-int(found["orient_deg"])) % 360
        confidence = float(found["orient_conf"])
        if confidence < MIN_OSD_CONFIDENCE:
            return 0, f"osd: {angle} degrees at confidence {confidence:.1f}, too low"
        return angle, f"osd: {angle} degrees at confidence {confidence:.1f}"

    def _lines(self, image: Image.Image, scale: float, dpi: int | None) -> list[Line]:
        """Recognize ``image``; at unknown resolution, again enlarged if it read poorly.

        Poorly: the text's median line height is under ``MIN_LINE_PX`` pixels,
        or its mean confidence under ``MIN_CONFIDENCE`` (small print read as
        noise comes out in tall, unsure boxes). The enlarged reading is kept
        when it is the more confident one.
        """
        lines = self._recognize(image, scale, dpi)
        if dpi is not None or not lines:
            return lines
        height, confidence = _text_size(lines, scale)
        if height >= MIN_LINE_PX and confidence >= MIN_CONFIDENCE:
            return lines
        factor = _fit(image, min(MAX_ENLARGEMENT, max(2, math.ceil(LINE_PX / max(1.0, height)))))
        if factor == 1:
            return lines
        bigger = _enlarge(image, factor)
        try:
            again = self._recognize(bigger, scale / factor, None)
        finally:
            bigger.close()
        return again if again and _text_size(again, scale)[1] > confidence else lines

    def _recognize(self, image: Image.Image, scale: float, dpi: int | None) -> list[Line]:
        """One Tesseract pass (layout analysis → LSTM); text lines in page units.

        Tesseract's text lines run across a table row's cells; like RapidOCR's
        boxes, a line is split where a gap between two words is wider than
        ``SPLIT_GAP`` mean character widths, so table cells stay apart.
        """
        from tesserocr import RIL, iterate_level

        api = self._api
        rows: list[list[_Word]] = []  # the words of each text line
        try:
            _set_image(api, image, dpi)
            api.Recognize()
            iterator = api.GetIterator()
            if iterator is not None:
                for item in iterate_level(iterator, RIL.WORD):
                    if not rows or item.IsAtBeginningOf(RIL.TEXTLINE):
                        rows.append([])
                    try:
                        text = (item.GetUTF8Text(RIL.WORD) or "").strip()
                    except RuntimeError:  # tesserocr's "No text returned": nothing here
                        continue
                    box = item.BoundingBox(RIL.WORD)
                    if text and box:
                        rows[-1].append(_Word(text, box, item.Confidence(RIL.WORD)))
        except MemoryError:
            raise
        except Exception as e:
            raise errors.EngineFailed(f"Tesseract OCR failed ({type(e).__name__})") from e
        finally:
            api.Clear()
        return ocr_lines.tidy(
            [_line(segment, scale) for words in rows for segment in _split(words)]
        )


@dataclass
class _Word:
    text: str
    box: tuple[int, int, int, int]  # pixels
    confidence: float  # 0..100


def _split(words: list[_Word]) -> list[list[_Word]]:
    """A line's words, cut where a gap exceeds ``SPLIT_GAP`` mean character widths."""
    chars = sum(len(w.text) for w in words)
    width = sum(w.box[2] - w.box[0] for w in words) / max(1, chars)
    segments: list[list[_Word]] = []
    for word in words:
        if segments and word.box[0] - segments[-1][-1].box[2] <= SPLIT_GAP * max(width, 1.0):
            segments[-1].append(word)
        else:
            segments.append([word])
    return segments


def _line(words: list[_Word], scale: float) -> Line:
    x0 = min(w.box[0] for w in words)
    y0 = min(w.box[1] for w in words)
    x1 = max(w.box[2] for w in words)
    y1 = max(w.box[3] for w in words)
    confidence = sum(w.confidence for w in words) / len(words) / 100.0
    return Line(
        text=" ".join(w.text for w in words),
        bbox=(x0 * scale, y0 * scale, x1 * scale, y1 * scale),
        confidence=min(1.0, max(0.0, confidence)),
        words=[
            Word(w.box[0] * scale, w.box[1] * scale, w.box[2] * scale, w.box[3] * scale, w.text)
            for w in words
        ],
    )


def _text_size(lines: list[Line], scale: float) -> tuple[float, float]:
    """Median line height in pixels and mean confidence, both weighted by characters."""
    weighted = sorted(((ln.bbox[3] - ln.bbox[1]) / scale, len(ln.text)) for ln in lines)
    total = sum(n for _, n in weighted) or 1
    seen, height = 0, weighted[-1][0]
    for h, n in weighted:
        seen += n
        if 2 * seen >= total:
            height = h
            break
    confidence = sum(ln.confidence * len(ln.text) for ln in lines) / total
    return height, confidence


def _set_image(api: Any, image: Image.Image, dpi: int | None) -> None:
    """Hand ``image`` to Tesseract as 8-bit gray, with its resolution when it is known."""
    gray = image if image.mode == "L" else image.convert("L")
    try:
        api.SetImageBytes(gray.tobytes(), gray.width, gray.height, 1, gray.width)
    finally:
        if gray is not image:
            gray.close()
    if dpi:
        api.SetSourceResolution(dpi)


def _resolution(image: Image.Image, scale: float | None) -> int | None:
    """Pixels per inch: the image's own, else a PDF render's (page units are points).

    ``None`` when unknown: Tesseract then estimates it from the text's size.
    """
    info = image.info.get("dpi")
    if info:
        try:
            dpi = float(info[0])
        except (TypeError, ValueError, IndexError):
            dpi = 0.0
    elif scale and scale != 1.0:  # 1.0: an image file's own pixels, resolution unknown
        dpi = 72.0 / scale
    else:
        dpi = 0.0
    return round(dpi) if 70 <= dpi <= 2400 else None


def _enlargement(image: Image.Image, dpi: int | None) -> int:
    """The whole factor that brings a page of known resolution to about ``TARGET_DPI``."""
    if dpi is None:
        return 1
    return _fit(image, min(MAX_ENLARGEMENT, max(1, int(TARGET_DPI / dpi))))


def _fit(image: Image.Image, factor: int) -> int:
    """``factor``, lowered until the enlarged image stays under ``MAX_PIXELS``."""
    while factor > 1 and image.width * image.height * factor * factor > MAX_PIXELS:
        factor -= 1
    return factor


def _enlarge(image: Image.Image, factor: int) -> Image.Image:
    """``image`` enlarged ``factor`` times, as 8-bit gray (what Tesseract reads anyway)."""
    if factor <= 1:
        return image
    gray = image if image.mode == "L" else image.convert("L")
    try:
        return gray.resize((gray.width * factor, gray.height * factor), Image.Resampling.LANCZOS)
    finally:
        if gray is not image:
            gray.close()


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
