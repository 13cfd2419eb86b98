"""Page orientation: the vote, box mapping, and real OCR of turned page images."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from docworker import decode
from docworker.engines import cpu
from docworker.isolation import tasks
from docworker.stages.ocr.orientation import (
    elongated,
    rotate_box,
    rotate_image,
    unrotate_box,
    vote,
)
from tests.ocr_jobs import count_batches
from tests.pdfgen import text_image


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_box_mapping_round_trips_and_matches_the_image_rotation(angle):
    w, h = 200.0, 100.0
    box = (10.0, 20.0, 50.0, 30.0)
    up = rotate_box(box, angle, w, h)
    assert unrotate_box(up, angle, w, h) == box
    # A black box drawn on the image lands where rotate_box says after rotate_image.
    image = Image.new("L", (int(w), int(h)), 255)
    image.paste(0, tuple(int(v) for v in box))
    turned = rotate_image(image, angle)
    ink = Image.eval(turned, lambda v: 255 - v).getbbox()
    assert ink == tuple(round(v) for v in up)


def _quad(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def test_vote_reads_line_shape_and_which_way_up_reads_better():
    wide = elongated([_quad(0, i * 20, 300, i * 20 + 15) for i in range(5)])
    tall = elongated([_quad(i * 20, 0, i * 20 + 15, 300) for i in range(5)])
    good, poor = dict.fromkeys(range(5), 0.99), dict.fromkeys(range(5), 0.65)
    assert vote(wide, good, poor).angle == 0
    assert vote(wide, poor, good).angle == 180
    assert vote(tall, poor, good).angle == 90
    assert vote(tall, good, poor).angle == 270
    assert vote(wide, good, poor).confidence == 1.0
    # Single characters (square boxes) do not vote; unread lines do not vote.
    assert elongated([_quad(0, 0, 10, 10)]) == []
    assert vote([], {}, {}).reason == "no elongated text lines"
    assert vote(wide, good, {}).reason == "no elongated text lines"
    # A split vote: three lines read better as they are, two turned over.
    as_is = {0: 0.99, 1: 0.99, 2: 0.99, 3: 0.65, 4: 0.65}
    turned = {0: 0.65, 1: 0.65, 2: 0.65, 3: 0.99, 4: 0.99}
    mixed = vote(wide, as_is, turned)
    assert mixed.angle == 0 and 0.5 < mixed.confidence < 0.7


def test_upright_scan_with_long_lines_is_not_read_as_upside_down():
    """Regression: RapidOCR's line classifier called a third of these lines upside
    down, and page 2 of this synthetic scan came back as turned by 180 degrees."""
    from docworker.stages.ocr.rapidocr import OcrStage

    stage = OcrStage.from_settings(1)
    lines = [f"2.{i} dirección según oficina disposición pequeño garantía señor" for i in range(6)]
    image = text_image(lines, size=(1240, 420), font_size=26)
    read = stage.read(image, 1.0)
    assert read.rotation == 0, read.reason
    turned = stage.read(rotate_image(image, 180), 1.0)
    assert turned.rotation == 180, turned.reason
    assert [ln.text for ln in turned.lines][:2] == [ln.text for ln in read.lines][:2]


def test_an_upright_page_is_not_read_a_second_time(monkeypatch):
    """Orientation work only when needed: wide lines that already read well are upright,
    so the page costs one recognition pass; a page upside down still gets its vote."""
    from docworker.stages.ocr.rapidocr import OcrStage

    stage = OcrStage.from_settings(1)
    passes = count_batches(monkeypatch, stage._engine)
    lines = [f"3.{i} información pública según la disposición adicional" for i in range(6)]
    image = text_image(lines, size=(1240, 420), font_size=26)
    read = stage.read(image, 1.0)
    assert read.rotation == 0 and read.reason.startswith("upright"), read.reason
    assert len(passes) == 1  # the page's own pass, no line read again turned over
    passes.clear()
    turned = stage.read(rotate_image(image, 180), 1.0)
    assert turned.rotation == 180, turned.reason
    assert len(passes) >= 3  # own pass, turned-over lines, the upright page again


LINES = ["Información pública del año", "El señor Muñoz presentó", "la solicitud número tres"]


def test_turned_image_is_read_upright_with_boxes_in_original_pixels(tmp_path):
    angle = 90
    upright = text_image(LINES, size=(760, 260), font_size=34)
    # The file holds the page turned counter-clockwise by ``angle``: turning it
    # clockwise by ``angle`` makes it upright.
    stored = rotate_image(upright, (360 - angle) % 360)
    path = tmp_path / "turned.png"
    stored.save(path)
    doc = tasks.DocTask(str(path), decode.PNG, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert page.rotation == angle
    assert (page.width, page.height) == stored.size
    assert page.text.split("\n") == LINES
    # Each line's box holds the line's ink in the stored (turned) image.
    gray = stored.convert("L")
    for block in (b for b in page.blocks if b.type == "line"):
        x0, y0, x1, y1 = block.bbox
        assert 0 <= x0 < x1 <= stored.width and 0 <= y0 < y1 <= stored.height
        inside = gray.crop((int(x0), int(y0), int(x1) + 1, int(y1) + 1))
        assert min(inside.getdata()) < 100  # the box holds dark text pixels
    # Lines follow each other along the page's turned reading direction.
    lines = [b.bbox for b in page.blocks if b.type == "line"]
    ups = [rotate_box(b, angle, stored.width, stored.height) for b in lines]
    assert [u[1] for u in ups] == sorted(u[1] for u in ups)


def test_a_mostly_blank_page_is_read_from_its_inked_part_with_boxes_on_the_page():
    """PP-OCR's detector scores a line lower the more blank paper surrounds it: a form's
    one ruled row of 18-pixel text on an A4 page at 150 dpi read empty. The detector now
    sees the inked part only, and the boxes come back in the whole page's pixels."""
    import difflib

    from PIL import ImageDraw

    from docworker.stages.ocr.rapidocr import OcrStage, ink_box

    line = text_image(["Fondos en las cuentas bancarias"], size=(700, 60), font_size=18)
    page = Image.new("RGB", (1241, 1754), "white")
    page.paste(line, (100, 60))
    draw = ImageDraw.Draw(page)
    for y in (80, 120, 160, 200):
        draw.line((60, y, 1180, y), fill="black", width=2)
    for x in (60, 250, 700, 900, 1180):
        draw.line((x, 80, x, 200), fill="black", width=2)
    assert ink_box(page) == (60 - 35, 80 - 35, 1182 + 35, 202 + 35)  # 2% of 1754 round it
    stage = OcrStage.from_settings(1)
    (read,) = stage(page, 1.0)
    expected = "Fondos en las cuentas bancarias"
    assert difflib.SequenceMatcher(None, read.text, expected).ratio() > 0.9, read.text
    x0, y0, _, y1 = read.bbox
    assert 125 <= x0 <= 140 and 85 <= y0 <= 100 and y1 <= 120
    assert ink_box(Image.new("RGB", (200, 100), "white")) == (0, 0, 200, 100)


def test_a_label_running_up_the_page_beside_level_text_is_read():
    """A chart's axis label (or an arXiv stamp) runs up the page beside level text.
    RapidOCR turns a tall line a quarter turn one way only, which sets text running up
    the page upside down; such a line is read turned over too, and the better reading
    kept. It is no heading: its height across is the body's."""
    from docworker.stages.ocr.rapidocr import OcrStage
    from tests.pdfgen import font

    stage = OcrStage.from_settings(1)
    image = text_image([f"4.{i} the measured potential across the cell" for i in range(6)],
                       size=(1240, 520), font_size=26)  # fmt: skip
    label = Image.new("RGB", (420, 44), "white")
    ImageDraw.Draw(label).text((6, 4), "Potential (V)", fill="black", font=font(28))
    image.paste(label.rotate(90, expand=True), (1150, 40))  # reads bottom to top
    read = stage.read(image, 1.0)
    assert read.rotation == 0, read.reason
    texts = [ln.text for ln in read.lines]
    assert "Potential (V)" in texts, texts
