"""A text-layer line a font's wrong code map garbled is read again by OCR."""

from __future__ import annotations

import pytest

from docworker import decode
from docworker.engines import cpu
from docworker.isolation import tasks
from docworker.stages.text_layer import garbled
from tests.pdfgen import HELVETICA, stream_pdf

#: What the ToUnicode map below says some of the glyphs are (the font draws the letters).
MISREAD = {"a": "Ä", "e": "É", "o": "Ö", "i": "|"}


def test_garbled_tells_a_misread_font_from_real_text():
    assert garbled("[ÉÇÉÜtuÄx VöÅtÜt wx W|ÑâàtwÉá wx Ät atv|™Ç")
    assert garbled("HÖnÖrÄblÉ l|brÄry cÄrd")
    for text in (
        "Honorable Cámara de Diputados de la Nación",
        "Über die Geometrie: Äquivalenzklassen, Öffnungen und Überdeckungen",
        "Le renard brun «rapide» saute par-dessus le chien paresseux",
        "iPhone and McDonald's in São Paulo, Ñuñoa and Dvořák",
        "cat notes.txt | grep -v draft",
        "L'Hôpital, d'Artagnan, AÑOS, ÉTUDES",
        "Name|Age",  # one word
    ):
        assert not garbled(text), text


def _misread_pdf() -> bytes:
    """A title in Helvetica whose ToUnicode map names four of its letters wrongly, over
    a line of text the map leaves alone (it holds none of those four letters)."""
    entries = []
    for code in range(0x20, 0x7F):
        ch = chr(code)
        target = MISREAD.get(ch, ch)
        entries.append(b"<%02X> <%04X>" % (code, ord(target)))
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CMapName /Misread def /CMapType 2 def\n"
        b"1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"%d beginbfchar\n"
        % len(entries)
        + b"\n".join(entries)
        + b"\nendbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end"
    )
    font = HELVETICA[:-2] + b" /ToUnicode 6 0 R >>"
    stream = (
        b"BT /F1 28 Tf 1 0 0 1 72 700 Tm (Honorable library card) Tj ET\n"
        b"BT /F1 12 Tf 1 0 0 1 72 640 Tm (Rush by truck: 1 July 2025, 9 PM.) Tj ET"
    )
    more = (b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",)
    return stream_pdf(stream, font=font, more=more)


@pytest.fixture
def own_ocr_stages():
    """The OCR stages this test builds in the test process are dropped after it (their
    models would stay resident for the rest of the session: the Office bomb tests bound
    the process's peak)."""
    before = set(cpu._ocr)
    yield
    for key in set(cpu._ocr) - before:
        cpu._ocr.pop(key, None)


@pytest.mark.usefixtures("own_ocr_stages")
@pytest.mark.parametrize("ocr", ["auto", "never"])
def test_a_garbled_line_is_read_again_by_ocr(tmp_path, ocr):
    path = tmp_path / "misread.pdf"
    path.write_bytes(_misread_pdf())
    doc = tasks.DocTask(str(path), decode.PDF, None, 5, 14_400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1, ocr=ocr))
    assert page.source == "text_layer"
    assert "Rush by truck" in page.markdown  # the rest of the layer is kept as it is
    if ocr == "auto":
        assert "library card" in page.markdown.lower() and "l|br" not in page.markdown
        assert page.timings_ms.get("ocr", 0) > 0
    else:  # OCR off: the layer as it reads
        assert "HÖnÖrÄblÉ l|brÄry cÄrd" in page.markdown
