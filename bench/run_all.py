"""Run every performance benchmark, one fresh interpreter each, and collect their results.

``make bench`` runs this. Each benchmark is started as
``python -m bench.<name>`` from the repository root (so it also works as
``python bench/run_all.py``), writes ``bench/results/<name>.json`` and prints
its table; this script prints them in turn and a summary of the headline
figures. ``--quick`` uses fewer runs and smaller documents and writes to a
temporary folder (a smoke test of the benchmarks, not figures to record). GPU figures come from
``bench/gpu_bench.py`` on a machine with a GPU and are not run here. ``real`` and
``ocr_tuning`` read the corpus's documents (``../shared/corpus``) and need
``bench/requirements.txt``; without the corpus they are skipped.

Run from anywhere::

    python bench/run_all.py [--quick] [--only overhead memory ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

#: name → (full arguments, quick arguments)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "coldstart": (["--runs", "5"], ["--runs", "1"]),
    "overhead": (["--runs", "5"], ["--runs", "1", "--scanned-pages", "1"]),
    "throughput": (
        ["--runs", "3"],
        ["--runs", "1", "--digital-pages", "10", "--scanned-pages", "1"],
    ),
    "parallelism": (["--pages", "5", "8", "--runs", "3"], ["--pages", "2", "--runs", "1"]),
    "memory": (
        ["--pages", "10", "300", "--every", "5", "--runs", "3"],
        ["--pages", "10", "30", "--every", "5", "--runs", "1"],
    ),
    "real": (["--runs", "5"], ["--runs", "1", "--only", "BORME", "phototest"]),
    "ocr_tuning": (["--runs", "3"], ["--runs", "1", "--pages", "phototest"]),
    "big_pages": (["--runs", "2"], ["--runs", "1", "--kinds", "prose"]),
}

#: benchmarks that read ../shared/corpus (skipped where it is absent)
ON_CORPUS = {"real", "ocr_tuning"}
CORPUS = ROOT.parent / "shared" / "corpus"


def headline(name: str, folder: Path) -> str:
    """One line from a benchmark's result file."""
    path = folder / f"{name}.json"
    if not path.exists():
        return "no result file"
    data = json.loads(path.read_text())
    if name == "coldstart":
        return f"cold start {data['medians_ms'].get('total_ms', 0) / 1000:.1f} s (median)"
    if name == "overhead":
        return "; ".join(
            f"{doc}: handler/engines "
            + ", ".join(
                f"{k[: -len('_paired_ratio')]} {v}"
                for k, v in row.items()
                if k.endswith("_paired_ratio")
            )
            for doc, row in data["rows"].items()
        )
    if name == "throughput":
        return f"pages/s {data['pages_per_s']}; ratios {data['ratio']}"
    if name == "parallelism":
        return "; ".join(
            f"{p} pages: " + ", ".join(f"{k} {v}" for k, v in row.items() if k.endswith("_wall"))
            for p, row in data["rows"].items()
        )
    if name == "memory":
        return f"peak ratio largest/smallest {data['ratio_high_to_low']}"
    if name == "real":
        return "; ".join(f"{k} {row['ratio_wall']}x" for k, row in data["rows"].items())
    if name == "big_pages":
        return "; ".join(f"{kind} growth {g}" for kind, g in data["growth"].items())
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller documents")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=None)
    args = parser.parse_args(argv)
    # a quick run is a smoke test: its figures must not replace the recorded ones
    folder = Path(tempfile.mkdtemp(prefix="docworker-bench-quick-")) if args.quick else RESULTS
    failed = []
    for name, (full, quick) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        if name in ON_CORPUS and not CORPUS.exists():
            print(f"\n== {name}: skipped ({CORPUS} is absent)", flush=True)
            continue
        command = [
            sys.executable,
            "-m",
            f"bench.{name}",
            *(quick if args.quick else full),
            "--out",
            str(folder),
        ]
        print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=ROOT)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            failed.append(name)
            print(f"== {name} failed (exit {proc.returncode}) after {seconds:.0f} s", flush=True)
        else:
            print(f"== {name} done in {seconds:.0f} s", flush=True)
    print("\nSummary")
    for name in BENCHMARKS:
        if not args.only or name in args.only:
            print(f"- {name}: {'FAILED' if name in failed else headline(name, folder)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
