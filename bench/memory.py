"""Peak memory against page count: the worker process and its page processes together.

Pages are decoded, rendered and OCR'd one at a time in each page process, so a
300-page document should need about the memory of a 10-page one. For
each page count this writes a mixed PDF (digital pages, a full-page scan every
``--every`` pages) and measures one job in a fresh process:

1. build the CPU pipeline (page processes, OCR warm-up), note each process's RSS;
2. reset each process's peak-RSS counter (``/proc/<pid>/clear_refs``);
3. run the job through ``Worker.run_job`` while a thread samples the summed
   RSS of the tree every 20 ms;
4. report the tree's peak (sampled sum) and the sum of per-process peaks
   (``VmHWM``, an upper bound), during the job and since start-up.

With ``--document FILE`` the pages are a real document's instead: the job
reads its first N pages (the job's ``pages`` option), for each N of
``--pages`` (0 for all of them).

Run from the repository root::

    python -m bench.memory --pages 10 300 --every 5 --dpi 72 --runs 3
    python -m bench.memory --document corpus/irs/p17-2024.pdf --pages 10 0 --runs 3

A scan every 5th page (the default) puts two scans in the 10-page document, so its
page processes can OCR at once, as the 300-page document's do: with one scan only, the
ratio measures two OCR calls at once against one, not growth with pages
(docs/BENCHMARKS.md, "Peak memory against page count").

Output: a table on stdout and ``bench/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import cpu_s, load, machine, median, mixed_pdf, peak_rss_mb, rss_mb, write_result

ROOT = Path(__file__).resolve().parents[1]


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux ``/proc/<pid>/task/*/children``)."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    return sorted(set(found))


def reset_peak(pid: int) -> bool:
    """Reset a process's ``VmHWM`` to its current RSS (Linux >= 4.0)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class TreeSampler:
    """Samples the summed RSS of a process and its children until stopped."""

    def __init__(self, pid: int, interval_s: float = 0.02) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = [self.pid, *child_pids(self.pid)]
            self.peak_mb = max(self.peak_mb, sum(rss_mb(p) for p in pids))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_here(path: Path, dpi: int, pages: str | None = None) -> dict[str, Any]:
    """One job in this process (call it in a fresh one): memory facts as a dict."""
    from docworker.config import Settings
    from docworker.pipeline import Pipeline
    from docworker.service import Worker

    settings = Settings(default_engine="cpu")
    pipeline = Pipeline.build(settings, load_gpu=False)
    try:
        me = os.getpid()
        pids = [me, *child_pids(me)]
        startup_peak = {p: peak_rss_mb(p) for p in pids}
        idle = {p: rss_mb(p) for p in pids}
        reset = all(reset_peak(p) for p in pids)
        worker = Worker(settings, pipeline, progress_sink=lambda job, progress: None)
        job: dict[str, Any] = {"id": "memory", "input": {"document_path": str(path), "dpi": dpi}}
        if pages:
            job["input"]["pages"] = pages
        cpu0 = cpu_s(pids)
        started = time.perf_counter()
        with TreeSampler(me) as sampler:
            payload = worker.run_job(job)
        seconds = time.perf_counter() - started
        cpu = cpu_s([me, *child_pids(me)]) - cpu0
        after = [me, *child_pids(me)]
        job_peak = {p: peak_rss_mb(p) for p in after}
        meta = payload.get("metadata", {})
        return {
            "pages": meta.get("document", {}).get("pages_processed"),
            "status": meta.get("status", payload.get("error")),
            "seconds": round(seconds, 2),
            "cpu_s": round(cpu, 2),
            "processes": len(after),
            "respawned": sorted(set(after) ^ set(pids)) != [],
            "idle_mb": round(sum(idle.values()), 1),
            "job_peak_sampled_mb": round(sampler.peak_mb, 1),
            "job_peak_hwm_sum_mb": round(sum(job_peak.values()), 1) if reset else None,
            "startup_peak_hwm_sum_mb": round(sum(startup_peak.values()), 1),
            "main_job_peak_mb": job_peak.get(me),
            "job_peak_by_process_mb": [job_peak[p] for p in after],
            "idle_by_process_mb": [idle.get(p) for p in after],
            "payload_bytes": len(json.dumps(payload, ensure_ascii=False).encode()),
            "load": load(),
        }
    finally:
        pipeline.close()


def measure(
    pages: int,
    *,
    every: int,
    dpi: int,
    scan_lines: int,
    folder: Path,
    document: Path | None = None,
) -> dict[str, Any]:
    """Measure one job in a fresh process: on the ``pages``-page mixed document, or on
    the first ``pages`` pages of ``document`` (all of them for 0)."""
    command = [sys.executable, "-m", "bench.memory", "--dpi", str(dpi)]
    if document is not None:
        path = document.resolve()
        command += ["--one", str(path)] + (["--range", f"1-{pages}"] if pages else [])
    else:
        path = folder / f"mixed-{pages}.pdf"
        if not path.exists():
            path.write_bytes(mixed_pdf(pages, every=every, scan_lines=scan_lines))
        command += ["--one", str(path)]
    proc = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"memory run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["file_bytes"] = path.stat().st_size
    return result


def compare(
    counts: list[int],
    *,
    runs: int,
    every: int,
    dpi: int,
    scan_lines: int,
    document: Path | None = None,
) -> dict[str, Any]:
    """Interleaved runs over page counts; medians and the ratio of the largest to the smallest."""
    samples: dict[int, list[dict[str, Any]]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory(prefix="docworker-bench-mem-") as tmp:
        for run in range(runs):
            for n in counts:
                r = measure(
                    n,
                    every=every,
                    dpi=dpi,
                    scan_lines=scan_lines,
                    folder=Path(tmp),
                    document=document,
                )
                samples[n].append(r)
                print(
                    f"run {run + 1}/{runs} {n:>4} pages: {r['seconds']:.1f} s,"
                    f" job peak {r['job_peak_sampled_mb']:.0f} MiB (sampled),"
                    f" {r['job_peak_hwm_sum_mb']} MiB (HWM sum), idle {r['idle_mb']:.0f} MiB,"
                    f" load {r['load']}",
                    file=sys.stderr,
                    flush=True,
                )
    rows = {}
    for n, rs in samples.items():
        rows[n] = {
            key: median([r[key] for r in rs])
            for key in ("seconds", "idle_mb", "job_peak_sampled_mb", "job_peak_hwm_sum_mb")
            if all(r[key] is not None for r in rs)
        }
        rows[n]["payload_bytes"] = rs[0]["payload_bytes"]
        rows[n]["file_bytes"] = rs[0]["file_bytes"]
        rows[n]["loads"] = [r["load"] for r in rs]
        rows[n]["status"] = sorted({str(r["status"]) for r in rs})
    order = sorted(counts, key=lambda n: n or float("inf"))  # 0: the whole document
    low, high = order[0], order[-1]
    ratio = {
        key: round(rows[high][key] / rows[low][key], 3)
        for key in ("job_peak_sampled_mb", "job_peak_hwm_sum_mb")
        if key in rows[high] and key in rows[low]
    }
    growth = {n: round(rows[n]["job_peak_sampled_mb"] - rows[n]["idle_mb"], 1) for n in counts}
    if document is not None:
        command = f"--document {document} --pages {' '.join(map(str, counts))} --dpi {dpi}"
        described = f"{document}: its first N pages (0: all), rendered at {dpi} dpi where OCR'd"
    else:
        command = f"--pages {' '.join(map(str, counts))} --every {every} --dpi {dpi}"
        described = (
            f"mixed PDF: digital pages, a full-page scan every {every} pages"
            f" ({scan_lines} lines), rendered at {dpi} dpi"
        )
    return {
        "benchmark": "memory",
        "command": f"python -m bench.memory {command} --runs {runs}",
        "machine": machine(),
        "document": described,
        "rows": rows,
        "ratio_high_to_low": ratio,
        "growth_over_idle_mb": growth,
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        "| pages | job s | idle MiB | job peak MiB (sampled sum) | job peak MiB (sum of VmHWM)"
        " | payload MB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n, row in result["rows"].items():
        lines.append(
            f"| {n} | {row['seconds']:.1f} | {row['idle_mb']:.0f}"
            f" | {row['job_peak_sampled_mb']:.0f}"
            f" | {row.get('job_peak_hwm_sum_mb', float('nan')):.0f}"
            f" | {row['payload_bytes'] / 1e6:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the result file (default bench/results)"
    )
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 300])
    parser.add_argument("--every", type=int, default=5, help="a scanned page every N pages")
    parser.add_argument("--dpi", type=int, default=72, help="render DPI of the job")
    parser.add_argument("--scan-lines", type=int, default=6, help="lines of text per scan")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--document", type=Path, help="a real document: its first N pages")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--range", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_here(args.one, args.dpi, args.range)))
        return 0
    result = compare(
        sorted(args.pages),
        runs=args.runs,
        every=args.every,
        dpi=args.dpi,
        scan_lines=args.scan_lines,
        document=args.document,
    )
    name = f"memory-{args.document.stem}" if args.document else "memory"
    path = write_result(name, result, args.out)
    print(table(result))
    print(f"ratio (largest/smallest): {result['ratio_high_to_low']}")
    print(f"growth over idle, MiB: {result['growth_over_idle_mb']}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
