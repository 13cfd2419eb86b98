"""Check boxes drawn as small squares (a form printed to PDF) come into the text as ☐
and ☒ (``decode.checkboxes``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docworker import decode
from docworker.engines import cpu
from docworker.isolation import tasks
from tests.pdfgen import stream_pdf

LOCAL = Path(__file__).resolve().parents[1] / "corpus"


def _text(x: float, y: float, text: str, size: float = 10) -> bytes:
    return b"BT /F1 %.1f Tf 1 0 0 1 %.2f %.2f Tm (%s) Tj ET" % (size, x, y, text.encode("cp1252"))


def _box(x: float, y: float, ticked: bool = False, side: float = 9.0) -> bytes:
    """A square outline with its bottom left at (x, y); ``ticked``: an X across it."""
    ops = b"0.5 w %.2f %.2f %.2f %.2f re S" % (x, y, side, side)
    if ticked:
        ops += b" %.2f %.2f m %.2f %.2f l S %.2f %.2f m %.2f %.2f l S" % (
            x, y, x + side, y + side, x + side, y, x, y + side,
        )  # fmt: skip
    return ops


def _page(tmp_path: Path, ops: list[bytes]) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(stream_pdf(b"\n".join(ops)))
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    return page.text or ""


def test_drawn_boxes_read_as_empty_and_ticked(tmp_path):
    ops = [
        _text(72, 700, "Gender:"),
        _box(115, 699),
        _text(128, 700, "Female"),
        _box(170, 699, ticked=True),
        _text(183, 700, "Male"),
        _box(72, 679, ticked=True),
        _text(85, 680, "Yes"),
        _box(110, 679),
        _text(123, 680, "No"),
        _text(140, 680, "Criminal charges filed?"),
        _text(72, 660, "Any other comments"),
        _box(170, 659),  # a box after its label, nothing right of it
    ]
    text = _page(tmp_path, ops)
    assert "Gender: \u2610 Female \u2612 Male" in text
    assert "\u2612 Yes \u2610 No Criminal charges filed?" in text
    assert "Any other comments \u2610" in text


def test_a_row_of_digit_cells_and_a_box_with_a_letter_in_it_are_no_check_boxes(tmp_path):
    ops = [_text(72, 700, "Social security number")]
    ops += [_box(200 + 9 * k, 699) for k in range(9)]  # cells side by side: a grid
    ops += [
        _text(72, 680, "Initial"),
        _box(110, 679),
        _text(112, 680, "X"),
        _text(130, 680, "here"),
    ]
    text = _page(tmp_path, ops)
    assert "\u2610" not in text and "\u2612" not in text
    assert "Initial X here" in text


@pytest.mark.skipif(
    not (LOCAL / "pdfplumber-extra/150109DSP-Milw-505-90D.pdf").exists(), reason="corpus absent"
)
def test_real_report_form_says_which_boxes_are_ticked():
    """Wisconsin's 90-day child-death summary: its boxes are squares drawn as paths, a
    tick two strokes across; the text had "Gender: Female Male", "Yes No Criminal ..."."""
    doc = tasks.DocTask(
        str(LOCAL / "pdfplumber-extra/150109DSP-Milw-505-90D.pdf"),
        decode.PDF,
        None,
        10,
        14400.0,
        40_000_000,
    )
    text = cpu.read_page(tasks.PageTask(doc=doc, number=1)).text or ""
    assert "Gender: \u2610 Female \u2612 Male" in text
    assert "\u2612 Yes \u2610 No Criminal charges filed?" in text
