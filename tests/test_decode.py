"""Decoding: type sniffing, PDF text layer and boxes, rendering, images, passwords, limits."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from docworker import decode, errors
from tests.pdfgen import TextPage, build_pdf

LIMITS = {"max_pages": 50, "max_page_points": 14400.0, "max_pixels": 40_000_000}


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def open_doc(path, password=None, **kw):
    limits = {**LIMITS, **kw}
    return decode.open_document(path, decode.sniff_type(path), password, **limits)


def encrypt(pdf: bytes, user: str, owner: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


SPANISH = "¿Dónde está la niña? ¡Año nuevo en Logroño!"


@pytest.fixture
def spanish_pdf():
    return build_pdf([TextPage(lines=[(72, 100, 12, SPANISH), (72, 130, 12, "Segunda línea")])])


def test_sniffing_uses_magic_bytes_not_names(tmp_path, spanish_pdf):
    assert decode.sniff_type(write(tmp_path, "report.png", spanish_pdf)) == decode.PDF
    image = io.BytesIO()
    Image.new("RGB", (4, 4)).save(image, format="PNG")
    assert decode.sniff_type(write(tmp_path, "scan.pdf", image.getvalue())) == decode.PNG
    assert decode.sniff_type(write(tmp_path, "x.pdf", b"hello world")) == "application/octet-stream"
    assert (
        decode.sniff_type(write(tmp_path, "x.html", b"<!DOCTYPE html><html></html>")) == decode.HTML
    )


def test_text_layer_keeps_accents_and_boxes_are_top_left_points(tmp_path, spanish_pdf):
    doc = open_doc(write(tmp_path, "a.pdf", spanish_pdf))
    page = doc.page(1, text_layer=True)
    assert (page.width, page.height, page.unit) == (595, 842, "pt")
    assert page.lines[0].text == SPANISH
    x0, y0, x1, y1 = page.lines[0].bbox
    # Baseline at 100 pt from the top; a 12 pt glyph box sits just above it.
    assert 72 <= x0 < 74 and 86 < y0 < 100 and 95 < y1 <= 103 and x1 > 300
    assert page.lines[1].bbox[1] > y1  # the second line is lower on the page


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_pages_map_boxes_into_the_displayed_page(tmp_path, rotate):
    pdf = build_pdf([TextPage(lines=[(72, 100, 12, "Rotated text here")], rotate=rotate)])
    doc = open_doc(write(tmp_path, "r.pdf", pdf))
    page = doc.page(1, text_layer=True)
    x0, y0, x1, y1 = page.lines[0].bbox
    assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
    image, scale = doc.render(1, 72, 10_000_000)
    assert image.size == (round(page.width), round(page.height))
    # The box must cover dark pixels in the rendered (displayed) page.
    crop = image.convert("L").crop(
        (int(x0 / scale), int(y0 / scale), int(x1 / scale) + 1, int(y1 / scale) + 1)
    )
    assert min(crop.getdata()) < 128


def test_render_scale_maps_pixels_to_points(tmp_path, spanish_pdf):
    doc = open_doc(write(tmp_path, "a.pdf", spanish_pdf))
    image, scale = doc.render(1, 144, 40_000_000)
    assert image.size == (1190, 1684)
    assert scale == pytest.approx(0.5)


def test_render_is_capped_by_pixels(tmp_path, spanish_pdf):
    doc = open_doc(write(tmp_path, "a.pdf", spanish_pdf))
    image, scale = doc.render(1, 600, 1_000_000)
    assert image.width * image.height <= 1_000_000
    assert image.width * scale == pytest.approx(595, rel=0.01)


def test_password_required_bad_and_good(tmp_path, spanish_pdf):
    path = write(tmp_path, "e.pdf", encrypt(spanish_pdf, "clave", "dueño"))
    with pytest.raises(errors.PasswordRequired):
        open_doc(path)
    with pytest.raises(errors.BadPassword):
        open_doc(path, password="wrong")
    doc = open_doc(path, password="clave")
    assert doc.page(1, text_layer=True).lines[0].text == SPANISH


def test_owner_password_only_opens_without_password(tmp_path, spanish_pdf):
    path = write(tmp_path, "o.pdf", encrypt(spanish_pdf, "", "owner-only"))
    doc = open_doc(path)
    assert doc.page(1, text_layer=True).lines[0].text == SPANISH


def test_page_count_limit_checked_before_rendering(tmp_path):
    pdf = build_pdf([TextPage(lines=[(72, 72, 12, f"page {i}")]) for i in range(6)])
    with pytest.raises(errors.LimitExceeded):
        open_doc(write(tmp_path, "m.pdf", pdf), max_pages=5)


def test_page_size_limit(tmp_path):
    pdf = build_pdf([TextPage(lines=[(72, 72, 12, "huge")], width=20000, height=20000)])
    doc = open_doc(write(tmp_path, "h.pdf", pdf))
    with pytest.raises(errors.LimitExceeded):
        doc.page(1, text_layer=True)


@pytest.mark.parametrize("data", [b"%PDF-1.4\n garbage", b"%PDF-1.7\n" + b"\x00" * 100])
def test_corrupt_pdf(tmp_path, data):
    with pytest.raises(errors.CorruptDocument):
        open_doc(write(tmp_path, "c.pdf", data))


def test_multipage_tiff_and_exif_rotation(tmp_path):
    frames = [Image.new("RGB", (40, 20), c) for c in ("red", "green", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    doc = open_doc(write(tmp_path, "t.tif", buf.getvalue()))
    assert doc.page_count == 3
    image, scale = doc.render(3, 150, 10_000_000)
    assert image.getpixel((5, 5)) == (0, 0, 255) and scale == 1.0
    page = doc.page(2, text_layer=True)
    assert (page.width, page.height, page.unit) == (40, 20, "px")

    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    jpg = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(jpg, format="JPEG", exif=exif)
    doc = open_doc(write(tmp_path, "r.jpg", jpg.getvalue()))
    assert (doc.page(1, text_layer=False).width, doc.page(1, text_layer=False).height) == (20, 40)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP"])
def test_image_formats(tmp_path, fmt):
    buf = io.BytesIO()
    Image.new("RGB", (30, 10), "white").save(buf, format=fmt)
    doc = open_doc(write(tmp_path, "img", buf.getvalue()))
    assert doc.page_count == 1 and doc.page(1, text_layer=False).width == 30


def test_decompression_bomb_image(tmp_path):
    buf = io.BytesIO()
    Image.new("1", (5000, 5000)).save(buf, format="PNG")
    with pytest.raises(errors.LimitExceeded):
        open_doc(write(tmp_path, "bomb.png", buf.getvalue()), max_pixels=1_000_000)


def test_truncated_image_is_corrupt(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(buf, format="PNG")
    with pytest.raises(errors.CorruptDocument):
        open_doc(write(tmp_path, "t.png", buf.getvalue()[:120]))


def _turned_back_pdf(rotate: int) -> bytes:
    """A landscape page stored upright with ``/Rotate``, its lines set turned back so that
    they show upright (what Word and Excel print for a landscape page)."""
    from tests.pdfgen import stream_pdf

    ops = [b"BT"]
    for k, text in enumerate([b"Invoice number 4711 for May", b"Total due 1,250.00 EUR"]):
        if rotate == 90:  # the text turned a quarter anticlockwise in user space
            m = b"0 1 -1 0 %d 100" % (500 - 20 * k)
        else:  # 270: a quarter clockwise
            m = b"0 -1 1 0 %d 700" % (100 + 20 * k)
        ops.append(b"/F1 12 Tf %s Tm (%s) Tj" % (m, text))
    ops.append(b"ET")
    return stream_pdf(b"\n".join(ops), rotate=rotate)


@pytest.mark.parametrize("rotate", [90, 270])
def test_a_rotated_page_reads_its_text_forwards(tmp_path, rotate):
    """The text's direction on the displayed page is its direction in user space turned
    clockwise by /Rotate: it had been turned the other way, and such pages (and pages of
    plain upright text on a /Rotate 90 or 270 page) were read backwards."""
    from tests.pdfgen import TextPage

    for name, data in (
        ("back.pdf", _turned_back_pdf(rotate)),
        (
            "plain.pdf",
            build_pdf([TextPage(lines=[(72, 100, 12, "Rotated text here")], rotate=rotate)]),
        ),
    ):
        doc = open_doc(write(tmp_path, name, data))
        page = doc.page(1, text_layer=True)
        text = " ".join(line.text for line in page.lines)
        assert ("Invoice number 4711 for May" in text) or ("Rotated text here" in text), text
        assert page.turn == (0 if name == "back.pdf" else 360 - rotate)


def test_text_its_clip_path_hides_is_not_read(tmp_path):
    """A spreadsheet printed to PDF clips a cell's overflowing text at the cell's edge;
    the text layer still holds all of it, and it ran into the next columns (pdfplumber's
    issue-912 ledger: "BILL NO.133, ... 192," under the amounts). Glyphs whose centre the
    object's clip path leaves out are not read; a shaped clip (not a few straight-sided
    paths) is not applied."""
    from tests.pdfgen import stream_pdf

    stream = (
        b"q 100 690 110 24 re W n BT /F1 12 Tf 1 0 0 1 102 700 Tm"
        b" (Chq. No. 085900 BILL NO.133, 132, 139, 138) Tj ET Q"
        b" BT /F1 12 Tf 1 0 0 1 230 700 Tm (26406576) Tj ET"
    )
    doc = open_doc(write(tmp_path, "clip.pdf", stream_pdf(stream)))
    page = doc.page(1, text_layer=True)
    text = " ".join(line.text for line in page.lines)
    assert "Chq. No. 085900" in text and "26406576" in text
    assert "139" not in text and "138" not in text, text
