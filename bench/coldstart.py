"""Cold start: from ``python`` to a worker ready for its first job, by phase.

Each run starts a fresh interpreter that does what ``handler.py`` does before
``runpod.serverless.start``: import ``docworker.service`` and call
``build_worker()``, which logs a ``cold start`` line with its phases —

- ``process_to_build_ms``: interpreter start-up and imports;
- ``checks_ms``: the startup checks; on the CPU default they run in spawned
  processes while the page processes warm up (``checks_apart``), and this is
  only the wait for their verdict after the warm-up;
- ``page_processes_ms``: spawning the page processes until they answer;
- ``cpu_engine_ms``: RapidOCR import, model load and one warm-up page in
  every page process (in parallel);
- ``gpu_engine_ms``: the GPU engine (here: finding it unavailable);
- ``total_ms``: ready for the first job (the figure the target is about).

``torch_in_worker`` says whether the worker process itself imported torch;
``process_tree_cpu_ms`` is the CPU time of the whole run (every process it
started, both jobs included), which other programs' load inflates far less
than wall time on a shared machine.
With ``--baseline DIR`` (another checkout of this repository, e.g. a
``git worktree`` of an older commit) every run also starts that checkout's
worker, interleaved, so the two are compared under the same load.

A second fresh interpreter splits RapidOCR's share into import, model load and
the first inference on a blank page, and a third times ``import torch``.
The first job after start-up is timed too (a 1-page digital PDF), against the
same job run again: the first-job penalty left after warm-up.

Run from the repository root (the environment's ``DOCWORKER_*`` variables
are removed; ``DOCWORKER_DEFAULT_ENGINE=cpu`` unless ``--engine auto``)::

    python -m bench.coldstart --runs 5
    git worktree add /tmp/before <commit>
    python -m bench.coldstart --runs 5 --baseline /tmp/before

Output: a table on stdout and ``bench/results/coldstart.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import digital_pdf, load, machine, median, write_result

ROOT = Path(__file__).resolve().parents[1]

_BUILD = r"""
import json, sys, time
from docworker.service import build_worker
worker = build_worker()
assert worker is not None, "build_worker refused to start"
times = []
for _ in range(2):
    t = time.perf_counter()
    payload = worker.run_job({"id": "cold", "input": {"document_path": sys.argv[1]}})
    times.append(round((time.perf_counter() - t) * 1000, 1))
    assert "error" not in payload, payload
worker.pipeline.close()
print("FIRST_JOBS " + json.dumps(times))
print("TORCH_IN_WORKER " + json.dumps("torch" in sys.modules))
"""

_OCR = r"""
import json, time
t0 = time.perf_counter()
import onnxruntime, rapidocr  # noqa: F401
t1 = time.perf_counter()
from docworker.stages.ocr.rapidocr import OcrStage
stage = OcrStage.from_settings(threads=1)
t2 = time.perf_counter()
from PIL import Image
stage(Image.new("RGB", (64, 32), "white"), 1.0)
t3 = time.perf_counter()
print(json.dumps({"ocr_import_ms": (t1 - t0) * 1000, "ocr_model_load_ms": (t2 - t1) * 1000,
                  "ocr_first_inference_ms": (t3 - t2) * 1000}))
"""

_TORCH = r"""
import json, time
t0 = time.perf_counter()
try:
    import torch  # noqa: F401
    import torchvision  # noqa: F401
except ModuleNotFoundError:  # a CPU-only install (requirements-cpu.txt)
    print(json.dumps({"torch_import_ms": None}))
else:
    print(json.dumps({"torch_import_ms": (time.perf_counter() - t0) * 1000}))
"""


def clean_env(engine: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCWORKER_", "RUNPOD_", "BUCKET_"))
    }
    env["DOCWORKER_DEFAULT_ENGINE"] = engine
    env["DOCWORKER_LOG_LEVEL"] = "INFO"
    return env


def _run(
    code: str, env: dict[str, str], *args: str, root: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    # This checkout's code (or the baseline's), whatever docworker pip has installed.
    env = {**env, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cold-start run failed:\n{proc.stderr[-3000:]}")
    return proc


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(engine: str, doc: Path, root: Path = ROOT, extras: bool = True) -> dict[str, Any]:
    env = clean_env(engine)
    cpu_before = _children_cpu_s()
    proc = _run(_BUILD, env, str(doc), root=root)
    cpu_s = _children_cpu_s() - cpu_before
    cold: dict[str, Any] = {}
    for line in proc.stderr.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if str(record.get("msg", "")).startswith("cold start"):
            cold = record.get("data", {})
    first = json.loads(proc.stdout.split("FIRST_JOBS ", 1)[1].splitlines()[0])
    cold["first_job_ms"], cold["second_job_ms"] = first
    # CPU time of the whole run (start-up, both jobs, shutdown) in every process it
    # started: what other programs' load does not inflate the way it does wall time.
    cold["process_tree_cpu_ms"] = round(cpu_s * 1000, 1)
    marker = proc.stdout.split("TORCH_IN_WORKER ", 1)
    cold["torch_in_worker"] = json.loads(marker[1].splitlines()[0]) if len(marker) > 1 else None
    if extras:
        cold.update(json.loads(_run(_OCR, env).stdout.strip().splitlines()[-1]))
        cold.update(json.loads(_run(_TORCH, env).stdout.strip().splitlines()[-1]))
    cold["load"] = load()
    return cold


PHASES = (
    "process_to_build_ms",
    "settings_ms",
    "checks_ms",
    "pipeline_ms",
    "page_processes_ms",
    "cpu_engine_ms",
    "gpu_engine_ms",
    "office_engine_ms",
    "total_ms",
    "first_job_ms",
    "second_job_ms",
    "process_tree_cpu_ms",
    "ocr_import_ms",
    "ocr_model_load_ms",
    "ocr_first_inference_ms",
    "torch_import_ms",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the result file (default bench/results)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine", choices=["cpu", "auto"], default="cpu")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="another checkout to start in every run too, interleaved (before/after)",
    )
    args = parser.parse_args(argv)
    runs = []
    baseline: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="docworker-bench-") as tmp:
        doc = Path(tmp) / "one.pdf"
        doc.write_bytes(digital_pdf(1))
        for i in range(args.runs):
            if args.baseline is not None:
                baseline.append(one_run(args.engine, doc, args.baseline.resolve(), extras=False))
            runs.append(one_run(args.engine, doc))
            print(
                f"run {i + 1}/{args.runs}: total {runs[-1].get('total_ms')} ms"
                + (f" (baseline {baseline[-1].get('total_ms')} ms)" if baseline else "")
                + f", load {runs[-1]['load']}",
                file=sys.stderr,
                flush=True,
            )

    def medians_of(samples: list[dict[str, Any]]) -> dict[str, float]:
        return {
            k: round(median([float(r[k]) for r in samples if r.get(k) is not None]), 1)
            for k in PHASES
            if any(r.get(k) is not None for r in samples)
        }

    medians = medians_of(runs)
    result = {
        "benchmark": "coldstart",
        "command": "python -m bench.coldstart " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "engine": args.engine,
        "page_processes": runs[0].get("page_processes"),
        "torch_threads": runs[0].get("torch_threads"),
        "gpu_engine": runs[0].get("gpu_engine"),
        "medians_ms": medians,
        "torch_in_worker": [r.get("torch_in_worker") for r in runs],
        "runs": runs,
    }
    if baseline:
        result["baseline"] = {
            "checkout": str(args.baseline),
            "medians_ms": medians_of(baseline),
            "torch_in_worker": [r.get("torch_in_worker") for r in baseline],
            "runs": baseline,
        }
        result["ratio_total"] = median(
            [
                float(r["total_ms"]) / float(b["total_ms"])
                for r, b in zip(runs, baseline, strict=True)
            ]
        )
    path = write_result("coldstart", result, args.out)
    before = result.get("baseline", {}).get("medians_ms", {})
    print("| phase | median ms |" + (" baseline ms |" if before else ""))
    print("|---|---:|" + ("---:|" if before else ""))
    for key, value in medians.items():
        extra = f" {before[key]:.0f} |" if key in before else (" |" if before else "")
        print(f"| {key} | {value:.0f} |{extra}")
    print(f"torch imported by the worker process: {result['torch_in_worker']}")
    if baseline:
        print(f"ready: median ratio (this ÷ baseline, per run) {result['ratio_total']}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
