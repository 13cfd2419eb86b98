"""CPU time per page with the garbage collector's first threshold at Python's 700 and at
a page process's ``GC_YOUNG``, alternated in one process.

A page process sets ``gc.set_threshold(GC_YOUNG, ...)`` at start
(``isolation.tasks.init_child``). This runs ``engines.cpu.read_page`` (``ocr:
never``: text layer, tables, assembly) on the first ``--pages`` pages of a PDF, once
untimed, then ``--rounds`` times each way in turn, timing each pass with
``time.process_time``. Through the worker the difference is under the noise of two
cores shared with other programs; in one process, alternated, it is not::

    python -m bench.gc_young ../shared/corpus/sample-files/GeoTopo-komprimiert.pdf
    python -m bench.gc_young corpus/irs/p17-2024.pdf --pages 200 --rounds 5

Output: one JSON line, ms per page for each threshold (median and every round).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from pathlib import Path

from bench.common import pdf_task


def measure(path: Path, pages: int, rounds: int) -> dict[str, object]:
    from docworker.engines import cpu
    from docworker.isolation import tasks

    doc = pdf_task(path)
    count = min(pages, tasks.document(doc).page_count)

    def one_pass() -> float:
        start = time.process_time()
        for number in range(1, count + 1):
            cpu.read_page(tasks.PageTask(doc=doc, number=number, ocr="never"))
        return 1000 * (time.process_time() - start) / count

    one_pass()  # first use: imports, the document opened, caches filled
    older = gc.get_threshold()[1:]
    ways = {"python_700": 700, "gc_young": tasks.GC_YOUNG}
    samples: dict[str, list[float]] = {k: [] for k in ways}
    try:
        for _ in range(rounds):
            for name, young in ways.items():
                gc.collect()
                gc.set_threshold(young, *older)
                samples[name].append(round(one_pass(), 2))
    finally:
        gc.set_threshold(700, *older)
    return {
        "file": path.name,
        "pages": count,
        "ms_page": {k: round(statistics.median(v), 2) for k, v in samples.items()},
        "samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.pdf, args.pages, args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
