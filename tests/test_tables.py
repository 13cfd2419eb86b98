"""Tables from a PDF's text layer: ruled grids, painted cells, stream tables, turned tables.

Generated PDFs check each mechanism on its own (and the false-positive guards
on prose); the corpus files (``../shared/corpus``, skipped where absent) check
the cell accuracy that ``evaluate`` reports for them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from bench import quality as evaluate

from docworker import decode
from docworker.engines import cpu
from docworker.geometry import Line
from docworker.isolation import tasks
from docworker.tables import TableStage
from docworker.tables.stage import looks_tabular
from docworker.tables.turned import turn_box, unturn_box
from tests.pdfgen import TextPage, build_pdf, stream_pdf
from tests.pdfspans import width

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("FUZZ_CORPUS", str(ROOT.parent / "shared" / "corpus")))

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


def _text(x: float, y: float, text: str, size: float = 10, turned: bool = False) -> bytes:
    """Text at (x, y) in user space; ``turned`` runs it down the page (a table turned clockwise)."""
    raw = text.encode("cp1252").replace(b"(", b"\\(").replace(b")", b"\\)")
    matrix = b"0 -1 1 0" if turned else b"1 0 0 1"
    return b"BT /F1 %.1f Tf %s %.2f %.2f Tm (%s) Tj ET" % (size, matrix, x, y, raw)


def _ruled_table_pdf() -> bytes:
    ops = [b"0.5 w"]
    for y in Y:
        ops.append(b"%d %d m %d %d l S" % (X[0], y, X[-1], y))
    for i, x in enumerate(X):
        if i == 2:  # no rule through the spanning header cell
            ops.append(b"%d %d m %d %d l S" % (x, Y[1], x, Y[-1]))
        else:
            ops.append(b"%d %d m %d %d l S" % (x, Y[0], x, Y[-1]))
    for row, col, text in CELLS:
        ops.append(_text(X[col] + 4, Y[row] - 14, text))
    ops.append(_text(100, 760, "Cuadro 1: datos de ejemplo", 12))
    return stream_pdf(b"\n".join(ops))


def _tables(tmp_path: Path, data: bytes, name: str = "t.pdf", stage: TableStage | None = None):
    path = tmp_path / name
    path.write_bytes(data)
    stage = stage or TableStage()
    try:
        return stage(str(path), None, 1)
    finally:
        stage.close()


def _grid(table) -> list[list[str]]:
    return evaluate.grid_of(table.model_dump())


def _row(xs: Sequence[float], y: float, texts: Sequence[str], right: bool = False) -> list[bytes]:
    """One line of a table at 9 points: each non-empty text at its x (its right end there
    with ``right``), at height ``y``."""
    return [
        _text(x - width(t, 9) if right else x, y, t, 9) for x, t in zip(xs, texts, strict=True) if t
    ]


def _text_lines(path: Path, data: bytes) -> list:
    """``data`` written to ``path``, and its first page's text lines (the cheap gate's input)."""
    path.write_bytes(data)
    handle = decode.open_document(path, "application/pdf", None, max_pages=5,
                                  max_page_points=20000, max_pixels=10**8)  # fmt: skip
    try:
        return handle.page(1, text_layer=True).lines
    finally:
        handle.close()


def test_ruled_table_cells_spans_and_exports(tmp_path):
    tables = _tables(tmp_path, _ruled_table_pdf(), "tabla.pdf")
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
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert page.source == "text_layer" and len(page.tables) == 1
    # Its header cell spans two columns, which a pipe table cannot say: the page's
    # markdown holds the table's HTML (the rows' labels are row headings).
    assert page.markdown.startswith(
        'Cuadro 1: datos de ejemplo\n\n<table>\n<tr><th>País</th><th colspan="2">Población y'
    )
    assert "\n<tr><th>Perú</th><td>34,0</td><td>1.285.216</td></tr>\n</table>" in page.markdown
    assert page.markdown.count("España") == 1
    assert [b.type for b in page.blocks if b.type != "line"] == ["caption", "table"]
    assert "Perú" in page.text


def test_pages_without_rulings_or_tabular_text_skip_the_table_finder():
    assert not TableStage().wanted(graphics=0)
    assert not TableStage().wanted(graphics=8)
    assert TableStage().wanted(graphics=40)
    prose = [
        Line(f"line {i} of a paragraph about 3 things", (72, i * 14, 500, i * 14 + 10))
        for i in range(30)
    ]
    assert not TableStage().wanted(graphics=0, lines=prose)
    numbers = [
        Line(f"Row {i} 12.5 3,400 {i}7 81%", (72, i * 14, 500, i * 14 + 10)) for i in range(5)
    ]
    assert TableStage().wanted(graphics=0, lines=numbers)
    assert not TableStage(stream=False).wanted(graphics=0, lines=numbers)


def _prose_with_drawing_pdf() -> bytes:
    """A page of prose beside a drawing: a circle of 40 short strokes and an underline."""
    import math

    ops = [b"0.5 w"]
    for k in range(40):  # the drawing: slanted strokes, no rulings that cross
        a, b = 2 * math.pi * k / 40, 2 * math.pi * (k + 1) / 40
        ops.append(
            b"%.2f %.2f m %.2f %.2f l S"
            % (
                400 + 60 * math.cos(a),
                600 + 60 * math.sin(a),
                400 + 60 * math.cos(b),
                600 + 60 * math.sin(b),
            )
        )
    ops.append(b"72 700 m 300 700 l S")  # an underline under the heading
    ops.append(_text(72, 705, "Informe anual de la comisión", 14))
    words = PROSE * 2
    for i in range(30):
        ops.append(_text(72, 500 - 14 * i, " ".join(words[i : i + 12])))
    return stream_pdf(b"\n".join(ops))


def _read(tmp_path: Path, data: bytes, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    return cpu.read_page(tasks.PageTask(doc=doc, number=1))


def test_prose_pages_never_reach_the_table_finder(tmp_path):
    """Counted, not timed: prose never costs a finder run or a character read."""
    counts = cpu.table_stage().counts
    before = dict(counts)
    page = _read(
        tmp_path, _prose_page(2), "prose.pdf"
    )  # no graphics, no tabular lines: never asked
    assert page.tables == [] and "tables" not in page.timings_ms
    assert counts == before
    page = _read(
        tmp_path, _prose_with_drawing_pdf(), "drawing.pdf"
    )  # graphics, but no grid they could frame
    assert page.tables == [] and "committee met" in page.text
    assert counts["asked"] == before["asked"] + 1
    assert counts["no_grid"] == before["no_grid"] + 1
    assert counts["found"] == before["found"]
    page = _read(tmp_path, _ruled_table_pdf(), "table.pdf")  # a ruled table still gets there
    assert len(page.tables) == 1 and counts["found"] == before["found"] + 1


def test_pdfium_objects_are_classified_as_pdfminer_did(tmp_path):
    """Two points are a line, a closed axis-aligned quad a rectangle, anything else a curve."""
    import pypdfium2 as pdfium

    from docworker.tables.objects import characters, frame_of, graphics

    ops = [
        b"100 700 m 300 700 l S",  # a line
        b"0.9 g 100 600 200 50 re f",  # a filled rectangle
        b"100 500 m 150 550 l 200 500 l S",  # a polyline: a curve
        b"100 400 m 120 450 180 450 200 400 c S",  # a bezier: a curve, end points only
        _text(100, 300, "Año", 10),
    ]
    path = tmp_path / "objects.pdf"
    path.write_bytes(stream_pdf(b"\n".join(ops)))
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[0]
        frame, width, height = frame_of(page)
        lines, rects, curves = graphics(page, frame)
        textpage = page.get_textpage()
        chars = characters(textpage, frame)
        textpage.close()
        page.close()
    finally:
        pdf.close()
    assert (width, height) == (595, 842)
    assert [ln["pts"] for ln in lines] == [[(100, 142), (300, 142)]]
    assert [(r["x0"], r["top"], r["x1"], r["bottom"], r["fill"]) for r in rects] == [
        (100, 192, 300, 242, True)
    ]
    assert [len(c["pts"]) for c in curves] == [3, 2]
    assert curves[1]["pts"][-1] == (200, 442)
    assert "".join(c["text"] for c in chars) == "Año"
    first = chars[0]
    assert abs(first["x0"] - 100) < 0.5 and abs(first["bottom"] - first["top"] - 10) < 0.01


# ------------------------------------------------------------- painted cells

# A striped table as spreadsheet exports draw it: each painted cell is a text box
# plus padding strips of the same colour, painted rows touch, white rows are not
# drawn, and only hairline rules (thin filled rectangles) run between rows.
COLS = [60, 180, 260, 340, 420]
ROWS = ["Region", "North", "South", "East", "West", "Centre"]
VALUES = ["12,400", "8,150", "990", "3,075"]


def _striped_table_pdf() -> bytes:
    ops = [b"0.82 0.92 0.95 rg"]
    top = 760
    h = 20
    for r in range(len(ROWS)):
        y = top - (r + 1) * h
        if r % 2 == 0:  # painted row, cell by cell, in three pieces each
            for x0, x1 in zip(COLS, [*COLS[1:], 500], strict=True):
                ops.append(b"%d %d 4 %d re f" % (x0, y, h))
                ops.append(b"%d %d %d %d re f" % (x0 + 4, y, x1 - x0 - 8, h))
                ops.append(b"%d %d 4 %d re f" % (x1 - 4, y, h))
    ops.append(b"0.47 0.75 0.83 rg")
    for r in range(len(ROWS) + 1):
        ops.append(b"60 %.1f 440 0.8 re f" % (top - r * h - 0.4))
    ops.append(b"59.5 %d 0.8 %d re f" % (top - len(ROWS) * h, len(ROWS) * h))
    ops.append(b"499.7 %d 0.8 %d re f" % (top - len(ROWS) * h, len(ROWS) * h))
    ops.append(b"0 0 0 rg")
    header = ["Year", "2021", "2022", "2023", "2024"]
    for r, label in enumerate(ROWS):
        y = top - (r + 1) * h + 6
        ops.append(_text(64, y, label, 9))
        for c in range(1, len(COLS)):
            text = header[c] if r == 0 else VALUES[(r + c) % len(VALUES)]
            ops.append(_text(COLS[c] + 40, y, text, 9))
    return stream_pdf(b"\n".join(ops))


def test_painted_cells_and_undrawn_white_rows_make_one_grid(tmp_path):
    tables = _tables(tmp_path, _striped_table_pdf())
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert len(grid) == len(ROWS) and len(grid[0]) == len(COLS)
    assert grid[0] == ["Region", "2021", "2022", "2023", "2024"]
    assert grid[1][0] == "North" and grid[1][1] == VALUES[2]
    assert grid[2][0] == "South" and grid[2][4] == VALUES[2]  # a white, undrawn row


def test_ruled_boxes_of_running_text_are_no_table(tmp_path):
    ops = [b"1 w 60 300 480 400 re S 300 300 m 300 700 l S 60 500 m 540 500 l S"]
    sentence = "This paragraph of running text sits in a box of the page layout"
    for k, (x, top) in enumerate([(64, 690), (304, 690), (64, 490), (304, 490)]):
        for i in range(12):
            ops.append(_text(x, top - i * 12, f"{sentence[: 40 + k]} {i}", 8))
    assert _tables(tmp_path, stream_pdf(b"\n".join(ops))) == []


def test_a_ruled_table_with_a_column_of_comments_is_a_table(tmp_path):
    """An outbreak report: short cells in five columns, a long comment in the last one
    holding most of the words. Boxes of running text in one column of a grid of several
    filled columns are a table's notes, not a page layout."""
    xs = [40, 90, 160, 230, 300, 560]
    ys = [780, 760, 640, 520]
    ops = [b"0.5 w"]
    ops += [b"%d %d m %d %d l S" % (xs[0], y, xs[-1], y) for y in ys]
    ops += [b"%d %d m %d %d l S" % (x, ys[0], x, ys[-1]) for x in xs]
    for i, head in enumerate(["No.", "State", "Disease", "Cases", "Action taken"]):
        ops.append(_text(xs[i] + 3, 766, head, 8))
    comment = "Cases reported from the village were investigated by the district team"
    for r, (state, disease, cases) in enumerate(
        [("Kerala", "Food poisoning", "19"), ("Odisha", "Dengue", "42")]
    ):
        top = ys[r + 1]
        for i, text in enumerate([str(r + 1), state, disease, cases]):
            ops.append(_text(xs[i] + 3, top - 60, text, 8))
        for k in range(8):  # 8 lines of 12 words: 96 words a comment
            ops.append(_text(xs[4] + 3, top - 12 - 12 * k, f"{comment} {k}", 6))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid[0] == ["No.", "State", "Disease", "Cases", "Action taken"]
    assert grid[1][:4] == ["1", "Kerala", "Food poisoning", "19"]
    assert grid[2][4].startswith("Cases reported from the village")


def test_a_ruled_column_of_date_ranges_is_no_pair_of_columns(tmp_path):
    """A campaign's stops: each row's dates run "2.12.2009 to 19.12.2009" over two lines
    of its cell. Two numbers with a word between them are a range in one cell, not two
    columns the rules missed; the ruled grid is read as it is drawn."""
    xs = [60, 160, 260, 340]
    header = ["State", "Date", "Halts"]
    body = [[f"State {k}", f"{k + 1}.12.2009 to {k + 9}.12.2009", str(5 + k)] for k in range(7)]
    ys = [760 - 30 * r for r in range(len(body) + 2)]
    ops = [b"0.5 w"]
    ops += [b"%d %d m %d %d l S" % (xs[0], y, xs[-1], y) for y in ys]
    ops += [b"%d %d m %d %d l S" % (x, ys[0], x, ys[-1]) for x in xs]
    for r, row in enumerate([header, *body]):
        for c, text in enumerate(row):
            if c == 1 and r:  # the range over two lines of its cell
                first, second = text.split(" to ")
                ops.append(_text(xs[c] + 4, ys[r] - 12, f"{first} to", 9))
                ops.append(_text(xs[c] + 4, ys[r] - 24, second, 9))
            else:
                ops.append(_text(xs[c] + 4, ys[r] - 18, text, 9))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    assert _grid(tables[0]) == [header, *body]


def _rules_as_images_pdf(ops: list[bytes], rules: list[tuple[float, float, float, float]]) -> bytes:
    """One page: ``ops`` and each rule ``(x, y, width, height)`` drawn as a one-pixel
    black image stretched over it (how some PDF makers draw a table's rules)."""
    from tests.pdfgen import HELVETICA, pdf_from_objects

    drawn = [b"q %.2f 0 0 %.2f %.2f %.2f cm /Im1 Do Q" % (w, h, x, y) for x, y, w, h in rules]
    stream = b"\n".join([*ops, *drawn])
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>"
    )
    image = (
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Length 1 >>\nstream\n\x00\nendstream"
    )
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            HELVETICA,
            image,
        ]
    )


def test_a_short_ruled_table_with_two_figures_in_every_cell_of_a_column_is_undivided():
    """A paper's table of three rows whose vertical rules part the groups ("CS", "Bio")
    but not each group's two columns: every body cell under a group holds two figures
    side by side ("98.4 712"). The rules miss columns: the stream finder reads them."""
    from docworker.contract import TableCell
    from docworker.tables.stage import _undivided

    def cells(rows):
        return [
            TableCell(row=r, col=c, text=t) for r, row in enumerate(rows) for c, t in enumerate(row)
        ]

    rows = [["Statistical", "98.4 712", "94.4 928"], ["Hybrid", "91.5 1990", "92.1 3126"],
            ["Off-the-shelf", "97.4 873", "77.5 1206"]]  # fmt: skip
    assert _undivided(cells(rows))
    rows[1][1:] = ["91.5", "92.1"]  # a cell of the three holds one figure: the rules may be right
    assert not _undivided(cells(rows))
    assert not _undivided(cells(rows[:2]))


def test_a_table_ruled_with_images_stretched_into_lines_is_found(tmp_path):
    """An IJCAI paper's table whose rules are pictures, each one pixel stretched into a
    line: they rule the table as paths would (it had been read as a list). A cell's two
    words set a quarter of an em apart, with no space character, stay two words."""
    xs, ys = [100, 200, 300, 400], [700, 680, 660, 640]
    rules = [(xs[0], y, xs[-1] - xs[0], 0.4) for y in ys]
    rules += [(x, ys[-1], 0.4, ys[0] - ys[-1]) for x in xs]
    rows = [["", "Error rate", "Extractions"], ["TextRunner", "12%", "11,476"],
            ["KnowItAll", "18%", "11,631"]]  # fmt: skip
    ops = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text == "Error rate":  # no space character: a move of a quarter em
                ops.append(b"BT /F1 9 Tf 1 0 0 1 %d %d Tm [(Error) -250 (rate)] TJ ET"
                           % (xs[c] + 4, ys[r] - 14))  # fmt: skip
            elif text:
                ops.append(_text(xs[c] + 4, ys[r] - 14, text, 9))
    tables = _tables(tmp_path, _rules_as_images_pdf(ops, rules))
    assert len(tables) == 1
    assert _grid(tables[0]) == rows


def _tally_sheet(beside) -> list[bytes]:
    """A tally sheet's grid (``test_a_tally_sheet_...``), with ``beside(r, y)`` drawing
    what stands left of the rules on row ``r`` (baseline ``y``)."""
    xs = [150 + 50 * k for k in range(9)]
    tops = [700 - 24 * r for r in range(8)]  # each row: 20 points of cell, 4 of band
    ops = [b"0.5 w"]
    for top in tops:
        ops += [b"%d %d m %d %d l S" % (xs[0], y, xs[-1], y) for y in (top, top - 20)]
    ops += [b"%d %d m %d %d l S" % (x, tops[0], x, tops[-1] - 20) for x in xs]
    ops += [_text(xs[c] + 4, tops[0] - 14, f"Cand {c + 1}", 8) for c in range(8)]
    for r, pair in enumerate(TALLY_VOTES):
        y = tops[r + 1] - 14
        ops += beside(r, y)
        ops += [_text(xs[c] + 20, y, str(v), 8) for c, v in enumerate(pair)]
    return ops


TALLY_NAMES = ["Alcona", "Caledonia", "Curtis", "Greenbush", "Gustin", "Hawes", "Mikado"]
TALLY_VOTES = [(0, 0), (3, 0), (0, 1), (2, 0), (1, 1), (0, 2), (4, 0)]


def test_a_tally_sheet_of_empty_boxes_with_its_row_names_beside_the_rules(tmp_path):
    """An election's tally sheet: a grid of eight candidates' columns, only two of them
    holding votes, rows parted by a thin band between two rules, and each precinct's
    name set left of the rules. Sparse as it is, the grid is a table (it had been taken
    for a drawing with labels); the names are its first column, and the bands no rows."""
    names, votes = TALLY_NAMES, TALLY_VOTES
    ops = _tally_sheet(lambda r, y: [_text(60, y, names[r], 9)])
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid[0] == ["", *[f"Cand {c + 1}" for c in range(8)]]
    assert [row[:3] for row in grid[1:]] == [
        [name, str(a), str(b)] for name, (a, b) in zip(names, votes, strict=True)
    ]


def test_lines_of_prose_beside_a_grid_are_no_column_of_row_names(tmp_path):
    """The same sheet beside a column of prose, two lines to each row's band: the lines
    are no row names, and stay out of the table."""

    def prose(r: int, y: float) -> list[bytes]:
        words = f"running text of the page's column {r}"
        return [_text(20, y + 4, words, 6), _text(20, y - 3, words + " again", 6)]

    tables = _tables(tmp_path, stream_pdf(b"\n".join(_tally_sheet(prose))))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid[0][:2] == ["Cand 1", "Cand 2"]
    assert not any("running" in cell for row in grid for cell in row)


def test_characters_drawn_twice_are_read_once_in_table_cells(tmp_path):
    """A report whose producer wrote its text twice, one copy over the other: each cell
    reads once ("Wensman", not "WWeennssmmaann")."""
    ops = [b"0.5 w"]
    ys = [700, 680, 660, 640]
    xs = [100, 200, 300, 400]
    ops += [b"%d %d m %d %d l S" % (xs[0], y, xs[-1], y) for y in ys]
    ops += [b"%d %d m %d %d l S" % (x, ys[0], x, ys[-1]) for x in xs]
    rows = [
        ["Brand", "Product", "Yield"],
        ["Wensman", "W3190NR2", "54.5"],
        ["Stine", "19RA02", "55.3"],
    ]
    for _copy in range(2):
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                ops.append(_text(xs[c] + 4, ys[r] - 14, text, 9))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    assert _grid(tables[0]) == rows


def test_rows_grouped_under_one_rule_become_rows(tmp_path):
    """Statistics tables rule every fifth row; each ruled band holds five table rows."""
    states = ["Alabama", "Alaska", "Arizona", "Arkansas", "Colorado", "Delaware"]
    ops = [b"0.5 w"]
    for y in (700, 686, 644, 602):
        ops.append(b"60 %d m 400 %d l S" % (y, y))
    for x in (60, 180, 260, 330, 400):
        ops.append(b"%d 602 m %d 700 l S" % (x, x))
    for c, head in enumerate(["State", "Permit", "Handgun", "Long gun"]):
        ops.append(_text((60, 180, 260, 330)[c] + 4, 690, head, 9))
    for i, state in enumerate(states):
        y = 676 - i * 14  # three rows per ruled band
        ops.append(_text(64, y, state, 9))
        for c, x in enumerate((184, 264, 334)):
            ops.append(_text(x, y, f"{(i + 1) * (c + 2) * 111:,}", 9))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert [row[0] for row in grid] == ["State", *states]
    assert grid[4] == ["Arkansas", "888", "1,332", "1,776"]


def _rules(xs: Sequence[float], edges: Sequence[float]) -> list[bytes]:
    """A grid's rules: one across at each of ``edges`` (y, top first), one down at each of
    ``xs`` from the first edge to the last."""
    across = [b"%d %d m %d %d l S" % (xs[0], e, xs[-1], e) for e in edges]
    return across + [b"%d %d m %d %d l S" % (x, edges[-1], x, edges[0]) for x in xs]


def test_a_table_ruled_row_by_row_keeps_cells_that_wrap_and_grouped_thousands(tmp_path):
    """Every row ruled; the header's cells and one label wrap to two lines, and the
    amounts part their thousands with a space ("10 000"): each ruled row is one row."""
    rows = [
        (["Pollutant", "to air", "to water"], ["", "kg/year", "kg/year"]),
        (["Ammonia (NH3)", "10 000", "-"], None),
        (["Chlorine and compounds", "10 000", "-"], ["(as HCl)", "", ""]),
        (["Carbon monoxide", "500 000", "-"], None),
        (["Halons", "1", "-"], None),
        (["Hydrogen cyanide", "200", "-"], None),
        (["Nitrogen oxides", "100 000", "-"], None),
        (["Sulphur oxides", "150 000", "-"], None),
    ]
    xs = (60, 220, 300, 380)
    ops = [b"0.5 w"]
    y = 700
    edges = [y]
    for first, second in rows:
        height = 26 if second else 14
        for c, text in enumerate(first):
            ops.append(_text(xs[c] + 4, y - 10, text, 9))
        for c, text in enumerate(second or []):
            if text:
                ops.append(_text(xs[c] + 4, y - 22, text, 9))
        y -= height
        edges.append(y)
    ops += _rules(xs, edges)
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid[0] == ["Pollutant", "to air kg/year", "to water kg/year"]
    assert grid[2] == ["Chlorine and compounds (as HCl)", "10 000", "-"]
    assert len(grid) == len(rows)


def test_a_sheet_ruled_by_quarters_stacks_its_months_in_one_band(tmp_path):
    """A spreadsheet printed to PDF (JAL's traffic data), ruled under the header, under
    each quarter's months and under each quarter's total: most bands hold one line, as
    a grid ruled row by row does, but a band of three lines of figures in every cell is
    three rows, not one row of cells that wrap ("653,278 686,908 667,181")."""
    bands = [
        [["Month", "Pax", "L/F(%)"]],
        [
            ["Apr-2015", "653,278", "74.9"],
            ["May-2015", "686,908", "77.7"],
            ["Jun-2015", "667,181", "81.2"],
        ],
        [["1st Q TTL", "2,007,367", "77.9"]],
        [
            ["Jul-2015", "698,352", "81.3"],
            ["Aug-2015", "721,817", "82.5"],
            ["Sep-2015", "665,754", "80.2"],
        ],
        [["2nd Q TTL", "2,085,923", "81.4"]],
        [["FY2015 TTL", "4,093,290", "79.6"]],
        [["Source", "JAL", "2016"]],
    ]
    xs = (60, 160, 260, 340)
    ops = [b"0.5 w"]
    y = 700
    edges = [y]
    for band in bands:
        for k, row in enumerate(band):
            for c, text in enumerate(row):
                ops.append(_text(xs[c] + 4, y - 10 - 12 * k, text, 9))
        y -= 4 + 12 * len(band)
        edges.append(y)
    ops += _rules(xs, edges)
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    assert _grid(tables[0]) == [row for band in bands for row in band]


def test_lines_of_prose_boxed_one_by_one_are_no_table(tmp_path):
    """pdfplumber's issue-848: each line of a paragraph drawn over its own filled box, the
    boxes' edges a grid of three columns whose text all sits in the first. It had come
    back as a table of one filled column ("| ideal. Among other stories ... |  |  |")."""
    lines = [
        "The movie opens with a news report advertising the way of life in this",
        "future, which seems to be far from ideal. Among other stories, three police",
        "officers have been murdered and a fourth has been left critically injured",
        "in an attack by an unofficial crime boss, wanted for the deaths of officers.",
        "The union blames the company that has recently entered a contract with",
        "the city to run and manage the police, for putting its men in danger.",
    ]
    ops = []
    for k, (line, right) in enumerate(zip(lines, (532, 540, 531, 519, 532, 473), strict=True)):
        y = 700 - 13.8 * k  # boxes 12 points high, 1.8 apart, as wide as their lines
        ops.append(b"1 g 72 %.1f %d 12 re f 0 g" % (y - 3, right - 72))
        ops.append(_text(72, y, line, 10))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert tables == []


def test_a_sliver_between_two_borders_drawn_apart_is_no_column():
    """Two vertical borders drawn 4 points apart leave an empty column of slivers: it
    goes, and a cell spanning it loses it from its span."""
    from docworker.contract import TableCell
    from docworker.tables.cells import _without_slivers

    cells = [
        TableCell(row=0, col=0, text="Pollutant"),
        TableCell(row=0, col=1, text="to water"),
        TableCell(row=0, col=2, text=""),
        TableCell(row=0, col=3, text="to land"),
        TableCell(row=1, col=0, text="Ammonia"),
        TableCell(row=1, col=1, text="-", col_span=2),
        TableCell(row=1, col=3, text="1"),
    ]
    out = _without_slivers(cells, [120.0, 70.0, 4.0, 70.0], 6.0)
    assert [(c.row, c.col, c.col_span, c.text) for c in out] == [
        (0, 0, 1, "Pollutant"), (0, 1, 1, "to water"), (0, 2, 1, "to land"),
        (1, 0, 1, "Ammonia"), (1, 1, 1, "-"), (1, 2, 1, "1"),
    ]  # fmt: skip
    # A narrow column with text of its own stays.
    cells[2] = TableCell(row=0, col=2, text="x")
    assert len(_without_slivers(cells, [120.0, 70.0, 4.0, 70.0], 6.0)) == len(cells)


# ------------------------------------------------------------- stream tables

STREAM_HEADER = ["Country", "Area", "People", "Capital", "Density"]
STREAM_ROWS = [
    ["Austria", "83,879", "8.9", "Vienna", "106"],
    ["Belgium", "30,689", "11.5", "Brussels", "375"],
    ["Czechia", "78,866", "10.7", "Prague", "136"],
    ["Denmark", "42,951", "5.8", "Copenhagen", "135"],
    ["Finland", "338,424", "5.5", "Helsinki", "16"],
]
STREAM_X = [72, 170, 250, 320, 430]


def _stream_page(turned: bool = False) -> bytes:
    """A table with no rulings at all; ``turned``: the whole page turned, text running down."""
    rows = [STREAM_HEADER, *STREAM_ROWS]
    ops = [_text(72, 780, "Table 3. Five countries, no rules drawn", 11)] if not turned else []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if turned:  # reading frame x → page -y, reading frame y → page -x
                ops.append(_text(560 - r * 14, 770 - STREAM_X[c], cell, 10, turned=True))
            else:
                ops.append(_text(STREAM_X[c], 740 - r * 14, cell, 10))
    return stream_pdf(b"\n".join(ops))


def test_stream_table_without_rulings(tmp_path):
    tables = _tables(tmp_path, _stream_page())
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid == [STREAM_HEADER, *STREAM_ROWS]
    x0, top, x1, bottom = tables[0].bbox
    assert abs(x0 - 72) < 2 and abs(top - (842 - 750)) < 3 and bottom > 842 - 740 + 5 * 14
    assert 430 < x1 < 480
    assert TableStage(stream=False)(str(tmp_path / "t.pdf"), None, 1) == []


def test_stream_table_header_stops_at_the_rule_under_its_caption(tmp_path):
    """booktabs: caption, top rule, header, mid rule, body, bottom rule."""
    ops = [b"0.6 w 70 752 m 480 752 l S 70 733 m 480 733 l S 70 640 m 480 640 l S"]
    ops.append(_text(150, 757, "Table 1: EU countries", 10))
    for r, row in enumerate([STREAM_HEADER, *STREAM_ROWS]):
        for c, cell in enumerate(row):
            ops.append(_text(STREAM_X[c], 740 - r * 16 - (4 if r else 0), cell, 10))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    assert _grid(tables[0]) == [STREAM_HEADER, *STREAM_ROWS]


def test_stream_table_header_of_few_cells_under_a_top_rule_crosses_the_mid_rule(tmp_path):
    """booktabs again, the header with labels over only some columns (not itself a row of
    four pieces): it sits between the top rule and the mid rule, and is the table's
    header. It had stopped at the mid rule (a paper's "Type  IB  Top-5 ..." lost)."""
    header = ["Country", "", "People", "", "km²"]
    ops = [b"0.6 w 70 752 m 480 752 l S 70 733 m 480 733 l S 70 640 m 480 640 l S"]
    ops.append(_text(150, 757, "Table 1: EU countries", 10))
    for r, row in enumerate([header, *STREAM_ROWS]):
        for c, cell in enumerate(row):
            if cell:
                ops.append(_text(STREAM_X[c], 740 - r * 16 - (4 if r else 0), cell, 10))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    assert _grid(tables[0]) == [header, *STREAM_ROWS]
    assert "EU countries" not in tables[0].markdown  # the caption over the top rule stays out


def test_stream_table_with_a_labelled_column_of_few_flags(tmp_path):
    """A lab report: a column headed "Flag" holds a mark in one row of twelve; the other
    columns are full. It had been refused as a table with an empty column, and the
    whole report read as one paragraph."""
    header = ["Test", "Method", "Flag", "Result", "Unit", "Range"]
    names = ["WBC", "NEU", "LYM", "MON", "EOS", "BAS", "RBC", "HGB", "HCT", "MCV", "MPV", "PLT"]
    body = [
        [
            name,
            "analyser",
            "low" if name == "WBC" else "",
            f"{3 + k}.{k}",
            "E+9/L",
            f"{k}.0-{k + 5}.0",
        ]
        for k, name in enumerate(names)
    ]
    xs = [72, 150, 230, 290, 350, 420]
    ops = [
        _text(x, 740 - r * 14, cell, 10)
        for r, row in enumerate([header, *body])
        for x, cell in zip(xs, row, strict=True)
        if cell
    ]
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    assert _grid(tables[0]) == [header, *body]


def test_stream_table_of_long_labels_led_to_their_figures_keeps_the_labels(tmp_path):
    """A survey's key indicators: long labels, each led by dots to four figures, one with
    a footnote mark raised after it. The labels are the rows' first column, not a column
    of prose beside the table (a table of figures alone had been read, its labels set
    apart); the mark stays on its row, not a row of its own."""
    labels = [
        "Children age 0-5 months exclusively breastfed",
        "Children age 6-9 months receiving solid food and breast milk",
        "Children age 12-23 months receiving breast feeding with other food",
        "Children age 6-35 months exclusively breastfed for at least 6 months",
        "Children under 3 years breastfed within one hour of birth",
        "Percentage of children weighed at birth in the district",
    ]
    figures = [["76.9", "80.0", "NA", "NA"], ["78.6", "75.0", "85.9", "89.3"],
               ["31.8", "24.2", "NA", "NA"], ["4.7", "3.4", "30.0", "27.7"],
               ["42.9", "46.5", "50.6", "52.9"], ["38.8", "41.0", "NA", "NA"]]  # fmt: skip
    header = ["Indicators", "TOTAL", "RURAL", "TOTAL", "RURAL"]
    ops = [_text(x, 760, h, 8) for x, h in zip([72, 400, 440, 480, 520], header, strict=True)]
    for r, (label, row) in enumerate(zip(labels, figures, strict=True)):
        y = 740 - 16 * r
        ops.append(_text(72, y, label, 8))
        end = 72 + width(label, 8)
        if r == 0:  # its footnote mark, raised and small, right after the label
            ops.append(b"BT /F1 5.0 Tf 1 0 0 1 %.2f %.2f Tm (9) Tj ET" % (end + 0.5, y + 5))
            end += 0.5 + width("9", 5)
        ops.append(_text(end + 4, y, "." * int((380 - end) / 2.3), 8))
        ops += [_text(400 + 40 * k, y, v, 8) for k, v in enumerate(row)]
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid[0] == header
    assert grid[1] == [labels[0] + "9", *figures[0]]
    assert [row[0] for row in grid[2:]] == labels[1:]
    assert [row[1:] for row in grid[1:]] == figures


def test_stream_table_heads_centred_over_narrow_and_wide_columns(tmp_path):
    """A gazetteer's header: "Clave" over "Entidad" centred over two-digit codes pokes out
    past the rows' left edge, and "Nombre Municipio" is centred over a wide column of
    short names, in the blank gutter after them. The header is the table's, each head
    over its own column (it had been a paragraph above the table)."""
    codes = [(60, "Clave", "Entidad"), (250, "Clave", "Municipio"), (560, "Clave", "Localidad")]
    names = [(110, "Nombre Entidad"), (390, "Nombre Municipio"), (640, "Nombre Localidad")]
    ops = []
    for x, top, bottom in codes:
        ops.append(_text(x - width(top, 7) / 2 + 5, 500, top, 7))
        ops.append(_text(x - width(bottom, 7) / 2 + 5, 488, bottom, 7))
    ops += [_text(x, 494, text, 7) for x, text in names]
    places = ["Granja Adelita", "Agua Azul", "Rancho Alegre", "Arellano", "Los Caños", "El Cedazo"]
    for r, place in enumerate(places):
        y = 474 - 11 * r
        row = [(60, "01"), (110, "Aguascalientes"), (250, "001"), (285, "Aguascalientes"),
               (560, f"{94 + r:04d}"), (640, place)]  # fmt: skip
        ops += [_text(x, y, text, 7) for x, text in row]
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops), width=842, height=595))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid[0] == ["Clave Entidad", "Nombre Entidad", "Clave Municipio", "Nombre Municipio",
                       "Clave Localidad", "Nombre Localidad"]  # fmt: skip
    assert grid[1] == ["01", "Aguascalientes", "001", "Aguascalientes", "0094", "Granja Adelita"]


def _figure_rows(rows: list[tuple[str, ...]], rights: list[int], top: float) -> list[bytes]:
    """Rows of a label at x = 60 and figures set flush right at ``rights``, 8 pt, 11 pt
    apart from ``top`` down."""
    ops = []
    for r, (label, *figures) in enumerate(rows):
        y = top - 11 * r
        ops.append(_text(60, y, label, 8))
        ops += [_text(x - width(f, 8), y, f, 8) for x, f in zip(rights, figures, strict=True)]
    return ops


def test_stream_table_group_headings_span_their_columns(tmp_path):
    """A statistical abstract's header without rules to read: "Male" and "Female" each
    centred over two columns of figures, their heads "Under 18" / "years" and "18 years"
    / "and over" wrapped onto two lines, "Offense charged" over the labels. The group
    headings span their two columns, the wrapped heads are one row under them, and the
    labels' column belongs to no group."""
    cols = [200, 260, 320, 380]  # the figures' right edges
    ops = [_text(60, 520, "Offense charged", 8)]
    for k, group in enumerate(("Male", "Female")):
        middle = (cols[2 * k] - 30 + cols[2 * k + 1]) / 2
        ops.append(_text(middle - width(group, 8) / 2, 532, group, 8))
    heads = [("Under 18", "years"), ("18 years", "and over")] * 2
    for right, (top, bottom) in zip(cols, heads, strict=True):
        ops.append(_text(right - width(top, 8), 520, top, 8))
        ops.append(_text(right - width(bottom, 8), 510, bottom, 8))
    rows = [("Total", "1,071.6", "7,191.7", "468.3", "2,330.9"),
            ("Violent crime", "56.5", "323.7", "12.6", "75.2"),
            ("Robbery", "22.9", "67.1", "2.5", "9.5"),
            ("Burglary", "53.4", "151.7", "6.9", "29.0"),
            ("Arson", "3.7", "4.4", "0.6", "1.1")]  # fmt: skip
    ops += _figure_rows(rows, cols, 496)
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    table = tables[0]
    heads = [(c.row, c.col, c.col_span, c.text) for c in table.cells if c.row == 0 and c.text]
    assert heads == [(0, 1, 2, "Male"), (0, 3, 2, "Female")]
    assert [c.text for c in sorted(table.cells, key=lambda c: c.col) if c.row == 1] == [
        "Offense charged", "Under 18 years", "18 years and over", "Under 18 years",
        "18 years and over"]  # fmt: skip
    assert all(c.header for c in table.cells if c.row <= 1)
    assert _grid(table)[2] == list(rows[0])


def test_stream_table_heading_over_two_columns_crossing_their_gutter(tmp_path):
    """A paper's table: "Train" centred over two columns of figures reaches over the
    gutter between them. The body's gutters are the table's (the two columns stay two,
    they had been one cell "79,168 58,880"), and "Train" spans both."""
    rights = [200, 250, 290, 330]
    ops = [_text(60, 520, "Dataset", 8)]
    for text, middle in (("Train", 212.0), ("Dev", 280.0), ("Test", 320.0)):
        ops.append(_text(middle - width(text, 8) / 2, 520, text, 8))
    rows = [("Natural Questions", "79,168", "58,880", "8,757", "3,610"),
            ("TriviaQA", "78,785", "60,413", "8,837", "11,313"),
            ("WebQuestions", "3,417", "2,474", "361", "2,032"),
            ("CuratedTREC", "1,353", "1,125", "133", "694"),
            ("SQuAD", "78,713", "70,096", "8,886", "10,570")]  # fmt: skip
    ops += _figure_rows(rows, rights, 508)
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    table = tables[0]
    assert (table.n_rows, table.n_cols) == (6, 5)
    heads = [(c.col, c.col_span, c.text) for c in table.cells if c.row == 0 and c.text]
    assert heads == [(0, 1, "Dataset"), (1, 2, "Train"), (3, 1, "Dev"), (4, 1, "Test")]
    assert _grid(table)[1] == list(rows[0])


def _booktabs_pdf(rule_between_rows: bool = False) -> bytes:
    """A paper's short table between booktabs rules: heads set close ("Top-1 Top-5"
    a word space apart, one piece of text), two rows of figures."""
    ops = [b"0.6 w"]
    for y in (536, 520, 492) + ((506,) if rule_between_rows else ()):
        ops.append(b"300 %d m 520 %d l S" % (y, y))
    heads = [(360, "Top-1"), (390, "Top-5"), (420, "Top-20"), (455, "Top-100")]
    ops += [_text(x, 525, t, 9) for x, t in heads]
    rows = [("Gold", "44.9", "66.8", "78.1", "85.0"),
            ("Dist. Sup.", "43.9", "65.3", "77.1", "84.4")]  # fmt: skip
    for r, (label, *figures) in enumerate(rows):
        y = 509 - 12 * r
        ops.append(_text(305, y, label, 9))
        ops += [
            _text(x + (width(h, 9) - width(f, 9)) / 2, y, f, 9)
            for (x, h), f in zip(heads, figures, strict=True)
        ]
    return stream_pdf(b"\n".join(ops))


def test_a_short_table_between_booktabs_rules_is_a_table(tmp_path):
    """Two rows under a header, between a top rule, a mid rule and a bottom rule: a
    table (four rows of figures are needed elsewhere), its heads cut at the gutters."""
    tables = _tables(tmp_path, _booktabs_pdf())
    assert len(tables) == 1
    assert _grid(tables[0]) == [
        ["", "Top-1", "Top-5", "Top-20", "Top-100"],
        ["Gold", "44.9", "66.8", "78.1", "85.0"],
        ["Dist. Sup.", "43.9", "65.3", "77.1", "84.4"],
    ]
    # A rule between the rows too: a form's ruled lines, not booktabs.
    assert _tables(tmp_path, _booktabs_pdf(rule_between_rows=True), "form.pdf") == []


def test_stream_table_row_label_wrapped_onto_a_second_line_is_one_row(tmp_path):
    """A statistical abstract's rows: "Murder and nonnegligent" wraps onto a line of its
    own over "manslaughter." and the row's figures. The label is one cell of that row,
    not a row of its own over a row named "manslaughter."."""
    rows = [("Total", "11,062.6", "1,540.0", "9,522.6"),
            ("Violent crime", "467.9", "69.1", "398.8"),
            ("Murder and nonnegligent", "", "", ""),
            ("manslaughter.", "10.0", "0.9", "9.1"),
            ("Forcible rape.", "17.5", "2.6", "14.9"),
            ("Robbery.", "102.1", "25.5", "76.6"),
            ("Burglary.", "240.9", "60.3", "180.6")]  # fmt: skip
    xs = [72, 250, 320, 390]
    head = ["Offense", "Total", "Under 18", "Adults"]
    ops = [_text(x, 760, text, 8) for x, text in zip(xs, head, strict=True)]
    for r, row in enumerate(rows):
        y = 745 - 11 * r
        ops += [_text(x, y, cell, 8) for x, cell in zip(xs, row, strict=True) if cell]
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid[3] == ["Murder and nonnegligent manslaughter.", "10.0", "0.9", "9.1"]
    assert len(grid) == 1 + len(rows) - 1


def test_labels_led_to_two_figures_are_a_table_of_three_columns(tmp_path):
    """A fact sheet whose earlier survey's columns are empty: each label is led by dots
    to two figures only. The leaders make three pieces a row enough, and two gutters: a
    table (it had been lines of text, the figures after the dots); a page of such lines
    is sent on to the finders by the cheap gate too."""
    labels = [
        "Any Injury",
        "Acute Illness",
        "Chronic Illness",
        "Disease of respiratory system",
        "Disease of cardiovascular system",
        "Persons suffering from tuberculosis",
    ]
    figures = [("1.9", "2.1"), ("4.5", "5.6"), ("5.1", "4.1"), ("11.7", "15.0"), ("8.9", "9.3")]
    figures.append(("2.2", "1.5"))
    ops = []
    for r, (label, (a, b)) in enumerate(zip(labels, figures, strict=True)):
        y = 740 - 16 * r
        end = 72 + width(label, 8)
        ops += [_text(72, y, label, 8), _text(end + 4, y, "." * int((390 - end) / 2.3), 8)]
        ops += [_text(400, y, a, 8), _text(440, y, b, 8)]
    data = stream_pdf(b"\n".join(ops))
    assert looks_tabular(_text_lines(tmp_path / "sheet.pdf", data))
    tables = _tables(tmp_path, data)
    assert len(tables) == 1
    assert _grid(tables[0]) == [
        [label, a, b] for label, (a, b) in zip(labels, figures, strict=True)
    ]


def test_a_table_of_contents_led_to_page_numbers_is_no_table():
    """Entries led to one page number each are a contents list, not a table's rows."""
    titles = ["Introduction", "Methods", "Results", "Discussion", "Conclusion", "Appendix"]
    lines = [
        Line(f"{title} {'.' * 40} {3 * k + 1}", (72, 100 + 14 * k, 500, 110 + 14 * k))
        for k, title in enumerate(titles)
    ]
    assert not looks_tabular(lines)
    lines = [Line(ln.text.replace(" .", " 2 ."), ln.bbox) for ln in lines]
    assert not looks_tabular(lines)  # a number in the title is no figure after the dots


def test_stream_table_beside_a_text_column_leaves_the_text_out(tmp_path):
    ops = []
    for r, row in enumerate([STREAM_HEADER[:4], *[row[:4] for row in STREAM_ROWS]]):
        y = 740 - r * 14
        ops.append(_text(40, y, " ".join(PROSE[r * 6 : r * 6 + 6]), 9))
        for c, cell in enumerate(row):
            ops.append(_text(260 + c * 80, y, cell, 9))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    assert _grid(tables[0]) == [STREAM_HEADER[:4], *[row[:4] for row in STREAM_ROWS]]
    assert tables[0].bbox[0] > 255


def test_turned_stream_table_reads_upright_and_boxes_back_on_the_page(tmp_path):
    tables = _tables(tmp_path, _stream_page(turned=True))
    assert len(tables) == 1
    assert _grid(tables[0]) == [STREAM_HEADER, *STREAM_ROWS]
    x0, top, x1, bottom = tables[0].bbox  # displayed page points: a tall, narrow box
    assert bottom - top > x1 - x0
    assert 560 - 5 * 14 - 4 < x0 and x1 < 560 + 10  # rows run right to left
    assert abs(top - (842 - (770 - 72))) < 2 and bottom > 842 - (770 - 430)


def test_cpu_page_finds_a_stream_table_on_a_page_without_graphics(tmp_path):
    path = tmp_path / "stream.pdf"
    path.write_bytes(_stream_page())
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert len(page.tables) == 1 and "tables" in page.timings_ms
    assert "| Finland | 338,424 | 5.5 | Helsinki | 16 |" in page.markdown


PROSE = (
    "The committee met on the third of May to discuss the budget for the coming year and "
    "agreed that the figures presented by the treasurer should be checked again before any "
    "decision is taken by the members present at the meeting in the town hall that evening"
).split()


def _prose_page(columns: int) -> bytes:
    """Justified-looking prose in ``columns`` columns sharing baselines (the hard case)."""
    width = (595 - 72 * 2 - 20 * (columns - 1)) / columns
    page = TextPage(lines=[])
    for c in range(columns):
        x = 72 + c * (width + 20)
        words = PROSE[c * 3 :] + PROSE
        i = 0
        for line in range(40):
            text = ""
            while i < len(words) and len(text) + len(words[i]) < width / 5:
                text += words[i] + " "
                i = (i + 1) % len(words)
            page.lines.append((x, 80 + line * 13, 10, text.strip()))
    return build_pdf([page])


@pytest.mark.parametrize("columns", [1, 2, 3, 4])
def test_prose_pages_yield_no_table(tmp_path, columns):
    assert _tables(tmp_path, _prose_page(columns)) == []


def test_box_turning_round_trips():
    for rot in (0, 90, 180, 270):
        box = (10.0, 20.0, 50.0, 30.0)
        assert unturn_box(turn_box(box, rot, 200.0, 100.0), rot, 200.0, 100.0) == box


def test_looks_tabular_wants_four_rows_of_four_separate_pieces():
    line = Line

    def rows(xs: list[float], n: int = 6) -> list[Line]:
        return [line("word", (x, i * 26, x + 30, i * 26 + 8)) for i in range(n) for x in xs]

    # a transcript's caption: line number, name, colon (three pieces a row)
    assert not looks_tabular(rows([98, 126, 374]))
    # four pieces, but touching (runs split at a font change)
    assert not looks_tabular(rows([100, 130, 160, 190]))
    assert looks_tabular(rows([100, 200, 300, 400]))
    assert not looks_tabular(rows([100, 200, 300, 400], n=3))


# ------------------------------------------------------------- corpus files

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")


def _corpus_tables(name: str, page: int = 1):
    stage = TableStage()
    try:
        return stage(str(CORPUS / name), None, page)
    finally:
        stage.close()


def _best(expected: list[list[str]], tables) -> float:
    return max((evaluate.table_scores(expected, _grid(t))["cell_acc"] for t in tables), default=0.0)


def _untitled(expected: list[list[str]]) -> list[list[str]]:
    """A reference without its title row (one cell over the table, which the
    references keep as a row and ``lift_title`` reads as the paragraph over it)."""
    if sum(1 for text in expected[0] if text.strip()) == 1 and expected[0][0].strip():
        return expected[1:]
    return expected


@needs_corpus
def test_corpus_table_painted_as_cell_backgrounds():
    tables = _corpus_tables("camelot/health.pdf")
    expected = evaluate.csv_table(CORPUS / "camelot/health.expected_hybrid.csv")
    assert len(tables) == 1 and tables[0].n_cols == 8
    assert _best(expected, tables) >= 0.9
    header = _grid(tables[0])[0]  # the title row over it is lifted out of the table
    assert header[:2] == ["States-A", "Revenue"] and header[5] == "Total Revenue & Capital"
    assert all("Public Health Outlay" not in cell.text for cell in tables[0].cells)


@needs_corpus
def test_corpus_table_turned_on_the_page():
    tables = _corpus_tables("camelot/clockwise_table_2.pdf")
    expected = evaluate.csv_table(CORPUS / "camelot/clockwise_table_2.expected_stream.csv")
    assert len(tables) == 1 and tables[0].n_cols == 17
    assert _best(expected, tables) >= 0.95
    x0, top, x1, bottom = tables[0].bbox
    assert bottom - top > 1.5 * (x1 - x0)  # the turned table stands tall on the page


@needs_corpus
@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("tabula/argentina_diputados_voting_record", [1.0]),
        ("tabula/spanning_cells", [1.0, 1.0]),
        # the reference leaves the spanning header's columns out of line; ours keeps the span
        ("tabula/twotables", [1.0, 0.95]),
    ],
)
def test_corpus_ruled_tables_stay_perfect(name, minimum):
    tables = _corpus_tables(name + ".pdf")
    expected = [_untitled(e) for e in evaluate.tabula_tables(CORPUS / (name + ".json"))]
    assert [_best(e, tables) >= m for e, m in zip(expected, minimum, strict=True)] == [True] * len(
        minimum
    )


@needs_corpus
@pytest.mark.parametrize(
    ("name", "pages"),
    [
        ("sample-files/multicolumn.pdf", [1, 2]),
        ("pypdf/crazyones.pdf", [1]),
        ("docling/pdf/multi_page.pdf", [1, 2, 3]),
        ("docling/pdf/normal_4pages.pdf", [1, 3]),
        ("pdfplumber/scotus-transcript-p1.pdf", [1]),
        ("docling/pdf/redp5110_sampled.pdf", [18]),  # ruled page layout around prose
        # charts with axes and bars (13, 78, 86), typeset matrices and formulas (85, 111)
        ("sample-files/GeoTopo-komprimiert.pdf", [13, 78, 85, 86, 111]),
    ],
)
def test_corpus_pages_without_tables_yield_none(name, pages):
    for page in pages:
        assert _corpus_tables(name, page) == [], page


def test_the_stage_takes_the_page_decoders_objects_and_text_page(tmp_path):
    """One walk over a page's objects and one load of the page: the decoder's paths and
    its kept text page are what the finders get, and they find what a fresh load finds."""
    path = tmp_path / "table.pdf"
    path.write_bytes(_ruled_table_pdf())
    handle = decode.open_document(
        path, decode.PDF, None, max_pages=10, max_page_points=14400.0, max_pixels=40_000_000
    )
    stage = TableStage()
    try:
        view = handle.page(1, text_layer=True, keep=True)
        assert view.objects is not None and view.graphics >= 12
        assert len(view.objects.lines) + len(view.objects.rects) >= 4
        kept = handle.kept_text(1)
        assert kept is not None and handle.kept_text(2) is None
        given = stage(str(path), None, 1, view.lines, view.objects, kept)
        assert stage._open is None  # the stage opened no document of its own
        objects_only = stage(str(path), None, 1, view.lines, view.objects)
        read_here = stage(str(path), None, 1, view.lines)
        assert len(given) == 1 and given == objects_only == read_here
        handle.release()
        assert handle.kept_text(1) is None
    finally:
        handle.close()
        stage.close()


def test_a_kept_page_is_let_go_by_the_next_page_a_render_or_close(tmp_path):
    path = tmp_path / "table.pdf"
    path.write_bytes(_ruled_table_pdf())
    handle = decode.open_document(
        path, decode.PDF, None, max_pages=10, max_page_points=14400.0, max_pixels=40_000_000
    )
    try:
        handle.page(1, text_layer=True, keep=True)
        handle.page(1, text_layer=True)  # not kept: the first is let go
        assert handle.kept_text(1) is None
        handle.page(1, text_layer=True, keep=True)
        handle.render(1, 72, 40_000_000)[0].close()
        assert handle.kept_text(1) is None
        handle.page(1, text_layer=False, keep=True)  # no text layer read: nothing to keep
        assert handle.kept_text(1) is None
        handle.page(1, text_layer=True, keep=True)
    finally:
        handle.close()
    assert handle.kept_text(1) is None


def test_a_cpu_page_loads_a_table_page_once(tmp_path, monkeypatch):
    """The table stage reads its characters from the decoder's open text page: it opens
    no document and loads no page of its own, and the page is let go afterwards."""

    def no_second_load(*args):
        raise AssertionError("the table stage loaded the page again")

    monkeypatch.setattr(TableStage, "_page", no_second_load)
    path = tmp_path / "tabla.pdf"
    path.write_bytes(_ruled_table_pdf())
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    found = cpu.table_stage().counts["found"]
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert len(page.tables) == 1 and cpu.table_stage().counts["found"] == found + 1
    assert tasks.document(doc).kept_text(1) is None


def _figure_grid_pdf() -> bytes:
    """Prose beside a figure drawn as a grid of crossing rules with two labels (TikZ-style)."""
    ops = [b"0.5 w"]
    for k in range(6):
        ops.append(b"%d %d m %d %d l S" % (300, 400 + 40 * k, 500, 400 + 40 * k))
        ops.append(b"%d %d m %d %d l S" % (300 + 40 * k, 400, 300 + 40 * k, 600))
    ops.append(_text(305, 585, "A", 8))
    ops.append(_text(485, 405, "B", 8))
    words = PROSE * 2
    for i in range(20):
        ops.append(_text(72, 380 - 14 * i, " ".join(words[i : i + 12])))
    return stream_pdf(b"\n".join(ops))


def test_a_figure_drawn_as_a_grid_never_reaches_the_finder(tmp_path):
    """Crossing rules with a few labels are a figure: the characters are never read."""
    counts = cpu.table_stage().counts
    before = dict(counts)
    page = _read(tmp_path, _figure_grid_pdf(), "figure.pdf")
    assert page.tables == [] and "A" in page.text
    assert counts["no_grid"] == before["no_grid"] + 1 and counts["found"] == before["found"]
    page = _read(tmp_path, _ruled_table_pdf(), "table.pdf")  # a lettered grid still gets there
    assert len(page.tables) == 1 and counts["found"] == before["found"] + 1


def test_a_drawn_grid_of_marks_without_a_word_or_figure_is_no_table(tmp_path):
    """A topology book's lattice: a ruled 6 x 6 grid, a boxed "*" in every square (GeoTopo
    page 56). Nothing in it is a word or a figure: a figure, not a table of asterisks."""

    def grid(mark: str) -> bytes:
        ops = [b"0.5 w"]
        for k in range(7):
            ops.append(b"100 %d m 340 %d l S" % (400 + 40 * k, 400 + 40 * k))
            ops.append(b"%d 400 m %d 640 l S" % (100 + 40 * k, 100 + 40 * k))
        for r in range(6):
            ops += [_text(116 + 40 * c, 416 + 40 * r, mark) for c in range(6)]
        return stream_pdf(b"\n".join(ops))

    assert _tables(tmp_path, grid("*"), "lattice.pdf") == []
    assert len(_tables(tmp_path, grid("7"), "sevens.pdf")) == 1


def _framed_paragraph_pdf() -> bytes:
    """Prose with one paragraph drawn in a box (a theorem's frame), its sides in pieces."""
    ops = [b"0.5 w"]
    for k in range(4):  # each side in four strokes: enough segments to be asked
        x0, x1 = 70 + 115 * k, 70 + 115 * (k + 1)
        ops.append(b"%d 560 m %d 560 l S %d 640 m %d 640 l S" % (x0, x1, x0, x1))
        y0, y1 = 560 + 20 * k, 560 + 20 * (k + 1)
        ops.append(b"70 %d m 70 %d l S 530 %d m 530 %d l S" % (y0, y1, y0, y1))
    words = PROSE * 2
    for i in range(5):
        ops.append(_text(76, 625 - 14 * i, " ".join(words[i : i + 12])))
    for i in range(20):
        ops.append(_text(72, 520 - 14 * i, " ".join(words[i + 5 : i + 17])))
    return stream_pdf(b"\n".join(ops))


def test_a_box_round_a_paragraph_never_reaches_the_finder(tmp_path):
    """A frame of one cell is no table: its lines cover it (it is lettered), but the
    characters are never read (a TeX book's theorem boxes had sent 24 of its 117 pages
    to the finders)."""
    counts = cpu.table_stage().counts
    before = dict(counts)
    page = _read(tmp_path, _framed_paragraph_pdf(), "framed.pdf")
    assert page.tables == [] and "committee met" in page.text
    assert counts["asked"] == before["asked"] + 1
    assert counts["no_grid"] == before["no_grid"] + 1 and counts["found"] == before["found"]


def test_a_title_row_across_a_ruled_table_is_lifted_out_of_it():
    """ "Table 5: Outlay" across the top of a grid is its title: the row under it is the header."""
    from docworker.contract import TableCell
    from docworker.tables.stage import lift_title

    cells = [TableCell(row=0, col=0, col_span=3, text="Table 5: Outlay", header=True)]
    for r, row in enumerate([["State", "Revenue", "Total"], ["Goa", "4,055", "4,508"]], start=1):
        cells += [TableCell(row=r, col=c, text=t) for c, t in enumerate(row)]
    title = (36.0, 50.0, 300.0, 62.0)
    rows = [(x, top, x + 88.0, top + 12.0) for top in (62.0, 74.0) for x in (36.0, 124.0, 212.0)]
    lifted, box = lift_title(cells, [title, *rows], (36.0, 50.0, 300.0, 86.0))
    assert box == (36.0, 62.0, 300.0, 86.0)
    assert [(c.row, c.col, c.text, c.header) for c in lifted] == [
        (0, 0, "State", True),
        (0, 1, "Revenue", True),
        (0, 2, "Total", True),
        (1, 0, "Goa", False),
        (1, 1, "4,055", False),
        (1, 2, "4,508", False),
    ]
    # A spanning row that is one of two rows, or over a row of one cell, stays.
    assert lift_title(cells[:4], [title, *rows[:3]], (36.0, 50.0, 300.0, 74.0))[0] == cells[:4]


def test_a_wrapped_stream_header_becomes_one_row_and_two_levels_stay():
    from docworker.contract import TableCell
    from docworker.tables.stream import _header_count
    from docworker.tables.stream import _one_header_row as one_row

    def row(r, texts, header=False):
        return [TableCell(row=r, col=c, text=t, header=header) for c, t in enumerate(texts) if t]

    def _one_header_row(cells, n_header):  # as the stream finder calls it
        return one_row(cells, _header_count(cells, n_header))

    cells = (
        row(0, ["", "", "Asian Pacific"], True)
        + row(1, ["Offense", "Total", "Islander"])  # read with the body: no number in it
        + row(2, ["Total", "10,690", "123,656"])
        + row(3, ["Arson", "9,466", "112"])
    )
    merged = _one_header_row(cells, 1)
    assert [(c.row, c.col, c.text, c.header) for c in merged if c.row == 0] == [
        (0, 0, "Offense", True),
        (0, 1, "Total", True),
        (0, 2, "Asian Pacific Islander", True),
    ]
    assert [c.text for c in merged if c.row == 1] == ["Total", "10,690", "123,656"]
    two_levels = [TableCell(row=0, col=1, col_span=2, text="Male", header=True), *cells[1:]]
    assert _one_header_row(two_levels, 1) == two_levels
    # A header of two lines read with the body: both lines over the first with a number
    # (unstructured's embedded-images-tables.pdf, Table 1).
    cells = (
        row(0, ["Inhibitor", "bc (V/dec)", "Polarization"], True)
        + row(1, ["concentration (g)", "", "resistance (Ω)"])
        + row(2, ["0", "0.0335", "24.0910"])
        + row(3, ["2", "1.9460", "121.440"])
    )
    merged = _one_header_row(cells, 0)
    assert [c.text for c in merged if c.row == 0] == [
        "Inhibitor concentration (g)",
        "bc (V/dec)",
        "Polarization resistance (Ω)",
    ]
    assert [c.text for c in merged if c.row == 1] == ["0", "0.0335", "24.0910"]
    text_rows = row(0, ["Name", "Role"], True) + row(1, ["Ann", "Chair"]) + row(2, ["Bo", "Clerk"])
    text_rows += row(3, ["Cy", "Member"]) + row(4, ["Di", "2"])
    assert _one_header_row(text_rows, 0) == text_rows  # the number comes too late
    # Group headings spanning the first row, sub-headings wrapped over two lines with a
    # number among their words ("Under 18" / "years"): the two lines are one row under
    # the group headings (tabula's 12s0324, Arrests by Sex and Age).
    cells = [
        TableCell(row=0, col=1, col_span=2, text="Male", header=True),
        TableCell(row=0, col=3, col_span=2, text="Female", header=True),
        *row(1, ["Offense charged", "Under 18", "18 years", "Under 18", "18 years"]),
        *row(2, ["", "years", "and over", "years", "and over"]),
        *row(3, ["Total", "1,071.6", "7,191.7", "468.3", "2,330.9"]),
        *row(4, ["Arson", "3.7", "4.4", "0.6", "1.1"]),
    ]
    merged = _one_header_row(cells, 1)
    assert [(c.row, c.col, c.col_span, c.text) for c in merged if c.row == 0] == [
        (0, 1, 2, "Male"),
        (0, 3, 2, "Female"),
    ]
    assert [(c.text, c.header) for c in merged if c.row == 1] == [
        ("Offense charged", True),
        ("Under 18 years", True),
        ("18 years and over", True),
        ("Under 18 years", True),
        ("18 years and over", True),
    ]
    assert [c.text for c in merged if c.row == 2] == [
        "Total",
        "1,071.6",
        "7,191.7",
        "468.3",
        "2,330.9",
    ]
    # A section's label under the header ends it: it is the body's first row.
    sections = [
        TableCell(row=0, col=1, col_span=2, text="DLHS-4", header=True),
        *row(1, ["Indicators", "TOTAL", "RURAL"], True),
        *row(2, ["Child feeding practices (%)"]),
        *row(3, ["Breastfed", "76.9", "80.0"]),
    ]
    assert _header_count(sections, 2) == 2 and _one_header_row(sections, 2) == sections
    # A record's second address line under a wrapped header ("1831 NORTHWEST CACHE",
    # camelot's m27) is the body's, not a third line of heads.
    records = [
        *row(0, ["LICENSE", "", "PREMISE"], True),
        *row(1, ["NUMBER TYPE", "LICENSEE NAME", "ADDRESS", "CITY"]),
        *row(2, ["", "", "1831 NORTHWEST CACHE"]),
        *row(3, ["632426 BAW", "BELLAROMA LLC", "ROAD", "LAWTON"]),
    ]
    assert _header_count(records, 1) == 2
    assert [c.text for c in _one_header_row(records, 1) if c.row == 0] == [
        "LICENSE NUMBER TYPE", "LICENSEE NAME", "PREMISE ADDRESS", "CITY"]  # fmt: skip


@needs_corpus
def test_corpus_table_ruled_between_rows_only_is_read_by_its_columns():
    """12s0324's second table: rules around rows and two columns; whitespace parts four more."""
    tables = _corpus_tables("tabula/12s0324.pdf")
    grid = _grid(max(tables, key=lambda t: t.bbox[1]))
    assert grid[0][1:] == ["Total", "White", "Black", "American Indian/Alaskan Native",
                           "Asian Pacific Islander"]  # fmt: skip
    assert grid[1][1:] == ["10,690,561", "7,389,208", "3,027,153", "150,544", "123,656"]


@needs_corpus
def test_corpus_cell_with_a_word_hyphenated_at_its_line_end_reads_it_whole():
    cells = [c.text for t in _corpus_tables("tabula/puertos1.pdf") for c in t.cells]
    assert "Filetes y demás carnes de pescado" in cells


def test_a_booktabs_table_in_one_column_leaves_the_other_columns_lines_out():
    """ScienceParse's NAACL paper (s2orc-doc2json's test PDF, in this repository's corpus),
    p. 3: a table with top, mid and bottom rules in the right column, the left column's
    prose level with its rows. The table had taken the prose in as its first column, a
    row of its own between each of its rows; the rules' ends bound it."""
    stage = TableStage()
    try:
        tables = stage(str(ROOT / "corpus" / "s2orc-doc2json" / "N18-3011.pdf"), None, 3)
    finally:
        stage.close()
    assert len(tables) == 1
    assert tables[0].bbox[0] > 300
    grid = _grid(tables[0])
    assert grid[0] == ["Field", "Precision", "Recall", "F1"]
    assert grid[1] == ["title", "85.5", "85.5", "85.5"]
    assert len(grid) == 7


def test_a_paper_table_keeps_its_minus_signs_and_its_two_line_header():
    """unstructured's embedded-images-tables.pdf (in this repository's corpus): the minus
    signs of "Ecorr (V)" are code 3 of a symbol font with no Unicode map, drawn as flat
    bars, and each header cell is two lines over the rule under the header."""
    stage = TableStage()
    try:
        tables = stage(
            str(ROOT / "corpus" / "unstructured-io" / "embedded-images-tables.pdf"), None, 1
        )
    finally:
        stage.close()
    grid = _grid(max(tables, key=lambda t: len(t.cells)))
    assert grid[0] == [
        "Inhibitor concentration (g)",
        "bc (V/dec)",
        "ba (V/dec)",
        "Ecorr (V)",
        "icorr (A/cm2)",
        "Polarization resistance (Ω)",
        "Corrosion rate (mm/year)",
    ]
    assert grid[1] == ["0", "0.0335", "0.0409", "−0.9393", "0.0003", "24.0910", "2.8163"]
    assert [row[3] for row in grid[1:]] == [
        "−0.9393", "−0.8276", "−0.8825", "−0.8027", "−0.5896", "−0.5356"
    ]  # fmt: skip


def test_a_painted_area_is_outlined_by_the_sides_no_other_piece_continues():
    """``_boundary`` against the plain definition: each side of each piece, less the
    spans of the pieces its outer neighbourhood falls inside, parts over TOUCH kept."""
    import random

    from docworker.tables import rulings

    def plain(pieces):
        def rest(lo, hi, covers):
            parts = [(lo, hi)]
            for a, b in covers:
                parts = [
                    p
                    for s, e in parts
                    for p in ((s, min(e, a)), (max(s, b), e))
                    if p[1] - p[0] > rulings.TOUCH
                ]
            return parts

        hs, vs, out = [], [], 2 * rulings.TOUCH
        for x0, y0, x1, y1 in pieces:
            for y, d in ((y0, -out), (y1, out)):
                covers = [(p[0], p[2]) for p in pieces if p[1] < y + d < p[3]]
                hs += [(y, s, e) for s, e in rest(x0, x1, covers)]
            for x, d in ((x0, -out), (x1, out)):
                covers = [(p[1], p[3]) for p in pieces if p[0] < x + d < p[2]]
                vs += [(x, s, e) for s, e in rest(y0, y1, covers)]
        return hs, vs

    rng = random.Random(7)
    for _ in range(500):
        grid = rng.choice([0.5, 1.0, 5.0])
        pieces = []
        for _ in range(rng.randint(1, 30)):
            x, y = (round(rng.uniform(0, 100) / grid) * grid for _ in range(2))
            pieces.append((x, y, x + rng.choice([0.4, 3, 10, 20]), y + rng.choice([0.7, 3, 12])))
        hs, vs = [], []
        rulings._boundary(pieces, hs, vs)
        got = [(s.pos, s.lo, s.hi) for s in hs], [(s.pos, s.lo, s.hi) for s in vs]
        assert got == plain(pieces)


def test_scripts_in_a_cell_stay_in_their_word(tmp_path):
    """A subscript sits lower than a text line's tolerance allows: "H2O", not "H O 2"."""
    from tests.pdfspans import width

    xs, ys = (60, 220, 380), (700, 676, 652, 628)
    ops = [b"0.5 w"]
    ops += [b"%d %d m %d %d l S" % (xs[0], y, xs[-1], y) for y in ys]
    ops += [b"%d %d m %d %d l S" % (x, ys[0], x, ys[-1]) for x in xs]
    for r, (left, right) in enumerate([("Substance", "Formula"), ("Water", ""), ("Salt", "NaCl")]):
        base = ys[r] - 16
        ops.append(_text(xs[0] + 4, base, left))
        if right:
            ops.append(_text(xs[1] + 4, base, right))
    x = xs[1] + 4.0
    for text, size, drop in (("H", 10, 0.0), ("2", 7, 2.5), ("O and x", 10, 0.0), ("2", 7, -4.0)):
        ops.append(_text(x, ys[1] - 16 - drop, text, size))
        x += width(text, size)
    (table,) = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert _grid(table)[1] == ["Water", "H2O and x2"]


def test_white_text_on_white_paper_stays_out_of_a_cell(tmp_path):
    """The finders read the page's characters themselves; unseen white text (a hidden
    keyword) is left out of them as it is out of the text layer."""
    xs, ys = (60, 220, 380), (700, 676, 652, 628)
    ops = [b"0.5 w"]
    ops += [b"%d %d m %d %d l S" % (xs[0], y, xs[-1], y) for y in ys]
    ops += [b"%d %d m %d %d l S" % (x, ys[0], x, ys[-1]) for x in xs]
    for r, (left, right) in enumerate([("Item", "Amount"), ("Rent", "1,200"), ("Food", "450")]):
        ops.append(_text(xs[0] + 4, ys[r] - 16, left))
        ops.append(_text(xs[1] + 4, ys[r] - 16, right))
    ops.append(b"1 1 1 rg " + _text(xs[0] + 40, ys[1] - 16, "hidden"))
    (table,) = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert _grid(table)[1] == ["Rent", "1,200"]


def _pairs_pdf(rows: list[tuple[str, str]], head: str = "", x_figure: float = 470) -> bytes:
    """Labels at the left margin, each row's figure right-aligned at ``x_figure``; a row
    with no figure is a label alone."""
    ops = []
    y = 700.0
    if head:
        ops.append(_text(x_figure - width(head, 9), y + 16, head, 9))
    for k, (label, figure) in enumerate(rows):
        ops.append(_text(72, y - 16 * k, label, 9))
        if figure:
            ops.append(_text(x_figure - width(figure, 9), y - 16 * k, figure, 9))
    ops.append(_text(72, 400, "A paragraph of text under the list runs on as prose does here.", 9))
    return stream_pdf(b"\n".join(ops))


KEY_FIGURES = [
    ("Class A", ""),
    ("Net Asset Value at 31 December", "5,111,372"),
    ("Number of outstanding units at 31 December", "49,136"),
    ("Net Asset Value per unit at 31 December", "104.03"),
    ("Investment result", ""),
    ("Direct result", "-"),
    ("Revaluation", "2,076,667"),
    ("Costs", "(106,870)"),
]


def test_labels_and_their_figures_far_right_are_a_table_of_two_columns(tmp_path):
    """A fund's key figures (camelot's edge_tol.pdf): a label at the left and one figure
    far right of it, no rules, no leaders. Read as lines, the single-spaced rows had run
    together into one paragraph ("Direct result - Revaluation 2,076,667 Costs")."""
    data = _pairs_pdf(KEY_FIGURES, head="2016")
    assert looks_tabular(_text_lines(tmp_path / "pairs.pdf", data))
    tables = _tables(tmp_path, data)
    assert len(tables) == 1
    assert _grid(tables[0]) == [["", "2016"], *[[a, b] for a, b in KEY_FIGURES]]
    assert [c.header for c in tables[0].cells if c.row == 0] == [True, True]


@pytest.mark.parametrize(
    "figures",
    [
        ["3", "5", "9", "12", "17", "21"],  # a contents list's page numbers
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],  # numbered equations
    ],
    ids=["contents", "equations"],
)
def test_counts_far_right_of_their_lines_are_no_table(tmp_path, figures):
    titles = ["Introduction", "Methods", "Results", "Discussion", "Conclusion", "Appendix"]
    assert _tables(tmp_path, _pairs_pdf(list(zip(titles, figures, strict=True)))) == []


def test_figures_that_do_not_line_up_are_no_table(tmp_path):
    ops = [
        _text(72, 700 - 16 * k, label, 9) + b"\n" + _text(300 + 40 * k, 700 - 16 * k, "1,204", 9)
        for k, label in enumerate(["Alpha", "Beta", "Gamma", "Delta", "Epsilon"])
    ]
    assert _tables(tmp_path, stream_pdf(b"\n".join(ops))) == []


def test_white_fills_round_a_title_over_a_ruled_table_are_no_rules(tmp_path):
    """Word paints the paragraph of a table's title white, wider than the table, and
    each cell too (camelot's twotables_2.pdf). On bare paper those edges are unseen: the
    title had become a row of the grid and the fill's sides two empty columns."""
    ops = [b"1 1 1 rg", b"60 700 440 30 re f"]  # the title's white paragraph, touching
    ops += [b"%d %d 120 20 re f" % (x, y) for x in X[:-1] for y in Y[1:]]  # white cells
    ops += [b"0 0 0 rg"]
    ops.append(_text(110, 712, "Table 1: POPULATION AND AREA BY COUNTRY", 10))
    data = _ruled_table_pdf().replace(b"stream\n", b"stream\n" + b"\n".join(ops) + b"\n", 1)
    tables = _tables(tmp_path, data)
    assert len(tables) == 1
    assert tables[0].n_cols == 3
    assert "POPULATION" not in " ".join(c.text for c in tables[0].cells)


def test_labels_and_two_years_of_figures_are_a_table_of_three_columns(tmp_path):
    """A statement of two years with no rules and no leaders: the stream finder needs four
    columns, so its rows had read as lines of text."""
    rows = [
        ("Revenue", "1,204", "1,187"),
        ("Cost of sales", "(702)", "(690)"),
        ("Gross profit", "502", "497"),
        ("Operating expenses", "(311)", "(305)"),
        ("Operating profit", "191", "192"),
    ]
    ops = [_text(x - width(year, 9), 716, year, 9) for x, year in ((400, "2016"), (470, "2015"))]
    for k, (label, a, b) in enumerate(rows):
        y = 700 - 16 * k
        ops += [_text(72, y, label, 9), _text(400 - width(a, 9), y, a, 9)]
        ops.append(_text(470 - width(b, 9), y, b, 9))
    ops.append(_text(72, 500, "A paragraph of text under the statement runs on as prose does.", 9))
    data = stream_pdf(b"\n".join(ops))
    assert looks_tabular(_text_lines(tmp_path / "years.pdf", data))
    tables = _tables(tmp_path, data)
    assert len(tables) == 1
    assert _grid(tables[0]) == [["", "2016", "2015"], *[list(row) for row in rows]]


#: Columns of the DPR paper's result tables, as the group label tests set them.
MULTIROW_XS = (72, 150, 260, 310, 360, 410)


def test_a_group_label_centred_between_two_rows_spans_them(tmp_path):
    """LaTeX's \\multirow in an unruled table (the DPR paper's Table 2): "Single" is set
    centred between the rows "DPR" and "BM25 + DPR", on a line of its own. It had been a
    row of its own, and "DPR" a row of the group above."""
    xs = MULTIROW_XS
    head = ["Training", "Retriever", "NQ", "TQA", "WQ", "TREC"]
    body = [
        ("None", "BM25", "59.1", "66.9", "55.0", "70.9"),
        ("", "DPR", "78.4", "79.4", "73.2", "79.8"),
        ("", "BM25 + DPR", "76.6", "79.8", "71.0", "85.2"),
        ("", "DPR", "79.4", "78.8", "75.0", "89.1"),
        ("", "BM25 + DPR", "78.0", "79.9", "74.7", "88.5"),
    ]
    ops = _row(xs, 720, head)
    for k, row in enumerate(body):
        ops += _row(xs, 700 - 14 * k, row)
    ops += [_text(72, 700 - 14 * 1.5, "Single", 9), _text(72, 700 - 14 * 3.5, "Multi", 9)]
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    cells = {(c.row, c.col): c for c in tables[0].cells}
    single = next(c for c in tables[0].cells if c.text == "Single")
    multi = next(c for c in tables[0].cells if c.text == "Multi")
    assert (single.row, single.col, single.row_span) == (2, 0, 2)
    assert (multi.row, multi.col, multi.row_span) == (4, 0, 2)
    assert cells[(2, 1)].text == "DPR" and cells[(3, 1)].text == "BM25 + DPR"
    assert tables[0].n_rows == 6  # the header and five rows: no row of a label alone


def test_heads_set_close_over_an_unruled_table_are_its_header(tmp_path):
    """Heads a word each, set closer than a text height ("Top-1 Top-5 Top-20 Top-100" over
    the DPR paper's Table 6): one piece wider than most of the table, they had been taken
    for a line of running text and the table read without its header."""
    rights = [222, 253, 284, 315]
    heads = ["Top-1", "Top-2", "Top-3", "Top-4"]
    rows = [
        ("NLL", "44.9", "66.8", "78.1", "85.0"),
        ("Triplet", "41.6", "65.0", "77.2", "84.5"),
        ("NLL", "43.5", "64.7", "76.1", "83.1"),
        ("Triplet", "42.2", "66.0", "78.1", "84.9"),
    ]
    ops = _row(rights, 720, heads, right=True)
    for k, (label, *figures) in enumerate(rows):
        y = 704 - 13 * k
        ops.append(_text(150, y, label, 9))
        ops += _row(rights, y, figures, right=True)
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    assert _grid(tables[0])[0] == ["", *heads]


def test_group_labels_left_of_the_rows_first_cells_are_a_column_of_their_own(tmp_path):
    """The DPR paper's Table 6: "DP" and "L2", each centred between its two rows, stand left
    of the rows' first cells ("NLL", "Triplet"). They had been rows of the Loss column; they
    are a column of their own, each label spanning its two rows."""
    rows = [
        ("NLL", "44.9", "66.8", "78.1"),
        ("Triplet", "41.6", "65.0", "77.2"),
        ("NLL", "43.5", "64.7", "76.1"),
        ("Triplet", "42.2", "66.0", "78.1"),
    ]
    xs = (140, 220, 270, 320)
    ops = [_text(100, 733, "Sim", 9), _text(140, 733, "Loss", 9), _text(240, 733, "Accuracy", 9)]
    ops += _row(xs[1:], 720, ("Top-1", "Top-5", "Top-20"))
    for k, row in enumerate(rows):
        ops += _row(xs, 704 - 13 * k, row)
    ops += [_text(100, 704 - 13 * 0.5, "DP", 9), _text(100, 704 - 13 * 2.5, "L2", 9)]
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    grid = _grid(tables[0])
    assert grid[0][:3] == ["Sim", "Loss", "Top-1"]  # the two header lines: one row
    firsts = [row[:2] for row in grid[1:]]
    assert firsts == [["DP", "NLL"], ["", "Triplet"], ["L2", "NLL"], ["", "Triplet"]]
    spans = {c.text: c.row_span for c in tables[0].cells if c.col == 0 and c.text}
    assert spans == {"Sim": 1, "DP": 2, "L2": 2}


def test_white_cells_painted_on_a_band_of_colour_keep_their_edges(tmp_path):
    """White cells painted over a coloured fill are seen: their edges stay the table's
    rules (``stage.framed_fills``) where no other rule frames them."""
    import pypdfium2 as pdfium

    from docworker.decode.pdfobjects import read_objects
    from docworker.tables.stage import framed_fills

    ops = [b"0.2 0.4 0.8 rg", b"98 638 364 64 re f", b"1 1 1 rg"]
    ops += [b"%d %d 116 16 re f" % (x + 2, y + 2) for x in X[:-1] for y in Y[1:]]
    path = tmp_path / "painted.pdf"
    path.write_bytes(stream_pdf(b"\n".join(ops)))
    doc = pdfium.PdfDocument(str(path))
    try:
        found = read_objects(doc[0])
        kept = framed_fills(found.lines, found.rects, found.curves, found.width, found.height)
    finally:
        doc.close()
    assert len(kept) == len(found.rects) == 10  # the band and its nine white cells


def test_centred_labels_never_share_a_row():
    """Two labels alone each between rows, one row apart: the first spans its two rows, the
    second, whose row over it is taken, stays a row of its own (no two spans overlap)."""
    from docworker.contract import TableCell
    from docworker.tables.stream import _centred_labels

    texts = [["", "a", "1"], ["L1"], ["", "b", "2"], ["L2"], ["", "c", "3"]]
    cells = [
        TableCell(row=r, col=c, text=t) for r, row in enumerate(texts) for c, t in enumerate(row)
    ]
    out = _centred_labels(cells, [10.0 * r for r in range(len(texts))])
    labels = {c.text: (c.row, c.row_span) for c in out if c.text.startswith("L")}
    assert labels == {"L1": (0, 2), "L2": (2, 1)}
    assert sorted((c.row, c.col) for c in out if c.text) == [
        (0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 0), (3, 1), (3, 2)
    ]  # fmt: skip


def test_a_group_label_on_the_middle_row_between_rules_spans_its_group(tmp_path):
    """The DPR paper's Table 4: "Single" set on the middle row of three between two rules
    (LaTeX's \\multirow over an odd number of rows) labels the whole group, not that row."""
    xs = MULTIROW_XS
    head = ["Training", "Model", "NQ", "TQA", "WQ", "TREC"]
    groups = [
        [
            ("", "BM25", "32.6", "52.4", "29.9", "24.9"),
            ("Single", "DPR", "41.5", "56.8", "34.6", "25.9"),
            ("", "BM25+DPR", "39.0", "57.0", "35.2", "28.0"),
        ],
        [
            ("", "BM25", "30.1", "50.2", "28.8", "23.3"),
            ("Multi", "DPR", "41.5", "56.8", "42.4", "49.4"),
            ("", "BM25+DPR", "38.8", "57.9", "41.1", "50.6"),
        ],
    ]
    ops = [b"0.5 w", *_row(xs, 720, head)]
    y = 700
    for group in groups:
        ops.append(b"70 %d m 440 %d l S" % (y + 12, y + 12))  # a rule over each group
        for row in group:
            ops += _row(xs, y, row)
            y -= 14
    ops.append(b"70 %d m 440 %d l S" % (y + 10, y + 10))
    tables = _tables(tmp_path, stream_pdf(b"\n".join(ops)))
    assert len(tables) == 1
    spans = {c.text: (c.row, c.row_span) for c in tables[0].cells if c.col == 0 and c.text}
    assert spans == {"Training": (0, 1), "Single": (1, 3), "Multi": (4, 3)}


def _nested_tables_pdf() -> bytes:
    """A ruled table whose comments cell holds a small ruled table of its own, between
    two lines of the comment (a health report's survey figures inside its outbreak row)."""
    ops = [b"0.5 w", *_rules([60, 160, 300, 540], [760, 740, 600, 580])]
    ops += _rules([310, 400, 460, 520], [715, 700, 685, 670, 655])
    ops += _row([64, 164, 304], 746, ["Place", "Cases", "Comments"])
    ops += _row([64, 164, 304], 726, ["Kota", "2103", "Survey revealed:"])
    ops += _row([314, 404, 464], 704, ["Village", "HI", "BI"])
    villages = [("Kumbhkot", "61.11", "77.77"), ("Zulmi", "54.16", "66.66")]
    villages.append(("Lakhariya", "50.00", "61.11"))
    for k, row in enumerate(villages):
        ops += _row([314, 404, 464], 689 - 15 * k, row)
    ops += _row([304], 640, ["Spray and fogging done."])
    ops += _row([64, 164, 304], 586, ["Karur", "40", "Under control"])
    return stream_pdf(b"\n".join(ops))


def test_a_table_inside_another_tables_cell_is_its_own_table_once(tmp_path):
    """camelot's tableception.pdf: a table drawn inside a cell of another had been read
    twice, as its own table and run together into the outer cell's text."""
    tables = _tables(tmp_path, _nested_tables_pdf())
    assert len(tables) == 2
    inner, outer = sorted(tables, key=lambda t: t.bbox[2] - t.bbox[0])
    assert _grid(inner) == [
        ["Village", "HI", "BI"],
        ["Kumbhkot", "61.11", "77.77"],
        ["Zulmi", "54.16", "66.66"],
        ["Lakhariya", "50.00", "61.11"],
    ]
    assert _grid(outer)[1] == ["Kota", "2103", "Survey revealed: Spray and fogging done."]
    path = tmp_path / "nested.pdf"
    path.write_bytes(_nested_tables_pdf())
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert page.markdown.count("Kumbhkot") == 1 and page.markdown.count("Spray") == 1
    assert page.markdown.index("Karur") < page.markdown.index("| Village | HI | BI |")
