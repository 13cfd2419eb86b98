"""Startup checks: is this environment fit to take jobs?

Run before ``runpod.serverless.start`` (and by ``python -m docworker check``).
Each check yields a ``CheckResult``; those named in ``DOCWORKER_REQUIRE`` must
pass or the worker exits non-zero with a one-line reason. On a CPU machine
the default requires nothing GPU-related.

Checks: torch/torchvision pair with a working ``torchvision::nms`` and the
RT-DETR classes (``torch``), CUDA (``gpu``), GPU weights against their
manifest (``layout``, ``vlm``), docstrange in local mode (``docstrange``), the
embedded OCR engine (``ocr``), and cloud credentials scrubbed from the
environment (always reported, never required).

Inputs: ``Settings``. Output: a ``Report`` (JSON-ready via ``to_dict``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from docworker.config import Settings, scrub_cloud_credentials

_log = logging.getLogger(__name__)


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    checks: list[CheckResult]
    required: list[str]
    elapsed_ms: float = 0.0

    @property
    def failed_required(self) -> list[CheckResult]:
        return [c for c in self.checks if c.name in self.required and not c.ok]

    @property
    def ok(self) -> bool:
        return not self.failed_required

    def reason(self) -> str:
        """One line naming every failed required check."""
        return "; ".join(f"{c.name}: {c.detail}" for c in self.failed_required)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "required": self.required,
            "elapsed_ms": self.elapsed_ms,
            "checks": [asdict(c) for c in self.checks],
        }


def _adapt(result: Any) -> CheckResult:
    """Accept check results from modules that define their own dataclass of the same shape."""
    if isinstance(result, CheckResult):
        return result
    return CheckResult(
        name=result.name,
        ok=bool(result.ok),
        detail=str(result.detail),
        data=dict(result.data or {}),
    )


def check_ocr() -> CheckResult:
    """The embedded CPU engine: rapidocr, onnxruntime and the bundled model files."""
    try:
        from pathlib import Path

        import onnxruntime
        import rapidocr
    except ImportError as e:
        return CheckResult(
            "ocr", False, f"{e.name} is not installed: pip install rapidocr onnxruntime"
        )
    models = sorted(p.name for p in (Path(rapidocr.__file__).parent / "models").glob("*.onnx"))
    if not any("det" in m for m in models) or not any("rec" in m for m in models):
        return CheckResult(
            "ocr", False, "rapidocr's bundled det/rec models are missing", {"models": models}
        )
    return CheckResult(
        "ocr",
        True,
        f"rapidocr with {len(models)} bundled models, onnxruntime {onnxruntime.__version__}",
        {"models": models},
    )


def _gpu_checks(settings: Settings) -> list[CheckResult]:
    try:
        from docworker.checks import gpu as gpu_checks
    except ImportError as e:
        return [CheckResult("gpu", False, f"GPU checks unavailable ({e})")]
    results = [_adapt(gpu_checks.check_torch_pair()), _adapt(gpu_checks.check_cuda())]
    vlm_name = "nanonets-ocr-s" if settings.vlm_model == "nanonets" else "got-ocr2"
    results.extend(
        _adapt(r)
        for r in gpu_checks.check_weights(
            settings.model_dir, ["layout", vlm_name], verify_sha256=settings.verify_weights_sha256
        )
    )
    results.append(_adapt(gpu_checks.check_docstrange()))
    return results


def run_checks(settings: Settings) -> Report:
    """Run every check; never raises."""
    start = time.perf_counter()
    removed = scrub_cloud_credentials()
    checks = [
        CheckResult(
            "cloud_credentials",
            True,
            f"removed {', '.join(removed)} from the environment" if removed else "none present",
            {"removed": removed},
        ),
        check_ocr(),
    ]
    try:
        checks.extend(_gpu_checks(settings))
    except Exception as e:  # a broken check must not hide the others
        _log.exception("GPU checks raised")
        checks.append(CheckResult("gpu", False, f"GPU checks raised {type(e).__name__}"))
    report = Report(checks=checks, required=list(settings.require))
    report.elapsed_ms = round((time.perf_counter() - start) * 1000, 1)
    return report
