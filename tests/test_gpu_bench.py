"""bench/gpu_bench.py runs on its own (as in the image: no pytest, no test helpers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """
import runpy, sys
sys.argv = ["gpu_bench", "--device", "cpu", "--tiny", "--pages", "5", "--baseline",
            "--json", sys.argv[1]]
try:
    runpy.run_module("bench.gpu_bench", run_name="__main__")
except SystemExit as e:
    assert e.code == 0, e.code
leaked = sorted(m for m in sys.modules if m == "pytest" or m.startswith(("tests.", "_pytest")))
assert not leaked, leaked
"""


@pytest.mark.slow
@pytest.mark.models
def test_the_gpu_bench_smoke_runs_without_the_test_suite(tmp_path):
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "src") + ":" + str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    vlm = [r for r in rows if r["stage"] == "vlm"]
    assert vlm and all(r["pages"] == 5 and r["p95_s"] >= r["p50_s"] > 0 for r in vlm)
    assert {r["stage"] for r in rows} == {"vlm", "vlm-static", "layout"}
    assert all(4 * 5 <= r["tokens"] <= 24 * 5 for r in vlm)  # lengths drawn per page
