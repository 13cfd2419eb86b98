"""The GPU engine: RT-DETR layout → VLM markdown → page results with boxes.

Modules, in the order a page goes through them:

- ``engine``: ``GpuEngine`` checks that it can run, loads the layout model and
  the VLM once (``from_settings``), and runs a window of rendered pages
  through both (``process``), plus structured output and warm-up.
- ``elements``: the VLM's markdown → ordered elements (headings, list items,
  HTML or pipe tables, pictures, formulas, page numbers, paragraphs).
- ``align``: layout regions in reading order (recursive XY-cut, page headers
  first and footers last), matched to the elements in order, by type and,
  where the page has a text layer, by shared words.
- ``assemble``: each element → a ``contract.Block`` with its region's box in
  page units; page furniture kept out of the page's markdown and text; HTML
  tables → ``contract.Table``; a page whose generation looped falls back to
  its text layer when it has one; the page's ``PageResult``.

Input: ``list[RenderedPage]`` and the ``JobInput``. Output: ``list[PageResult]``.
"""

from docworker.engines.gpu.align import reading_order, xy_cut
from docworker.engines.gpu.assemble import (
    AssembledPage,
    assemble_page,
    page_result,
    text_layer_page,
)
from docworker.engines.gpu.elements import Element, split_elements
from docworker.engines.gpu.engine import GpuEngine, choose_engine_device, synthetic_page

__all__ = [
    "AssembledPage",
    "Element",
    "GpuEngine",
    "assemble_page",
    "choose_engine_device",
    "page_result",
    "reading_order",
    "split_elements",
    "synthetic_page",
    "text_layer_page",
    "xy_cut",
]
