"""The startup gate: a required check that never ran has not passed (review finding).

The GPU checks run in one block; when one of them raises, the checks after it
(weights, docstrange) leave no result. ``Report`` must count a required check
without a result as failed, naming it, or the worker starts unchecked.
"""

from __future__ import annotations

import logging

import pytest

from docworker.checks import CheckResult, Report, gpu, startup
from docworker.service import build_worker
from tests.servers import build_settings


@pytest.fixture
def torch_check_raises(monkeypatch):
    def boom():
        raise RuntimeError("driver exploded")

    monkeypatch.setattr(gpu, "check_torch_pair", boom)


def test_required_checks_that_did_not_run_fail_the_gate(torch_check_raises):
    settings = build_settings(require=["layout", "vlm", "docstrange"])
    report = startup.run_checks(settings, {"docstrange": lambda: (True, "local")})
    names = {c.name for c in report.checks}
    assert not {"layout", "vlm", "docstrange"} & names  # none of them ran
    assert report.ok is False
    assert [c.name for c in report.failed_required] == ["layout", "vlm", "docstrange"]
    for name in ("layout", "vlm", "docstrange"):
        assert f"{name}: did not run" in report.reason()
    assert report.to_dict()["ok"] is False


def test_build_worker_refuses_to_start(torch_check_raises, capsys):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        worker = build_worker(build_settings(require=["vlm"], workers=1))
    finally:
        root.handlers[:], root.level = handlers, level
    assert worker is None
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("docworker: refusing to start") and "vlm: did not run" in line


def test_checks_that_ran_are_judged_as_before():
    checks = [CheckResult("ocr", True, "ok"), CheckResult("gpu", False, "no CUDA")]
    assert Report(checks, required=["ocr"]).ok
    assert Report(checks, required=[]).ok
    assert not Report(checks, required=["gpu"]).ok
    assert Report(checks, required=["gpu"]).reason() == "gpu: no CUDA"


_APART = """
import sys
from docworker.config import Settings
from docworker.service import build_worker

if __name__ == "__main__":
    settings = Settings(default_engine="cpu", workers=1, warmup=False, require=sys.argv[1:])
    worker = build_worker(settings)
    print("STARTED" if worker else "REFUSED", "torch" in sys.modules, "docstrange" in sys.modules)
    if worker:
        worker.pipeline.close()
"""


def _start_apart(tmp_path, *require: str) -> tuple[str, str]:
    import os
    import subprocess
    import sys

    script = tmp_path / "start.py"
    script.write_text(_APART)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCWORKER_")}
    env["CUDA_VISIBLE_DEVICES"] = ""
    proc = subprocess.run(
        [sys.executable, str(script), *require],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    return proc.stdout.strip().splitlines()[-1], proc.stderr


def test_the_cpu_default_checks_torch_apart_and_never_imports_it(tmp_path):
    """DOCWORKER_DEFAULT_ENGINE=cpu: the pair check runs in another process, the worker
    never imports torch (nor docstrange), and the check's verdict still gates the start."""
    line, _ = _start_apart(tmp_path)
    assert line == "STARTED False False"
    line, err = _start_apart(tmp_path, "gpu")  # no CUDA here: the required check fails
    assert line == "REFUSED False False"
    reason = [ln for ln in err.splitlines() if ln.startswith("docworker: refusing to start")]
    assert len(reason) == 1 and "gpu: CUDA not available" in reason[0]


def test_a_missing_torch_is_reported_as_not_installed(monkeypatch):
    """A CPU-only install (requirements-cpu.txt) has no torch: said plainly, required only
    where DOCWORKER_REQUIRE names torch."""
    import importlib

    real = importlib.import_module

    def without_torch(name, *args, **kwargs):
        if name == "torch":
            raise ModuleNotFoundError("No module named 'torch'", name="torch")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(gpu.importlib, "import_module", without_torch)
    result = gpu.check_torch_pair()
    assert (
        not result.ok and result.detail == "torch is not installed (only the GPU engine needs it)"
    )
    assert Report([result], required=[]).ok and not Report([result], required=["torch"]).ok


def test_a_check_process_that_dies_fails_torch_and_gpu(monkeypatch):
    """The checks' process crashing (a segfault while importing torch, say) is a verdict."""
    import os
    import threading

    if threading.active_count() != 1:
        pytest.skip("the checks' process is forked only from a single-threaded process")

    def crash(settings, probes):
        os._exit(3)

    monkeypatch.setattr(startup, "_gpu_checks", crash)
    report = startup.run_checks(
        build_settings(require=["torch"]), {}, startup.start_gpu_checks(build_settings(), {})
    )
    assert not report.ok
    assert "torch: the GPU checks' process died" in report.reason()
