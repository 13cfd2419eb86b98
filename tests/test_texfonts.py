"""TeX's symbol fonts with no Unicode map read by their encodings (``decode.texfonts``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docworker import decode
from docworker.decode import texfonts
from docworker.decode.pdfmath import command
from tests.pdfgen import pdf_from_objects

ROOT = Path(__file__).resolve().parents[1]
FR_OLAP = ROOT / "corpus" / "unstructured-io" / "fr_olap.pdf"
CORPUS = Path(os.environ.get("FUZZ_CORPUS", str(ROOT.parent / "shared" / "corpus")))
GEOTOPO = CORPUS / "sample-files" / "GeoTopo-komprimiert.pdf"


def _page_text(path: Path, number: int) -> str:
    handle = decode.open_document(
        path, decode.PDF, None, max_pages=1000, max_page_points=14400.0, max_pixels=40_000_000
    )
    try:
        view = handle.page(number, text_layer=True)
    finally:
        handle.close()
    return "\n".join(line.text for line in view.lines)


def test_the_families_and_their_codes():
    oms, omx, oml = (
        texfonts.table_for(name)[0]  # type: ignore[index]
        for name in ("ABCDEF+CMSY10", "CMEX10", "CMMI10")
    )
    assert [oml[c] for c in "%\x0f`'"] == ["ϱ", "ϵ", "ℓ", "φ"] and oml[","] == ""
    assert texfonts.table_for("CMBSY7") == (oms, False)
    assert texfonts.table_for("LMMathSymbols10-Italic") == (oms, False)
    assert texfonts.table_for("ABCDEF+RupeeForadian") == ({"`": "₹"}, True)
    assert texfonts.table_for("CMR10") is None and texfonts.table_for("Times-Roman") is None
    assert [oms[c] for c in "hik0\x03\x1c<"] == ["⟨", "⟩", "‖", "′", "∗", "≪", "ℜ"]
    assert "6" not in oms and "7" not in oms  # joined with their sign (pdfchars.negations)
    msam, msbm = (texfonts.table_for(name)[0] for name in ("ABCDEF+MSAM10", "MSBM7"))  # type: ignore[index]
    # Slots the glyph lists name another sign: MSAM's two left arrows, \lll, \varkappa.
    assert [msam[c] for c in "6>&C\x12n)X"] == ["⩽", "⩾", "≳", "⊲", "⇇", "⋘", "∴", "✓"]
    assert [msbm[c] for c in "@?R{\x02*"] == ["∄", "∅", "ℝ", "ϰ", "≰", "⊈"]
    assert msam["9"] == msam["\x04"] == ""  # a dashed arrow's dash, a proof's tombstone
    assert [omx[c] for c in "PXRZS[\x12"] == ["∑", "∑", "∫", "∫", "⋃", "⋃", "("]
    # Every symbol they give that LaTeX has a command for is read as that command.
    assert command("⋃") == "\\bigcup" and command("⟨") == "\\langle" and command("‖") == "\\|"


def test_a_pdftex_paper_reads_its_angle_brackets_and_primes():
    """fr_olap.pdf's CMSY10 has no Unicode map for ⟨ ⟩ and ′: pdfium gave "h", "i", "0"."""
    text = _page_text(FR_OLAP, 3)
    assert "C = ⟨D1, ..., Dn, F⟩" in text and "hD1" not in text
    assert "m <i m′" in text and "⟨m1, ..., mn⟩" in text


def test_pdftex_papers_read_the_ams_and_negated_signs():
    """fr_olap.pdf sets ∄ in MSBM10 with no Unicode map (it read "@m′′") and ∉ as CMSY's
    slash over ∈ (it read "m 6∈ member")."""
    text = _page_text(FR_OLAP, 7)
    assert "m ∉ member(query(q r )) et ∄m′′ ∈ member" in text
    assert "6∈" not in text and "@m" not in text
    # A cosmology paper's ≳ and ⩾ in MSAM10 read "&" and ">".
    paper = ROOT / "corpus" / "grobid" / "1001._0908.0054.pdf"
    assert "a value of τ ≳ 0.07" in _page_text(paper, 4).replace("\n", " ")
    assert "α ⩾ 10" in _page_text(paper, 3)


@pytest.mark.skipif(not GEOTOPO.is_file(), reason="shared corpus not present")
def test_a_tex_book_reads_not_equal_and_maps_to():
    """≠ and ↦ are CMSY's slash over "=" and its bar before "→": "x 6= y", "x 7→ [x]∼"."""
    assert "1 falls x ≠ y" in _page_text(GEOTOPO, 10)
    assert "π : X → X,\nx ↦ [x]∼." in _page_text(GEOTOPO, 9)


@pytest.mark.skipif(not GEOTOPO.is_file(), reason="shared corpus not present")
def test_a_tex_book_reads_norms_and_big_operators():
    """GeoTopo's norms were "kxk", its big union "[" or "S", its sum "P"."""
    text = _page_text(GEOTOPO, 6)  # the operator is a piece of its own, its limits under it
    assert "für jedes i ∈ I, so ist\n⋃\ni∈I\nUi ∈ T" in text
    assert "max(‖x1 − x2‖, ‖y1 − y2‖)" in _page_text(GEOTOPO, 11)
    # CMMI's ϱ had read "%", and the hook of an inclusion's arrow ",→" a comma.
    assert "Gruppenhomomorphismen\nϱ : G → Perm(X)" in _page_text(GEOTOPO, 66)
    assert "man schreibt: ι : A → X." in _page_text(GEOTOPO, 51)


def _rupee_pdf() -> bytes:
    """An annual report's figure: "`" in the Rupee Foradian font, the amount in Times."""
    stream = (
        b"BT 1 0 0 1 72 700 Tm /T 12 Tf (Revenue: ) Tj /R 12 Tf (`) Tj /T 12 Tf"
        b" (7,92,756 crore; a quote: `fine`) Tj ET"
    )
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /T 5 0 R /R 6 0 R >> >> >>",
        4: b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding /WinAnsiEncoding >>",
        6: b"<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+RupeeForadian"
        b" /Encoding /WinAnsiEncoding >>",
    }
    return pdf_from_objects(objects)


def test_the_rupee_font_draws_the_rupee_sign_for_a_grave_accent(tmp_path):
    """Indian reports set ₹ in "Rupee Foradian", whose grave accent is the rupee sign;
    a grave accent in any other font stays one."""
    path = tmp_path / "rupee.pdf"
    path.write_bytes(_rupee_pdf())
    text = _page_text(path, 1)
    assert "Revenue: ₹7,92,756 crore; a quote: `fine`" in text


def test_an_unmapped_flat_bar_before_a_number_is_its_minus_sign():
    """Elsevier's AdvMacMthSyN sets "−0.9393" with its minus as code 3 and no Unicode; the
    text read "0.9393". Only a bar right before a digit is read so: an ornament of flat
    glyphs elsewhere (redp5110's cover) stays out."""
    text = _page_text(ROOT / "corpus" / "unstructured-io" / "embedded-images-tables.pdf", 1)
    assert "−0.9393" in text and "−0.5356" in text
