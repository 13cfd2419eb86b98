"""Ruled tables from a PDF's text layer: grid, spans, markdown/HTML, page placement."""

from __future__ import annotations

import io

from docworker import decode, pagework
from docworker.stages.tables import TableStage

# A 3x3 ruled table; the first row's last two cells are one cell spanning two columns.
X = [100, 220, 340, 460]
Y = [700, 680, 660, 640]  # PDF user space, bottom-up
CELLS = [
    (0, 0, "País"),
    (0, 1, "Población y superficie"),
    (1, 0, "España"),
    (1, 1, "48,6"),
    (1, 2, "505.990"),
    (2, 0, "Perú"),
    (2, 1, "34,0"),
    (2, 2, "1.285.216"),
]


def _ruled_table_pdf() -> bytes:
    ops = [b"0.5 w"]
    for y in Y:
        ops.append(b"%d %d m %d %d l S" % (X[0], y, X[-1], y))
    for i, x in enumerate(X):
        if i == 2:  # no rule through the spanning header cell
            ops.append(b"%d %d m %d %d l S" % (x, Y[1], x, Y[-1]))
        else:
            ops.append(b"%d %d m %d %d l S" % (x, Y[0], x, Y[-1]))
    ops.append(b"BT /F1 10 Tf")
    for row, col, text in CELLS:
        raw = text.encode("cp1252")
        ops.append(b"1 0 0 1 %d %d Tm (%s) Tj" % (X[col] + 4, Y[row] - 14, raw))
    ops.append(b"ET BT /F1 12 Tf 1 0 0 1 100 760 Tm (Cuadro 1: datos de ejemplo) Tj ET")
    stream = b"\n".join(ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def test_ruled_table_cells_spans_and_exports(tmp_path):
    path = tmp_path / "tabla.pdf"
    path.write_bytes(_ruled_table_pdf())
    stage = TableStage()
    tables = stage(str(path), None, 1)
    stage.close()
    assert len(tables) == 1
    table = tables[0]
    assert (table.n_rows, table.n_cols) == (3, 3)
    by_pos = {(c.row, c.col): c for c in table.cells}
    assert by_pos[(0, 1)].text == "Población y superficie" and by_pos[(0, 1)].col_span == 2
    assert by_pos[(2, 2)].text == "1.285.216" and by_pos[(0, 0)].header
    # Box in top-left page points.
    x0, y0, x1, _ = table.bbox
    assert abs(x0 - 100) < 2 and abs(y0 - (842 - 700)) < 2 and abs(x1 - 460) < 2
    assert table.markdown.splitlines()[0] == "| País | Población y superficie |  |"
    assert table.markdown.splitlines()[3] == "| Perú | 34,0 | 1.285.216 |"
    assert '<th colspan="2">Población y superficie</th>' in table.html


def test_cpu_page_puts_the_table_in_markdown_once(tmp_path):
    path = tmp_path / "tabla.pdf"
    path.write_bytes(_ruled_table_pdf())
    doc = pagework.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = pagework.cpu_page(pagework.PageTask(doc=doc, number=1))
    assert page.source == "text_layer" and len(page.tables) == 1
    assert page.markdown.startswith("Cuadro 1: datos de ejemplo\n\n| País |")
    assert page.markdown.count("España") == 1
    assert [b.type for b in page.blocks if b.type != "line"] == ["paragraph", "table"]
    assert "Perú" in page.text


def test_pages_without_rulings_skip_the_table_finder():
    assert not TableStage().wanted(graphics=0)
    assert not TableStage().wanted(graphics=8)
    assert TableStage().wanted(graphics=40)
