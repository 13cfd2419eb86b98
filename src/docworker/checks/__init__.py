"""Startup checks: is this environment fit to take jobs? One result type for all of them.

- ``startup.run_checks(settings, probes)`` runs every check before
  ``runpod.serverless.start`` (and for ``python -m docworker check``) and
  returns a ``Report``; a failed check named in ``DOCWORKER_REQUIRE`` makes the
  worker exit non-zero with ``Report.reason()``.
- ``gpu`` holds the GPU engine's checks (torch/torchvision pair, CUDA, baked
  weights) and the device policy; the GPU engine calls them too.
- A check that belongs to an engine (docstrange's local mode) stays in the
  engine's module and comes in as a ``Probe``: the composition root
  (``service.engine_probes``) hands it to ``run_checks``, so nothing here
  imports ``docworker.engines``.

Inputs: ``Settings``, the installed packages, the model folder, the driver.
Outputs: ``CheckResult(name, ok, detail, data)`` records gathered in a
``Report`` (JSON-ready via ``to_dict``). No check raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

#: A check that lives with the code it checks: ``() -> (ok, one-line detail)``.
Probe = Callable[[], tuple[bool, str]]


@dataclass
class CheckResult:
    """The outcome of one startup check."""

    name: str  # "torch", "gpu", "layout", "vlm", "docstrange", "ocr", "cloud_credentials"
    ok: bool
    detail: str  # one line
    data: dict[str, Any] = field(default_factory=dict)


def run_probe(name: str, probe: Probe) -> CheckResult:
    """A ``Probe``'s answer as the ``CheckResult`` called ``name``."""
    ok, detail = probe()
    return CheckResult(name, ok, detail)


@dataclass
class Report:
    """Every check's result and which of them must pass."""

    checks: list[CheckResult]
    required: list[str]
    elapsed_ms: float = 0.0

    @property
    def failed_required(self) -> list[CheckResult]:
        """Required checks that failed, then required checks that never ran.

        A check can be left out when one before it raised (the GPU checks run in
        one block); a required check with no result has not passed.
        """
        ran = {c.name for c in self.checks}
        failed = [c for c in self.checks if c.name in self.required and not c.ok]
        failed += [
            CheckResult(name, False, "did not run (a check before it failed to run)")
            for name in self.required
            if name not in ran
        ]
        return failed

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
