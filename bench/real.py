"""Real documents: docworker beside raw pypdfium2 and Tesseract on the corpus's files.

The generated pages of ``bench.throughput`` have no tables, rules or real
layout; these are public documents from ``../shared/corpus`` and this
repository's ``corpus/`` (skipped where absent), one job each through the
handler of a warm worker (the default CPU configuration: one page process per
core), side by side with the floor for the same work, interleaved, ``--runs``
times:

- digital PDFs (a 117-page book, a 417-page tax publication, a report with
  tables, two-column papers, a Spanish bulletin, table pages): raw pypdfium2
  text extraction
  (``get_text_range`` on every page, one process);
- scans (a 2550 x 3300 brochure page, a degraded colour scan, a book page,
  Tesseract's own test images, a line of big print, a page of a few big lines):
  Tesseract 5 via tesserocr, ``spa+eng``, one thread, on the very image docworker
  OCRs (the page rendered at the worker's 150 dpi; an image file as it is) —
  rendering is not timed for Tesseract.

Reported per document: median wall seconds of each way, pages/s and s/page,
the median of the per-run ratios (docworker ÷ baseline), the CPU seconds of
docworker's processes (worker + page processes, from ``schedstat``, which
other programs' load inflates far less than wall time), every stage's share
of the page processes' time (the job's ``timings_ms``), and for scans with a
ground truth the character error rate of both (``bench.quality`` metrics).

Run from the repository root::

    python -m bench.real --runs 5
    python -m bench.real --runs 3 --only GeoTopo linn

Output: a table on stdout and ``bench/results/real.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import cpu_s, load, machine, median, run_async, write_result
from bench.throughput import TesseractDirect, raw_pdfium_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("FUZZ_CORPUS", str(ROOT.parent / "shared" / "corpus")))
LOCAL = ROOT / "corpus"  # the documents this repository adds (corpus/README.md)


@dataclass(frozen=True)
class Doc:
    key: str
    path: str  # inside the corpus
    kind: str  # "digital" or "scan"
    label: str
    truth: str | None = None  # plain-text ground truth, inside the corpus
    local: bool = False  # in this repository's corpus/, not the shared one

    @property
    def file(self) -> Path:
        return (LOCAL if self.local else CORPUS) / self.path


DOCS = (
    Doc("GeoTopo", "sample-files/GeoTopo-komprimiert.pdf", "digital", "book, 117 pages (de)"),
    Doc("p17", "irs/p17-2024.pdf", "digital", "IRS Pub. 17, 417 pages (en)", local=True),
    Doc(
        "federal-register",
        "pdfplumber/federal-register-2020-17221.pdf",
        "digital",
        "report, 3 columns, 2 tables",
    ),
    Doc("BORME", "bormeparser/BORME-A-2015-27-10.pdf", "digital", "Spanish bulletin, 3 pages"),
    Doc(
        "layout-parser",
        "unstructured/layout-parser-paper-with-empty-pages.pdf",
        "digital",
        "two-column paper, 4 pages",
    ),
    Doc("nics", "pdfplumber/nics-background-checks-2015-11.pdf", "digital", "one big ruled table"),
    Doc("12s0324", "tabula/12s0324.pdf", "digital", "statistics page, 2 tables"),
    Doc("linn", "ocrmypdf/linn.pdf", "scan", "brochure scan 2550x3300", "ocrmypdf/linn.txt"),
    Doc("congress", "pikepdf/scanned/congress.pdf", "scan", "degraded colour scan"),
    Doc("c02-22", "ocrmypdf/c02-22.pdf", "scan", "book page with drop cap"),
    Doc(
        "eurotext",
        "tesseract/eurotext.tif",
        "scan",
        "multilingual scan (TIFF)",
        "tesseract/eurotext.txt",
    ),
    Doc(
        "phototest",
        "tesseract/phototest.tif",
        "scan",
        "clean scan (TIFF)",
        "tesseract/phototest.gold.txt",
    ),
    Doc("webp", "docling/image/webp-test.webp", "scan", "one line of big print (WebP)"),
    Doc("ocr_test", "docling/ocr/ocr_test.pdf", "scan", "scanned page, a few lines of big print"),
)

#: Stages whose times are summed over the pages (``timings_ms`` of the job).
STAGES = ("text_layer", "tables", "render", "ocr", "assemble")


def page_image(path: Path, dpi: int) -> Any:
    """The image docworker OCRs for page 1 (the page process's own render call)."""
    from docworker.decode.formats import sniff_type
    from docworker.isolation import tasks

    doc = tasks.DocTask(str(path), sniff_type(path), None, 10_000, 14_400.0, 40_000_000)
    handle = tasks.document(doc)
    image, _ = handle.render(1, dpi, 40_000_000)
    return image.copy()


def docworker_job(worker: Any, path: Path, pids: list[int]) -> tuple[float, float, dict[str, Any]]:
    """``(wall s, CPU s of the worker and page processes, payload)`` of one job."""
    job = {"id": "real", "input": {"document_path": str(path), "engine": "cpu"}}
    cpu0, start = cpu_s(pids), time.perf_counter()
    payload = run_async(worker.handler(job))
    wall, cpu = time.perf_counter() - start, cpu_s(pids) - cpu0
    if "error" in payload:
        raise RuntimeError(f"{path.name}: {payload['error']}")
    return wall, cpu, payload


def shares(timings: dict[str, float]) -> dict[str, float]:
    """Each stage's share of the page processes' stage time."""
    parts = {k: timings.get(k, 0.0) for k in STAGES}
    total = sum(parts.values()) or 1.0
    return {k: round(v / total, 3) for k, v in parts.items() if v}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the result file")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=None, help="document keys (default: all)")
    parser.add_argument("--dpi", type=int, default=150)
    args = parser.parse_args(argv)

    from bench.quality.metrics import bow_f1, cer
    from docworker.config import Settings
    from docworker.pipeline import Pipeline
    from docworker.service import Worker

    docs = [d for d in DOCS if args.only is None or d.key in args.only]
    docs = [d for d in docs if d.file.exists()]
    if not docs:
        print(f"no corpus documents under {CORPUS}", file=sys.stderr)
        return 1
    settings = Settings(default_engine="cpu", render_dpi=args.dpi)
    pipeline = Pipeline.build(settings, load_gpu=False)
    worker = Worker(settings, pipeline, progress_sink=lambda job, progress: None)
    pids = [os.getpid(), *(c.process.pid for c in pipeline.pool._children)]
    tesseract = TesseractDirect() if any(d.kind == "scan" for d in docs) else None
    rows: dict[str, Any] = {}
    try:
        for doc in docs:
            path = doc.file
            image = page_image(path, args.dpi) if doc.kind == "scan" else None
            # untimed first pass: first-use costs, page count, what each way read
            _, _, payload = docworker_job(worker, path, pids)
            pages = payload["metadata"]["document"]["pages_processed"]
            row: dict[str, Any] = {"label": doc.label, "kind": doc.kind, "pages": pages}
            samples: dict[str, list[float]] = {"docworker": [], "docworker_cpu": [], "base": []}
            timings: list[dict[str, float]] = []
            if doc.kind == "digital":
                row["baseline"] = "raw pypdfium2 text"
                raw_pdfium_text(path)
            else:
                row["baseline"] = f"Tesseract {tesseract.version if tesseract else '-'} spa+eng"
                row["image_px"] = list(image.size) if image is not None else None
                if doc.truth and tesseract is not None and image is not None:
                    truth = (CORPUS / doc.truth).read_text()
                    text = payload["data"]["text"] or ""
                    base = tesseract.read([image])
                    for name, metric in (("cer", cer), ("bow_f1", bow_f1)):
                        row[name] = {
                            "docworker": round(metric(text, truth), 4),
                            "base": round(metric(base, truth), 4),
                        }
            for _ in range(args.runs):
                wall, cpu, payload = docworker_job(worker, path, pids)
                samples["docworker"].append(wall)
                samples["docworker_cpu"].append(cpu)
                timings.append(payload["metadata"]["timings_ms"])
                if doc.kind == "digital":
                    samples["base"].append(raw_pdfium_text(path)[0])
                elif tesseract is not None and image is not None:
                    start = time.process_time()
                    tesseract([image])
                    samples["base"].append(time.process_time() - start)
            ratio = [
                d / b for d, b in zip(samples["docworker"], samples["base"], strict=False) if b
            ]
            cpu_ratio = [
                d / b for d, b in zip(samples["docworker_cpu"], samples["base"], strict=False) if b
            ]
            mid = {k: median(v) for k, v in samples.items() if v}
            row.update(
                {
                    "seconds": mid,
                    "pages_per_s": {k: round(pages / v, 2) for k, v in mid.items() if v},
                    "s_per_page": {k: round(v / pages, 4) for k, v in mid.items()},
                    "ratio_wall": median(ratio) if ratio else None,
                    "ratio_cpu": median(cpu_ratio) if cpu_ratio else None,
                    "stage_ms_per_page": {
                        k: round(median([t.get(k, 0.0) for t in timings]) / pages, 2)
                        for k in STAGES
                        if any(t.get(k) for t in timings)
                    },
                    "stage_shares": shares(
                        {k: median([t.get(k, 0.0) for t in timings]) for k in STAGES}
                    ),
                    "samples_s": samples,
                    "load": load(),
                }
            )
            rows[doc.key] = row
            print(
                f"{doc.key}: docworker {mid['docworker']:.3f} s, {row['baseline']}"
                f" {mid.get('base', 0):.3f} s, ratio {row['ratio_wall']}; load {row['load']}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        pipeline.close()

    result = {
        "benchmark": "real",
        "command": "python -m bench.real " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "page_processes": pipeline.pool.size,
        "dpi": args.dpi,
        "runs": args.runs,
        "rows": rows,
    }
    path = write_result("real", result, args.out)
    print(
        "| document | pages | baseline | docworker s | baseline s | docworker pages/s"
        " | ratio (wall) | docworker CPU s | CER docworker / baseline |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---|")
    for key, row in rows.items():
        cer_cell = (
            f"{100 * row['cer']['docworker']:.1f}% / {100 * row['cer']['base']:.1f}%"
            if "cer" in row
            else ""
        )
        print(
            f"| {key} ({row['label']}) | {row['pages']} | {row['baseline']}"
            f" | {row['seconds']['docworker']:.3f} | {row['seconds'].get('base', 0):.3f}"
            f" | {row['pages_per_s'].get('docworker', 0):.2f} | {row['ratio_wall']}"
            f" | {row['seconds']['docworker_cpu']:.2f} | {cer_cell} |"
        )
    print("\nstage shares:", {k: r["stage_shares"] for k, r in rows.items()})
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
