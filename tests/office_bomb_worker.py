"""A worker process of its own for the Office bomb tests (``tests/test_office_limits.py``).

The bound under test is the worker process's peak memory during a bomb. Measured in
the pytest process it also counted whatever earlier tests had left there (torch,
the tiny GPU models, OCR sessions: 1.5 GB by the time these tests ran), so it passed
or failed by test order. This process holds only a CPU pipeline, as a deployed CPU
worker does.

Usage: ``python -m tests.office_bomb_worker JOBS.json OUT_DIR [PAGE_TIMEOUT_S]``,
where JOBS.json is a list of ``{"name": ..., "job": {...}}``. For each job, in turn,
the process's peak RSS is reset (``/proc/self/clear_refs``), the job run, and
``OUT_DIR/<name>.json`` written: ``{"payload", "peak_mib", "growth_mib", "seconds"}``;
``{"skip": reason}`` where the peak cannot be reset.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path


def _status_mib(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) // 1024  # type: ignore[union-attr]


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def main(argv: list[str]) -> int:
    from docworker.config import Settings
    from docworker.pipeline import Pipeline

    jobs = json.loads(Path(argv[0]).read_text())
    out = Path(argv[1])
    timeout = float(argv[2]) if len(argv) > 2 else None
    extra = {"page_timeout_s": timeout} if timeout else {}
    pipeline = Pipeline.build(Settings(default_engine="cpu", workers=2, **extra), load_gpu=False)
    try:
        for item in jobs:
            target = out / f"{item['name']}.json"
            if not _reset_peak():
                target.write_text(json.dumps({"skip": "cannot reset VmHWM here"}))
                continue
            before = _status_mib("VmRSS")
            started = time.monotonic()
            payload = pipeline.run(item["job"], job_id=item["name"])
            took = time.monotonic() - started
            peak = _status_mib("VmHWM")
            target.write_text(
                json.dumps(
                    {
                        "payload": payload,
                        "peak_mib": peak,
                        "growth_mib": peak - before,
                        "seconds": took,
                    }
                )
            )
    finally:
        pipeline.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
