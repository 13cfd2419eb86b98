"""Text-layer routing: when a PDF page's own text is trusted, and when it goes to OCR."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from docworker import decode
from docworker.decode import PageView
from docworker.geometry import Line
from docworker.stages.text_layer import TextLayerStage, text_area
from tests.pdfgen import (
    HELVETICA,
    ImagePage,
    TextPage,
    build_pdf,
    chinese_pdf,
    cid_font,
    pdf_from_objects,
    scan_jpeg,
    stream_pdf,
    utf16_string,
)

BODY = [Line("Resolución número 12 del año 2025, sobre la señal", (72, 100, 500, 112))]


def _view(lines=BODY, **kw) -> PageView:
    return PageView(number=1, width=595, height=842, unit="pt", lines=list(lines), **kw)


def test_plain_digital_page_is_usable():
    verdict = TextLayerStage().judge(_view())
    assert verdict.usable, verdict.reason


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        (_view(lines=[Line("p. 3", (72, 800, 100, 810))]), "characters"),
        (_view(lines=[Line("\ufffe\ufffd\x01" * 10, (72, 100, 300, 112))]), "unreadable"),
        (_view(invisible_ratio=0.8), "invisible"),
        (_view(image_coverage=0.95), "scan with a text overlay"),
    ],
)
def test_unusable_layers_go_to_ocr(view, reason):
    verdict = TextLayerStage().judge(view)
    assert not verdict.usable and reason in verdict.reason


def test_a_figure_beside_plenty_of_text_keeps_the_text_layer():
    lines = [Line("x" * 80, (50, 40 + 14 * i, 545, 52 + 14 * i)) for i in range(50)]
    view = _view(lines=lines, image_coverage=0.65)
    assert text_area(view) > 0.08
    assert TextLayerStage().judge(view).usable


def _pdf_with_image_and_text(tmp_path):
    jpeg = scan_jpeg(["Escaneado"], size=(400, 566))
    image = Image.open(io.BytesIO(jpeg))
    pdf = build_pdf([ImagePage(jpeg, image.size, placed_height=842), TextPage([(72, 60, 14, "x")])])
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdf)
    return decode.open_document(
        path, decode.PDF, None, max_pages=10, max_page_points=14400, max_pixels=40_000_000
    )


def test_image_coverage_and_graphics_are_measured(tmp_path):
    handle = _pdf_with_image_and_text(tmp_path)
    scan = handle.page(1, text_layer=True)
    assert scan.image_coverage > 0.95 and scan.graphics == 0
    text = handle.page(2, text_layer=True)
    assert text.image_coverage == 0.0
    handle.close()


def test_a_short_layer_beats_an_empty_ocr_read(tmp_path):
    """Too few characters to trust the layer alone sends the page to OCR; when OCR
    then reads nothing (print too small for it), the short layer is kept."""
    from docworker import decode
    from docworker.engines import cpu
    from docworker.isolation import tasks
    from tests.pdfgen import TextPage, build_pdf

    path = tmp_path / "corto.pdf"
    path.write_bytes(build_pdf([TextPage(lines=[(72.0, 100.0, 1.5, "Año 2025")])]))
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert page.source == "text_layer"
    assert page.text == "Año 2025"
    # Asked for OCR explicitly, the empty OCR read stands.
    forced = cpu.read_page(tasks.PageTask(doc=doc, number=1, ocr="always"))
    assert forced.source == "ocr" and forced.text == ""


def _markdown_of(tmp_path, pdf: bytes) -> str:
    """The markdown the CPU engine reads from page 1's text layer."""
    from docworker.engines import cpu
    from docworker.isolation import tasks

    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    return cpu.read_page(tasks.PageTask(doc=doc, number=1, ocr="never")).markdown


def test_computer_moderns_ff_ligature_read_as_an_arrow_becomes_ff(tmp_path):
    """A font with no Unicode map gives TeX's "ff" (slot 11) as U+21B5: "ff" between letters."""
    stream = b"BT /F1 12 Tf 72 700 Td (e\\013orts o\\013-the-shelf and a lone \\013 arrow) Tj ET"
    font = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Type /Encoding"
        b" /BaseEncoding /WinAnsiEncoding /Differences [11 /carriagereturn] >> >>"
    )
    markdown = _markdown_of(tmp_path, stream_pdf(stream, font=font))
    assert markdown == "efforts off-the-shelf and a lone \u21b5 arrow"


def test_descenders_stay_on_the_line_in_a_font_with_no_descent(tmp_path):
    """A font whose descriptor says /Descent 0: pdfium's loose box of "p", "y", "q" then
    reaches below the baseline and the others' do not; the baseline is the text object's
    own, so the letters stay in their words ("Ex p ert hel p" before)."""
    font = (
        b"<< /Type /Font /Subtype /TrueType /BaseFont /JansonText-Italic /FirstChar 32"
        b" /LastChar 126 /Widths [%s] /FontDescriptor 6 0 R /Encoding /WinAnsiEncoding >>"
        % " ".join(["500"] * 95).encode()
    )
    descriptor = (
        b"<< /Type /FontDescriptor /FontName /JansonText-Italic /Flags 32 /FontBBox"
        b" [0 0 1000 700] /ItalicAngle 0 /Ascent 700 /Descent 0 /CapHeight 700 /StemV 80 >>"
    )
    text = "Expert help to achieve your business requirements"
    stream = b"BT /F1 12 Tf 72 700 Td (%s) Tj ET" % text.encode()
    assert _markdown_of(tmp_path, stream_pdf(stream, font=font, more=(descriptor,))) == text


@pytest.mark.parametrize(
    ("in_tree", "on_page"),
    [
        (b" /MediaBox [0 0 595 842]", b""),  # inherited: the box getters fell back to Letter
        (b"", b" /MediaBox [595 842 0 0]"),  # corners given the other way round
    ],
)
def test_the_page_box_as_pdfium_reads_it_places_the_text(tmp_path, in_tree, on_page):
    """An A4 MediaBox set on the /Pages node, not on the page: pypdfium2's own box
    getters fall back to US Letter there, which put the top 50 points off the page.
    A box written top-right corner first is the same box."""
    stream = b"BT /F1 12 Tf 72 815 Td (Title at the top of an A4 page) Tj ET"
    pdf = pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1%s >>" % in_tree,
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >>%s >>" % on_page,
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            HELVETICA,
        ]
    )
    from docworker.engines import cpu
    from docworker.isolation import tasks

    path = tmp_path / "inherited.pdf"
    path.write_bytes(pdf)
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1, ocr="never"))
    assert page.markdown == "Title at the top of an A4 page"
    assert (page.width, page.height) == (595, 842)
    x0, y0, _, y1 = next(b.bbox for b in page.blocks if b.type == "line")
    assert 70 < x0 < 74 and 10 < y0 < y1 < 32


def test_chinese_lines_join_without_spaces(tmp_path):
    """A paragraph of Chinese (Adobe's STSong-Light, not embedded) reads without spaces."""
    lines = [
        "文档的版面分析是文字识别的第一步，",
        "也是最重要的一步。版面分析找出",
        "标题和表格的位置。",
    ]
    assert _markdown_of(tmp_path, chinese_pdf(lines)) == "".join(lines)


def test_vertical_japanese_reads_down_the_columns_right_to_left(tmp_path):
    """Tategaki: a font in a vertical CMap (``UniJIS-UCS2-V``) keeps an upright matrix and
    pdfium stacks its glyphs down the page. The columns are drawn left to right here, so
    only their places say that the rightmost comes first."""
    lines = [
        "吾輩は猫である。名前はまだ無い。",
        "どこで生れたかとんと見当がつかぬ。",
        "ニャーニャー泣いていた事だけは記憶している。",
    ]
    shown = [
        b"BT /F1 12 Tf %d 760 Td %s Tj ET" % (500 - 20 * i, utf16_string(lines[i]))
        for i in reversed(range(len(lines)))
    ]
    font, more = cid_font("HeiseiMin-W3", "UniJIS-UCS2-V", "Japan1")
    pdf = stream_pdf(b"\n".join(shown), font=font, more=more)
    assert _markdown_of(tmp_path, pdf) == "".join(lines)


def test_a_weak_ocr_read_leaves_a_short_layer_in_place():
    """``read_page`` keeps a short readable layer over an OCR read that is empty or unsure
    (character-weighted mean confidence under 0.8); a confident read wins."""
    from docworker.engines.cpu import _weak
    from docworker.geometry import Line

    def line(text, confidence):
        return Line(text, (0, 0, 10, 10), confidence=confidence)

    assert _weak([])
    assert _weak([line("二上", 0.61), line("β9E", 0.66)])
    assert not _weak([line("Page 1 of a scanned letter", 0.97), line("x", 0.2)])
    assert not _weak([line("no score", None)])


def test_an_ocr_read_replaces_a_short_layer_only_where_it_reads_more():
    from docworker.engines.cpu import _reads_more
    from docworker.geometry import Line

    layer = [Line("˴حَبيبي habibi", (0, 0, 10, 10))]
    assert not _reads_more([Line("habibi", (0, 0, 10, 10), confidence=0.99)], layer)
    scan = [Line("A scanned letter with its whole first paragraph read", (0, 0, 10, 10))]
    assert _reads_more(scan, [Line("Page 1 of 2", (0, 0, 10, 10))])


def test_a_render_of_another_document_leaves_the_text_layer_as_it_was():
    """pdfium draws fonts a PDF does not embed with multiple-master substitutes shared by
    every document in the process, and reads the text layer's glyph boxes from the
    instance the last drawing left. Rendering the spreadsheet page (for OCR) moved the
    boxes of the Federal Register page's substituted fonts and regrouped two lines; the
    substitutes are put back before a text layer is read (``decode.pdf``)."""
    from docworker.decode import pdf

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    OPEN = dict(
        mime=decode.PDF, password=None, max_pages=10, max_page_points=14400, max_pixels=40_000_000
    )

    def lines():
        handle = decode.open_document(corpus / "tika/testPDF_bad_page_303226-p1-4.pdf", **OPEN)
        try:
            view = handle.page(4, text_layer=True)
        finally:
            handle.close()
        return [(line.text, line.bbox) for line in view.lines]

    pdf._rendered = True  # whatever this process drew before: read as a fresh process would
    before = lines()
    other = decode.open_document(corpus / "pdfminer/issue-00369-excel.pdf", **OPEN)
    try:
        other.render(1, 150, 40_000_000)
    finally:
        other.close()
    assert lines() == before
