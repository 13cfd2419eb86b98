"""Small print on a scan: a page whose glyphs come out of the 150-dpi OCR render only a
few pixels high is rendered again with more pixels, as far as the scan has them
(``engines.cpu._small_print``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docworker import decode
from docworker.decode.pdf import PdfHandle
from docworker.engines import cpu
from docworker.isolation import tasks
from tests.pdfgen import ImagePage, build_pdf, scan_jpeg

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

LINES = [
    "The committee met on Tuesday to consider the report",
    "of the harbour commissioners and the accounts for",
    "the year ending in December, which were approved.",
] * 3


def _scan(tmp_path: Path, pixels_wide: int, font_size: int) -> Path:
    """A 595-point-wide page that is one greyscale scan of ``LINES``."""
    size = (pixels_wide, int(pixels_wide * 1.2))
    path = tmp_path / "scan.pdf"
    path.write_bytes(build_pdf([ImagePage(scan_jpeg(LINES, size=size, font_size=font_size), size)]))
    return path


def _read(path: Path, monkeypatch) -> tuple[str, list[int]]:
    """The page's text and the resolutions it was rendered at."""
    asked: list[int] = []
    render = PdfHandle.render

    def spy(self, number, dpi, max_pixels):
        asked.append(dpi)
        return render(self, number, dpi, max_pixels)

    monkeypatch.setattr(PdfHandle, "render", spy)
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert page.source == "ocr"
    return page.text or "", asked


def test_small_print_on_a_300_ppi_scan_is_rendered_again_with_more_pixels(tmp_path, monkeypatch):
    # 24-pixel type at 300 ppi: glyphs 7 pixels high in the 150-dpi render.
    text, asked = _read(_scan(tmp_path, 2480, 24), monkeypatch)
    assert asked[0] == 150 and len(asked) == 2
    assert 150 * cpu.MIN_ENLARGE <= asked[1] <= 300  # never past the scan's own resolution
    assert "harbour commissioners" in text


def test_a_scan_no_finer_than_the_render_is_read_as_it_is(tmp_path, monkeypatch):
    # The same small glyphs, but the scan is 150 ppi itself: a second render adds nothing.
    _, asked = _read(_scan(tmp_path, 1240, 12), monkeypatch)
    assert asked == [150]


def test_ordinary_print_on_a_fine_scan_is_read_at_the_usual_resolution(tmp_path, monkeypatch):
    text, asked = _read(_scan(tmp_path, 2480, 60), monkeypatch)
    assert asked == [150]
    assert "harbour commissioners" in text


def test_a_scanned_photograph_is_not_taken_for_small_print(tmp_path, monkeypatch):
    """A photograph's ink blobs are small too (6-8 pixels at 150 dpi), but of every height
    (their spread 0.9-2.1 of the median against print's 0.2-0.5): a scanned photo page is
    not rendered again at 300 dpi for nothing."""
    import io

    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(3)
    size = (2480, 3508)  # the whole A4 page at 300 ppi
    field = Image.fromarray((rng.random((size[1], size[0])) * 255).astype("uint8"))
    photo = field.filter(ImageFilter.GaussianBlur(4)).point(lambda v: max(0, min(255, 2 * v - 128)))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=85)
    path = tmp_path / "photo.pdf"
    path.write_bytes(build_pdf([ImagePage(out.getvalue(), size)]))
    _, asked = _read(path, monkeypatch)
    assert asked == [150]


@pytest.mark.skipif(not (CORPUS / "pikepdf/scanned/congress.pdf").exists(), reason="corpus absent")
def test_real_small_print_senate_document(monkeypatch):
    """An 1871 Senate document scanned at 360 ppi whose type comes out 4 pixels high at
    150 dpi: read there it had "Janvany 27, 1871", "Jaary 27", "orderod", "efficieney"."""
    text, asked = _read(CORPUS / "pikepdf/scanned/congress.pdf", monkeypatch)
    assert asked[0] == 150 and 300 <= asked[1] <= 360
    assert "Washington, January 26, 1870." in text
    assert "ordered to be" in text and "efficiency to the courts" in text
    for misread in ("Janvany", "Jaary", "orderod", "efficieney"):
        assert misread not in text
