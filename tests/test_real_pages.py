"""Failure classes found on real PDFs (Apache Tika's and pdf-lib's test files, grobid's
test papers), each checked on a page of the document that showed it (``corpus/``)."""

from __future__ import annotations

from pathlib import Path

from docworker import decode
from docworker.engines import cpu
from docworker.isolation.tasks import DocTask, PageTask
from docworker.stages import furniture
from tests.test_texfonts import _page_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def _page(path: Path, number: int, ocr: str = "never"):
    doc = DocTask(str(path), "application/pdf", None, 1000, 14400.0, 40_000_000)
    return cpu.read_page(PageTask(doc, number, ocr=ocr))


def test_a_space_set_inside_a_ligature_glyph_parts_no_words():
    """pdf-lib's us_constitution.pdf (made by Word): after each "fi"/"fl" glyph the PDF
    sets a space inside the glyph's box, the next letter where the glyph ends. It had
    read "twenty fi ve", "Offi cers" over 150 times."""
    text = _page_text(CORPUS / "pdflib" / "us_constitution-p1-2.pdf", 2)
    assert "twenty five Years" in text
    assert "three fifths of" in text and "Speaker and other Officers;" in text
    assert "fi " not in text and "fl " not in text
    assert "the Qualifi-" in text  # "Qualifi -" had never joined its line's next


def test_a_soft_hyphen_inside_a_line_is_a_hyphen_drawn():
    """Tika's testPDF_childAttachments.pdf (IRS forms) encodes its hyphens as U+00AD; inside
    a line they had been dropped as line-end marks ("www.irs.gov/irb/201251_IRB", "Use
    efile")."""
    text = _page_text(CORPUS / "tika" / "testPDF_childAttachments-p2-3.pdf", 1)
    assert "www.irs.gov/irb/2012-51_IRB/ar09.html" in text
    text = _page_text(CORPUS / "tika" / "testPDF_childAttachments-p2-3.pdf", 2)
    assert "Use e-file and the Electronic Federal" in text


def test_a_footnote_at_the_foot_of_the_page_is_the_pages_text():
    """Tika's testPDF_protected.pdf: a footnote under the text ("3 For example, Voute
    (1946) and Elton (1958).", its mark raised) had been typed a page footer and left out
    of the markdown; the page number under it stays furniture."""
    page = _page(CORPUS / "tika" / "testPDF_protected-p7-8.pdf", 1)
    kinds = {block.text: block.type for block in page.blocks if block.type != "line"}
    assert kinds["³ For example, Voute (1946) and Elton (1958)."] == "paragraph"
    assert kinds["7"] == "page_footer"
    assert "For example, Voute (1946) and Elton (1958)." in page.markdown


def test_what_reads_as_a_footnote():
    assert furniture.footnote("3 For example, Voute (1946) and Elton (1958).")
    assert furniture.footnote("³ For example, Voute (1946) and Elton (1958).")
    assert furniture.footnote("* Corresponding author. Present address: Oslo.")
    assert furniture.footnote("1Diese Metrik wird auch „französische Eisenbahnmetrik“ genannt.")
    assert not furniture.footnote("206 Law Enforcement, Courts, and Prisons")  # a title
    assert not furniture.footnote("2 Z. Shen et al.")  # a running head
    assert not furniture.footnote("12 Annual Report 2020")
    assert not furniture.footnote("3 Published by Elsevier. © 2020 The Authors.")  # a stamp


def test_a_page_scanned_askew_is_read_in_the_order_of_its_lines():
    """OCRmyPDF's skew.pdf: the corpus's linn.pdf scanned about 1.3 degrees askew. The
    line boxes, upright, climbed across the page: a list item's last line ("synthesizers!")
    came after the next item, a wrapped line became a heading ("## be assigned to one of
    16 MIDI channels."), and the heading under both columns fell inside the first."""
    page = _page(CORPUS / "ocrmypdf-extra" / "skew.pdf", 1, ocr="auto")
    md = page.markdown
    assert page.source == "ocr"
    assert md.index("synthesizers!") < md.index("Ultra-fast")
    assert md.index("simply use LOCATE, FAST FORWARD, or REWIND") < md.index("Additional Features")
    assert "be assigned to one of 16 MIDI channels" in md and "## be assigned" not in md
    # The boxes go out on the scan: the title line's box where the detector drew it
    # (left 223.4, top 24.5 before the page was straightened).
    title = next(b for b in page.blocks if b.type == "line" and b.text == "The LinnSequencer")
    assert abs(title.bbox[0] - 223.4) < 2.0 and abs(title.bbox[1] - 24.5) < 2.0


def test_a_diagonal_watermark_is_read_once_after_the_text():
    """pdf-lib's normal.pdf (a DC tax form) has "COPY" drawn across it at 45 degrees, one
    text object: its letters had joined the lines they cross ("... is less than $100,
    or Y", "1 O $", "5 C $") and put a sentence before its heading."""
    handle = decode.open_document(
        CORPUS / "pdflib" / "normal.pdf",
        decode.PDF,
        None,
        max_pages=10,
        max_page_points=14400.0,
        max_pixels=40_000_000,
    )
    try:
        view = handle.page(1, text_layer=True)
    finally:
        handle.close()
    assert [line.text for line in view.slanted] == ["COPY"]
    assert not any(line.text.endswith((" Y", " O $", " C $")) for line in view.lines)
    md = _page(CORPUS / "pdflib" / "normal.pdf", 1).markdown
    assert md.index("No penalty is due") < md.index("applicable credits is less than $100, or")
    assert "1 2012 DC Tax Liability “total tax” from your DC Individual Income Tax Return." in md
    assert md.rstrip().endswith("COPY") or "\n\nCOPY\n\n" in md


def test_text_a_form_clips_away_is_not_read():
    """pdf-lib's embed_pdf_pages.pdf draws the constitution's first page as a form cut
    down by its /BBox to the flag and the preamble: "Article.I.", "SECTION. 1." and
    "All legislative Powers ..." lie outside and do not show, and had been read."""
    text = _page_text(CORPUS / "pdflib" / "embed_pdf_pages.pdf", 1)
    assert "We the People of the United States" in text
    assert "Article" not in text and "legislative Powers" not in text


def test_bullets_drawn_as_pictures_start_their_items():
    """Tika's testPDFVarious.pdf (made by Word): the list's bullets are 2×2-pixel images,
    the text layer holds only "Bullet 1", "Bullet 2", "Bullet 3", which had run together
    into one paragraph. Its Gothic letters, which pdfium gives as half a UTF-16 pair
    each, had come out as replacement characters ("������")."""
    text = _page_text(CORPUS / "tika" / "testPDFVarious.pdf", 1)
    assert "• Bullet 1\n• Bullet 2\n• Bullet 3" in text
    assert "\ufffd" not in text
    md = _page(CORPUS / "tika" / "testPDFVarious.pdf", 1).markdown
    assert "- Bullet 1\n\n- Bullet 2\n\n- Bullet 3" in md
    assert "1) Number bullet 1" in md and "• 1)" not in md  # numbered items keep their numbers


def test_footnote_marks_read_raised_and_each_footnote_is_a_paragraph():
    """s2orc-doc2json's N18-3011.pdf (an ACL paper): footnote marks had read as part of
    the word before them ("the mentions.4 III."), and a footnote that ends in a web
    address had run on into the next one ("tagme-help 6We use v3.4")."""
    page = _page(CORPUS / "s2orc-doc2json" / "N18-3011.pdf", 4)
    assert "to disambiguate the mentions.⁴ III. Off-the-shelf:" in page.markdown
    paras = [block.text for block in page.blocks if block.type == "paragraph"]
    assert any(p.startswith("⁵The TagMe APIs") and p.endswith("tagme-help") for p in paras)
    assert any(p.startswith("⁶We use v3.4 (L0) of MetaMap Lite") for p in paras)
