"""TeX's symbol fonts with no Unicode map read by their encodings (``decode.texfonts``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docworker import decode
from docworker.decode import texfonts
from docworker.decode.pdfmath import command

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
    oms, omx = texfonts.table_for("ABCDEF+CMSY10"), texfonts.table_for("CMEX10")
    oml = texfonts.table_for("CMMI10")
    assert oms is not None and omx is not None and oml is not None
    assert [oml[c] for c in "%\x0f`'"] == ["ϱ", "ϵ", "ℓ", "φ"] and oml[","] == ""
    assert texfonts.table_for("CMBSY7") is oms and texfonts.table_for("LMMathSymbols10-Italic")
    assert texfonts.table_for("CMR10") is None and texfonts.table_for("Times-Roman") is None
    assert [oms[c] for c in "hik0\x03\x1c<"] == ["⟨", "⟩", "‖", "′", "∗", "≪", "ℜ"]
    assert "6" not in oms and "7" not in oms  # read with the glyph over them (pdfmath)
    assert [omx[c] for c in "PXRZS[\x12"] == ["∑", "∑", "∫", "∫", "⋃", "⋃", "("]
    # Every symbol they give that LaTeX has a command for is read as that command.
    assert command("⋃") == "\\bigcup" and command("⟨") == "\\langle" and command("‖") == "\\|"


def test_a_pdftex_paper_reads_its_angle_brackets_and_primes():
    """fr_olap.pdf's CMSY10 has no Unicode map for ⟨ ⟩ and ′: pdfium gave "h", "i", "0"."""
    text = _page_text(FR_OLAP, 3)
    assert "C = ⟨D1, ..., Dn, F⟩" in text and "hD1" not in text
    assert "m <i m′" in text and "⟨m1, ..., mn⟩" in text


@pytest.mark.skipif(not GEOTOPO.is_file(), reason="shared corpus not present")
def test_a_tex_book_reads_norms_and_big_operators():
    """GeoTopo's norms were "kxk", its big union "[" or "S", its sum "P"."""
    text = _page_text(GEOTOPO, 6)  # the operator is a piece of its own, its limits under it
    assert "für jedes i ∈ I, so ist\n⋃\ni∈I\nUi ∈ T" in text
    assert "max(‖x1 − x2‖, ‖y1 − y2‖)" in _page_text(GEOTOPO, 11)
    # CMMI's ϱ had read "%", and the hook of an inclusion's arrow ",→" a comma.
    assert "Gruppenhomomorphismen\nϱ : G → Perm(X)" in _page_text(GEOTOPO, 66)
    assert "man schreibt: ι : A → X." in _page_text(GEOTOPO, 51)
