"""Page orientation: the vote, box mapping, and real OCR of turned page images."""

from __future__ import annotations

import pytest
from PIL import Image

from docworker import decode, pagework
from docworker.stages.orientation import rotate_box, rotate_image, unrotate_box, vote
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


def test_vote_reads_line_shape_and_direction_labels():
    wide = [_quad(0, i * 20, 300, i * 20 + 15) for i in range(5)]
    tall = [_quad(i * 20, 0, i * 20 + 15, 300) for i in range(5)]
    assert vote(wide, [("0", 0.99)] * 5).angle == 0
    assert vote(wide, [("180", 0.99)] * 5).angle == 180
    assert vote(tall, [("180", 0.95)] * 5).angle == 90
    assert vote(tall, [("0", 0.95)] * 5).angle == 270
    # Single characters (square boxes) do not vote.
    assert vote([_quad(0, 0, 10, 10)], [("180", 1.0)]).reason == "no elongated text lines"
    mixed = vote(wide, [("0", 0.9)] * 3 + [("180", 0.9)] * 2)
    assert mixed.angle == 0 and 0.5 < mixed.confidence < 0.7


LINES = ["Información pública del año", "El señor Muñoz presentó", "la solicitud número tres"]


def test_turned_image_is_read_upright_with_boxes_in_original_pixels(tmp_path):
    angle = 90
    upright = text_image(LINES, size=(760, 260), font_size=34)
    # The file holds the page turned counter-clockwise by ``angle``: turning it
    # clockwise by ``angle`` makes it upright.
    stored = rotate_image(upright, (360 - angle) % 360)
    path = tmp_path / "turned.png"
    stored.save(path)
    doc = pagework.DocTask(str(path), decode.PNG, None, 10, 14400.0, 40_000_000)
    page = pagework.cpu_page(pagework.PageTask(doc=doc, number=1))
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
