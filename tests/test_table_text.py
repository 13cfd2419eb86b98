"""No text is lost to a table: dot leaders dropped from cells, lines that run
into an edge cell kept with it, replaced lines missing from the cells kept.

Pure functions over character dicts and paragraphs; no document is read.
"""

from __future__ import annotations

from docworker.contract import TableCell
from docworker.geometry import Line
from docworker.stages.markdown import items_markdown, layout_items
from docworker.stages.reading_order import Paragraph
from docworker.tables import render
from docworker.tables.cells import build_cells
from docworker.tables.words import drop_leaders, words_of


def _chars(text: str, x: float, top: float, pitch: float = 5.0, size: float = 10.0):
    out = []
    for i, ch in enumerate(text):
        x0 = x + i * pitch
        out.append(
            {
                "text": ch,
                "x0": x0,
                "x1": x0 + pitch,
                "top": top,
                "bottom": top + size,
                "doctop": top,
                "upright": True,
                "matrix": (1.0, 0.0, 0.0, 1.0, 0.0, 0.0),
                "size": size,
            }
        )
    return out


def test_leaders_drawn_apart_do_not_interleave_with_the_label():
    label = _chars("Angola", 10, 100)
    # The leader is drawn as its own run of dots over the same line, from the left edge.
    leader = _chars(". " * 20, 8, 100, pitch=2.5)
    words = words_of(label + leader)
    assert [w.text for w in words] == ["Angola"]


def test_a_full_stop_before_a_leader_stays_and_an_ellipsis_stays():
    chars = _chars("theft. . . . . . 12", 10, 100) + _chars("so...", 10, 130)
    kept = "".join(c["text"] for c in drop_leaders(chars))
    assert kept.replace(" ", "") == "theft.12so..."


def test_a_line_running_into_the_first_cell_from_beyond_the_grid_joins_it():
    boxes = [(100, 90, 200, 115), (200, 90, 300, 115)]
    line = _chars("Subtract line 4", 85, 100)  # "S" and more drawn left of the rule at x=100
    inside = [c for c in line if 100 <= (c["x0"] + c["x1"]) / 2 <= 300]
    cells = build_cells(boxes, inside + _chars("43", 250, 100), line)
    assert cells is not None
    assert cells[0].text == "Subtract line 4" and cells[1].text == "43"


def test_text_far_beside_the_grid_stays_out_of_the_cells():
    boxes = [(100, 90, 200, 115), (200, 90, 300, 115)]
    far = _chars("Payments", 10, 100)
    cells = build_cells(boxes, _chars("Total", 110, 100) + _chars("43", 250, 100), far)
    assert cells is not None and cells[0].text == "Total"


def _line(text: str, x0: float, top: float) -> Line:
    return Line(text, (x0, top, x0 + 5 * len(text), top + 10), size=10.0)


def test_lines_a_table_replaces_but_its_cells_lack_stay_in_the_markdown():
    cells = [
        TableCell(row=0, col=0, text="Wages", header=True),
        TableCell(row=0, col=1, text="7", header=True),
        TableCell(row=1, col=0, text="Interest"),
        TableCell(row=1, col=1, text="8a"),
    ]
    table = render.table(cells, 2, 2, (0.0, 0.0, 400.0, 100.0))
    paras = [
        Paragraph([_line("Income Wages 7", 10, 10)]),  # a label beside the row: "Income"
        Paragraph([_line("Interest 8a", 10, 30)]),
        Paragraph([_line("Attach Form W-2 here", 10, 60)]),  # in the frame, in no cell
    ]
    items = layout_items(paras, ["paragraph"] * 3, [table])
    md = items_markdown(items)
    assert md.count("| Wages | 7 |") == 1
    assert "Attach Form W-2 here" in md and "Income" in md
    assert md.count("Interest") == 1 and md.count("Wages") == 1


def test_a_superscript_apart_in_a_cell_still_matches_its_line():
    cells = [
        TableCell(row=0, col=0, text="Country", header=True),
        TableCell(row=0, col=1, text="2003", header=True),
        TableCell(row=1, col=0, text="Mauritius - Maurice a"),
        TableCell(row=1, col=1, text="1 222"),
    ]
    table = render.table(cells, 2, 2, (0.0, 0.0, 400.0, 100.0))
    paras = [Paragraph([_line("Country 2003", 10, 10), _line("Mauricea", 10, 30)])]
    md = items_markdown(layout_items(paras, ["paragraph"], [table]))
    assert md == table.markdown
