"""Throughput: docworker's pages/s against the bare engines on the same pages, in the same run.

Digital pages: the handler (default configuration: one page process per
core) against raw pypdfium2 text extraction (``get_text_range`` per page, one
process) — the floor for "read the text layer"; docworker also reads line
geometry, judges the layer, orders lines and writes text, markdown and boxes.

Scanned pages: the handler (render at 150 dpi + RapidOCR + assembly) against
RapidOCR called directly (its defaults: onnxruntime with every core) and
against Tesseract 5 (tesserocr, ``spa+eng``) on the same pages pre-rendered
at 150 dpi — rendering is not timed for the two baselines. Speed without
accuracy would mislead, so the untimed first pass also scores what each of
the three read against the text drawn on the pages (character error rate,
``bench.quality.cer``, the quality harness's metric).

Each run measures every way once, interleaved, so machine load hits them
alike; medians over ``--runs``. Tesseract needs ``bench/requirements.txt`` and
Debian's ``tesseract-ocr tesseract-ocr-spa``; without them it is skipped.
Run from the repository root::

    python -m bench.throughput --runs 3

Output: a table on stdout and ``bench/results/throughput.json``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    digital_pdf,
    load,
    machine,
    median,
    run_async,
    scanned_pdf,
    spanish_lines,
    write_result,
)

ROOT = Path(__file__).resolve().parents[1]
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")


def raw_pdfium_text(path: Path) -> tuple[float, int]:
    """Seconds to open the PDF and extract every page's text with pypdfium2; total chars."""
    import pypdfium2 as pdfium

    start = time.perf_counter()
    pdf = pdfium.PdfDocument(str(path))
    chars = 0
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            chars += len(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return time.perf_counter() - start, chars


def render_all(path: Path, dpi: int) -> list[Any]:
    """Every page as an RGB PIL image at ``dpi`` (untimed input for the OCR baselines)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        images = []
        for i in range(len(pdf)):
            page = pdf[i]
            bitmap = page.render(scale=dpi / 72)
            images.append(bitmap.to_pil().convert("RGB"))
            bitmap.close()
            page.close()
        return images
    finally:
        pdf.close()


class RapidOcrDirect:
    """RapidOCR with its defaults and the wheel's bundled models."""

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        self.engine = RapidOCR(params={"Global.log_level": "error"})

    def __call__(self, images: list[Any]) -> float:
        import numpy as np

        start = time.perf_counter()
        for image in images:
            self.engine(np.asarray(image))
        return time.perf_counter() - start

    def read(self, images: list[Any]) -> str:
        import numpy as np

        return "\n".join("\n".join(self.engine(np.asarray(i)).txts or ()) for i in images)


class TesseractDirect:
    """Tesseract 5 through tesserocr, Spanish + English, one API object reused."""

    def __init__(self) -> None:
        import tesserocr

        path = next((p for p in TESSDATA_DIRS if Path(p, "spa.traineddata").exists()), None)
        if path is None:
            raise RuntimeError("spa.traineddata not found: apt-get install tesseract-ocr-spa")
        self.api = tesserocr.PyTessBaseAPI(path=path, lang="spa+eng")
        self.version = tesserocr.tesseract_version().splitlines()[0]

    def __call__(self, images: list[Any]) -> float:
        start = time.perf_counter()
        for image in images:
            self.api.SetImage(image)
            self.api.GetUTF8Text()
        return time.perf_counter() - start

    def read(self, images: list[Any]) -> str:
        texts = []
        for image in images:
            self.api.SetImage(image)
            texts.append(self.api.GetUTF8Text())
        return "\n".join(texts)


def handler_run(worker: Any, path: Path) -> tuple[float, str]:
    """``(seconds, the document's text)`` of one job through the handler."""
    job = {"id": "throughput", "input": {"document_path": str(path), "engine": "cpu"}}
    start = time.perf_counter()
    payload = run_async(worker.handler(job))
    seconds = time.perf_counter() - start
    if "error" in payload:
        raise RuntimeError(f"job failed: {payload['error']}")
    return seconds, payload["data"]["text"] or ""


def handler_seconds(worker: Any, path: Path) -> float:
    return handler_run(worker, path)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the result file (default bench/results)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--digital-pages", type=int, default=50)
    parser.add_argument("--scanned-pages", type=int, default=4)
    parser.add_argument("--dpi", type=int, default=150)
    args = parser.parse_args(argv)

    from docworker.config import Settings
    from docworker.pipeline import Pipeline
    from docworker.service import Worker

    settings = Settings(default_engine="cpu", render_dpi=args.dpi)
    pipeline = Pipeline.build(settings, load_gpu=False)
    worker = Worker(settings, pipeline, progress_sink=lambda job, progress: None)
    rapid = RapidOcrDirect()
    try:
        tesseract: TesseractDirect | None = TesseractDirect()
    except (ImportError, RuntimeError) as e:
        print(f"Tesseract skipped: {e}", file=sys.stderr)
        tesseract = None

    samples: dict[str, list[float]] = {
        "pdfium_raw": [],
        "docworker_digital": [],
        "rapidocr_direct": [],
        "tesseract_direct": [],
        "docworker_scanned": [],
    }
    loads = []
    accuracy: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="docworker-bench-") as tmp:
            digital = Path(tmp) / "digital.pdf"
            digital.write_bytes(digital_pdf(args.digital_pages))
            scanned = Path(tmp) / "scanned.pdf"
            scanned.write_bytes(scanned_pdf(args.scanned_pages, args.dpi))
            images = render_all(scanned, args.dpi)
            # untimed first pass: first-call costs, and what each engine read
            from bench.quality import cer

            truth = "\n".join(
                "\n".join(spanish_lines(p, 30, width=8)) for p in range(1, args.scanned_pages + 1)
            )
            raw_pdfium_text(digital)
            handler_seconds(worker, digital)
            accuracy["docworker_scanned"] = round(cer(handler_run(worker, scanned)[1], truth), 4)
            accuracy["rapidocr_direct"] = round(cer(rapid.read(images), truth), 4)
            if tesseract:
                accuracy["tesseract_direct"] = round(cer(tesseract.read(images), truth), 4)
            for i in range(args.runs):
                samples["pdfium_raw"].append(raw_pdfium_text(digital)[0])
                samples["docworker_digital"].append(handler_seconds(worker, digital))
                samples["rapidocr_direct"].append(rapid(images))
                if tesseract:
                    samples["tesseract_direct"].append(tesseract(images))
                samples["docworker_scanned"].append(handler_seconds(worker, scanned))
                loads.append(load())
                print(
                    f"run {i + 1}/{args.runs}: "
                    + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in samples.items() if v)
                    + f"; load {loads[-1]}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        pipeline.close()

    pages = {
        "pdfium_raw": args.digital_pages,
        "docworker_digital": args.digital_pages,
        "rapidocr_direct": args.scanned_pages,
        "tesseract_direct": args.scanned_pages,
        "docworker_scanned": args.scanned_pages,
    }
    rate = {k: round(pages[k] / median(v), 3) for k, v in samples.items() if v}

    def paired(a: str, b: str) -> float | None:
        if not samples[a] or not samples[b]:
            return None
        return median([y / x for x, y in zip(samples[a], samples[b], strict=True)])

    result = {
        "benchmark": "throughput",
        "command": "python -m bench.throughput " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "loads": loads,
        "pages": pages,
        "dpi": args.dpi,
        "page_processes": pipeline.pool.size,
        "tesseract": tesseract.version if tesseract else None,
        "pages_per_s": rate,
        "scanned_cer": accuracy,
        # docworker pages/s divided by the baseline's, per run (= baseline time / docworker time)
        "ratio": {
            "digital_vs_pdfium_raw": paired("docworker_digital", "pdfium_raw"),
            "scanned_vs_rapidocr_direct": paired("docworker_scanned", "rapidocr_direct"),
            "scanned_vs_tesseract": paired("docworker_scanned", "tesseract_direct"),
        },
        "samples_s": samples,
    }
    path = write_result("throughput", result, args.out)
    print("| way | pages | pages/s |\n|---|---:|---:|")
    for key, value in rate.items():
        print(f"| {key} | {pages[key]} | {value:.2f} |")
    print(f"ratios (docworker / baseline, pages/s): {result['ratio']}")
    print(f"character error rate on the scanned pages: {accuracy}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
