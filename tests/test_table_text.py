"""No text is lost to a table: dot leaders dropped from cells, lines that run
into an edge cell kept with it, replaced lines missing from the cells kept.

Pure functions over character dicts and paragraphs, and one generated PDF
(a form whose line numbers stand beside its grid) read by the CPU engine.
"""

from __future__ import annotations

import itertools
from collections import Counter

from docworker import decode
from docworker.contract import TableCell
from docworker.engines import cpu
from docworker.geometry import Line
from docworker.isolation import tasks
from docworker.stages.markdown import items_markdown, layout_items
from docworker.stages.reading_order import Paragraph
from docworker.tables import render
from docworker.tables.cells import build_cells
from docworker.tables.stream import stream_tables
from docworker.tables.words import drop_leaders, word_rows, words_and_leaders, words_of
from tests.pdfgen import stream_pdf


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


def _led(entry: str, figure: str, x: float, top: float, right: float) -> list[dict]:
    """``entry ..... figure``: the entry at ``x``, dots to the figure ending at ``right``."""
    chars = _chars(entry, x, top)
    start = x + 5 * len(entry) + 4
    at = right - 5 * len(figure)
    chars += _chars(". " * int((at - 4 - start) / 2.5 / 2), start, top, pitch=2.5)
    return chars + _chars(figure, at, top)


def _stream(chars: list[dict]) -> list:
    words, leaders = words_and_leaders(chars)
    return stream_tables(word_rows(words), (), leaders)


def test_two_lists_led_to_their_figures_side_by_side_are_no_table():
    """A regulation's schedules in two columns ("(1) Acetorphine ..... 9319" beside "(13)
    3,4,5-trimethoxy amphetamine ..... 7390"): one stream table across both columns read
    the left column's entries interleaved with the right's (tika's testPDF_bad_page)."""
    left = ["Acetorphine", "Benzylmorphine", "Codeine", "Drotebanol", "Heroin", "Myrophine"]
    right = ["Bufotenine", "Ibogaine", "Mescaline", "Peyote", "Psilocybin", "Marihuana"]
    chars: list[dict] = []
    for k, (a, b) in enumerate(zip(left, right, strict=True)):
        chars += _led(f"({k + 1}) {a}", str(9300 + k), 50, 100 + 12 * k, 280)
        chars += _led(f"({k + 13}) {b}", str(7400 + k), 310, 100 + 12 * k, 560)
    assert _stream(chars) == []
    # Without the leaders' boxes the same words are read as one table of four columns.
    words, _ = words_and_leaders(chars)
    assert len(stream_tables(word_rows(words))) == 1


def test_a_statement_led_from_its_labels_to_its_figures_stays_a_table():
    labels = ["Revenue", "Cost of sales", "Gross profit", "Expenses", "Taxes", "Net income"]
    chars: list[dict] = []
    for k, label in enumerate(labels):
        top = 100 + 12 * k
        chars += _led(label, str(1200 + k), 50, top, 300)
        chars += _chars(str(1100 + k), 340, top) + _chars(str(900 + k), 400, top)
    (found,) = _stream(chars)
    assert {c.text for c in found[1] if c.col == 0} >= set(labels[1:])


def test_a_title_centred_over_a_stream_table_is_no_header_row():
    """A typewritten report's title lines, centred over its table ("DEPARTMENT OF HEALTH,
    EDUCATION, AND WELFARE" over the cases), had become header rows of one cell each."""
    xs = (50, 150, 250, 350)
    chars = _chars("DEPARTMENT OF HEALTH", 175, 70)  # centred over 50..370
    chars += [c for x, text in zip(xs, ("Case", "Age", "Sex", "Site"), strict=True)
              for c in _chars(text, x, 100)]  # fmt: skip
    for k in range(5):
        row = (f"Cal-{k}", str(10 + k), "F", "LA")
        chars += [c for x, text in zip(xs, row, strict=True) for c in _chars(text, x, 112 + 12 * k)]
    (found,) = _stream(chars)
    assert [c.text for c in found[1] if c.row == 0] == ["Case", "Age", "Sex", "Site"]
    assert not any("DEPARTMENT" in c.text for c in found[1])


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


def test_a_word_beside_the_grid_is_not_taken_by_a_far_cell_that_holds_it_too():
    # A form's line numbers stand left of the grid, in no cell; "1" and "2" are
    # also in a far row's cell ("Add lines 1, 2 and 3."), which must not take them.
    cells = [
        TableCell(row=0, col=0, text="Wages"),
        TableCell(row=0, col=1, text="1"),
        TableCell(row=1, col=0, text="Interest"),
        TableCell(row=1, col=1, text="2"),
        TableCell(row=2, col=0, text="Dividends"),
        TableCell(row=2, col=1, text="3"),
        TableCell(row=3, col=0, text="Add lines 1, 2 and 3."),
        TableCell(row=3, col=1, text="4"),
    ]
    table = render.table(cells, 4, 2, (0.0, 0.0, 400.0, 100.0))
    texts = ["1 Wages 1", "2 Interest 2", "3 Dividends 3", "4 Add lines 1, 2 and 3. 4"]
    paras = [Paragraph([_line(t, 10, 10 + 20 * i)]) for i, t in enumerate(texts)]
    items = layout_items(paras, ["paragraph"] * 4, [table])
    assert [i.paragraph.text for i in items if i.paragraph is not None] == ["1", "2", "3", "4"]
    # Every token of the lines is in the markdown as often as in the lines.
    assert not Counter(" ".join(texts).split()) - Counter(items_markdown(items).split())


def test_a_pdf_form_keeps_its_line_numbers_beside_the_grid(tmp_path):
    # The same form drawn as a ruled grid in a real PDF, the numbers 60 points left of it.
    xs, ys = (150, 350, 400), (700, 680, 660, 640, 620)  # user space, bottom-up
    ops = [b"0.5 w"]
    ops += [b"%d %d m %d %d l S" % (xs[0], y, xs[-1], y) for y in ys]
    ops += [b"%d %d m %d %d l S" % (x, ys[0], x, ys[-1]) for x in xs]
    for i, (label, n) in enumerate(
        [("Wages", "1"), ("Interest", "2"), ("Dividends", "3"), ("Add lines 1, 2 and 3.", "4")]
    ):
        y = ys[i] - 14
        ops += [_pdf_text(90, y, n), _pdf_text(xs[0] + 4, y, label), _pdf_text(xs[1] + 4, y, n)]
    path = tmp_path / "form.pdf"
    path.write_bytes(stream_pdf(b"\n".join(ops)))
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert len(page.tables) == 1 and "| Wages | 1 |" in page.markdown
    words = page.markdown.split()
    # Each number in its cell and as the line number beside the grid; "2" in "Add lines".
    assert [words.count(n) for n in "1234"] == [2, 3, 2, 2]


def _pdf_text(x: float, y: float, text: str) -> bytes:
    return b"BT /F1 10 Tf 1 0 0 1 %.2f %.2f Tm (%s) Tj ET" % (x, y, text.encode("cp1252"))


def _two_by_two_markdown(cells: list[str], lines: list[str]) -> tuple[str, str]:
    """(the table's markdown, the page's) for a 2 x 2 table (header row first) that
    replaced two text lines."""
    table = render.table(
        [TableCell(row=k // 2, col=k % 2, text=t, header=k < 2) for k, t in enumerate(cells)],
        2,
        2,
        (0.0, 0.0, 400.0, 100.0),
    )
    paras = [Paragraph([_line(text, 10, 10 + 20 * k)]) for k, text in enumerate(lines)]
    return table.markdown, items_markdown(layout_items(paras, ["paragraph"] * 2, [table]))


def test_korean_words_a_cell_runs_together_still_match_their_line():
    """unstructured's korean-text-with-tables.pdf: the table's own character reader runs
    "이마트, 이마트 트레이더스" together (narrow gaps between wide glyphs), and every
    line of the table had come again as paragraphs after it. A Latin word a cell runs
    together with the next is no match: its line stays."""
    table, page = _two_by_two_markdown(
        ["업종", "적립 대상", "할인점", "이마트,이마트트레이더스,롯데마트,홈플러스"],
        ["업종 적립 대상", "할인점 이마트, 이마트 트레이더스, 롯데마트, 홈플러스"],
    )
    assert page == table
    _, page = _two_by_two_markdown(
        ["Store", "Partners", "Retail", "Emart,EmartTraders"],
        ["Store Partners", "Retail Emart, Emart Traders"],
    )
    assert "Emart Traders" in page


def test_pdfiums_spaces_beside_hangul_are_kept_for_the_finders():
    """Korean spaces its words; pdfium's made-up spaces elsewhere fall inside numbers."""
    from docworker.tables.objects import _beside_hangul

    codes = list("이마트, 이마트 트레이더스 98 452")
    assert _beside_hangul(codes, 4) and _beside_hangul(codes, 8)
    assert not _beside_hangul(codes, codes.index("4") - 1)


def test_a_small_print_cells_words_stay_apart():
    """The Senate's expenditure report sets its table in 5-point type, words 1.4 points
    apart: under pdfplumber's fixed 3-point tolerance a cell read "DISTRICTDIRECTOR". A
    gap of a quarter of the text's height ends a word; letters set close stay one."""
    box = [(100, 95, 300, 110)]
    chars = _chars("DISTRICT", 110, 100, pitch=3.0, size=5.13)
    chars += _chars("DIRECTOR", 110 + 8 * 3.0 + 1.4, 100, pitch=3.0, size=5.13)
    cells = build_cells(box, chars, [])
    assert cells is not None and cells[0].text == "DISTRICT DIRECTOR"
    tight = _chars("Form", 110, 100, pitch=5.0) + _chars("4972", 133.5, 100, pitch=5.0)
    tight += _chars(".", 154.5, 100, pitch=5.0)  # a full stop set a point after its digit
    cells = build_cells(box, tight, [])
    assert cells is not None and cells[0].text == "Form 4972."


def _cell_words_plain(table, lines):
    """``table_text.cell_words`` as a scan of every cell within reach for each token
    (the rule the index in ``cell_words`` must keep)."""
    from docworker.stages import table_text as tt

    cells = []
    for cell in table.cells:
        keys = [k for k in map(tt._key, cell.text.split()) if k]
        pairs = {a + b for a, b in itertools.pairwise(keys)}
        flat = "".join(keys)
        cells.append(tt._Cell(Counter(keys), pairs, cell.row, cell.row + cell.row_span, flat))
    rows = tt._line_rows(lines, cells)
    left = {id(line): [(t, tt._key(t)) for t in line.text.split()] for line in lines}
    for slack in (None,) if rows is None else (0, tt._ROW_SLACK):
        for line in lines:
            r = 0 if rows is None else rows[id(line)]
            mine = [c for c in cells if slack is None or c.first - slack <= r < c.end + slack]
            rest = []
            for token, k in left[id(line)]:
                if not k:
                    continue
                cell = next((c for c in mine if c.words[k] > 0), None)
                if cell is not None:
                    cell.words[k] -= 1
                elif not any(k in c.pairs for c in mine) and not tt._unspaced(k, mine):
                    rest.append((token, k))
            left[id(line)] = rest
    for line in lines if rows is not None else []:  # a repeated row: all its words or none
        left[id(line)] = [
            (t, k) for t, k in left[id(line)] if len(k) < 2 or not tt._unspaced(k, cells)
        ]
        used = []
        for _, k in left[id(line)]:
            cell = next((c for c in cells if c.words[k] > 0), None)
            if cell is None:
                break
            cell.words[k] -= 1
            used.append((cell, k))
        else:
            left[id(line)] = []
            continue
        for cell, k in used:
            cell.words[k] += 1
    return {i: [t for t, _ in rest] for i, rest in left.items()}


def test_cell_words_finds_what_a_scan_of_every_cell_finds():
    """The cells holding a word are found through an index by word and row (a table of
    thousands of "0" cells asked a scan of them all once a token); on random tables,
    lines and spans the same tokens stay out of the cells as that scan leaves."""
    import random

    from docworker.stages import table_text

    rng = random.Random(5)
    vocab = ["0", "1", "12", "a", "b", "Total", "이마트", "트레이더스", "x.", "—"]
    left_out = 0
    for _ in range(300):
        n_rows, n_cols = rng.randint(1, 12), rng.randint(1, 5)
        cells, taken = [], set()
        for r in range(n_rows):
            for c in range(n_cols):
                if (r, c) in taken:
                    continue
                span = rng.choice([1, 1, 1, 2]) if r + 1 < n_rows else 1
                taken.update((r + k, c) for k in range(span))
                text = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 3)))
                cells.append(TableCell(row=r, col=c, text=text, row_span=span))
        table = render.table(cells, n_rows, n_cols, (0.0, 0.0, 400.0, 20.0 * n_rows))
        lines = []
        for r in range(rng.randint(0, n_rows + 2)):
            words = [rng.choice([*vocab, "Income", "트레이더스이마트"]) for _ in range(4)]
            if rng.random() < 0.3:
                words.append(words[0] + words[1])  # two words run together
            lines.append(_line(" ".join(words), 10, 10 + 20 * r + rng.uniform(-8, 8)))
        rng.shuffle(lines)
        got = table_text.cell_words(table, lines)
        assert got == _cell_words_plain(table, lines)
        left_out += sum(map(len, got.values()))
    assert left_out > 500


def test_rows_of_one_text_a_long_list_repeats_all_match_their_cells():
    """Fourteen rows alike (a layoff list's "03/18/2016 | Scripps Health | San Diego"), as
    California's WARN report has them: the lines' alignment with the rows ties them and
    crowds several lines onto one row, whose cells they had used up; the lines left over
    had come again as a paragraph under the table. A line no cell holds still stays."""
    row = ["03/18/2016", "Scripps Health", "San Diego", "Layoff Permanent"]
    cells = [
        TableCell(row=0, col=c, text=t, header=True)
        for c, t in enumerate(["Notice", "Company", "City", "Type"])
    ]
    for r in range(1, 15):
        cells += [TableCell(row=r, col=c, text=t) for c, t in enumerate(row)]
    cells += [
        TableCell(row=15, col=c, text=t)
        for c, t in enumerate(["03/21/2016", "Boeing", "Seal Beach", "Layoff"])
    ]
    table = render.table(cells, 16, 4, (0.0, 0.0, 600.0, 400.0))
    lines = [_line("Notice Company City Type", 10, 5)]
    lines += [_line(" ".join(row), 10, 20 + 12 * k) for k in range(14)]
    lines += [_line("03/21/2016 Boeing Seal Beach Layoff", 10, 200), _line("Source: EDD", 10, 215)]
    md = items_markdown(layout_items([Paragraph(lines)], ["paragraph"], [table]))
    assert md.count("Scripps Health") == 14
    assert md.endswith("Source: EDD")


def test_a_no_break_space_reaches_the_finders_as_a_space(monkeypatch):
    """A bank's rate sheet sets "(2 Year" with a no-break space, 1.9 points wide: the
    finders, which keep a space only as " ", had dropped it as no text, and the cell read
    "(2Year" (its line then came again under the table)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from docworker.tables import objects

    text = "Loan (2\u00a0Year)"
    pdf = pdfium.PdfDocument(stream_pdf(b"BT /F1 10 Tf 1 0 0 1 72 700 Tm (Loan 2 Year) Tj ET"))
    textpage = pdf[0].get_textpage()
    n = textpage.count_chars()
    monkeypatch.setattr(objects, "_codes", lambda *_: list(text[:n].ljust(n)))
    slots = objects._slots(raw, textpage, n, set())
    assert (text.index("\u00a0"), " ") in slots


def test_a_cells_lines_of_japanese_join_without_a_space():
    """A ruled cell whose Japanese label wraps ("持分法の適用範囲" over "の変動", tabula's
    twotables.pdf): Japanese sets no spaces, so the cell read "持分法の適用範囲 の変動"
    and the label's second line, in no cell, came again under the table."""
    box = [(100, 95, 300, 130)]
    chars = _chars("持分法の適用範囲", 110, 100, pitch=10.0) + _chars(
        "の変動", 110, 113, pitch=10.0
    )
    cells = build_cells(box, chars, [])
    assert cells is not None and cells[0].text == "持分法の適用範囲の変動"
    latin = _chars("Taxable", 110, 100) + _chars("income", 110, 113)
    cells = build_cells(box, latin, [])
    assert cells is not None and cells[0].text == "Taxable income"
