"""Box helpers shared by the stages: ``[x0, y0, x1, y1]`` tuples, origin top-left."""

from __future__ import annotations

BBox = tuple[float, float, float, float]


def union(boxes: list[BBox]) -> BBox:
    """The smallest box holding every box in ``boxes`` (not empty)."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
