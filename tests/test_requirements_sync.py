"""requirements-cpu.txt (the CPU-only install) pins what requirements.txt pins.

A package both files name carries the same version in both, so a CPU-only
worker runs the stack the tests ran; the CPU file leaves out only the GPU
packages (torch and what needs it) and adds docstrange's Office dependencies.
"""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
GPU_ONLY = {"torch", "torchvision", "transformers", "accelerate", "docling-ibm-models"}
#: Installed with --no-deps (see the file's header), and GPU-only structured output.
NOT_IN_CPU = GPU_ONLY | {"docstrange", "regex"}


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            found[canonicalize_name(req.name)] = str(req.specifier)
    return found


def test_cpu_requirements_pin_the_same_versions():
    full, cpu = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-cpu.txt")
    for name, spec in cpu.items():
        if name in full:
            assert spec == full[name], (
                f"{name}: {spec} in requirements-cpu.txt, {full[name]} in requirements.txt"
            )
    missing = set(full) - set(cpu) - NOT_IN_CPU
    assert not missing, f"requirements-cpu.txt lacks {sorted(missing)}"
    assert not (set(cpu) & GPU_ONLY), "requirements-cpu.txt must not pull the GPU stack"
