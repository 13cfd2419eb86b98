"""CPU time per page of the text-layer path, in process: the page reader and assembly.

For A/B figures of one stage's cost (the equation reading of issue 16, say),
where ``bench.real``'s wall time through the worker is too noisy on a shared
two-core machine. Each run reads every page of the PDF and times, with
``time.process_time``:

- decode: ``PdfHandle.page`` (characters, pieces, each math piece's LaTeX,
  page objects);
- assembly: reading order, paragraphs, furniture, page items, markdown and
  blocks (no tables: the table stage is timed elsewhere).

With ``--whole``, every page goes through the CPU engine's own page function
(``engines.cpu.read_page``: text layer, table stage, assembly, OCR never) and the
figures are each run's CPU milliseconds for the whole book and the sum of each
stage's ``timings_ms`` (wall, in process): the table stage's cost on a long book.

Run it on two trees alternately (``PYTHONPATH`` picks the tree)::

    PYTHONPATH=src python -m bench.page_cost ../shared/corpus/sample-files/GeoTopo-komprimiert.pdf
    PYTHONPATH=/tmp/base/src python -m bench.page_cost ... --runs 3

Output: one JSON line, medians and samples in ms per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def measure(path: Path, runs: int) -> dict[str, object]:
    from docworker.decode.pdf import PdfHandle
    from docworker.stages import furniture, markdown, reading_order
    from docworker.stages.text_layer import TextLayerStage

    handle = PdfHandle(path, None, 100_000, 20_000)
    pages = handle.page_count
    decode, assemble = [], []
    try:
        for _ in range(runs):
            td = ta = 0.0
            for number in range(1, pages + 1):
                t = time.process_time()
                view = handle.page(number, text_layer=True)
                td += time.process_time() - t
                t = time.process_time()
                ordered = reading_order.reading_order(TextLayerStage()(view), view.width)
                paras = reading_order.paragraphs(ordered)
                kinds = furniture.furniture(paras, view.height, width=view.width)
                items = markdown.layout_items(paras, kinds, [])
                markdown.items_markdown(items)
                markdown.items_blocks(items, "text_layer")
                ta += time.process_time() - t
            decode.append(1000 * td / pages)
            assemble.append(1000 * ta / pages)
    finally:
        handle.close()
    return {
        "file": path.name,
        "pages": pages,
        "decode_ms_page": round(statistics.median(decode), 2),
        "assemble_ms_page": round(statistics.median(assemble), 2),
        "samples_decode": [round(x, 2) for x in decode],
        "samples_assemble": [round(x, 2) for x in assemble],
    }


def measure_whole(path: Path, runs: int) -> dict[str, object]:
    """Each run: ``read_page`` on every page; the run's CPU ms and each stage's ms."""
    import pypdfium2 as pdfium

    from docworker.decode import PDF
    from docworker.engines.cpu import read_page
    from docworker.isolation.tasks import DocTask, PageTask

    pages = len(pdfium.PdfDocument(str(path)))
    doc = DocTask(str(path), PDF, None, 100_000, 20_000, 200_000_000)
    cpu: list[float] = []
    stages: list[dict[str, float]] = []
    for _ in range(runs):
        sums: dict[str, float] = {}
        t = time.process_time()
        for number in range(1, pages + 1):
            result = read_page(PageTask(doc=doc, number=number, ocr="never"))
            for stage, ms in (result.timings_ms or {}).items():
                sums[stage] = sums.get(stage, 0.0) + ms
        cpu.append(1000 * (time.process_time() - t))
        stages.append({k: round(v, 1) for k, v in sums.items()})
    return {
        "file": path.name,
        "pages": pages,
        "cpu_ms": [round(x) for x in cpu],
        "stage_ms": stages,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--whole", action="store_true", help="read_page on every page")
    args = parser.parse_args()
    measure_fn = measure_whole if args.whole else measure
    print(json.dumps(measure_fn(args.pdf, args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
