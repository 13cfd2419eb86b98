"""Plain dataclasses that pass pages between the sandbox, engines and the pipeline.

Inputs/outputs only: no behaviour beyond small conversions. The public,
versioned shapes are in ``contract``; these are internal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from docworker.geometry import Line


@dataclass
class RenderedPage:
    """A page rendered for an image model.

    ``scale`` converts image pixels to page units: ``page_x = pixel_x * scale``.
    ``lines`` is the text layer (empty for scans and images), in page units.
    """

    number: int
    width: float
    height: float
    unit: str
    image: Image.Image
    scale: float
    lines: list[Line] = field(default_factory=list)
