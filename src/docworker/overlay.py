"""Debugging pictures: the worker's blocks and tables drawn on the rendered pages.

``python -m docworker overlay FILE [--pages 1-3] --out DIR`` runs the pipeline
on FILE, renders each processed page (pypdfium2 for PDFs, Pillow frames for
images) and draws on it, with Pillow's ImageDraw:

- every block's box, coloured by type, labelled ``<index> <type>``, where the
  index is the block's position in reading order (``line`` blocks, the
  paragraphs' own lines, are drawn thin and unlabelled);
- every table's box, thick, labelled ``T<index> <rows>x<cols>``.

Boxes are in the page's coordinates (``pt`` or ``px``, origin top-left) and are
scaled to the rendered image. Output: ``DIR/<file stem>-p<n>.png`` per page.

Inputs: a local document and a pipeline payload. Outputs: PNG files.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

_log = logging.getLogger(__name__)

COLOURS = {
    "paragraph": (31, 119, 180),
    "heading": (214, 39, 40),
    "title": (214, 39, 40),
    "list_item": (44, 160, 44),
    "caption": (148, 103, 189),
    "footnote": (140, 86, 75),
    "formula": (227, 119, 194),
    "picture": (127, 127, 127),
    "page_header": (188, 189, 34),
    "page_footer": (188, 189, 34),
    "code": (23, 190, 207),
    "table": (255, 127, 14),
}
LINE = (170, 170, 170)
TABLE = (255, 0, 255)


def render_page(path: Path, number: int, dpi: int, password: str | None = None) -> Image.Image:
    """Page ``number`` (1-based) of a PDF or frame of an image, as an RGB image."""
    if path.suffix.lower() == ".pdf" or path.read_bytes()[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path), password=password)
        try:
            page = pdf[number - 1]
            image = page.render(scale=dpi / 72).to_pil().convert("RGB")
            page.close()
            return image
        finally:
            pdf.close()
    with Image.open(path) as im:
        im.seek(number - 1)
        return im.convert("RGB")


def _label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, colour: tuple) -> None:
    font = ImageFont.load_default()
    x0, y0, x1, y1 = draw.textbbox(xy, text, font=font)
    draw.rectangle((x0 - 1, y0 - 1, x1 + 1, y1 + 1), fill=colour)
    draw.text(xy, text, fill=(255, 255, 255), font=font)


def draw_page(image: Image.Image, page: dict[str, Any]) -> Image.Image:
    """Draw ``page``'s blocks and tables (a contract ``PageResult`` as a dict) on ``image``."""
    width, height = page.get("width") or image.width, page.get("height") or image.height
    sx, sy = image.width / width, image.height / height

    def box(b: Any) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = b
        return (x0 * sx, y0 * sy, max(x0, x1) * sx, max(y0, y1) * sy)

    out = image.copy()
    draw = ImageDraw.Draw(out)
    index = 0
    for block in page.get("blocks") or []:
        if block["type"] == "line":
            draw.rectangle(box(block["bbox"]), outline=LINE, width=1)
            continue
        colour = COLOURS.get(block["type"], (0, 0, 0))
        rect = box(block["bbox"])
        draw.rectangle(rect, outline=colour, width=2)
        _label(draw, (rect[0] + 2, rect[1] + 2), f"{index} {block['type']}", colour)
        index += 1
    for t, table in enumerate(page.get("tables") or []):
        if table.get("bbox") is None:
            continue
        rect = box(table["bbox"])
        draw.rectangle(rect, outline=TABLE, width=4)
        label = f"T{t} {table['n_rows']}x{table['n_cols']}"
        _label(draw, (rect[0] + 2, max(0.0, rect[3] - 14)), label, TABLE)
    return out


def write_overlays(
    path: Path, payload: dict[str, Any], out: Path, dpi: int = 100, password: str | None = None
) -> list[Path]:
    """One PNG per processed page of ``payload`` (pages the worker failed are skipped)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for page in payload["data"]["pages"]:
        if page.get("status") == "failed":
            _log.warning("page %d failed; no overlay", page["number"])
            continue
        image = draw_page(render_page(path, page["number"], dpi, password), page)
        target = out / f"{path.stem}-p{page['number']}.png"
        image.save(target)
        written.append(target)
    return written
