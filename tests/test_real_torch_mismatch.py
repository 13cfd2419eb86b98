"""The real failure, reproduced: torch 2.13.0+cpu beside PyPI's torchvision 0.29.1 (built for 2.14).

A throw-away venv gets exactly that pair (plus what ``docworker check`` needs),
then the real ``handler.py`` must refuse to start with one line naming
``torchvision::nms`` and the fix. Skipped where the torch 2.13.0 CPU wheel is
not on local disk (it ships with this project's CI machines in /opt/wheels).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")


def pins(*names: str) -> list[str]:
    wanted = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            wanted[line.split("==")[0].lower()] = line
    return [wanted[n] for n in names]


@pytest.fixture(scope="module")
def mismatched_python(tmp_path_factory) -> Path:
    if not WHEEL.exists() or sys.version_info[:2] != (3, 11):
        pytest.skip("torch 2.13.0+cpu wheel for Python 3.11 not on this machine")
    venv = tmp_path_factory.mktemp("mismatch") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, str(WHEEL)], check=True, timeout=600)
    subprocess.run([*pip, "--no-deps", *pins("torchvision")], check=True, timeout=600)
    subprocess.run(
        [*pip, *pins("transformers", "numpy", "pillow", "pydantic", "pydantic-settings")],
        check=True,
        timeout=600,
    )
    return venv / "bin" / "python"


def test_handler_refuses_to_start_on_the_real_mismatched_pair(mismatched_python):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCWORKER_", "RUNPOD_"))}
    env.update({"PYTHONPATH": str(ROOT / "src"), "DOCWORKER_REQUIRE": "torch"})
    probe = subprocess.run(
        [str(mismatched_python), "-c", "import torchvision"], capture_output=True, text=True
    )
    assert "torchvision::nms does not exist" in probe.stderr  # the failure is real here
    proc = subprocess.run(
        [str(mismatched_python), "handler.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("docworker: refusing to start")]
    assert "torchvision::nms does not exist" in line
    assert "pip install torch==2.14.1 torchvision==0.29.1" in line
