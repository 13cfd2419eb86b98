"""Layout detection with docling's RT-DETR model: rendered pages → labelled regions.

Loads ``<model_dir>/layout`` (``config.json``, ``model.safetensors``,
``preprocessor_config.json``) with ``AutoModelForObjectDetection`` and
``AutoImageProcessor``, offline. Pages run in batches of
``settings.layout_batch_size``; boxes come out of
``post_process_object_detection`` in the rendered image's pixels and are then
mapped to the ORIGINAL page (``× page.scale``) and clipped to the page, so every
``Region.bbox`` is in page units (pt or px), origin top-left.

Input: ``list[RenderedPage]``. Output: one ``list[Region]`` per page, highest
score first, filtered by ``settings.layout_threshold``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from docworker import errors, weights
from docworker.geometry import BBox
from docworker.pages import RenderedPage

_log = logging.getLogger(__name__)


#: docling's canonical DocLayNet classes; label id ``i`` of its RT-DETR model is ``DOCLAYNET[i]``.
DOCLAYNET = (
    "Caption",
    "Footnote",
    "Formula",
    "List-item",
    "Page-footer",
    "Page-header",
    "Picture",
    "Section-header",
    "Table",
    "Text",
    "Title",
    "Document Index",
    "Code",
    "Checkbox-Selected",
    "Checkbox-Unselected",
    "Form",
    "Key-Value Region",
)


@dataclass
class Region:
    """A detected layout region.

    ``label`` is a DocLayNet class name ("Text", "Table", "Page-header", ...);
    ``bbox`` is ``(x0, y0, x1, y1)`` in the original page's units, origin top-left.
    """

    label: str
    score: float
    bbox: BBox


class LayoutOptions(BaseModel):
    """What the layout stage needs from the settings."""

    model_path: Path = Field(description="Folder with the RT-DETR model in HF format.")
    batch_size: int = Field(8, gt=0, description="Pages per forward pass.")
    threshold: float = Field(0.5, ge=0, le=1, description="Minimum region score.")
    duplicate_iou: float = Field(
        0.9, gt=0, le=1, description="Same-label boxes overlapping more than this are merged."
    )


def label_names(id2label: dict[Any, str], num_labels: int) -> list[str]:
    """Class names by id: the config's names, or DocLayNet's when the config has placeholders.

    Checkpoints saved without names carry ``LABEL_0``, ``LABEL_1``...; docling
    maps those ids onto its canonical DocLayNet order, and so do we.
    """
    names = [str(id2label.get(i, id2label.get(str(i), f"LABEL_{i}"))) for i in range(num_labels)]
    if all(name.startswith("LABEL_") for name in names):
        return [DOCLAYNET[i] if i < len(DOCLAYNET) else names[i] for i in range(num_labels)]
    return names


def to_page_box(box: tuple[float, float, float, float], page: RenderedPage) -> BBox | None:
    """Render-pixel box → page-unit box clipped to the page; ``None`` if nothing is left."""
    x0, y0, x1, y1 = (float(v) * page.scale for v in box)
    x0, x1 = sorted((min(max(x0, 0.0), page.width), min(max(x1, 0.0), page.width)))
    y0, y1 = sorted((min(max(y0, 0.0), page.height), min(max(y1, 0.0), page.height)))
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        return None
    return (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2))


def iou(a: BBox, b: BBox) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def drop_duplicates(regions: list[Region], threshold: float) -> list[Region]:
    """Keep the best of same-label regions that overlap more than ``threshold`` IoU."""
    kept: list[Region] = []
    for region in sorted(regions, key=lambda r: r.score, reverse=True):
        if all(r.label != region.label or iou(r.bbox, region.bbox) <= threshold for r in kept):
            kept.append(region)
    return kept


class LayoutStage:
    """RT-DETR over batches of pages; models are loaded once and passed in."""

    name = "layout"

    def __init__(self, model: Any, processor: Any, options: LayoutOptions, device: str) -> None:
        self.model = model
        self.processor = processor
        self.options = options
        self.device = device
        config = model.config
        self.labels = label_names(dict(config.id2label), int(config.num_labels))
        self.use_focal_loss = bool(getattr(config, "use_focal_loss", True))

    @classmethod
    def from_settings(cls, settings: Any, *, device: str = "cpu") -> LayoutStage:
        """Load ``<model_dir>/layout`` offline onto ``device`` (fp32 everywhere)."""
        options = LayoutOptions(
            model_path=Path(settings.model_dir) / weights.LAYOUT,
            batch_size=settings.layout_batch_size,
            threshold=settings.layout_threshold,
        )
        try:
            import torch
            from transformers import AutoImageProcessor, AutoModelForObjectDetection
        except ImportError as e:
            raise errors.EngineUnavailable(
                f"the layout stage needs torch, torchvision and transformers ({e});"
                " pip install torch==2.14.1 torchvision==0.29.1 transformers==5.23.0"
            ) from e
        if not (options.model_path / "config.json").is_file():
            raise errors.EngineUnavailable(f"no layout model at {options.model_path}")
        started = time.perf_counter()
        try:
            processor = AutoImageProcessor.from_pretrained(
                options.model_path, local_files_only=True
            )
            model = AutoModelForObjectDetection.from_pretrained(
                options.model_path, local_files_only=True, dtype=torch.float32
            )
        except (OSError, ValueError, ImportError) as e:
            raise errors.EngineUnavailable(
                f"the layout model at {options.model_path} does not load: {type(e).__name__}: {e}"
            ) from e
        model.to(device).eval()
        _log.info(
            "layout model %s loaded on %s in %.1f s",
            type(model).__name__,
            device,
            time.perf_counter() - started,
        )
        return cls(model, processor, options, device)

    def __call__(self, pages: list[RenderedPage]) -> list[list[Region]]:
        """Regions per page, in page units, best first."""
        out: list[list[Region]] = []
        size = self.options.batch_size
        for start in range(0, len(pages), size):
            out.extend(self._batch(pages[start : start + size]))
        return out

    def _batch(self, pages: list[RenderedPage]) -> list[list[Region]]:
        import torch

        images = [page.image.convert("RGB") for page in pages]
        inputs = self.processor(images=images, return_tensors="pt").to(self.device)
        with torch.inference_mode():
            outputs = self.model(**inputs)
        # Target sizes are the RENDERED images' (height, width): boxes come back in
        # render pixels, and to_page_box then scales them to page units.
        detections = self.processor.post_process_object_detection(
            outputs,
            threshold=self.options.threshold,
            target_sizes=[(image.height, image.width) for image in images],
            use_focal_loss=self.use_focal_loss,
        )
        results: list[list[Region]] = []
        for page, found in zip(pages, detections, strict=True):
            regions: list[Region] = []
            for score, label, box in zip(
                found["scores"].tolist(),
                found["labels"].tolist(),
                found["boxes"].tolist(),
                strict=True,
            ):
                bbox = to_page_box(box, page)
                if bbox is None:
                    continue
                name = self.labels[label] if 0 <= label < len(self.labels) else f"LABEL_{label}"
                regions.append(Region(label=name, score=round(float(score), 4), bbox=bbox))
            results.append(drop_duplicates(regions, self.options.duplicate_iou))
        return results
