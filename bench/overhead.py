"""Framework overhead: end-to-end handler time against the time spent inside the engines.

"Inside the engines" is ``cpu.read_page`` — the exact per-page function a
page process runs (text layer, render, RapidOCR, reading order, the page's
``PageResult``) — called page after page inside one page process (same thread
variables and limits as in production), with OCR given every core
(``threads = cores``), and timed there. Everything else the handler does is
overhead: input validation, fetch into a per-job folder with its sha256, the
probe, pickling tasks and results between processes, the response models,
``model_dump`` and the thread hop of the async handler.

Three ways, interleaved in one run so machine load hits them alike (wall time,
and CPU time of the processes involved from ``/proc/<pid>/schedstat``, which
load from other programs does not inflate):

- ``engines``: ``cpu.read_page`` in a loop, as above (the reference);
- ``handler 1×N``: ``Worker.handler`` with one page process and N OCR threads —
  the same engine work in the same order, so ``handler / engines - 1`` is the
  framework's overhead;
- ``handler N×1``: the default, one page process per core, one thread each.

Documents (``bench/common.py``): a 10-page digital PDF and a 5-page scanned
PDF (full A4 pages at 150 dpi). Run from the repository root::

    python -m bench.overhead --runs 5

Output: a table on stdout and ``bench/results/overhead.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    cpu_s,
    digital_pdf,
    load,
    machine,
    median,
    run_async,
    scanned_pdf,
    write_result,
)

ROOT = Path(__file__).resolve().parents[1]


def engines_direct(args: tuple[str, int, int]) -> float:
    """Seconds for ``cpu.read_page`` on every page, called in a row.

    Runs inside a page process (``EngineRunner``), so the engines see exactly
    the environment they have in production: the same thread variables
    (``sandbox.CHILD_THREAD_ENV``), memory limit and network block.
    """
    from docworker import decode
    from docworker.config import Settings
    from docworker.engines import cpu
    from docworker.isolation import tasks

    path, pages, threads = args
    s = Settings()
    if tasks._open is not None:  # a job opens its own copy of the document
        tasks._open[1].close()
        tasks._open = None
    doc = tasks.DocTask(
        path=path,
        mime=decode.PDF,
        password=None,
        max_pages=s.max_pages,
        max_page_points=s.max_page_points,
        max_pixels=s.max_render_pixels,
    )
    start = time.perf_counter()
    for n in range(1, pages + 1):
        cpu.read_page(
            tasks.PageTask(
                doc=doc,
                number=n,
                dpi=s.render_dpi,
                min_chars=s.text_layer_min_chars,
                ocr_threads=threads,
            )
        )
    return time.perf_counter() - start


class EngineRunner:
    """One page process that runs ``engines_direct`` with ``threads`` OCR threads."""

    def __init__(self, threads: int) -> None:
        from docworker.config import Settings
        from docworker.isolation.pool import PagePool

        self.threads = threads
        self.pool = PagePool(1, Settings().page_memory_mb, "docworker.isolation.tasks.init_child")
        self.pool.start()
        list(self.pool.run("docworker.engines.cpu.warmup", [(threads, "rapidocr")], timeout_s=600))

    def pids(self) -> list[int]:
        return [c.process.pid for c in self.pool._children]

    def __call__(self, path: Path, pages: int) -> float:
        from docworker import errors

        ((_, seconds),) = list(
            self.pool.run(
                "bench.overhead.engines_direct",
                [(str(path), pages, self.threads)],
                timeout_s=3600,
            )
        )
        if isinstance(seconds, errors.WorkerError):
            raise RuntimeError(f"engine run failed: {seconds.message}")
        return seconds

    def close(self) -> None:
        self.pool.close()


def worker_pids(worker: Any) -> list[int]:
    """The worker's process and its page processes."""
    return [os.getpid(), *(c.process.pid for c in worker.pipeline.pool._children)]


def handler_once(worker: Any, path: Path) -> tuple[float, dict[str, Any]]:
    job = {"id": "overhead", "input": {"document_path": str(path), "engine": "cpu"}}
    start = time.perf_counter()
    payload = run_async(worker.handler(job))
    seconds = time.perf_counter() - start
    if "error" in payload:
        raise RuntimeError(f"job failed: {payload['error']}")
    return seconds, payload


def build(workers: int) -> Any:
    from docworker.config import Settings
    from docworker.pipeline import Pipeline
    from docworker.service import Worker

    settings = Settings(default_engine="cpu", workers=workers)
    pipeline = Pipeline.build(settings, load_gpu=False)
    return Worker(settings, pipeline, progress_sink=lambda job, progress: None)


def run(runs: int, docs: dict[str, tuple[Path, int]]) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    workers = {f"handler 1x{cores}": build(1), f"handler {cores}x1": build(cores)}
    engines = EngineRunner(cores)
    try:
        for path, pages in docs.values():  # one untimed pass: caches, first-call costs
            engines(path, pages)
            for worker in workers.values():
                handler_once(worker, path)
        samples: dict[str, dict[str, list[float]]] = {
            name: {"engines": [], **{w: [] for w in workers}} for name in docs
        }
        cpu: dict[str, dict[str, list[float]]] = {
            name: {"engines": [], **{w: [] for w in workers}} for name in docs
        }
        stages: dict[str, dict[str, list[float]]] = {name: {} for name in docs}
        loads = []
        for i in range(runs):
            for name, (path, pages) in docs.items():
                c0 = cpu_s(engines.pids())
                samples[name]["engines"].append(engines(path, pages))
                cpu[name]["engines"].append(cpu_s(engines.pids()) - c0)
                for wname, worker in workers.items():
                    pids = worker_pids(worker)
                    c0 = cpu_s(pids)
                    seconds, payload = handler_once(worker, path)
                    cpu[name][wname].append(cpu_s(pids) - c0)
                    samples[name][wname].append(seconds)
                    if wname.startswith("handler 1x"):
                        for stage, ms in payload["metadata"]["timings_ms"].items():
                            stages[name].setdefault(stage, []).append(ms)
            loads.append(load())
            print(
                f"run {i + 1}/{runs}: "
                + "; ".join(
                    f"{n}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in s.items())
                    for n, s in samples.items()
                )
                + f"; load {loads[-1]}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        engines.close()
        for worker in workers.values():
            worker.pipeline.close()
    rows = {}
    for name, s in samples.items():
        ref = median(s["engines"])
        row: dict[str, Any] = {"pages": docs[name][1], "engines_s": ref}
        for wname in workers:
            m = median(s[wname])
            row[f"{wname}_s"] = m
            row[f"{wname}_ratio"] = round(m / ref, 3)
            # paired ratio per run: robust to load drifting between runs
            row[f"{wname}_paired_ratio"] = median(
                [h / e for h, e in zip(s[wname], s["engines"], strict=True)]
            )
        row["cpu_s"] = {k: median(v) for k, v in cpu[name].items()}
        row["cpu_ratio"] = {
            k: round(median(v) / row["cpu_s"]["engines"], 3)
            for k, v in cpu[name].items()
            if k != "engines"
        }
        row["stage_ms_1proc"] = {k: median(v) for k, v in stages[name].items()}
        row["samples_s"] = s
        rows[name] = row
    return {"rows": rows, "loads": loads, "cores": cores}


def table(result: dict[str, Any]) -> str:
    cores = result["cores"]
    one, many = f"handler 1x{cores}", f"handler {cores}x1"
    lines = [
        f"| document | engines s | {one} s | ratio (paired) | CPU ratio | {many} s | ratio"
        " (paired) | CPU ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in result["rows"].items():
        lines.append(
            f"| {name} | {r['engines_s']:.3f}"
            f" | {r[one + '_s']:.3f} | {r[one + '_ratio']:.3f} ({r[one + '_paired_ratio']:.3f})"
            f" | {r['cpu_ratio'][one]:.3f}"
            f" | {r[many + '_s']:.3f} | {r[many + '_ratio']:.3f} ({r[many + '_paired_ratio']:.3f})"
            f" | {r['cpu_ratio'][many]:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the result file (default bench/results)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--digital-pages", type=int, default=10)
    parser.add_argument("--scanned-pages", type=int, default=5)
    parser.add_argument("--only", choices=["digital", "scanned"], default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="docworker-bench-") as tmp:
        docs: dict[str, tuple[Path, int]] = {}
        if args.only in (None, "digital"):
            path = Path(tmp) / "digital.pdf"
            path.write_bytes(digital_pdf(args.digital_pages))
            docs[f"digital {args.digital_pages} p"] = (path, args.digital_pages)
        if args.only in (None, "scanned"):
            path = Path(tmp) / "scanned.pdf"
            path.write_bytes(scanned_pdf(args.scanned_pages, 150))
            docs[f"scanned {args.scanned_pages} p"] = (path, args.scanned_pages)
        result = run(args.runs, docs)
    result.update(
        benchmark="overhead",
        command="python -m bench.overhead " + " ".join(argv or sys.argv[1:]),
        machine=machine(),
    )
    path = write_result("overhead" + (f"-{args.only}" if args.only else ""), result, args.out)
    print(table(result))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
