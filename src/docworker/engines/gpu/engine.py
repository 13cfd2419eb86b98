"""The GPU engine's models, loaded once: RT-DETR layout + a VLM (+ structured output).

``GpuEngine.from_settings(settings)`` checks, fastest first, that the engine
can run (packages, device policy, baked weights against MANIFEST.json, the
torch/torchvision pair) and raises ``errors.EngineUnavailable`` with the reason
when it cannot; only then does it load the models, once. ``process(pages,
job)`` runs layout and the VLM over a window of rendered pages and assembles
each page (``engines.gpu.assemble``); a fatal GPU error raises
``errors.GpuFatal`` for the whole job; ``structured`` fills a JSON schema;
``warmup`` runs a built-in page through both models. ``start`` is
``process`` without the wait: layout runs at once and each page's VLM request
joins the shared continuous batch (``stages.vlm``), returning ``PendingPage``
objects that assemble when their generation is done.

Input: ``Settings``, then ``list[RenderedPage]`` and the ``JobInput``.
Output: ``list[PageResult]``; ``models()`` names what produced them.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from docworker import errors, weights
from docworker.checks import gpu as gpu_checks
from docworker.contract import JobInput, ModelInfo, PageResult
from docworker.engines.gpu.assemble import page_result
from docworker.engines.gpu.figures import ImageRequest
from docworker.pages import RenderedPage
from docworker.stages.layout import LayoutStage, Region
from docworker.stages.structured import StructuredStage
from docworker.stages.vlm import VlmRequest, VlmResult, VlmStage, page_prompt

_log = logging.getLogger(__name__)

_PACKAGES = {
    "torch": "torch==2.14.1",
    "torchvision": "torchvision==0.29.1",
    "transformers": "transformers==5.23.0",
    "docling_ibm_models": "'docling-ibm-models>=3.15,<4'",
    "PIL": "pillow",
    "jsonschema": "jsonschema",
}


def synthetic_page() -> RenderedPage:
    """A built-in A4 page (heading, paragraph, small table) for warm-up."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 60), "Información pública: año 2025", fill="black")
    draw.text((60, 100), "¿Señal? ¡Sí! Artículo 1. Objeto y ámbito de aplicación.", fill="black")
    for row in range(4):
        for col in range(3):
            x, y = 60 + col * 160, 160 + row * 30
            draw.rectangle((x, y, x + 160, y + 30), outline="black")
            draw.text((x + 6, y + 8), f"celda {row}.{col}", fill="black")
    return RenderedPage(
        number=1, width=595.0, height=842.0, unit="pt", image=image, scale=595.0 / 620.0
    )


class GpuEngine:
    """Layout + VLM (+ structured output) with models loaded once."""

    name = "gpu"

    def __init__(
        self,
        layout: LayoutStage,
        vlm: VlmStage,
        structured_stage: StructuredStage,
        *,
        device: str,
        model_infos: list[ModelInfo],
    ) -> None:
        self.layout = layout
        self.vlm = vlm
        self.structured_stage = structured_stage
        self.device = device
        self.dtype = str(vlm.dtype).replace("torch.", "")
        self._models = model_infos
        self._layout_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> GpuEngine:
        """Check, then load. Raises ``errors.EngineUnavailable`` naming the reason."""
        missing = [pkg for mod, pkg in _PACKAGES.items() if importlib.util.find_spec(mod) is None]
        if missing:
            raise errors.EngineUnavailable(
                "the GPU engine needs packages that are not installed:"
                f" pip install {' '.join(missing)}"
            )
        device = choose_engine_device(settings.device)
        vlm_folder = weights.VLM_FOLDERS.get(settings.vlm_model)
        if vlm_folder is None:
            raise errors.EngineUnavailable(
                f"unknown vlm_model {settings.vlm_model!r}; known: {', '.join(weights.VLM_FOLDERS)}"
            )
        model_dir = Path(settings.model_dir)
        found = gpu_checks.check_weights(model_dir, [weights.LAYOUT, vlm_folder])
        bad = [w.detail for w in found if not w.ok]
        if bad:
            raise errors.EngineUnavailable("GPU engine weights not usable: " + "; ".join(bad))
        pair = gpu_checks.check_torch_pair()
        if not pair.ok:
            raise errors.EngineUnavailable(pair.detail)
        started = time.perf_counter()
        layout = LayoutStage.from_settings(settings, device=device)
        vlm = VlmStage.from_settings(settings, device=device)
        manifest = gpu_checks.manifest_entries(model_dir)
        infos = []
        for role, name in (("layout", weights.LAYOUT), ("vlm", vlm_folder)):
            entry = manifest.get(name)
            infos.append(
                ModelInfo(
                    role=role,
                    id=entry.id if entry else name,
                    version=entry.revision if entry else "unknown",
                    runtime="torch",
                )
            )
        _log.info(
            "gpu engine ready on %s (%s) in %.1f s",
            device,
            vlm.dtype,
            time.perf_counter() - started,
        )
        return cls(
            layout,
            vlm,
            StructuredStage.from_settings(settings, vlm),
            device=device,
            model_infos=infos,
        )

    def models(self) -> list[ModelInfo]:
        """What produced the pages: id and revision from MANIFEST.json, runtime torch."""
        return list(self._models)

    def process(
        self,
        pages: list[RenderedPage],
        job: JobInput,
        warnings: list[str] | None = None,
        images: ImageRequest | None = None,
    ) -> list[PageResult]:
        """One ``PageResult`` per page, in order; a failed page never fails the others."""
        return [pending.result() for pending in self.start(pages, job, warnings, images)]

    def start(
        self,
        pages: list[RenderedPage],
        job: JobInput,
        warnings: list[str] | None = None,
        images: ImageRequest | None = None,
    ) -> list[PendingPage]:
        """Layout now, generation queued: pages whose results come when the VLM is done.

        The VLM requests join the shared continuous batch at once, so the caller
        can render and lay out the next pages while these generate. ``images``:
        the job's figures and page images, made when the page is assembled.
        """
        return self._start(pages, job.outputs, job.languages, warnings, images=images)

    def _start(
        self,
        pages: list[RenderedPage],
        outputs: list[str],
        languages: list[str],
        warnings: list[str] | None,
        max_new_tokens: int | None = None,
        images: ImageRequest | None = None,
    ) -> list[PendingPage]:
        if not pages:
            return []
        sink = warnings if warnings is not None else []
        started = time.perf_counter()
        try:
            with self._layout_lock:
                regions = self.layout(pages)
            layout_error: errors.WorkerError | None = None
        except Exception as e:  # layout is optional for the markdown; keep going without boxes
            _log.exception("layout failed on pages %d-%d", pages[0].number, pages[-1].number)
            regions = [[] for _ in pages]
            layout_error = errors.EngineFailed(f"layout detection failed ({type(e).__name__})")
            sink.append(f"pages {pages[0].number}-{pages[-1].number}: layout detection failed")
        layout_ms = (time.perf_counter() - started) * 1000 / len(pages)
        prompt = page_prompt(languages)
        out = []
        for page, page_regions in zip(pages, regions, strict=True):
            request = VlmRequest(page=page.number, images=[page.image], prompt=prompt)
            future = self.vlm.submit(request, max_new_tokens=max_new_tokens)
            out.append(
                PendingPage(
                    page, page_regions, future, outputs, layout_ms, layout_error, sink, images
                )
            )
        return out

    def structured(
        self, pages: list[RenderedPage], markdown: str, schema: dict[str, Any]
    ) -> dict[str, Any]:
        """The document as an object filling ``schema`` (see ``stages.structured``)."""
        return self.structured_stage(pages, markdown, schema)

    def warmup(self, max_new_tokens: int = 16) -> float:
        """Run the built-in page through layout and the VLM; milliseconds taken."""
        started = time.perf_counter()
        (pending,) = self._start([synthetic_page()], ["markdown"], ["es"], None, max_new_tokens)
        result = [pending.result()]
        if result[0].status != "ok":
            raise errors.EngineFailed(f"GPU engine warm-up failed: {result[0].error}")
        elapsed = (time.perf_counter() - started) * 1000
        _log.info("gpu engine warm-up took %.0f ms", elapsed)
        return elapsed


class PendingPage:
    """A page whose layout is done and whose generation is queued; ``result`` assembles it."""

    def __init__(
        self,
        page: RenderedPage,
        regions: list[Region],
        future: Future,
        outputs: list[str],
        layout_ms: float,
        layout_error: errors.WorkerError | None,
        warnings: list[str],
        images: ImageRequest | None = None,
    ) -> None:
        self.page = page
        self.regions = regions
        self.future = future
        self.outputs = outputs
        self.layout_ms = layout_ms
        self.layout_error = layout_error
        self.warnings = warnings
        self.images = images

    def done(self) -> bool:
        return self.future.done()

    def cancel(self) -> None:
        """Give the page up: dropped from the queue, or from the batch at the next step."""
        self.future.cancel()

    def result(self, timeout: float | None = None) -> PageResult:
        """The assembled page, waiting up to ``timeout`` s for generation.

        Raises ``GpuFatal`` (the GPU is gone) and ``TimeLimitExceeded`` (not
        generated in time); any other failure is the page's own, in its result.
        """
        try:
            vlm: VlmResult = self.future.result(timeout)
        except FutureTimeout as e:
            raise errors.TimeLimitExceeded("the job ran past its time budget in the VLM") from e
        if isinstance(vlm.error, errors.GpuFatal):
            raise vlm.error
        return page_result(
            self.page,
            self.regions,
            vlm,
            self.outputs,
            self.layout_ms,
            self.layout_error,
            self.warnings,
            self.images,
        )


def choose_engine_device(requested: str) -> str:
    """The GPU engine's device: CUDA, or the CPU only when asked for by name.

    ``auto`` and ``cuda`` need CUDA (a job asking for the GPU engine on a worker
    without one gets ``engine_unavailable``); ``cpu`` runs the same models,
    slowly, in fp32 (development and tests).
    """
    device = gpu_checks.choose_device(requested)
    if device == "cpu" and requested == "auto":
        raise errors.EngineUnavailable(
            "no CUDA device on this worker (set DOCWORKER_DEVICE=cpu to run the GPU engine's"
            " models on the CPU, slowly)"
        )
    return device
