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
