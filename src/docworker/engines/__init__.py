"""Engines: a fetched document → its ``PageResult`` pages, behind one small protocol.

Each engine is one module and one line in ``ENGINES``:

- ``cpu`` (``engines.cpu``): the embedded default. PDF text layer where usable,
  else a render read by the packaged OCR model, in the page processes.
- ``gpu`` (``engines.gpu.pages``): renders from the page processes, read in
  batches by the layout model and the vision-language model in this process.
- ``office`` (``engines.office``): DOCX/PPTX/XLSX/HTML/ODT, converted in a page
  process. Office documents always go here, whatever engine the job asked for.
- ``docstrange`` (``engines.docstrange_engine``): docstrange's own local GPU
  extractor (the seed system), only by request and only where it is required.

The pipeline builds every engine that can run once per worker
(``load``), picks one per job after the document's type is known (``choose``)
and then only iterates ``engine.pages(run)``. Per-job state and settings travel
in the ``JobRun``; an engine keeps only what outlives a job (its models).

Inputs: ``Settings``, the worker's ``PagePool``, a ``JobRun``. Outputs:
``PageResult`` pages in page order; failed pages are pages with ``status: failed``.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from docworker import errors
from docworker.contract import ErrorInfo, JobInput, ModelInfo, PageResult

if TYPE_CHECKING:
    from docworker.config import Settings
    from docworker.isolation.pool import PagePool


@dataclass
class JobRun:
    """Everything one job hands to its engine and collects from it; never shared."""

    job: JobInput
    job_id: str | None
    settings: Settings
    pool: PagePool
    deadline: float  # time.monotonic() value
    document: Any = None  # fetch.FetchedDocument
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[ErrorInfo] = field(default_factory=list)
    page_count: int = 0  # pages in the document (set by the engine)
    selected: int = 0  # pages this job will process (set before the first page)
    structured: dict[str, Any] | None = None  # data.structured (gpu engine only)

    def add_timings(self, page_timings: dict[str, float]) -> None:
        for stage, ms in page_timings.items():
            self.timings[stage] = round(self.timings.get(stage, 0.0) + ms, 2)

    def time(self, stage: str, start: float) -> None:
        """Add the milliseconds since ``start`` (``time.perf_counter``) to ``stage``."""
        self.add_timings({stage: round((time.perf_counter() - start) * 1000, 2)})

    def failed_page(self, number: int, unit: str, err: errors.WorkerError) -> PageResult:
        """A ``status: failed`` page for ``err``, recorded in the job's errors."""
        info = ErrorInfo(code=err.code, message=err.message, retryable=err.retryable, page=number)
        self.errors.append(info)
        return PageResult(
            number=number,
            width=0,
            height=0,
            unit=unit,  # type: ignore[arg-type]
            source="none",
            status="failed",
            error=info,  # type: ignore[arg-type]
        )


class Engine(Protocol):
    """What the pipeline needs of an engine."""

    name: str
    device: str

    def models(self, mime: str) -> list[ModelInfo]:
        """The models (id, revision, runtime) that read a document of type ``mime``."""
        ...

    def pages(self, run: JobRun) -> Iterator[PageResult]:
        """The job's pages in order; sets ``run.page_count`` and ``run.selected`` first."""
        ...


class EngineFactory(Protocol):
    """An engine class: a cheap availability check, then the (possibly heavy) build."""

    @classmethod
    def available(cls, settings: Settings) -> str | None:
        """``None`` when the engine can run here, else the reason it cannot."""
        ...

    @classmethod
    def from_settings(cls, settings: Settings, pool: PagePool) -> Engine: ...


@functools.cache
def dist_version(name: str) -> str:
    """The installed version of distribution ``name`` (for ``ModelInfo.version``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


#: name → "module:Class". Modules import lazily: the gpu engine's imports are heavy.
ENGINES: dict[str, str] = {
    "cpu": "docworker.engines.cpu:CpuEngine",
    "gpu": "docworker.engines.gpu.pages:GpuPagesEngine",
    "office": "docworker.engines.office:OfficeEngine",
    "docstrange": "docworker.engines.docstrange_engine:DocstrangeEngine",
}
#: Engines a job may name in ``engine`` (besides ``auto``); office is chosen by type.
REQUESTABLE = ("cpu", "gpu", "docstrange")


def factory(name: str) -> EngineFactory:
    """The engine class registered as ``name``; an unknown name lists the known ones."""
    target = ENGINES.get(name)
    if target is None:
        raise errors.InvalidInput(
            f"unknown engine {name!r}; known engines: {', '.join(sorted(ENGINES))}"
        )
    module, _, cls = target.partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as e:
        raise errors.EngineUnavailable(f"{name} engine code missing ({e.name})") from e


def load(
    settings: Settings, pool: PagePool, names: list[str]
) -> tuple[dict[str, Engine], dict[str, str]]:
    """Build each named engine that can run here: ``(engines, reasons for the others)``."""
    built: dict[str, Engine] = {}
    unavailable: dict[str, str] = {}
    for name in names:
        try:
            cls = factory(name)
            reason = cls.available(settings)
            if reason is not None:
                unavailable[name] = reason
                continue
            built[name] = cls.from_settings(settings, pool)
        except errors.EngineUnavailable as e:
            unavailable[name] = e.message
    return built, unavailable


def choose(
    requested: str,
    mime: str,
    engines: dict[str, Engine],
    unavailable: dict[str, str],
) -> tuple[Engine, str]:
    """``(engine, reason)`` for a job; raise ``EngineUnavailable`` rather than fall back.

    Office documents go to the office engine whatever was requested: their
    conversion needs neither a GPU nor OCR.
    """
    from docworker.decode import OFFICE_TYPES

    if mime in OFFICE_TYPES:
        return _get("office", engines, unavailable), "office document"
    if requested == "auto":
        if "gpu" in engines:
            return engines["gpu"], "auto: CUDA and GPU weights present"
        why = unavailable.get("gpu", "not loaded")
        return _get("cpu", engines, unavailable), f"auto: gpu engine unavailable ({why})"
    if requested not in REQUESTABLE:
        raise errors.InvalidInput(
            f"unknown engine {requested!r}; known engines: auto, {', '.join(REQUESTABLE)}"
        )
    return _get(requested, engines, unavailable), f"requested {requested}"


def _get(name: str, engines: dict[str, Engine], unavailable: dict[str, str]) -> Engine:
    engine = engines.get(name)
    if engine is None:
        why = unavailable.get(name, "not loaded")
        raise errors.EngineUnavailable(f"the {name} engine is not available: {why}")
    return engine
