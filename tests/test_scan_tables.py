"""Scanned tables: frames and rules found in the page image, cells from real OCR boxes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from docworker import decode
from docworker.engines import cpu
from docworker.geometry import Line, Word
from docworker.isolation import tasks
from docworker.stages.ocr.orientation import rotate_image
from docworker.tables import scanned
from tests.pdfgen import font

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
LOCAL = Path(__file__).resolve().parents[1] / "corpus"  # this repository's documents

ROWS = [
    ["Provincia", "Altas", "Bajas", "Saldo"],
    ["Logroño", "1520", "1310", "210"],
    ["Huesca", "845", "902", "-57"],
    ["Cádiz", "2311", "1874", "437"],
    ["Ourense", "690", "733", "-43"],
]


def table_image(ruled: bool, prose_box: bool = False, frame: bool = True) -> Image.Image:
    """A page with a heading, a framed table (inner rules if ``ruled``; no frame at all
    unless ``frame``) and a caption."""
    image = Image.new("RGB", (1240, 1000), "white")
    draw = ImageDraw.Draw(image)
    face = font(30)
    draw.text((80, 60), "Resumen del padrón por provincia", fill="black", font=face)
    left, top, col_w, row_h = 80, 160, 260, 70
    right, bottom = left + col_w * 4, top + row_h * len(ROWS)
    if frame:
        draw.rectangle((left, top, right, bottom), outline="black", width=3)
    if ruled:
        for c in range(1, 4):
            draw.line((left + c * col_w, top, left + c * col_w, bottom), fill="black", width=2)
        for r in range(1, len(ROWS)):
            draw.line((left, top + r * row_h, right, top + r * row_h), fill="black", width=2)
    for r, row in enumerate(ROWS):
        for c, text in enumerate(row):
            draw.text((left + c * col_w + 20, top + r * row_h + 18), text, fill="black", font=face)
    draw.text((80, bottom + 40), "Fuente: elaboración propia.", fill="black", font=face)
    if prose_box:
        draw.rectangle((70, 700, 1170, 900), outline="black", width=3)
        for i, text in enumerate(
            ["Nota: los datos de esta tabla son provisionales y", "se revisarán en la próxima"]
        ):
            draw.text((90, 720 + 60 * i), text, fill="black", font=face)
    return image


def _page(tmp_path: Path, image: Image.Image):
    path = tmp_path / "tabla.png"
    image.save(path)
    doc = tasks.DocTask(str(path), decode.PNG, None, 10, 14400.0, 40_000_000)
    return cpu.read_page(tasks.PageTask(doc=doc, number=1))


def _grid(table) -> list[list[str]]:
    grid = [[""] * table.n_cols for _ in range(table.n_rows)]
    for cell in table.cells:
        grid[cell.row][cell.col] = cell.text
    return grid


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "frame-only"])
def test_framed_table_comes_back_cell_by_cell(tmp_path, ruled):
    page = _page(tmp_path, table_image(ruled, prose_box=True))
    assert page.source == "ocr"
    assert len(page.tables) == 1, [t.markdown for t in page.tables]  # the prose box is no table
    table = page.tables[0]
    assert (table.n_rows, table.n_cols) == (5, 4)
    assert _grid(table) == ROWS
    assert [c.text for c in table.cells if c.header] == ROWS[0]
    # The table replaces its lines in the markdown; heading and caption stay text.
    assert "| Logroño | 1520 | 1310 | 210 |" in page.markdown
    assert "Resumen del padrón por provincia" in page.markdown
    assert "Fuente: elaboración propia." in page.markdown
    assert page.markdown.count("Logroño") == 1
    x0, y0, x1, y1 = table.bbox
    assert 70 <= x0 < 90 and 150 <= y0 < 170 and 1100 < x1 <= 1130 and 500 < y1 <= 520


def test_a_table_with_no_frame_and_no_rules_is_found_from_its_columns(tmp_path):
    """A paper's table set between two rules only, or none (PaddleOCR's page of a
    paper, its Table 7): the recognizer's boxes in rows that share three gutters or
    more, short filled cells, are a table; the heading and caption stay text."""
    page = _page(tmp_path, table_image(ruled=False, frame=False))
    assert page.source == "ocr"
    assert len(page.tables) == 1, page.markdown
    assert _grid(page.tables[0]) == ROWS
    assert "| Logroño | 1520 | 1310 | 210 |" in page.markdown
    assert "Resumen del padrón por provincia" in page.markdown
    assert "Fuente: elaboración propia." in page.markdown


def test_turned_scan_table_box_is_in_the_stored_page(tmp_path):
    """The table is read on the upright page; its box comes back in the stored image."""
    upright = table_image(ruled=True)
    stored = rotate_image(upright, 270)  # turning it 90 clockwise makes it upright
    page = _page(tmp_path, stored)
    assert page.rotation == 90
    assert len(page.tables) == 1 and _grid(page.tables[0]) == ROWS
    x0, y0, x1, y1 = page.tables[0].bbox
    assert x1 <= stored.width and y1 <= stored.height
    assert (x1 - x0) < (y1 - y0)  # the table runs down the stored page


@pytest.mark.skipif(not (CORPUS / "camelot/bad/image.pdf").exists(), reason="corpus absent")
def test_real_scanned_report_table(tmp_path):
    doc = tasks.DocTask(
        str(CORPUS / "camelot/bad/image.pdf"), decode.PDF, None, 10, 14400.0, 40_000_000
    )
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    results = [t for t in page.tables if t.n_cols == 6]
    assert len(results) == 1
    grid = _grid(results[0])
    assert grid[0][:4] == ["Region", "Area", "BMC", "BMD"]
    assert ["R Arm", "211.89", "169.76", "0.801", "", ""] in grid
    assert grid[-1] == ["Total", "2131.39", "2455.33", "1.152", "", "-0.5"]


def test_a_scanned_table_ruled_row_by_row_keeps_its_wrapped_cells(tmp_path):
    """Every row ruled; a header cell and a place name wrap onto two lines. Each ruled
    band is one row (counted by text lines, the table had looked too ragged to be one)."""
    rows = [
        (["Provincia", "Altas", "Bajas", "Saldo"], ["", "", "", "neto"]),
        (["Logroño", "1520", "1310", "210"], None),
        (["Santa Cruz", "845", "902", "-57"], ["de Tenerife", "", "", ""]),
        (["Cádiz", "2311", "1874", "437"], None),
        (["Ourense", "690", "733", "-43"], None),
    ]
    image = Image.new("RGB", (1240, 900), "white")
    draw = ImageDraw.Draw(image)
    face = font(30)
    left, top, col_w = 80, 120, 260
    right = left + col_w * 4
    y, edges = top, [top]
    for first, second in rows:
        height = 110 if second else 70
        for c, text in enumerate(first):
            draw.text((left + c * col_w + 20, y + 18), text, fill="black", font=face)
        for c, text in enumerate(second or []):
            draw.text((left + c * col_w + 20, y + 58), text, fill="black", font=face)
        y += height
        edges.append(y)
    draw.rectangle((left, top, right, y), outline="black", width=3)
    for c in range(1, 4):
        draw.line((left + c * col_w, top, left + c * col_w, y), fill="black", width=2)
    for e in edges[1:-1]:
        draw.line((left, e, right, e), fill="black", width=2)
    page = _page(tmp_path, image)
    assert len(page.tables) == 1, page.markdown
    grid = _grid(page.tables[0])
    assert grid[0] == ["Provincia", "Altas", "Bajas", "Saldo neto"]
    assert grid[2] == ["Santa Cruz de Tenerife", "845", "902", "-57"]
    assert len(grid) == len(rows)


def _ocr_line(*words: tuple[str, float, float], top: float, bottom: float) -> Line:
    """An OCR line as the recognizer gives it: its words' boxes, side by side."""
    boxes = [Word(x0, top, x1, bottom, text) for text, x0, x1 in words]
    return Line(
        " ".join(w.text for w in boxes), (boxes[0].x0, top, boxes[-1].x1, bottom), 0.98, words=boxes
    )


def _ocr_row(
    texts: tuple[str, ...], spans: list[tuple[float, float]], top: float, height: float
) -> list[Line]:
    """One OCR line a cell: ``texts`` over the x ``spans``, from ``top`` down ``height``."""
    return [
        _ocr_line((text, x0, x1), top=top, bottom=top + height)
        for text, (x0, x1) in zip(texts, spans, strict=True)
    ]


def test_a_header_read_across_column_rules_and_one_band_of_rows():
    """The boxes of unstructured's single_table.pdf (a paper's table ruled round, under its
    header, above its last row and between its columns). The recognizer read two header
    cells as one line across a rule; the three rows between the two inner rules are rows
    of their own, every one with text in every column, not one row of wrapped cells."""
    region = scanned.Region((76, 262, 531, 352), columns=(144.2, 221.0, 421.2), rows=(282.5, 331.4))
    body = [
        ("Base 128", "64,058", "800.73", "(484.11)", "N/A"),
        ("Base 256", "32,051", "400.64", "(242.04)", "N/A"),
        ("Base 512", "16,046", "200.58", "(121.01)", "N/A"),
    ]
    lines = [
        _ocr_line(
            ("Processing", 80, 139.6),
            ("total", 146.9, 173.1),
            ("chunks", 177.3, 218.6),
            top=262,
            bottom=285,
        ),
        _ocr_line(("mean", 225.9, 252), top=262, bottom=285),
        _ocr_line(
            ("chunks", 259.3, 297.6),
            ("per", 304.9, 321.9),
            ("document", 329.2, 385.7),
            ("(std)", 389.9, 419.1),
            ("tables", 423.4, 455.6),
            ("mean", 465.9, 492),
            ("(std)", 499.3, 525.4),
            top=262,
            bottom=285,
        ),
    ]
    spans = [(79, 130), (165, 199), (277, 312), (319, 365), (464, 487)]
    for k, row in enumerate(body):
        lines += _ocr_row(row, spans, 283 + 16 * k, 17)
    lines += [
        _ocr_line(("Chipper", 82, 126), top=332, bottom=350),
        _ocr_line(("20,843", 165, 199), top=332, bottom=350),
        _ocr_line(("260.57", 278, 312), ("(145.80)", 319, 366), top=332, bottom=350),
        _ocr_line(("96.20", 438, 470), ("(57.53)", 476, 513), top=332, bottom=350),
    ]
    found = scanned.table_in(region, lines)
    assert found is not None
    table, used = found
    assert len(used) == len(lines)  # the lines themselves leave the page's text, uncut
    assert _grid(table) == [
        ["Processing", "total chunks", "mean chunks per document (std)", "tables mean (std)"],
        *[[name, total, f"{mean} {std}", tables] for name, total, mean, std, tables in body],
        ["Chipper", "20,843", "260.57 (145.80)", "96.20 (57.53)"],
    ]


def test_a_heading_across_a_column_rule_spans_the_columns_it_parts():
    """A scanned report's header: "Results" over "Accuracy" and "Time", with a rule
    between those two columns under it. The heading's box reaches over the rule: it
    spans both columns and joins none (they had been one column, "34.5% 1199 sec")."""
    region = scanned.Region((0, 0, 400, 120), columns=(100.0, 200.0, 300.0), rows=(20.0, 40.0))
    lines = [
        _ocr_line(("Disability", 5, 70), top=2, bottom=18),
        _ocr_line(("Results", 252, 332), top=2, bottom=18),
        _ocr_line(("Category", 5, 60), top=22, bottom=38),
        _ocr_line(("Participants", 110, 190), top=22, bottom=38),
        _ocr_line(("Accuracy", 210, 270), top=22, bottom=38),
        _ocr_line(("Time", 310, 340), top=22, bottom=38),
    ]
    rows = [("Blind", "5", "34.5%", "1199 sec"), ("Low Vision", "5", "98.3%", "1716 sec"),
            ("Mobility", "3", "95.4%", "1416 sec")]  # fmt: skip
    for k, row in enumerate(rows):
        lines += _ocr_row(row, [(5, 70), (145, 152), (225, 265), (320, 375)], 44 + 20 * k, 16)
    found = scanned.table_in(region, lines)
    assert found is not None
    table = found[0]
    assert table.n_cols == 4
    results = next(c for c in table.cells if c.text == "Results")
    assert (results.col, results.col_span, results.header) == (2, 2, True)
    assert _grid(table)[2] == ["Blind", "5", "34.5%", "1199 sec"]
    assert _grid(table)[1] == ["Category", "Participants", "Accuracy", "Time"]


@pytest.mark.skipif(
    not (LOCAL / "unstructured-io/single_table.pdf").exists(), reason="corpus absent"
)
def test_real_image_table_keeps_its_header():
    doc = tasks.DocTask(
        str(LOCAL / "unstructured-io/single_table.pdf"), decode.PDF, None, 10, 14400.0, 40_000_000
    )
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert page.source == "ocr" and len(page.tables) == 1, page.markdown
    grid = _grid(page.tables[0])
    assert grid[0] == [
        "Processing",
        "total chunks",
        "mean chunks per document (std)",
        "tables mean (std)",
    ]
    assert grid[1] == ["Base 128", "64,058", "800.73 (484.11)", "N/A"]
    assert len(grid) == 5
    assert "Processing total chunks" not in page.markdown
