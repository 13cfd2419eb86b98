"""CPU parallelism on scanned pages: page processes × onnxruntime threads per process.

On ``C`` cores the worker can run ``C`` page processes with one OCR thread
each (``DOCWORKER_WORKERS=0``, the default: pages in parallel) or fewer
processes with ``C // processes`` threads each (``DOCWORKER_WORKERS=1``: one
page at a time, every core on it). Page parallelism needs no synchronisation
inside a page but leaves cores idle at the end of a document whose page count
is not a multiple of ``C``; thread parallelism splits each page's work.

For each page count, the same scanned PDF (full A4 pages at 150 dpi) runs
through ``Worker.handler`` in every configuration, interleaved, ``--runs``
times; the table shows median seconds, pages/s and the CPU time the page
processes used (``ps``-style, from ``/proc``), which shows the cost of
threading at equal work.

Run from the repository root::

    python -m bench.parallelism --pages 5 8 --runs 3

Output: a table on stdout and ``bench/results/parallelism.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import load, machine, median, run_async, scanned_pdf, write_result

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes, from ``/proc/<pid>/stat``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total / tick


def pool_pids(worker: Any) -> list[int]:
    return [c.process.pid for c in worker.pipeline.pool._children]


def build(workers: int) -> Any:
    from docworker.config import Settings
    from docworker.pipeline import Pipeline
    from docworker.service import Worker

    settings = Settings(default_engine="cpu", workers=workers)
    pipeline = Pipeline.build(settings, load_gpu=False)
    return Worker(settings, pipeline, progress_sink=lambda job, progress: None)


def one_job(worker: Any, path: Path) -> tuple[float, float]:
    """``(wall seconds, page-process CPU seconds)`` of one job."""
    pids = pool_pids(worker)
    cpu0 = cpu_seconds(pids)
    start = time.perf_counter()
    payload = run_async(
        worker.handler({"id": "par", "input": {"document_path": str(path), "engine": "cpu"}})
    )
    wall = time.perf_counter() - start
    if "error" in payload:
        raise RuntimeError(f"job failed: {payload['error']}")
    return wall, cpu_seconds(pids) - cpu0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the result file (default bench/results)"
    )
    parser.add_argument("--pages", type=int, nargs="+", default=[5, 8])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    configs = {f"{cores}x1": cores, f"1x{cores}": 1}
    workers = {name: build(n) for name, n in configs.items()}
    samples: dict[int, dict[str, list[tuple[float, float]]]] = {
        p: {name: [] for name in configs} for p in args.pages
    }
    loads = []
    try:
        with tempfile.TemporaryDirectory(prefix="docworker-bench-") as tmp:
            docs = {}
            for p in args.pages:
                docs[p] = Path(tmp) / f"scan-{p}.pdf"
                docs[p].write_bytes(scanned_pdf(p, 150))
            first = docs[min(args.pages)]
            for worker in workers.values():  # untimed: first-call costs
                one_job(worker, first)
            for i in range(args.runs):
                for p, path in docs.items():
                    # alternate which configuration goes first
                    order = list(configs) if i % 2 == 0 else list(reversed(configs))
                    for name in order:
                        samples[p][name].append(one_job(workers[name], path))
                loads.append(load())
                print(
                    f"run {i + 1}/{args.runs}: "
                    + "; ".join(
                        f"{p} p: "
                        + ", ".join(
                            f"{n} {s[-1][0]:.1f} s ({s[-1][1]:.1f} cpu s)" for n, s in d.items()
                        )
                        for p, d in samples.items()
                    )
                    + f"; load {loads[-1]}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for worker in workers.values():
            worker.pipeline.close()
    rows: dict[str, Any] = {}
    for p, by_config in samples.items():
        row: dict[str, Any] = {}
        for name, s in by_config.items():
            wall = median([w for w, _ in s])
            row[name] = {
                "wall_s": wall,
                "pages_per_s": round(p / wall, 3),
                "page_process_cpu_s": median([c for _, c in s]),
            }
        a, b = list(configs)
        row[f"{b}_over_{a}_wall"] = median(
            [wb / wa for (wa, _), (wb, _) in zip(by_config[a], by_config[b], strict=True)]
        )
        rows[str(p)] = row
    result = {
        "benchmark": "parallelism",
        "command": "python -m bench.parallelism " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "loads": loads,
        "configs": configs,
        "rows": rows,
        "samples": {str(p): d for p, d in samples.items()},
    }
    path = write_result("parallelism", result, args.out)
    print("| pages | config | wall s | pages/s | page-process CPU s |\n|---:|---|---:|---:|---:|")
    for p, row in rows.items():
        for name in configs:
            r = row[name]
            print(
                f"| {p} | {name} | {r['wall_s']:.1f} | {r['pages_per_s']:.3f}"
                f" | {r['page_process_cpu_s']:.1f} |"
            )
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
