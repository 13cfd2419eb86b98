"""Startup checks: is this environment fit to take jobs?

Run before ``runpod.serverless.start`` (and by ``python -m docworker check``).
Each check yields a ``CheckResult``; those named in ``DOCWORKER_REQUIRE`` must
pass or the worker exits non-zero with a one-line reason. On a CPU machine
the default requires nothing GPU-related.

Checks: torch/torchvision pair with a working ``torchvision::nms`` and the
RT-DETR classes (``torch``), CUDA (``gpu``), GPU weights against their
manifest (``layout``, ``vlm``), the embedded OCR engine (``ocr``), cloud
credentials scrubbed from the environment (always reported, never required),
and the probes the caller passes in, by name: engines keep their own checks
(docstrange's local mode is ``engines.office.docstrange.check_local_mode``)
and ``service.engine_probes`` hands them over, so this module never imports an
engine.

Inputs: ``Settings`` and ``{name: Probe}``. Output: a ``Report`` (JSON-ready via ``to_dict``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from docworker import weights
from docworker.checks import CheckResult, Probe, Report, run_probe
from docworker.config import Settings, scrub_cloud_credentials

_log = logging.getLogger(__name__)


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


def _gpu_checks(settings: Settings, probes: Mapping[str, Probe]) -> list[CheckResult]:
    try:
        from docworker.checks import gpu as gpu_checks
    except ImportError as e:
        return [CheckResult("gpu", False, f"GPU checks unavailable ({e})")]
    results = [gpu_checks.check_torch_pair(), gpu_checks.check_cuda()]
    needed = [weights.LAYOUT, weights.VLM_FOLDERS[settings.vlm_model]]
    if "docstrange" in settings.require:
        needed.extend(weights.DOCSTRANGE_MODELS)
    results.extend(
        gpu_checks.check_baked_weights(
            settings.model_dir, needed, verify_sha256=settings.verify_weights_sha256
        )
    )
    results.extend(run_probe(name, probe) for name, probe in probes.items())
    return results


def run_checks(settings: Settings, probes: Mapping[str, Probe]) -> Report:
    """Run every check, then each of ``probes`` as the check of its name; never raises."""
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
        checks.extend(_gpu_checks(settings, probes))
    except Exception as e:  # a broken check must not hide the others
        _log.exception("GPU checks raised")
        checks.append(CheckResult("gpu", False, f"GPU checks raised {type(e).__name__}"))
    report = Report(checks=checks, required=list(settings.require))
    report.elapsed_ms = round((time.perf_counter() - start) * 1000, 1)
    return report
