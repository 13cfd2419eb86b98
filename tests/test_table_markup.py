"""A table's HTML and the form a page's markdown gives it (``tables.render``).

The relations are read back with the checks scorer's own table parser
(``bench.quality.tablegrid``, olmOCR-bench's reading of pipe and HTML tables):
what a reader of the markdown can tell of a cell's neighbours and headings.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bench.quality.tablegrid import Grid, tables_in

from docworker import decode
from docworker.contract import TableCell
from docworker.engines import cpu
from docworker.isolation import tasks
from docworker.tables import render

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("FUZZ_CORPUS", str(ROOT.parent / "shared" / "corpus")))


def _cell(row: int, col: int, text: str, **kw) -> TableCell:
    return TableCell(row=row, col=col, text=text, **kw)


def _two_level() -> list[TableCell]:
    """A survey's table: two headings each over TOTAL and RURAL, a section row, figures."""
    return [
        _cell(0, 1, "DLHS-4 (2012-13)", col_span=2, header=True),
        _cell(0, 3, "DLHS-3 (2007-08)", col_span=2, header=True),
        *[_cell(1, c, t) for c, t in enumerate(["Indicators", "TOTAL", "RURAL", "TOTAL", "RURAL"])],
        _cell(2, 0, "Child feeding practices (%)"),
        *[_cell(3, c, t) for c, t in enumerate(["Breastfed", "76.9", "80.0", "NA", "NA"])],
        *[_cell(4, c, t) for c, t in enumerate(["Solid food", "78.6", "75.0", "85.9", "89.3"])],
    ]


def _find(grid: Grid, text: str):
    return next(c for c in grid.cells if c.text == text)


def test_html_keeps_every_cell_in_its_column_when_a_row_starts_empty():
    # The first row has no cell at (0, 0): written cell after cell, "DLHS-4" would
    # land in the first column and every heading one column left of its figures.
    table = render.table(_two_level(), 5, 5)
    grid = tables_in(table.html)[0]
    figure = _find(grid, "85.9")
    assert (figure.row, figure.col) == (4, 3)
    heads = _find(grid, "DLHS-3 (2007-08)")
    assert (heads.row, heads.col, heads.col_span) == (0, 3, 2)


def test_sub_headings_under_a_spanning_heading_are_header_rows():
    cells = render.header_rows(_two_level())
    assert sorted({c.row for c in cells if c.header}) == [0, 1]
    table = render.table(_two_level(), 5, 5, layout=True)
    grid = tables_in(render.page_markdown(table))[0]
    tops = {c.text for c in grid.heading(_find(grid, "89.3"), "top")}
    assert tops == {"RURAL", "DLHS-3 (2007-08)"}
    lefts = {c.text for c in grid.heading(_find(grid, "89.3"), "left")}
    assert lefts == {"Solid food"}  # the first column: the rows' headings
    # In the pipe table the same figure's heading is the empty position beside
    # "DLHS-3": what the HTML is written for.
    pipe = tables_in(table.markdown)[0]
    assert {c.text for c in pipe.heading(_find(pipe, "89.3"), "top")} == {""}


def test_rows_of_figures_or_of_plain_text_stay_data_rows():
    figures = [
        _cell(0, 1, "2019", col_span=2, header=True),
        *[_cell(1, c, t) for c, t in enumerate(["Sales", "12.5", "13.1"])],
    ]
    assert [c.row for c in render.header_rows(figures) if c.header] == [0]
    dashes = [
        _cell(0, 1, "Threshold", col_span=2, header=True),
        *[_cell(1, c, t) for c, t in enumerate(["Methane", "-", "-"])],
    ]
    assert [c.row for c in render.header_rows(dashes) if c.header] == [0]
    plain = [  # no spanning heading above: a row of words is the first row of data
        *[_cell(0, c, t, header=True) for c, t in enumerate(["Name", "Role"])],
        *[_cell(1, c, t) for c, t in enumerate(["Ada", "Engineer"])],
    ]
    assert [c.row for c in render.header_rows(plain) if c.header] == [0, 0]


def test_sub_headings_that_hold_digits_are_header_rows_and_units_stay_figures():
    # camelot's twotables_2.pdf: "Literacy Status" over "Illiterate | 1-4 std. | 5-8
    # std.", which had read as a row of data for its digits.
    heads = [
        _cell(0, 0, "State", row_span=2, header=True),
        _cell(0, 1, "Literacy Status", col_span=3, header=True),
        *[_cell(1, c, t) for c, t in enumerate(["", "Illiterate", "1-4 std.", "9-12 std."])],
        *[_cell(2, c, t) for c, t in enumerate(["Kerala", "7.2", "25.3", "41.5"])],
    ]
    assert sorted({c.row for c in render.header_rows(heads) if c.header}) == [0, 1]
    units = [
        _cell(0, 1, "Weight", col_span=2, header=True),
        *[_cell(1, c, t) for c, t in enumerate(["Box", "12 kg", "4 kg"])],
    ]
    assert [c.row for c in render.header_rows(units) if c.header] == [0]
    form = [  # a form's label and value: data (camelot's electoral_roll.pdf)
        _cell(0, 0, "Name", col_span=2, header=True),
        *[_cell(1, c, t) for c, t in enumerate(["House No : 0", "House No : 15"])],
    ]
    assert [c.row for c in render.header_rows(form) if c.header] == [0]


def test_years_and_a_label_row_under_a_spanning_heading_are_header_rows():
    cells = [
        _cell(0, 1, "Population estimates (thousands)", col_span=3, header=True),
        _cell(1, 0, "Continent and country or area"),
        *[_cell(2, c, t) for c, t in enumerate(["Continent et pays", "2003", "2004", "2005"])],
        *[_cell(3, c, t) for c, t in enumerate(["Angola", "15 421", "15 977", "16 544"])],
    ]
    assert sorted({c.row for c in render.header_rows(cells) if c.header}) == [0, 1, 2]


def test_a_wrapped_heading_s_lines_under_a_spanning_heading_are_header_rows():
    # A survey's stream table: "Any modern method" set on three lines, a row each.
    cells = [
        _cell(0, 2, "Modern method", col_span=2, header=True),
        *[_cell(1, c, t) for c, t in [(1, "Any"), (2, "Any"), (4, "Number")]],
        *[_cell(2, c, t) for c, t in [(1, "method"), (2, "modern"), (3, "Pill"), (4, "of")]],
        *[_cell(3, c, t) for c, t in [(0, "Background"), (2, "method"), (4, "women")]],
        _cell(4, 0, "Caste/tribe"),
        *[_cell(5, c, t) for c, t in enumerate(["Scheduled caste", "74.8", "55.8", "9.7", "13"])],
    ]
    assert sorted({c.row for c in render.header_rows(cells) if c.header}) == [0, 1, 2, 3]


def test_a_first_row_cell_spanning_down_makes_the_row_below_a_header_row():
    cells = [
        _cell(0, 0, "Clasificación"),
        _cell(0, 1, "Mill."),
        _cell(0, 2, "Part.", row_span=2),
        _cell(1, 0, "por grandes rubros"),
        _cell(1, 1, "u$s"),
        *[_cell(2, c, t) for c, t in enumerate(["Pesqueros", "663", "2.5%"])],
    ]
    cells = [c.model_copy(update={"header": c.row == 0}) for c in cells]
    assert sorted({c.row for c in render.header_rows(cells) if c.header}) == [0, 1]


def test_a_plain_grid_stays_a_pipe_table_in_the_page_markdown():
    cells = [
        *[_cell(0, c, t, header=True) for c, t in enumerate(["País", "Población"])],
        *[_cell(1, c, t) for c, t in enumerate(["Perú", "34,0"])],
    ]
    table = render.table(cells, 2, 2, layout=True)
    assert render.page_markdown(table) == table.markdown
    assert table.markdown.startswith("| País | Población |")


def test_page_markdown_html_keeps_ampersands_and_comparisons_as_written():
    cells = [
        _cell(0, 0, "R&D and x < 5 or a>b", col_span=2, header=True),
        _cell(1, 0, "<b>not a tag</b> &amp; AT&T"),
        _cell(1, 1, "1"),
    ]
    table = render.table(cells, 2, 2, layout=True)
    assert "R&amp;D" in table.html  # the API's HTML: fully escaped
    written = render.page_markdown(table)
    assert "R&D and x < 5 or a>b" in written
    texts: list[str] = []

    class Cells(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag in ("td", "th"):
                texts.append("")

        def handle_data(self, data: str) -> None:
            if texts:  # the line breaks between rows belong to no cell
                texts[-1] += data

    parser = Cells(convert_charrefs=True)
    parser.feed(written)
    parser.close()
    cells = ["R&D and x < 5 or a>b", "<b>not a tag</b> &amp; AT&T", "1"]
    assert [t.strip() for t in texts] == cells


def test_corpus_two_level_header_reaches_the_page_markdown():
    path = ROOT / "corpus" / "camelot-extra" / "district_health.pdf"
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert '<th colspan="2">DLHS-4 (2012-13)</th>' in page.markdown
    grids = [g for g in tables_in(page.markdown) if any(c.text == "27.7" for c in g.cells)]
    assert len(grids) == 1
    grid = grids[0]
    figure = _find(grid, "27.7")
    assert {c.text for c in grid.heading(figure, "top")} == {"RURAL", "DLHS-3 (2007-08)"}
    assert [c.text for c in grid.neighbours(figure, "left")] == ["30.0"]
    blocks = [b for b in page.blocks if b.type == "table"]
    assert blocks and blocks[0].text.startswith("<table>")


def test_corpus_group_headings_over_wrapped_sub_headings():
    path = CORPUS / "tabula" / "12s0324.pdf"
    if not path.exists():
        pytest.skip(f"{path} not available")
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert (
        '<tr><th></th><th colspan="3">Total</th><th colspan="3">Male</th>'
        '<th colspan="3">Female</th></tr>'
    ) in page.markdown
    grid = next(g for g in tables_in(page.markdown) if any(c.text == "7,191.7" for c in g.cells))
    figure = _find(grid, "7,191.7")
    assert {c.text for c in grid.heading(figure, "top")} == {"18 years and over", "Male"}
