"""The torch/torchvision startup gate, with the known failure reproduced on purpose.

How the failure is reproduced: a ``sitecustomize.py`` in a temporary folder on
``PYTHONPATH`` of a child interpreter replaces ``torch.ops.load_library`` with
one that raises ``OSError`` ("undefined symbol ...") for torchvision's
libraries. That is exactly what the dynamic loader does when torchvision's
compiled extension was built for another torch: torchvision's own
``extension.py`` catches the error, the ``torchvision::nms`` operator is never
registered, and ``import torchvision`` then dies in ``_meta_registrations``
with "operator torchvision::nms does not exist", as seen in production. The
installed packages are not touched, the check's code runs unmodified, and the
child is the only process affected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from docworker.checks import gpu as gpu_checks

BREAK_TORCHVISION_OPS = """
import torch

_real_load_library = torch.ops.load_library


def _load_library(path):
    if "torchvision" in str(path):
        raise OSError(f"{path}: undefined symbol: _ZN3c1017RegisterOperatorsD1Ev (simulated)")
    return _real_load_library(path)


torch.ops.load_library = _load_library
"""

HIDE_TORCHVISION = """
import importlib.abc
import sys


class _NoTorchvision(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torchvision" or name.startswith("torchvision."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoTorchvision())
"""

RUN_CHECK = (
    "import json; from docworker.checks.gpu import check_torch_pair; "
    "r = check_torch_pair(); print(json.dumps({'ok': r.ok, 'detail': r.detail, 'data': r.data}))"
)


def _run_check_with(sitecustomize: str, tmp_path: Path) -> dict:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(sitecustomize), encoding="utf-8")
    src = Path(__file__).resolve().parents[1] / "src"
    proc = subprocess.run(
        [sys.executable, "-c", RUN_CHECK],
        env={**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{src}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.models
def test_mismatched_torchvision_extension_fails_the_gate(tmp_path):
    result = _run_check_with(BREAK_TORCHVISION_OPS, tmp_path)
    assert result["ok"] is False
    detail = result["detail"]
    assert "\n" not in detail
    # the cause, as the operator sees it ...
    assert result["data"]["failed_step"] == "import torchvision"
    assert "operator torchvision::nms does not exist" in detail
    # ... and the fix
    torch_mm = ".".join(result["data"]["torch"].split("+")[0].split(".")[:2])
    assert f"install the torchvision built for torch {torch_mm}" in detail
    assert (
        f"pip install torch=={gpu_checks.PINNED_TORCH} torchvision=={gpu_checks.PINNED_TORCHVISION}"
        in detail
    )


@pytest.mark.models
def test_missing_torchvision_fails_the_gate(tmp_path):
    result = _run_check_with(HIDE_TORCHVISION, tmp_path)
    assert result["ok"] is False
    assert "torchvision is not installed" in result["detail"]
    assert "pip install torch==" in result["detail"]


@pytest.mark.models
def test_matched_pair_passes_and_a_version_mismatch_does_not(monkeypatch):
    import torchvision

    healthy = gpu_checks.check_torch_pair()
    assert healthy.ok, healthy.detail
    assert healthy.name == "torch" and "nms ok" in healthy.detail

    monkeypatch.setattr(torchvision, "__version__", "0.28.0+cpu")
    mismatched = gpu_checks.check_torch_pair()
    assert not mismatched.ok
    assert mismatched.data["failed_step"] == "version pair"
    assert "torchvision 0.28.0+cpu is not built for torch" in mismatched.detail
