"""Startup checks for the GPU engine: torch/torchvision pair, CUDA, baked weights.

Each ``check_*`` function returns ``CheckResult`` objects and never raises:
a failure becomes ``ok=False`` with a one-line ``detail`` that names the cause
and the fix. ``startup.py`` decides which checks are required
(``DOCWORKER_REQUIRE``) and exits non-zero when one of those fails.

Also here, because the engine and the checks must agree on them:
``choose_device`` (the ``auto|cuda|cpu`` policy) and ``manifest_entries`` (the
``MANIFEST.json`` of the model folder, read by ``docworker.weights``; layout in
``docs/GPU.md``; the folder names are ``weights.LAYOUT``, ``weights.VLM_FOLDERS``
and ``weights.TABLEFORMER``).

Inputs: the installed packages, the CUDA driver, a model folder.
Outputs: ``CheckResult(name, ok, detail, data)``.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from docworker import errors, weights
from docworker.checks import CheckResult

_log = logging.getLogger(__name__)

#: The torch/torchvision pair this worker is built and tested with.
PINNED_TORCH = "2.14.1"
PINNED_TORCHVISION = "0.29.1"

_NANONETS = weights.VLM_FOLDERS["nanonets"]
_GOT = weights.VLM_FOLDERS["got-ocr2"]

#: Files (glob patterns) without which a model folder cannot load; checked besides the manifest.
REQUIRED_FILES = {
    weights.LAYOUT: ("config.json", "preprocessor_config.json", "model.safetensors"),
    _NANONETS: ("config.json", "tokenizer_config.json", "*.safetensors"),
    _GOT: ("config.json", "*.safetensors"),
    weights.TABLEFORMER: ("tm_config.json", "tableformer_*.safetensors"),
    weights.EASYOCR: weights.EASYOCR_FILES,
}

#: The role a model folder plays, used as the ``CheckResult.name``.
ROLES = {
    weights.LAYOUT: "layout",
    **{folder: "vlm" for folder in weights.VLM_FOLDERS.values()},
    weights.TABLEFORMER: "docstrange",
    weights.EASYOCR: "docstrange",
}


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}"


def _major_minor(version: str) -> str:
    return ".".join(version.split("+")[0].split(".")[:2])


def _cuda_string(value: object) -> str | None:
    """torchvision records its CUDA build as an int (13000 for 13.0); torch as "13.0"."""
    if value is None:
        return None
    if isinstance(value, int):
        return f"{value // 1000}.{(value % 1000) // 10}" if value > 0 else None
    return str(value)


def _cuda_major(value: str | None) -> str | None:
    return value.split(".")[0] if value else None


def _expected_torchvision_minor(torch_version: str) -> str | None:
    """torchvision 0.(N+15) pairs with torch 2.N (0.29 ↔ 2.14); ``None`` outside torch 2.x."""
    parts = _major_minor(torch_version).split(".")
    if len(parts) != 2 or parts[0] != "2" or not parts[1].isdigit():
        return None
    return f"0.{int(parts[1]) + 15}"


# ------------------------------------------------------------------------- torch pair


def check_torch_pair() -> CheckResult:
    """torch and torchvision import, are a matched pair, and ``nms`` really runs.

    Reproduces the three known failure shapes (``operator torchvision::nms does
    not exist``, ``partially initialized module 'torchvision'``, transformers'
    ``Could not import module 'RTDetrForObjectDetection'``) at startup rather
    than on the first job. Steps, each stopping at the first failure: import
    torch; import torchvision; the versions pair up; ``torch.ops.torchvision.nms``
    is registered; ``torchvision.ops.nms`` returns the right answer on three
    boxes; transformers' RT-DETR model and image processor import.
    """
    data: dict[str, Any] = {}

    def fail(step: str, cause: str) -> CheckResult:
        torch_mm = _major_minor(data["torch"]) if "torch" in data else "X.Y"
        fix = (
            f"install the torchvision built for torch {torch_mm} "
            f"(pip install torch=={PINNED_TORCH} torchvision=={PINNED_TORCHVISION}"
            " from the same index, CPU or the same CUDA build)"
        )
        data["failed_step"] = step
        return CheckResult("torch", False, f"{step}: {cause}; fix: {fix}", data)

    try:
        torch = importlib.import_module("torch")
    except ModuleNotFoundError as e:
        if e.name != "torch":
            return fail("import torch", _one_line(e))
        # A CPU-only install (requirements-cpu.txt) has none: only the GPU engine needs it.
        return CheckResult(
            "torch", False, "torch is not installed (only the GPU engine needs it)", data
        )
    except Exception as e:  # any import-time failure is the finding itself
        return fail("import torch", _one_line(e))
    data["torch"] = torch.__version__
    data["torch_cuda"] = torch.version.cuda

    try:
        torchvision = importlib.import_module("torchvision")
    except ModuleNotFoundError as e:
        if e.name == "torchvision":
            return fail("import torchvision", "torchvision is not installed")
        return fail("import torchvision", _one_line(e))
    except Exception as e:
        return fail("import torchvision", _one_line(e))
    data["torchvision"] = getattr(torchvision, "__version__", "unknown")
    tv_version = importlib.import_module("torchvision.version")
    data["torchvision_cuda"] = _cuda_string(getattr(tv_version, "cuda", None))

    expected = _expected_torchvision_minor(data["torch"])
    if expected is not None and _major_minor(data["torchvision"]) != expected:
        return fail(
            "version pair",
            f"torchvision {data['torchvision']} is not built for torch {data['torch']}"
            f" (expected torchvision {expected}.x)",
        )
    if _cuda_major(data["torch_cuda"]) != _cuda_major(data["torchvision_cuda"]):
        return fail(
            "version pair",
            f"torch is built for CUDA {data['torch_cuda'] or 'none (CPU)'} but torchvision"
            f" for CUDA {data['torchvision_cuda'] or 'none (CPU)'}",
        )

    try:
        torch.ops.torchvision.nms  # noqa: B018 - the lookup is the check
    except (AttributeError, RuntimeError) as e:
        return fail(
            "torch.ops.torchvision.nms",
            f"operator torchvision::nms is not registered ({_one_line(e)});"
            " torchvision's compiled extension did not load",
        )

    try:
        boxes = torch.tensor(
            [[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [20.0, 20.0, 30.0, 30.0]]
        )
        scores = torch.tensor([0.9, 0.8, 0.7])
        kept = torchvision.ops.nms(boxes, scores, 0.5).tolist()
    except Exception as e:  # a crash inside the compiled op is the finding
        return fail("torchvision.ops.nms call", _one_line(e))
    if kept != [0, 2]:
        return fail("torchvision.ops.nms call", f"returned {kept}, expected [0, 2]")

    try:
        transformers = importlib.import_module("transformers")
        transformers.RTDetrForObjectDetection  # noqa: B018 - lazy import happens here
        transformers.RTDetrImageProcessor  # noqa: B018
    except Exception as e:
        return fail("transformers RT-DETR import", _one_line(e))
    data["transformers"] = transformers.__version__

    return CheckResult(
        "torch",
        True,
        f"torch {data['torch']} + torchvision {data['torchvision']}: nms ok, RT-DETR imports",
        data,
    )


# ------------------------------------------------------------------------------ CUDA


def check_cuda() -> CheckResult:
    """Whether CUDA is usable: device count, name, compute capability, memory."""
    try:
        torch = importlib.import_module("torch")
    except Exception as e:
        return CheckResult("gpu", False, f"torch does not import ({_one_line(e)})")
    data: dict[str, Any] = {"torch_cuda": torch.version.cuda}
    try:
        available = bool(torch.cuda.is_available())
    except Exception as e:  # a broken driver raises here on some systems
        return CheckResult("gpu", False, f"CUDA probe failed ({_one_line(e)})", data)
    if not available:
        reason = (
            "this torch is a CPU build" if torch.version.cuda is None else "no CUDA device visible"
        )
        return CheckResult("gpu", False, f"CUDA not available: {reason}", data)
    index = torch.cuda.current_device()
    props = torch.cuda.get_device_properties(index)
    data.update(
        {
            "count": torch.cuda.device_count(),
            "name": props.name,
            "capability": f"{props.major}.{props.minor}",
            "memory_gib": round(props.total_memory / 2**30, 1),
            "bf16": bool(torch.cuda.is_bf16_supported()),
        }
    )
    return CheckResult(
        "gpu",
        True,
        f"{data['name']} (sm {data['capability']}, {data['memory_gib']} GiB),"
        f" CUDA {data['torch_cuda']}",
        data,
    )


def choose_device(requested: str) -> str:
    """The device policy: ``cuda`` needs CUDA, ``cpu`` is honoured, ``auto`` prefers CUDA.

    Raises ``errors.EngineUnavailable`` when ``cuda`` is requested and absent.
    """
    if requested not in ("auto", "cuda", "cpu"):
        raise errors.EngineUnavailable(f"unknown device {requested!r}; known: auto, cuda, cpu")
    if requested == "cpu":
        return "cpu"
    torch = importlib.import_module("torch")
    if torch.cuda.is_available():
        return "cuda"
    if requested == "cuda":
        raise errors.EngineUnavailable(
            "DOCWORKER_DEVICE=cuda but CUDA is not available on this worker"
            f" (torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'})"
        )
    return "cpu"


# --------------------------------------------------------------------------- weights


def manifest_entries(model_dir: Path) -> dict[str, weights.ModelEntry]:
    """``MANIFEST.json``'s entries by model name; ``{}`` when it is missing or malformed."""
    try:
        return weights.read_manifest(Path(model_dir))
    except weights.ManifestError as e:
        _log.warning("%s", e)
        return {}


def _check_one_model(model_dir: Path, name: str, verify_sha256: bool) -> CheckResult:
    role = ROLES.get(name, name)
    entry = manifest_entries(model_dir).get(name)
    folder = model_dir / (entry.path if entry else name)
    data: dict[str, Any] = {"model": name, "path": str(folder), "sha256_verified": False}
    if entry is not None:
        data.update(
            id=entry.id,
            revision=entry.revision,
            files=len(entry.files),
            bytes=sum(f.size for f in entry.files.values()),
        )
    # Manifest, folder, sizes (and hashes): the same rules as the image build's own check.
    problems = weights.verify_model_dir(model_dir, [name], full_hash=verify_sha256)
    if folder.is_dir():
        for pattern in REQUIRED_FILES.get(name, ()):
            if not any(f.is_file() and f.stat().st_size > 0 for f in folder.glob(pattern)):
                problems.append(f"{name}: {pattern} missing or empty")
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return CheckResult(role, False, "; ".join(problems[:3]) + more, data)
    data["sha256_verified"] = verify_sha256
    how = "size+sha256" if verify_sha256 else "size only"
    return CheckResult(
        role,
        True,
        f"{name}: {data['files']} files, {data['bytes'] / 2**20:.1f} MiB as in MANIFEST.json"
        f" ({how})",
        data,
    )


def check_weights(
    model_dir: Path, names: list[str] | tuple[str, ...], *, verify_sha256: bool = False
) -> list[CheckResult]:
    """One result per model folder: listed, present, non-empty, sizes (and sha256) as recorded.

    The rules are ``docworker.weights.verify_model_dir``'s, plus the files each
    model cannot load without. Hashing multi-GB files takes minutes, so
    ``verify_sha256`` is off by default (``DOCWORKER_VERIFY_WEIGHTS_SHA256``);
    ``data["sha256_verified"]`` records what was done.
    """
    model_dir = Path(model_dir)
    return [_check_one_model(model_dir, name, verify_sha256) for name in names]


def check_baked_weights(
    model_dir: Path, needed: list[str] | tuple[str, ...], *, verify_sha256: bool = False
) -> list[CheckResult]:
    """``check_weights`` for the models this worker runs AND every other model baked in.

    ``needed`` come first (a model missing from MANIFEST.json fails under its
    role); then each further model the manifest lists, so a file missing from
    any baked folder fails the gate under that folder's role, naming the file.
    """
    names = list(dict.fromkeys([*needed, *manifest_entries(Path(model_dir))]))
    return check_weights(model_dir, names, verify_sha256=verify_sha256)
