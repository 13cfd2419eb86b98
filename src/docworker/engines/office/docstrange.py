"""docstrange, strictly local: the GPU extractor and the Office/HTML processors, never cloud.

docstrange 1.1.8 falls back to its cloud API in several ways (see docs/GPU.md):
``DocumentExtractor()`` without ``gpu=True`` is cloud mode (and without an API
key starts a browser login that blocks for minutes), ``extract_url`` and
``GPUConversionResult.extract_data`` reach the network, and a cloud error
comes back as empty markdown. This module is the only place docworker touches
docstrange, and it:

* constructs ``DocumentExtractor(gpu=True)`` and nothing else, only after
  checking that CUDA is present and that every file the constructor would
  otherwise download is already on disk, and then asserts ``cloud_mode is
  False``, processing mode ``gpu_forced`` and no ``CloudProcessor``;
* builds it once per process (``local_extractor``): the startup check's
  instance, with its Nanonets-OCR-s loaded at once, is the one the
  ``docstrange`` engine serves jobs with;
* never calls ``extract_url`` or ``extract_data`` and never reads the
  ``NANONETS_API_KEY`` environment variable;
* uses docstrange's local DOCX/PPTX/XLSX/HTML processors directly for
  ``office_to_markdown`` (python-docx, python-pptx, pandas/openpyxl,
  markdownify: no network, no models).

Inputs: docstrange's model cache (``~/.cache/docstrange/models``, symlinked to
the baked model folder by ``builder/fetch_models.py link``), EasyOCR's model
folder, Office files. Outputs: ``(ok, detail)``, a verified extractor, markdown.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

from docworker import errors

_log = logging.getLogger(__name__)

#: The docstrange release whose behaviour these rules were verified against.
VERIFIED_VERSION = "1.1.8"

#: The files docstrange 1.1.8 opens under each of its cache paths ("*" patterns are globbed).
#: The paths are the keys of ``weights.DOCSTRANGE_LINKS``, which maps each to its model folder.
CACHE_FILES: dict[str, tuple[str, ...]] = {
    "layout/model_artifacts/layout": (
        "config.json",
        "preprocessor_config.json",
        "model.safetensors",
    ),
    "tableformer/model_artifacts/tableformer/accurate": (
        "tm_config.json",
        "tableformer_*.safetensors",
    ),
    "nanonets-ocr/Nanonets-OCR-ss": (
        "config.json",
        "tokenizer_config.json",
        "preprocessor_config.json",
        "*.safetensors",
    ),
}

#: EasyOCR files that ``DocumentExtractor(gpu=True)`` loads (``easyocr.Reader(['en'])`` inside
#: docstrange's PDF processor) and would otherwise DOWNLOAD from GitHub at construction time.
EASYOCR_FILES = ("craft_mlt_25k.pth", "english_g2.pth")

#: MIME type → (docstrange processor module, class, file suffix the processor dispatches on).
OFFICE_PROCESSORS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "docstrange.processors.docx_processor",
        "DOCXProcessor",
        ".docx",
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "docstrange.processors.pptx_processor",
        "PPTXProcessor",
        ".pptx",
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "docstrange.processors.excel_processor",
        "ExcelProcessor",
        ".xlsx",
    ),
    "text/html": ("docstrange.processors.html_processor", "HTMLProcessor", ".html"),
}


def docstrange_cache_dir() -> Path:
    """docstrange 1.1.8's fixed model cache (``ModelDownloader``'s default)."""
    return Path.home() / ".cache" / "docstrange" / "models"


def easyocr_model_dir() -> Path:
    """EasyOCR's model folder (``$EASYOCR_MODULE_PATH/model`` or ``~/.EasyOCR/model``)."""
    from easyocr.config import MODULE_PATH  # reads EASYOCR_MODULE_PATH the way easyocr does

    return Path(MODULE_PATH) / "model"


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _nonempty(folder: Path, pattern: str) -> bool:
    return any(p.is_file() and p.stat().st_size > 0 for p in folder.glob(pattern))


def missing_cache_files(cache_dir: Path | None = None) -> list[str]:
    """Files docstrange would look for (and try to download) that are absent or empty."""
    cache = cache_dir or docstrange_cache_dir()
    missing = []
    for rel, patterns in CACHE_FILES.items():
        for pattern in patterns:
            if not _nonempty(cache / rel, pattern):
                missing.append(f"{cache / rel}/{pattern}")
    return missing


def _prerequisites(cache_dir: Path | None) -> str | None:
    """Why docstrange cannot run locally here, or ``None``; constructs nothing."""
    try:
        version = importlib.metadata.version("docstrange")
    except importlib.metadata.PackageNotFoundError:
        return f"docstrange is not installed (pip install docstrange=={VERIFIED_VERSION})"
    if version != VERIFIED_VERSION:
        return (
            f"docstrange {version} is installed; its local-only rules were verified for"
            f" {VERIFIED_VERSION} (pip install docstrange=={VERIFIED_VERSION})"
        )
    numpy_version = importlib.metadata.version("numpy")
    if int(numpy_version.split(".")[0]) >= 2:
        return f"numpy {numpy_version}: docstrange's docling stack needs numpy<2"
    if importlib.util.find_spec("docling_ibm_models.layoutmodel") is None:
        return (
            "docling_ibm_models.layoutmodel is missing (docling-ibm-models 4.x removed it);"
            " pip install 'docling-ibm-models>=3.15,<4'"
        )
    for module, package in (("accelerate", "accelerate"), ("easyocr", "easyocr")):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install {package})"
    if not _cuda_available():
        return (
            "CUDA is not available; docstrange runs only in local GPU mode here"
            " (its cloud mode is never used)"
        )
    missing = missing_cache_files(cache_dir)
    if missing:
        return (
            f"docstrange model cache incomplete ({len(missing)} missing, e.g. {missing[0]});"
            " run builder/fetch_models.py link, or docstrange would try to download them"
        )
    easyocr_dir = easyocr_model_dir()
    absent = [name for name in EASYOCR_FILES if not _nonempty(easyocr_dir, name)]
    if absent:
        return (
            f"EasyOCR models {', '.join(absent)} missing in {easyocr_dir};"
            " docstrange's constructor would download them"
        )
    return _easyocr_md5_problem(easyocr_dir)


def _easyocr_md5_problem(folder: Path) -> str | None:
    """easyocr re-downloads a model file whose MD5 is not its config's: refuse that here."""
    import hashlib

    from easyocr import config

    expected = {
        m["filename"]: m["md5sum"]
        for m in (config.detection_models["craft"], config.recognition_models["gen2"]["english_g2"])
    }
    for name in EASYOCR_FILES:
        digest = hashlib.md5(usedforsecurity=False)
        with (folder / name).open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != expected[name]:
            return (
                f"EasyOCR model {folder / name} has md5 {digest.hexdigest()}, easyocr expects"
                f" {expected[name]}; docstrange's constructor would download it again"
            )
    return None


def verify_local(extractor: Any) -> None:
    """Raise ``errors.EngineUnavailable`` unless ``extractor`` is local GPU mode only."""
    from docstrange.processors import CloudProcessor

    if extractor.cloud_mode is not False:
        raise errors.EngineUnavailable("docstrange extractor is in cloud mode; refusing it")
    mode = extractor.get_processing_mode()
    if mode != "gpu_forced":
        raise errors.EngineUnavailable(f"docstrange processing mode is {mode!r}, not gpu_forced")
    if any(isinstance(p, CloudProcessor) for p in extractor.processors):
        raise errors.EngineUnavailable("docstrange extractor holds a cloud processor; refusing it")


def build_local_extractor(cache_dir: Path | None = None) -> Any:
    """``DocumentExtractor(gpu=True)``, verified local; ``EngineUnavailable`` otherwise.

    Construction loads docling's layout and TableFormer models and EasyOCR on the
    CPU (and sets torch's thread count to 4): seconds, once, at startup.
    """
    reason = _prerequisites(cache_dir)
    if reason is not None:
        raise errors.EngineUnavailable(reason)
    from docstrange import DocumentExtractor

    try:
        extractor = DocumentExtractor(gpu=True)  # gpu=True is what makes it local
    except Exception as e:  # docstrange raises bare RuntimeError/ValueError/OSError
        raise errors.EngineUnavailable(
            f"docstrange local GPU mode failed to start: {type(e).__name__}: {e}"
        ) from e
    verify_local(extractor)
    _load_gpu_service(extractor)
    return extractor


def _load_gpu_service(extractor: Any) -> None:
    """Load the GPU processor's Nanonets-OCR-s now (docstrange loads it on first use)."""
    from docstrange.processors import GPUProcessor

    gpu = next((p for p in extractor.processors if isinstance(p, GPUProcessor)), None)
    if gpu is None:
        raise errors.EngineUnavailable("docstrange extractor has no GPU processor; refusing it")
    try:
        gpu._get_ocr_service()  # docstrange's own loader: its cache, device_map="auto"
    except Exception as e:  # transformers/accelerate errors, bare RuntimeError
        raise errors.EngineUnavailable(
            f"docstrange's Nanonets-OCR-s does not load: {type(e).__name__}: {e}"
        ) from e


_SHARED_LOCK = threading.Lock()
_SHARED: dict[str, Any] = {}


def local_extractor(cache_dir: Path | None = None) -> Any:
    """THE process's docstrange extractor: built (and verified) once, then the same object.

    The startup check builds it and the ``docstrange`` engine serves jobs with
    it, so no model is ever built only for a check. A failure is remembered
    too: the engine gets the check's reason without a second attempt.
    """
    key = str(cache_dir)  # one per cache folder: docstrange's own in a worker
    with _SHARED_LOCK:
        if key not in _SHARED:
            try:
                _SHARED[key] = build_local_extractor(cache_dir)
            except errors.EngineUnavailable as e:
                _SHARED[key] = e
        found = _SHARED[key]
    if isinstance(found, errors.EngineUnavailable):
        raise found
    return found


def page_markdown(extractor: Any, image: Path) -> str:
    """One page image → markdown through docstrange's GPU processor (Nanonets-OCR-s).

    docstrange's Nanonets service returns ``""`` on any error of its own; a
    ``ConversionError`` it does raise becomes ``errors.EngineFailed``.
    """
    from docstrange.exceptions import ConversionError

    try:
        return extractor.extract(str(image)).extract_markdown()
    except ConversionError as e:
        raise errors.EngineFailed(f"docstrange failed on the page: {str(e)[:200]}") from e


def forget_local_extractor() -> None:
    """Drop the shared extractor (tests; a worker builds it once per process)."""
    with _SHARED_LOCK:
        _SHARED.clear()


def office_processors() -> tuple[list[str], str | None]:
    """The formats docstrange's local Office processors read here, and why not, if they don't."""
    try:
        version = importlib.metadata.version("docstrange")
    except importlib.metadata.PackageNotFoundError:
        return [], f"docstrange is not installed (pip install docstrange=={VERIFIED_VERSION})"
    if version != VERIFIED_VERSION:
        return [], (
            f"docstrange {version} is installed; docworker reads the output of"
            f" {VERIFIED_VERSION} (pip install docstrange=={VERIFIED_VERSION})"
        )
    formats = []
    for module_name, _, suffix in OFFICE_PROCESSORS.values():
        try:
            importlib.import_module(module_name)
        except ImportError as e:
            return [], f"docstrange's local processors do not import ({e.name or e})"
        formats.append(suffix[1:].upper())
    return formats, None


def check_local_mode(cache_dir: Path | None = None) -> tuple[bool, str]:
    """``(ok, one-line detail)``. Never builds a cloud extractor; without CUDA, builds none.

    docstrange has two local parts: the Office/HTML processors (CPU; the office
    engine now reads with its own readers, and these remain the Office
    benchmark's baseline) and the GPU extractor. Without CUDA the extractor is not
    used on this machine, which is not a failure; with CUDA it must build and
    prove itself local.
    """
    formats, problem = office_processors()
    if problem is not None:
        return False, problem
    office = f"local Office processors available ({', '.join(formats)})"
    if not _cuda_available():
        return True, (
            f"docstrange {VERIFIED_VERSION}: {office}; GPU extractor: not used on this machine"
            " (no CUDA; its cloud mode is never used)"
        )
    try:
        extractor = local_extractor(cache_dir)
    except errors.EngineUnavailable as e:
        return False, f"{e.message} ({office})"
    return True, (
        f"docstrange {VERIFIED_VERSION}: {office}; GPU extractor in local GPU mode"
        f" (cloud_mode={extractor.cloud_mode}, mode={extractor.get_processing_mode()})"
    )


def office_to_markdown(path: Path, mime: str) -> str:
    """DOCX/PPTX/XLSX/HTML → markdown with docstrange's local processors.

    The processors pick their parser from the file's suffix, so a file without
    the right one is symlinked under a temporary name that has it, in a folder
    made beside the file (inside the job's folder, which the pipeline removes
    even when this process is killed at its time budget), and only then.
    Raises ``UnsupportedType``, ``CorruptDocument`` or ``EngineUnavailable``;
    their messages never name a path (the converter's own ones do).
    """
    if mime not in OFFICE_PROCESSORS:
        raise errors.UnsupportedType(
            f"no docstrange processor for {mime}; known: {', '.join(OFFICE_PROCESSORS)}"
        )
    module_name, class_name, suffix = OFFICE_PROCESSORS[mime]
    try:
        module = importlib.import_module(module_name)
        from docstrange.exceptions import ConversionError
    except ImportError as e:
        raise errors.EngineUnavailable(
            f"docstrange's local processors do not import ({e});"
            f" pip install docstrange=={VERIFIED_VERSION}"
        ) from e
    processor = getattr(module, class_name)(preserve_layout=True, include_images=False)
    path = Path(path)
    with contextlib.ExitStack() as stack:
        target = path
        if path.suffix.lower() != suffix:
            tmp = stack.enter_context(
                tempfile.TemporaryDirectory(prefix="docworker-office-", dir=path.parent)
            )
            target = Path(tmp) / f"document{suffix}"
            target.symlink_to(path.resolve())
        try:
            result = processor.process(str(target))
        except ConversionError as e:
            detail = str(e).replace(str(target), "the file")
            raise errors.CorruptDocument(
                f"{suffix[1:].upper()} could not be read: {detail[:200]}"
            ) from e
        except (OSError, ValueError, KeyError) as e:
            raise errors.CorruptDocument(
                f"{suffix[1:].upper()} could not be read ({type(e).__name__})"
            ) from e
    return result.extract_markdown()
