"""Layout detection with docling's RT-DETR model: rendered pages → labelled regions.

Reads ``<model_dir>/layout`` (``config.json``, ``model.safetensors``,
``preprocessor_config.json``) the way docling-ibm-models' ``LayoutPredictor``
(the checkpoint's own reader, 3.x) does, step for step:

- the image processor is ``RTDetrImageProcessor.from_json_file`` of the
  preprocessor config, the model ``AutoModelForObjectDetection`` (fp32);
- ``post_process_object_detection`` with the rendered images' sizes as
  ``target_sizes`` and ``threshold`` (docling's 0.3 by default);
- labels: output ``k`` of an ``RTDetrForObjectDetection`` is docling's shifted
  canonical class ``k + 1`` (``LayoutLabels``: background at 0), which is
  canonical DocLayNet class ``k``. The config's own ``id2label`` is NOT used:
  it carries a background class at 0, one off from what docling reads;
- boxes clipped to the image.

``tests/test_layout.py`` proves label, score and box equality with
``LayoutPredictor.predict_batch`` on a checkpoint saved in the real layout.
Two steps of ours follow: boxes are mapped to the ORIGINAL page (``×
page.scale``, clipped to the page), so every ``Region.bbox`` is in page units
(pt or px), origin top-left; and same-label boxes overlapping by more than
``duplicate_iou`` are merged. Loading fails on any missing, unexpected or
mismatched weight (``output_loading_info``).

Input: ``list[RenderedPage]``. Output: one ``list[Region]`` per page, highest
score first.
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


#: docling's canonical DocLayNet classes (``LayoutLabels.canonical_categories``), in order.
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
    threshold: float = Field(0.3, ge=0, le=1, description="Minimum region score (docling's 0.3).")
    duplicate_iou: float = Field(
        0.9, gt=0, le=1, description="Same-label boxes overlapping more than this are merged."
    )


def docling_labels(model_class: str) -> tuple[dict[int, str], int]:
    """``(class map, label offset)`` as ``LayoutPredictor`` picks them for a model class."""
    try:
        from docling_ibm_models.layoutmodel.labels import LayoutLabels
    except ImportError as e:
        raise errors.EngineUnavailable(
            "the layout stage reads labels with docling-ibm-models:"
            " pip install 'docling-ibm-models>=3.15,<4'"
        ) from e
    labels = LayoutLabels()
    if model_class == "RTDetrForObjectDetection":
        return dict(labels.shifted_canonical_categories()), 1
    return dict(labels.canonical_categories()), 0


def loading_problems(info: dict[str, Any]) -> list[str]:
    """Missing, unexpected and mismatched weights from ``output_loading_info``, one line each."""
    problems = []
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        found = sorted(str(k) for k in info.get(key) or ())
        if found:
            more = f" (+{len(found) - 3} more)" if len(found) > 3 else ""
            problems.append(f"{key.replace('_', ' ')}: {', '.join(found[:3])}{more}")
    problems.extend(str(m) for m in info.get("error_msgs") or ())
    return problems


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
        self.classes, self.label_offset = docling_labels(type(model).__name__)

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
            from transformers import AutoModelForObjectDetection, RTDetrImageProcessor
        except ImportError as e:
            raise errors.EngineUnavailable(
                f"the layout stage needs torch, torchvision and transformers ({e});"
                " pip install torch==2.14.1 torchvision==0.29.1 transformers==5.23.0"
            ) from e
        folder = options.model_path
        if not (folder / "config.json").is_file():
            raise errors.EngineUnavailable(f"no layout model at {folder}")
        started = time.perf_counter()
        try:
            processor = RTDetrImageProcessor.from_json_file(folder / "preprocessor_config.json")
            model, info = AutoModelForObjectDetection.from_pretrained(
                folder, local_files_only=True, dtype=torch.float32, output_loading_info=True
            )
        except (OSError, ValueError, ImportError) as e:
            raise errors.EngineUnavailable(
                f"the layout model at {folder} does not load: {type(e).__name__}: {e}"
            ) from e
        problems = loading_problems(info)
        if problems:
            raise errors.EngineUnavailable(
                f"the layout checkpoint at {folder} does not fit its model: {'; '.join(problems)}"
            )
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

    def detect(self, images: list[Any]) -> list[list[tuple[str, float, BBox]]]:
        """What ``LayoutPredictor.predict_batch`` answers: ``(label, score, box)`` in pixels."""
        import torch

        images = [image.convert("RGB") for image in images]
        target_sizes = torch.tensor([image.size[::-1] for image in images])
        inputs = self.processor(images=images, return_tensors="pt").to(self.device)
        with torch.inference_mode():
            outputs = self.model(**inputs)
            found = self.processor.post_process_object_detection(
                outputs, target_sizes=target_sizes, threshold=self.options.threshold
            )
        results = []
        for image, detections in zip(images, found, strict=True):
            w, h = image.size
            boxes = []
            for score, label_id, box in zip(
                detections["scores"].tolist(),
                detections["labels"].tolist(),
                detections["boxes"].tolist(),
                strict=True,
            ):
                label = self.classes.get(int(label_id) + self.label_offset)
                if label is None:  # LayoutPredictor would raise KeyError here
                    _log.debug("layout: output %d has no docling class; dropped", label_id)
                    continue
                x0, y0, x1, y1 = (float(v) for v in box)
                clipped = (
                    min(w, max(0, x0)),
                    min(h, max(0, y0)),
                    min(w, max(0, x1)),
                    min(h, max(0, y1)),
                )
                boxes.append((label, float(score), clipped))
            results.append(boxes)
        return results

    def _batch(self, pages: list[RenderedPage]) -> list[list[Region]]:
        results: list[list[Region]] = []
        detected = self.detect([page.image for page in pages])
        for page, found in zip(pages, detected, strict=True):
            regions: list[Region] = []
            for label, score, box in found:
                bbox = to_page_box(box, page)
                if bbox is not None:
                    regions.append(Region(label=label, score=round(score, 4), bbox=bbox))
            results.append(drop_duplicates(regions, self.options.duplicate_iou))
        return results
