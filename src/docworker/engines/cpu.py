"""The embedded CPU engine: the PDF text layer where it is usable, else OCR of a render.

Parent side, ``CpuEngine``: warms the OCR models in every page process at
build time, then for each job sends one ``PageTask`` per selected page to
``read_page`` in the page processes and yields the pages in order. A job with
fewer pages than there are page processes would leave cores idle, so its
pages' OCR runs on more threads (``threads_for``; RapidOCR only: the wheel's
Tesseract has one thread). Each page process keeps a stage per thread count;
the wider one is built on its first use, not at start-up (warming it there cost
0.9 s of cold start on two cores, docs/BENCHMARKS.md).

Child side, ``read_page`` (runs inside a page process, see ``isolation``): text
layer when usable (plus the text-layer table finder), else orientation and OCR
of the rendered page (plus framed or ruled tables from the image; a layer too
short to trust alone is kept where OCR reads nothing, only weakly, or no more
than it); then
reading order, paragraphs, furniture and the page's text, markdown and blocks.
The OCR stage is built once per process and kept (``ocr_stage``).

Inputs: a ``JobRun`` (parent) or a ``PageTask`` (child). Output: ``PageResult``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from docworker import decode, errors, images
from docworker.contract import ModelInfo, PageResult
from docworker.decode import pdfobjects
from docworker.engines import JobRun, dist_version, paged
from docworker.geometry import Line, spread_words
from docworker.isolation.tasks import PageTask, document
from docworker.stages import furniture, markdown, ocr, reading_order
from docworker.stages.ocr import skew
from docworker.stages.ocr.orientation import rotate_box, rotate_image, unrotate_box
from docworker.stages.text_layer import TextLayerStage, garbled
from docworker.tables import TableStage, scanned

if TYPE_CHECKING:
    from docworker.config import Settings
    from docworker.isolation.pool import PagePool

_log = logging.getLogger(__name__)


class CpuEngine:
    """Text layer + packaged OCR in the page processes; runs on any machine."""

    name = "cpu"
    device = "cpu"

    def __init__(self, ocr_models: list[ModelInfo], ocr_threads: int, wide_threads: int = 0):
        self.ocr_models = ocr_models
        self.ocr_threads = ocr_threads
        self.wide_threads = wide_threads or ocr_threads

    def threads_for(self, pages: int, cores: int) -> int:
        """OCR threads for each page of a job of ``pages`` pages on ``cores`` cores.

        The pool runs one job at a time, so a job whose pages cannot fill the
        page processes lends the idle cores to its pages: a single scanned page
        reads 1.7x faster on two threads than on one (docs/BENCHMARKS.md, "CPU
        parallelism"). A longer job keeps one page process per core, which
        spends less CPU per page than threads do.
        """
        if self.wide_threads > self.ocr_threads and pages * self.wide_threads <= cores:
            return self.wide_threads
        return self.ocr_threads

    @classmethod
    def available(cls, settings: Settings) -> str | None:
        return None

    @classmethod
    def from_settings(cls, settings: Settings, pool: PagePool) -> CpuEngine:
        """Load and warm the OCR engine in every page process.

        A failed warm-up of the default OCR engine is logged and left to fail
        scanned pages; an OCR engine chosen on purpose must work, so its failure
        refuses the engine (and the worker).
        """
        cores = os.cpu_count() or 1
        threads = max(1, cores // pool.size)
        wide = wide_threads(cores, threads, settings.ocr_engine)
        models: list[ModelInfo] = []
        failed: errors.WorkerError | None = None
        for _, result in pool.run(
            "docworker.engines.cpu.warmup",
            [(threads, settings.ocr_engine)] * pool.size,
            timeout_s=300,
        ):
            if isinstance(result, errors.WorkerError):
                failed = result
            else:
                models = result
        if failed is not None:
            if settings.ocr_engine != ocr.DEFAULT:
                raise errors.EngineUnavailable(
                    f"OCR engine {settings.ocr_engine}: {failed.message}"
                )
            _log.warning("OCR warm-up failed: %s", failed.message)
        return cls(models, threads, wide)

    def models(self, mime: str) -> list[ModelInfo]:
        return [
            ModelInfo(
                role="text_layer",
                id="pdfium",
                version=f"pypdfium2 {dist_version('pypdfium2')}",
                runtime="pdfium",
            ),
            *self.ocr_models,
        ]

    def pages(self, run: JobRun) -> Iterator[PageResult]:
        doc, numbers = paged.select(run)
        unit = paged.unit(run)
        threads = self.threads_for(len(numbers), os.cpu_count() or 1)
        told = False  # the job's language warnings, once a page was OCR'd
        engine = run.settings.ocr_engine
        unsure: list[int] = []  # OCR'd pages read with low confidence (one warning)
        # No read-ahead bound: the job keeps every page's result until its response is
        # built, so results finished ahead of a slow page cost nothing they would not
        # cost anyway; a window of 8 left one page process idle while the other read a
        # scanned cover (docs/BENCHMARKS.md, "One slow page").
        for task, result in run.pool.run(
            "docworker.engines.cpu.read_page",
            _with_images(run, paged.page_tasks(run, doc, numbers, threads)),
            timeout_s=run.settings.page_timeout_s,
            deadline=run.deadline,
            window=len(numbers),
        ):
            if isinstance(result, errors.WorkerError):
                yield run.failed_page(task.number, unit, result)
            else:
                run.add_timings(result.timings_ms)
                if result.source == "ocr" and not told:
                    told = True
                    run.warnings.extend(ocr.language_warnings(engine, run.job.languages))
                if result.source == "ocr" and ocr.unsure_page(result.blocks or [], engine):
                    unsure.append(task.number)
                yield result
        warning = ocr.unsure_warning(engine, sorted(unsure))
        if warning is not None:
            run.warnings.append(warning)


#: The most onnxruntime threads one page's OCR is given (more scale poorly on the
#: recognizer's small convolutions).
WIDE_MAX = 4


def wide_threads(cores: int, threads: int, engine: str) -> int:
    """The thread count of a page process's second OCR stage, for short jobs (0: none)."""
    wide = min(cores, WIDE_MAX)
    return wide if engine in ocr.ONNX_ENGINES and wide > threads else 0


def _with_images(run: JobRun, tasks: Iterator[PageTask]) -> Iterator[PageTask]:
    """The page tasks with the job's ``images`` option (``docworker.images``)."""
    s, job = run.settings, run.job
    for task in tasks:
        yield dataclasses.replace(
            task,
            images=job.images,
            images_dpi=job.images_dpi or s.images_dpi,
            max_images_per_page=s.max_images_per_page,
        )


# ------------------------------------------------------------ page process side

_ocr: dict[tuple[str, tuple[str, ...], int], Any] = {}  # (engine, model_key, threads) -> stage
_OCR_KEPT = 4  # stages a page process keeps (one per Tesseract language set or thread count)
_tables: TableStage | None = None


def ocr_stage(threads: int = 1, engine: str = ocr.DEFAULT, languages: tuple[str, ...] = ()) -> Any:
    """This process's OCR stage for ``engine`` and ``languages``, built on first use and kept."""
    key = (engine, ocr.model_key(engine, languages), threads)
    stage = _ocr.get(key)
    if stage is None:
        while len(_ocr) >= _OCR_KEPT:
            _ocr.pop(next(iter(_ocr)))
        stage = _ocr[key] = ocr.build(engine, threads, languages)
    return stage


def warmup(task: tuple[int, str]) -> list[ModelInfo]:
    """Load the OCR models and run them once on a blank image; returns model infos.

    ``task``: ``(OCR threads, engine)``.
    """
    from PIL import Image

    threads, engine = task
    stage = ocr_stage(threads, engine)
    stage(Image.new("RGB", (64, 32), "white"), 1.0)
    return stage.models()


def table_stage() -> TableStage:
    global _tables
    if _tables is None:
        _tables = TableStage()
    return _tables


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


#: Garbled text-layer lines re-read by OCR on one page at most.
MAX_REREAD = 20


def _reread_garbled(handle: Any, task: PageTask, lines: list, timings: dict) -> list:
    """``lines`` with each line a misread font garbled (``text_layer.garbled``) read
    again by OCR from the page's render, cut to the line's box; a line OCR finds nothing
    in keeps its text. A page with none is not rendered."""
    marked = [k for k, line in enumerate(lines) if garbled(line.text)][:MAX_REREAD]
    if not marked:
        return lines
    t = time.perf_counter()
    image, scale = handle.render(task.number, task.dpi, task.doc.max_pixels)
    try:
        stage = ocr_stage(task.ocr_threads, task.ocr_engine, task.languages)
        out = list(lines)
        for k in marked:
            line = lines[k]
            x0, y0, x1, y1 = line.bbox
            pad = 0.25 * (y1 - y0)
            box = (
                max(0, int((x0 - pad) / scale)),
                max(0, int((y0 - pad) / scale)),
                min(image.width, int((x1 + pad) / scale) + 1),
                min(image.height, int((y1 + pad) / scale) + 1),
            )
            if box[2] - box[0] < 4 or box[3] - box[1] < 4:
                continue
            # One row: its pieces left to right, those centred on the line's own box
            # (the crop's margin may catch the edge of a neighbour).
            left = box[0] * scale
            read = [
                r
                for r in stage(image.crop(box), scale)
                if x0 <= left + (r.bbox[0] + r.bbox[2]) / 2 <= x1
            ]
            text = " ".join(r.text.strip() for r in sorted(read, key=lambda r: r.bbox[0]))
            if text.strip():
                out[k] = dataclasses.replace(
                    line, text=text, words=spread_words(text, line.bbox), latex=None, math=0
                )
    finally:
        image.close()
    _log.info("re-read %d garbled text-layer line(s) by OCR", len(marked))
    timings["ocr"] = _ms(t)
    return out


#: A scanned page whose glyphs come out of the OCR render under this many pixels high
#: (the median ink blob's, ``rapidocr.glyph_height``) is small print: the recognizer,
#: which scales every line to 48 pixels high, misreads it ("Janvany" for "JANUARY" on
#: the 1871 Senate document at 4 pixels, "enelosing" on a typed letter on a half-size
#: page at 9). Where the scan holds more pixels than the render (``image_ppi``), the
#: page is rendered again to bring its glyphs towards ``GLYPH_TARGET_PX``, by at most
#: ``MAX_ENLARGE`` a side and never past the scan's own resolution.
SMALL_GLYPH_PX = 10
GLYPH_TARGET_PX = 14
MAX_ENLARGE = 2.5
#: A second render for less than this factor a side is not worth its cost.
MIN_ENLARGE = 1.2
#: Ink blobs as alike in height as print's (``rapidocr.glyph_height``): a photograph's
#: small blobs are no small print, and a scanned photo is not rendered again.
PRINT_SPREAD = 0.6


def _small_print(
    handle: Any, task: PageTask, view: Any, image: Any, scale: float
) -> tuple[Any, float, int]:
    """``(image, scale, dpi)``: the OCR render as it is, or, where its glyphs are small
    print and the scan under them has more pixels (``SMALL_GLYPH_PX``), the page
    rendered again with more (the first render closed)."""
    objects = view.objects
    if objects is None or objects.image_ppi < task.dpi * MIN_ENLARGE:
        return image, scale, task.dpi
    import numpy as np

    from docworker.stages.ocr.rapidocr import glyph_height, ink_box

    left, top, right, bottom = ink_box(image)
    glyph = glyph_height(np.asarray(image)[top:bottom, left:right], spread=PRINT_SPREAD)
    if not 0 < glyph < SMALL_GLYPH_PX:
        return image, scale, task.dpi
    factor = min(GLYPH_TARGET_PX / glyph, MAX_ENLARGE, objects.image_ppi / task.dpi)
    if factor < MIN_ENLARGE:
        return image, scale, task.dpi
    dpi = round(task.dpi * factor)
    bigger, bigger_scale = handle.render(task.number, dpi, task.doc.max_pixels)
    image.close()
    _log.info("small print (%.0f-pixel glyphs): the page rendered again at %d dpi", glyph, dpi)
    return bigger, bigger_scale, dpi


#: An OCR read whose characters average a confidence under this is weak: where the text
#: layer is short but readable, the layer is kept (``read_page``).
WEAK_OCR = 0.8


#: An OCR read replaces a short text layer only with this many times its characters.
MORE_OCR = 1.25


def _reads_more(ocr: list[Line], layer: list[Line]) -> bool:
    """Does the OCR read find text the short layer lacks (``MORE_OCR`` times its
    characters, spaces left out): a scan with a few characters of text layer on it?"""

    def count(lines: list[Line]) -> int:
        return sum(len("".join(line.text.split())) for line in lines)

    return count(ocr) > MORE_OCR * count(layer)


def _weak(lines: list[Line]) -> bool:
    """No OCR line, or a character-weighted mean confidence under ``WEAK_OCR``."""
    weights = [(len(line.text), line.confidence) for line in lines if line.confidence is not None]
    total = sum(n for n, _ in weights)
    if not lines or total == 0:
        return not lines
    return sum(n * c for n, c in weights) / total < WEAK_OCR


def read_page(task: PageTask) -> PageResult:
    """Text layer when usable (plus ruled tables), else orientation + OCR; then assembly."""
    handle = document(task.doc)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    text_layer = task.text_layer and task.doc.mime == decode.PDF
    # Kept open for the table stage's characters (released below, or by the next page).
    view = handle.page(task.number, text_layer=text_layer, keep=text_layer)
    timings["text_layer"] = _ms(t)

    text_stage = TextLayerStage(min_chars=task.min_chars)
    has_text_layer = task.doc.mime == decode.PDF
    rotation = 0
    tilt = 0.0  # a scan's skew (``stages.ocr.skew``): OCR'd boxes are on it straightened
    tables: list = []
    render: tuple[Any, float] | None = None  # the OCR render, kept when images reuse it
    verdict = text_stage.judge(view) if has_text_layer else None
    if task.ocr == "never" or (task.ocr == "auto" and verdict is not None and verdict.usable):
        lines = [*text_stage(view), *view.fields] if has_text_layer else []
        source = "text_layer" if has_text_layer else "none"
        if task.ocr == "auto" and has_text_layer:
            lines = _reread_garbled(handle, task, lines, timings)
        if has_text_layer and lines and table_stage().wanted(view.graphics, view.lines):
            t = time.perf_counter()
            tables = table_stage()(
                task.doc.path,
                task.doc.password,
                task.number,
                view.lines,
                view.objects,
                handle.kept_text(task.number),
            )
            timings["tables"] = _ms(t)
        handle.release()
    else:
        t = time.perf_counter()
        image, scale = handle.render(task.number, task.dpi, task.doc.max_pixels)
        image, scale, dpi = _small_print(handle, task, view, image, scale)
        timings["render"] = _ms(t)
        t = time.perf_counter()
        read = ocr_stage(task.ocr_threads, task.ocr_engine, task.languages).read(image, scale)
        lines, rotation, tilt = read.lines, read.rotation, read.skew
        timings["ocr"] = _ms(t)
        t = time.perf_counter()
        upright = rotate_image(image, rotation)
        if tilt:  # the lines' boxes are on the straightened page: so is the image
            straight = skew.straighten_image(upright, tilt)
            if upright is not image:
                upright.close()
            upright = straight
        tables = scanned.find(upright, lines, scale)
        timings["tables"] = _ms(t)
        if upright is not image:
            upright.close()
        if task.images != "none" and task.images_dpi == dpi:
            render = (image, scale)  # the images are cut from this render, not a second one
        else:
            image.close()
        source = "ocr"
        if (
            verdict is not None
            and verdict.short
            and task.ocr == "auto"
            and (_weak(lines) or not _reads_more(lines, view.lines))
        ):
            # A layer too short to trust on its own beats an OCR read that is empty, that
            # the recognizer is unsure of (a table's digits in a display font read as
            # "二上"), or that reads no more than the layer ("habibi" without its Arabic).
            lines, rotation, tables, source = [*text_stage(view), *view.fields], 0, [], "text_layer"
            tilt = 0.0

    t = time.perf_counter()
    if source == "text_layer" and rotation == 0 and view.turn:
        # Most of the text runs up or down the page (a turned table): read it upright.
        rotation = view.turn
        for line in lines:
            line.bbox = rotate_box(line.bbox, rotation, view.width, view.height)
    upright_w, upright_h = (
        (view.height, view.width) if rotation in (90, 270) else (view.width, view.height)
    )
    rules: list[tuple[float, float, float]] = []
    cuts: list[float] = []
    if source == "text_layer" and rotation == 0 and view.objects is not None:
        rules, joined = pdfobjects.horizontal_rules(view.objects, 0.3 * view.width)
        # For furniture: rules drawn in pieces too, grazing a footer's box by a sixth.
        cuts = reading_order.rule_cuts(lines, joined, graze=1 / 6)
    # Table boxes in the lines' space: a text-layer table's box is in the page's.
    boxes = [t.bbox for t in tables if t.bbox is not None]
    if rotation and source == "text_layer":
        boxes = [rotate_box(b, rotation, view.width, view.height) for b in boxes]
    ordered = reading_order.reading_order(lines, upright_w, rules=rules, tables=boxes)
    if source == "text_layer" and rotation == 0:
        ordered += view.slanted  # a diagonal watermark, after the page's text
    paras = reading_order.paragraphs(ordered, boxes)
    kinds = furniture.furniture(paras, upright_h, width=upright_w, cuts=cuts)
    if tilt:  # from the straightened page back onto the scan
        centre = (upright_w / 2, upright_h / 2)
        for line in ordered:
            line.bbox = skew.tilt_box(line.bbox, tilt, *centre)
        for table in tables:
            if table.bbox is not None:
                table.bbox = skew.tilt_box(table.bbox, tilt, *centre)
    if rotation:
        for line in ordered:
            line.bbox = unrotate_box(line.bbox, rotation, view.width, view.height)
        for table in tables:
            if table.bbox is not None and source == "ocr":
                table.bbox = unrotate_box(table.bbox, rotation, view.width, view.height)
    items = markdown.layout_items(paras, kinds, tables)
    block_source = "ocr" if source == "ocr" else "text_layer"
    timings["assemble"] = _ms(t)
    pictures = images.figure_regions(view.pictures, ordered, view.width, view.height)
    exported, names = None, {}
    if task.images != "none":
        t = time.perf_counter()
        try:
            exported, names = images.export(
                handle,
                task.number,
                task.images,
                task.images_dpi,
                task.doc.max_pixels,
                (view.width, view.height),
                pictures,
                task.max_images_per_page,
                render,
            )
        except images.EXPORT_ERRORS as e:
            # The page's text stands without its images; the job's budget warns.
            _log.warning("page %d: images not made (%s)", task.number, type(e).__name__)
            exported, names = [], {}
        finally:
            if render is not None:
                render[0].close()
        timings["images"] = _ms(t)
    if pictures:
        page_md, blocks = images.assemble(items, pictures, names, task.number, block_source)
    else:
        page_md = markdown.items_markdown(items)
        blocks = markdown.items_blocks(items, block_source)
    return PageResult(
        number=task.number,
        width=round(view.width, 2),
        height=round(view.height, 2),
        unit=view.unit,  # type: ignore[arg-type]
        rotation=rotation,
        source=source,  # type: ignore[arg-type]
        status="ok",
        text=markdown.items_text(items),
        markdown=page_md,
        blocks=blocks,
        tables=tables,
        images=exported,
        timings_ms=timings,
    )
