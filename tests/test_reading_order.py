"""Reading order, page furniture and table placement on synthetic lines."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from docworker.contract import Table, TableCell
from docworker.geometry import Word
from docworker.stages import furniture, markdown, paragraph_breaks, reading_order
from docworker.stages.reading_order import Line


def _column(x0, x1, top, n, prefix):
    """A column of prose: each line reads "<prefix> <i> of running text"."""
    return [
        Line(f"{prefix} {i} of running text", (x0, top + 14 * i, x1, top + 14 * i + 10))
        for i in range(n)
    ]


def test_two_columns_under_a_full_width_title():
    title = Line("A title across both columns", (60, 40, 540, 56))
    left = _column(60, 290, 80, 8, "left")
    right = _column(310, 540, 80, 8, "right")
    # Interleaved, as a text layer or OCR may return them.
    mixed = [title] + [line for pair in zip(left, right, strict=True) for line in pair]
    ordered = [line.text for line in reading_order.reading_order(mixed, 600)]
    assert ordered == [title.text] + [f"left {i} of running text" for i in range(8)] + [
        f"right {i} of running text" for i in range(8)
    ]


def test_two_columns_between_full_width_lists_with_no_gap():
    """A short two-column band set tight between full-width text (a brochure scan).

    More full-width lines cross the gutter than a page-wide gutter search allows,
    and no blank row sets the band apart, so the band is found by the gutter it
    keeps clear.
    """
    above = [
        Line(f"above {i} a full width line of the list", (60, 40 + 14 * i, 540, 50 + 14 * i))
        for i in range(12)
    ]
    left = _column(60, 290, 40 + 14 * 12, 8, "left")
    right = _column(310, 540, 40 + 14 * 12 + 3, 8, "right")
    below = [
        Line(f"below {i} a full width line of the list", (60, 323 + 14 * i, 540, 333 + 14 * i))
        for i in range(12)
    ]
    mixed = above + [line for pair in zip(left, right, strict=True) for line in pair] + below
    ordered = [line.text for line in reading_order.reading_order(mixed, 600)]
    assert ordered == (
        [line.text for line in above]
        + [line.text for line in left]
        + [line.text for line in right]
        + [line.text for line in below]
    )


def test_two_columns_over_a_table_with_no_gap_read_column_by_column():
    """Two short columns set tight over a table (a scanned survey page): the table's
    rows leave a longer run clear of some x than the columns do, but hold prose on
    one side only; the band of columns is the run with prose on both sides."""
    left = _column(60, 290, 40, 7, "left")
    right = _column(310, 540, 40, 7, "right")
    caption = Line("Table 4 a caption centred over the table", (200, 140, 400, 150))
    rows = []
    for i in range(30):
        top = 156 + 14 * i
        rows.append(Line(f"Method {i} of the survey", (66, top, 200, top + 10)))
        rows.append(Line(f"{90 + i / 10:.2f}", (372, top, 395, top + 10)))
        rows.append(Line("F1", (430, top, 440, top + 10)))
    mixed = [line for pair in zip(left, right, strict=True) for line in pair] + [caption] + rows
    ordered = [line.text for line in reading_order.reading_order(mixed, 600)]
    assert ordered[:14] == [line.text for line in left] + [line.text for line in right]


def test_authors_set_side_by_side_over_two_columns_are_read_before_them():
    """A paper's title, then its authors side by side (name, affiliation, address,
    e-mail, centred in each half), then two columns: the authors are read first,
    not shared out to the tops of the columns under them."""
    title = Line("A title across both columns of the paper", (100, 40, 500, 58))
    authors = []
    for side, (x0, x1) in enumerate(((100, 260), (340, 500))):
        for i, text in enumerate(["Author Name", "Institute", "12 Some Road", "a@b.org"]):
            authors.append(Line(f"{text} {side}", (x0, 80 + 12 * i, x1, 90 + 12 * i)))
    left = _column(60, 290, 160, 20, "left")
    right = _column(310, 540, 160, 20, "right")
    mixed = [title, *authors, *left, *right]
    ordered = [line.text for line in reading_order.reading_order(mixed, 600)]
    assert ordered[0] == title.text
    assert set(ordered[1 : 1 + len(authors)]) == {line.text for line in authors}
    assert ordered[1 + len(authors) :] == [line.text for line in left + right]


def test_three_authors_side_by_side_are_read_one_after_the_other_before_the_columns():
    """grobid's test_Grobid_1 (an IEEE paper): three authors centred side by side, the
    middle one over the columns' gutter, a gap of 1.2 line heights under them (not the
    1.5 a block of two needs), affiliations of four words. Each author is read whole,
    then the columns; the third author's e-mail is no line of the right column."""
    title = Line("A New Requirement Prioritization Model for Market Driven", (77, 40, 535, 56))
    authors = []
    for k, (x0, x1) in enumerate(((62, 214), (230, 382), (397, 549))):
        rows = [f"Author Name {k}", "Department of computer Sciences,", "NUST, Pakistan",
                f"author{k}@mail.example"]  # fmt: skip
        for i, text in enumerate(rows):
            width = min(x1 - x0, 5.0 * len(text))
            left = (x0 + x1 - width) / 2
            authors.append(Line(text, (left, 70 + 12 * i, left + width, 82 + 12 * i)))
    left = _column(61, 298, 130, 20, "left")
    right = _column(313, 549, 130, 20, "right")
    ordered = [
        line.text for line in reading_order.reading_order([title, *authors, *left, *right], 612)
    ]
    assert ordered[0] == title.text
    assert ordered[1 : 1 + len(authors)] == [line.text for line in authors]
    assert ordered[1 + len(authors) :] == [line.text for line in left + right]


def test_a_letterhead_beside_a_forms_title_is_read_block_by_block():
    """pdf-lib's normal.pdf (DC form D-2210): the agency's name in two small lines beside
    the form's title in two large ones, their rows offset, then an instruction across
    the page. Row by row they had interleaved ("Government of the District of Columbia
    2012 D-2210 Underpayment of Estimated Office of Tax and Revenue")."""
    lines = [
        Line("2012 D-2210 Underpayment of Estimated", (201.8, 20.7, 412.3, 35.1), size=11),
        Line("Government of the District of Columbia", (72.8, 21.5, 190.4, 29.9), size=7),
        Line("Office of Tax and Revenue", (72.8, 29.9, 150.5, 38.2), size=7),
        Line("Income Tax By Individuals", (281.9, 34.9, 403.7, 48.1), size=11),
        Line("IMPORTANT: Please read the instructions first.", (116.7, 55.8, 516.1, 67.2)),
    ]
    assert _texts(reading_order.reading_order(lines, 612)) == [
        "Government of the District of Columbia Office of Tax and Revenue",
        "2012 D-2210 Underpayment of Estimated Income Tax By Individuals",
        "IMPORTANT: Please read the instructions first.",
    ]


def test_blocks_side_by_side_whose_rows_line_up_stay_rows():
    """Labels beside their values on one baseline (an invoice's "Fakturanummer:" over
    "Ordre-ID:", each beside its value) are rows, not two blocks."""
    labels = ["Invoice number:", "Order ID:", "Billing month:", "Document date:"]
    values = ["E08007UINW", "df82bd01-86dc", "03/2019", "08.03.2019"]
    lines = [Line(text, (200, 40 + 12 * i, 260, 48 + 12 * i)) for i, text in enumerate(labels)]
    lines += [Line(text, (330, 40 + 12 * i, 390, 48 + 12 * i)) for i, text in enumerate(values)]
    ordered = [line.text for line in reading_order.reading_order(lines, 612)]
    assert ordered == [f"{a} {b}" for a, b in zip(labels, values, strict=True)]


def test_a_line_over_the_columns_that_ocr_cut_at_the_gutter_stays_one_line():
    """ocropy's testpage.png (a scanned book review): the citation over both columns ends
    in a line that OCR cut in two at a word gap that falls on the gutter ("... Concept
    Publishing" | "Co, 569 pp, Rs. 900/-"); the second piece had been read after the
    whole left column."""
    cite = [
        Line("BOOK REVIEW: Mohamed Taher, 2002, Libraries in India's", (60, 26, 540, 36)),
        Line("National Developmental Perspective: A Saga of Fifty Years", (60, 40, 540, 50)),
        Line("since Independence, New Delhi, Concept Publishing", (60, 54, 296, 64)),
        Line("Co, 569 pp, Rs. 900/-", (301, 54, 400, 64)),
    ]
    left = _column(60, 296, 68, 20, "left")  # right under it: no gap sets it apart
    right = _column(306, 540, 68, 20, "right")
    ordered = [line.text for line in reading_order.reading_order([*cite, *left, *right], 600)]
    assert ordered[:3] == [
        cite[0].text,
        cite[1].text,
        "since Independence, New Delhi, Concept Publishing Co, 569 pp, Rs. 900/-",
    ]
    assert ordered[3:] == [line.text for line in left + right]


def test_two_tables_side_by_side_over_short_columns_leave_the_columns_their_gutter():
    """PaddleOCR's paddle_1.png (a scanned paper's page): two tables side by side over the
    last lines of two columns, five on the left, four and a heading on the right. The
    tables' cells are short pieces in rows, no prose, so no gutter was found and the
    columns' lines were read across; each table is now one block of the page."""
    pieces, boxes = [], []
    for x0 in (60, 330):
        rows = [("Methods", "R", "P"), ("SegLink", "70.0", "86.0"), ("PixelLink", "73.2", "83.0")]
        rows += [(f"Method{k}", f"7{k}.5", f"8{k}.1") for k in range(8)]
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                left = x0 + 90 * c
                pieces.append(Line(cell, (left, 60 + 14 * r, left + 50, 70 + 14 * r)))
        boxes.append((x0, 58, x0 + 230, 72 + 14 * (len(rows) - 1)))
    left = _column(60, 290, 230, 5, "left")
    right = [Line("5. Conclusion", (330, 216, 420, 226)), *_column(330, 560, 244, 4, "right")]
    ordered = reading_order.reading_order([*pieces, *left, *right], 600, tables=boxes)
    texts = [line.text for line in ordered]
    prose = [t for t in texts if "running text" in t or t == "5. Conclusion"]
    assert prose == [line.text for line in left + right]
    assert texts.index("Methods R P") < texts.index(left[0].text)


def test_a_short_display_beside_its_text_is_no_band_of_columns():
    """Three pieces a side between full-width lines (an equation and its gloss) stay top-down."""
    above = [
        Line(f"above {i} a full width line", (60, 40 + 14 * i, 540, 50 + 14 * i)) for i in range(8)
    ]
    left = _column(60, 290, 40 + 14 * 8, 3, "left")
    right = _column(310, 540, 40 + 14 * 8, 3, "right")
    below = [
        Line(f"below {i} a full width line", (60, 194 + 14 * i, 540, 204 + 14 * i))
        for i in range(8)
    ]
    mixed = above + [line for pair in zip(left, right, strict=True) for line in pair] + below
    ordered = [line.text for line in reading_order.reading_order(mixed, 600)]
    rows = [f"left {i} of running text right {i} of running text" for i in range(3)]
    assert ordered == [line.text for line in above] + rows + [line.text for line in below]


def test_two_columns_with_a_gutter_of_one_percent_of_the_width():
    """A narrow gutter (a magazine's 0.11 inch) still parts the columns."""
    left = _column(60, 295, 80, 8, "left")
    right = _column(300, 540, 80, 8, "right")
    mixed = [line for pair in zip(left, right, strict=True) for line in pair]
    ordered = [line.text for line in reading_order.reading_order(mixed, 600)]
    assert ordered == [line.text for line in left] + [line.text for line in right]


def test_lines_set_apart_atop_one_column_stay_in_that_column():
    """The first two lines of the left column, a blank line under them, and a right column
    that starts lower, its first line set apart too (bands of vertical text read turned,
    a poem's stanzas): the right column is read after the whole left one, not between
    its top and the rest."""
    opening = _column(60, 290, 40, 2, "opening")
    right = _column(310, 540, 90, 1, "right top") + _column(310, 540, 150, 8, "right")
    left = _column(60, 290, 130, 8, "left")
    mixed = sorted(opening + left + right, key=lambda line: line.bbox[1])
    ordered = [line.text for line in reading_order.reading_order(mixed, 600)]
    assert ordered == [line.text for line in opening + left + right]


def test_a_head_over_both_columns_is_still_read_first():
    head = Line("A running head over the page", (60, 20, 540, 30))
    left = _column(60, 290, 60, 8, "left")
    right = _column(310, 540, 60, 8, "right")
    ordered = [line.text for line in reading_order.reading_order([*right, head, *left], 600)]
    assert ordered == [head.text] + [line.text for line in left + right]


def test_minutes_of_one_and_two_line_paragraphs_break_at_each_blank_line():
    """Loose line boxes that overlap within a paragraph (gap -1.5) and blank lines between
    paragraphs (gap 12): most gaps on the page are blank lines, so the usual gap between
    the lines of a paragraph is their lower quartile, not their median."""
    texts = [
        ["ATTENDU la demande 2023-0379, visant la démolition partielle", "d'un bâtiment;"],
        ["ATTENDU QUE le bâtiment est protégé en vertu du règlement 1274;"],
        ["ATTENDU QUE la portion arrière est en mauvais état et que son", "niveau est peu élevé;"],
        ["ATTENDU la pertinence du projet de remplacement proposé;"],
        ["ATTENDU QU'aucune opposition n'a été reçue;"],
        ["IL EST RÉSOLU À L'UNANIMITÉ D'APPROUVER la demande de démolition"],
    ]
    lines, top = [], 100.0
    for para in texts:
        for text in para:
            lines.append(Line(text, (72, top, 72 + 6 * len(text), top + 15)))
            top += 13.5
        top += 13.5
    paras = reading_order.paragraphs(lines)
    assert [[line.text for line in p.lines] for p in paras] == texts


def test_rows_of_figures_are_a_line_each_and_prose_with_numbers_runs_on():
    """A spreadsheet's two columns printed without rules or a header the finders take:
    "2019 120" over "2020 135" are rows, not one sentence; a sentence that wraps before
    a number runs on."""
    rows = ["2019 120", "2020 135", "2021 −3.5%", "2022 $1,204.50"]
    lines = [
        Line(text, (72, 100 + 14 * i, 200, 112 + 14 * i), size=10) for i, text in enumerate(rows)
    ]
    assert [p.text for p in reading_order.paragraphs(lines)] == rows
    prose = [
        "The count rose from 120 in 2019 to",
        "135 in 2020 and 150 in 2021, as the table shows.",
    ]
    lines = [
        Line(text, (72, 100 + 14 * i, 400, 112 + 14 * i), size=10) for i, text in enumerate(prose)
    ]
    assert len(reading_order.paragraphs(lines)) == 1


def test_double_spaced_paragraphs_break_at_their_indents_only():
    """A transcript set double-spaced: every gap is a blank line's, so none is a break;
    the indented first lines are."""
    lines, top = [], 100.0
    for p in range(3):
        for i in range(5):
            left = 108 if i == 0 else 72
            text = f"paragraph {p} line {i} of the transcript, which runs on."
            lines.append(Line(text, (left, top, 540 if i < 4 else 300, top + 12)))
            top += 27
    paras = reading_order.paragraphs(lines)
    assert [len(p.lines) for p in paras] == [5, 5, 5]


def test_double_spaced_text_under_a_single_spaced_caption_keeps_its_paragraphs():
    """A court's order: a caption of short single-spaced lines, then the text set
    double-spaced. The caption's small gaps are a quarter of the page's, but the
    text's lines, full and a blank line apart in a row, are one paragraph each."""
    lines, top = [], 60.0
    for i in range(9):
        lines.append(Line(f"caption line {i}", (72, top, 250, top + 12)))
        top += 16
    top += 30
    for p in range(2):
        for i in range(6):
            left = 108 if i == 0 else 72
            text = f"paragraph {p} line {i} of the order, which runs on to the margin."
            lines.append(Line(text, (left, top, 540 if i < 5 else 300, top + 12)))
            top += 24
    paras = reading_order.paragraphs(lines)
    assert [len(p.lines) for p in paras if "paragraph" in p.lines[0].text] == [6, 6]


def test_single_column_with_ragged_lines_stays_top_down():
    lines = [
        Line(f"line {i}", (60, 40 + 14 * i, 300 + (i % 3) * 100, 50 + 14 * i)) for i in range(10)
    ]
    assert [line.text for line in reading_order.reading_order(lines, 600)] == [
        f"line {i}" for i in range(10)
    ]


def test_numbered_notes_at_the_foot_are_the_pages_text():
    """A Google Docs export's table notes at the foot ("1 2021 estimate", "2 2020
    estimate", "3 2020 estimate"), a paragraph each: the last, a short line starting with
    a number in the bottom band, had been typed a page footer; it follows its note's
    number, so it is a note too. A page number under them stays furniture."""
    body = _column(60, 540, 120, 12, "cuerpo del texto")
    notes = [Line(f"{k} 2020 estimate", (72, 736 + 11 * k, 141, 746 + 11 * k)) for k in (1, 2, 3)]
    number = Line("7", (295, 800, 305, 810))
    paras = reading_order.paragraphs([*body, *notes, number])
    kinds = furniture.furniture(paras, 842)
    assert [p.text for p in paras[-4:-1]] == [line.text for line in notes]
    assert kinds[-4:] == ["paragraph", "paragraph", "paragraph", "page_footer"]


def test_page_numbers_and_running_heads_are_furniture():
    head = Line("Boletín Oficial del Estado", (200, 20, 400, 30))
    body = _column(60, 540, 120, 12, "cuerpo del texto")
    number = Line("- 7 -", (290, 800, 310, 810))
    paras = reading_order.paragraphs([head, *body, number])
    kinds = furniture.furniture(paras, 842)
    assert kinds[0] == "page_header" and kinds[-1] == "page_footer"
    assert set(kinds[1:-1]) == {"paragraph"}
    items = markdown.layout_items(paras, kinds, [])
    page_md = markdown.items_markdown(items)
    assert "Boletín" not in page_md and "- 7 -" not in page_md and "cuerpo del texto 3" in page_md
    assert "Boletín" in markdown.items_text(items)
    types = [b.type for b in markdown.items_blocks(items, "text_layer") if b.type != "line"]
    assert types[0] == "page_header" and types[-1] == "page_footer"


def test_the_proceedings_line_under_a_first_pages_number_is_furniture():
    """An ACL paper's first page: its page number ("2270") at the foot, and under it the
    proceedings' line, long and close to the number: furniture all the same."""
    body = _column(70, 525, 600, 12, "body text of the paper")
    number = Line("2270", (288, 778, 310, 788), size=10.9)
    proceedings = Line(
        "Proceedings of the 58th Annual Meeting of the Association for Computational "
        "Linguistics, pages 2270-2282", (103, 795, 492, 803), size=9.0,
    )  # fmt: skip
    stamp = Line("July 5 - 10, 2020. c 2020 Association for Computational Linguistics",
                 (174, 806, 421, 815), size=9.0)  # fmt: skip
    paras = reading_order.paragraphs([*body, number, proceedings, stamp])
    kinds = furniture.furniture(paras, 842)
    assert kinds[-3:] == ["page_footer"] * 3
    assert set(kinds[:-3]) == {"paragraph"}


def test_a_preprints_stamp_and_the_date_beside_it_are_footers():
    """elsarticle's first page: "Preprint submitted to ..." at the foot, the date at the
    right of its row, an author's e-mail footnote a line above them (so neither is set
    apart from the text): both had stayed in the text."""
    body = _column(38, 290, 600, 12, "body text of the paper")
    email = Line("Email address: nicolas.roisin@uclouvain.be (Nicolas Roisin)",
                 (52, 755, 271, 762))  # fmt: skip
    stamp = Line("Preprint submitted to Sensors and Actuators A: Physical", (38, 773, 218, 780))
    date = Line("February 1, 2022", (502, 773, 558, 780))
    paras = [reading_order.Paragraph([ln]) for ln in [*body, email, stamp, date]]
    kinds = furniture.furniture(paras, 842)
    assert kinds[-3:] == ["paragraph", "page_footer", "page_footer"]


def test_a_listings_closing_brace_atop_a_page_is_no_running_head():
    """Nokia's interface guide, p. 93: a code listing runs on from the page before, its
    "}" alone under the running head, in the listing's monospaced font. It had been a
    page header, and the listing lost its end."""
    head = Line("Interface Configuration Guide Release 23.7.R1", (30, 26, 217, 36), size=8)
    brace = Line("}", (132, 84, 137, 94), size=8, mono=True)
    body = _column(60, 540, 120, 12, "body text of the guide")
    paras = reading_order.paragraphs([head, brace, *body])
    kinds = furniture.furniture(paras, 792)
    assert kinds[:2] == ["page_header", "paragraph"]


def test_a_sentence_running_on_to_the_next_page_at_its_foot_is_no_footer():
    """A form's question set low on the page, apart from the box above it, that runs on
    to the next page ("... your parent Department and your") is body text; a running
    footer set smaller, or one that ends in a year, stays furniture."""

    def page(foot: Line) -> list[str]:
        body = [Line(f"line {i} of the body text of this page", (60, 100 + 14 * i, 540,
                     110 + 14 * i), size=10.0) for i in range(12)]  # fmt: skip
        paras = reading_order.paragraphs([*body, foot])
        return furniture.furniture(paras, 842)

    question = "Please comment on the clarity of the division between the role of your parent"
    assert page(Line(question, (60, 772, 510, 782), size=10.0))[-1] == "paragraph"
    assert page(Line(question, (60, 772, 510, 782), size=8.0))[-1] == "page_footer"
    footer = "Annual report of the board of the company for the members, June 2019"
    assert page(Line(footer, (60, 772, 510, 782), size=10.0))[-1] == "page_footer"


def test_a_title_at_the_top_followed_closely_by_text_is_not_a_header():
    title = Line("Informe anual", (60, 50, 300, 64))
    body = _column(60, 540, 70, 10, "texto")
    paras = reading_order.paragraphs([title, *body])
    assert furniture.furniture(paras, 842)[0] == "paragraph"


def test_is_page_number():
    # A gazette's or a law report's pages run to five digits (the Federal Register's 47698).
    for text in ("12", "- 3 -", "Página 4 de 10", "Page 2", "iv", "p. 7", "Page Four", "47698"):
        assert furniture.is_page_number(text), text
    for text in ("Page Twenty-One", "PAGE SEVENTEEN", "page twelve"):
        assert furniture.is_page_number(text), text
    for text in ("2025 budget", "Article 12 applies", "Four", "Page Fourteen Notes", "123456"):
        assert not furniture.is_page_number(text), text


def test_table_replaces_the_paragraphs_inside_it():
    before = Line("Texto antes", (60, 40, 300, 50))
    inside = [Line("a b", (60, 100, 200, 110)), Line("1 2", (60, 114, 200, 124))]
    after = Line("Texto después", (60, 300, 300, 310))
    cells = [
        TableCell(row=r, col=c, text=t)
        for r, row in enumerate([["a", "b"], ["1", "2"]])
        for c, t in enumerate(row)
    ]
    table = Table(
        bbox=(55, 95, 210, 130),
        n_rows=2,
        n_cols=2,
        cells=cells,
        markdown="| a | b |\n|---|---|\n| 1 | 2 |",
        html="<table></table>",
    )
    paras = [
        reading_order.Paragraph([before]),
        reading_order.Paragraph(inside),
        reading_order.Paragraph([after]),
    ]
    items = markdown.layout_items(paras, ["paragraph"] * 3, [table])
    assert [i.kind for i in items] == ["paragraph", "table", "paragraph"]
    assert markdown.items_markdown(items).split("\n\n")[1].startswith("| a | b |")
    assert "a\tb\n1\t2" in markdown.items_text(items)


def _furniture_by_brute_force(paras, height, top_band=0.08, bottom_band=0.1):
    """The rule of ``reading_order.furniture`` written the obvious, quadratic way."""
    import re
    from statistics import median

    def numbered(text, para):
        short = furniture.rows(para) == 1 and len(text) <= 80
        edge = re.search(r"^\d{1,3}\s+\S|\S\s+\d{1,3}$", text)
        leader = re.search(r"(?:\.\s?){4,}\s*\d{1,4}\s*$", text)
        return furniture.is_page_number(text) or bool(short and edge and not leader)

    kinds = ["paragraph"] * len(paras)
    if height <= 0 or len(paras) < 2:
        return kinds
    typical = median(max(p.bbox[3] - p.bbox[1], 0.1) / len(p.lines) for p in paras)
    for i, para in enumerate(paras):
        if furniture.rows(para) > 2:
            continue
        _, y0, _, y1 = para.bbox
        text = para.text.strip()
        others = [p.bbox for j, p in enumerate(paras) if j != i]
        if y1 <= top_band * height:
            below = [b[1] - y1 for b in others if b[1] >= y1 - 0.5 * typical]
            apart = not below or min(below) > 2.0 * typical
            if furniture.is_page_number(text) or (apart and len(text) <= 120 and len(others) >= 2):
                kinds[i] = "page_header"
        elif y0 >= (1 - bottom_band) * height:
            above = [y0 - b[3] for b in others if b[3] <= y0 + 0.5 * typical]
            apart = not above or min(above) > 1.5 * typical
            if numbered(text, para) or (apart and len(text) <= 160):
                kinds[i] = "page_footer"
    numbers = [
        para.bbox[3]
        for para, kind in zip(paras, kinds, strict=True)
        if kind == "page_footer" and furniture.is_page_number(para.text.strip())
    ]
    for i, para in enumerate(paras):  # under the page number at the foot: footer too
        if numbers and kinds[i] == "paragraph" and para.bbox[1] >= min(numbers):
            kinds[i] = "page_footer"
    feet = [p.bbox for p, k in zip(paras, kinds, strict=True) if k == "page_footer"]
    for i, para in enumerate(paras):  # a short one beside a footer at the foot: one too
        _, y0, _, y1 = para.bbox
        if kinds[i] != "paragraph" or y0 < (1 - bottom_band) * height or len(para.text) > 40:
            continue
        if any(min(y1, b[3]) - max(y0, b[1]) > 0.5 * (y1 - y0) for b in feet):
            kinds[i] = "page_footer"
    return _edges_by_brute_force(paras, kinds, height)


def _edges_by_brute_force(paras, kinds, height):
    """``reading_order._edge_furniture`` for lines without font sizes or pitch."""
    import re
    from statistics import median

    body = [i for i, k in enumerate(kinds) if k == "paragraph"]
    if len(body) < 2:
        return kinds
    line_height = median(ln.bbox[3] - ln.bbox[1] for p in paras for ln in p.lines)
    numbered = re.compile(r"^\d{1,4}\s+\S|\S\s+\d{1,4}$")
    band = furniture.EDGE_BAND * height
    for top in (True, False):
        edge_of = (lambda i: paras[i].bbox[1]) if top else (lambda i: -paras[i].bbox[3])
        remaining = list(body)
        for _ in range(2):
            edge = min(remaining, key=edge_of)
            remaining = [j for j in remaining if j != edge]
            para = paras[edge]
            if not remaining or furniture.rows(para) > 2 or len(para.text) > 100:
                break
            if not (para.bbox[3] <= band if top else para.bbox[1] >= height - band):
                break
            inner = paras[min(remaining, key=edge_of)].bbox
            gap = inner[1] - para.bbox[3] if top else para.bbox[1] - inner[3]
            text = para.text.strip()
            if gap <= line_height or not (numbered.search(text) or furniture.is_page_number(text)):
                break
            kinds[edge] = "page_header" if top else "page_footer"
    return kinds


@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 800), min_size=1, max_size=3),
            st.sampled_from(["7", "Annual report", "x" * 130, "Body text of the page"]),
        ),
        max_size=25,
    )
)
@example([([758], "7"), ([767], "Annual report")])  # a line under the page number
@settings(max_examples=300, deadline=None)
def test_furniture_by_bisection_matches_the_quadratic_rule(spec):
    paras = [
        reading_order.Paragraph([Line(text=text, bbox=(50.0, y, 300.0, y + 9.0)) for y in tops])
        for tops, text in spec
    ]
    assert furniture.furniture(paras, 842) == _furniture_by_brute_force(paras, 842)


def test_furniture_work_grows_linearly_on_a_dense_page(monkeypatch):
    """3,000 lines took 155 s here when every band paragraph scanned all the others.

    Counted, not timed: paragraph boxes looked at per paragraph stay constant."""
    lines = [
        Line(text=f"w{i}", bbox=(i % 2 * 300.0, i * 2.6, i % 2 * 300 + 20.0, i * 2.6 + 2.4))
        for i in range(3000)
    ]
    paras = reading_order.paragraphs(reading_order.reading_order(lines, 612))
    assert len(paras) > 1000
    looks = 0
    real = reading_order.Paragraph.bbox

    def counted(self):
        nonlocal looks
        looks += 1
        return real.fget(self)

    monkeypatch.setattr(reading_order.Paragraph, "bbox", property(counted))
    kinds = furniture.furniture(paras, 792)
    assert looks <= 6 * len(paras)
    assert "paragraph" in kinds


def test_margin_line_numbers_are_read_top_to_bottom():
    # Right-aligned numbers: "9" starts right of "10" (a court transcript's margin).
    body = [
        Line(f"line {i} of the transcript's text", (90, 100 + 26 * i, 400, 112 + 26 * i))
        for i in range(12)
    ]
    numbers = [
        Line(str(i + 1), (72 - 7 * len(str(i + 1)), 100 + 26 * i, 72, 112 + 26 * i))
        for i in range(12)
    ]
    ordered = [line.text for line in reading_order.reading_order(numbers[::-1] + body, 612)]
    assert ordered == [line.text for line in body] + [str(i) for i in range(1, 13)]


def _heading_over_ruled_table_pdf() -> bytes:
    """A heading close over a ruled table of double-spaced rows (a form's labels and values)."""
    from tests.pdfgen import stream_pdf

    def text(x: float, y: float, s: str) -> bytes:
        return b"BT /F1 10 Tf 1 0 0 1 %.1f %.1f Tm (%s) Tj ET" % (x, y, s.encode("cp1252"))

    rows = [("Fecha de entrega", "19/09/2024"), ("Fecha de admisión", "04/10/2024")]
    rows += [(f"Dato número {i}", f"{i}0.500 t") for i in range(3, 9)]
    top, pitch = 680, 23
    ops = [b"0.5 w", text(72, top + 12, "3. Admisión en bolsa")]
    for k in range(len(rows) + 1):
        ops.append(b"70 %d m 400 %d l S" % (top - k * pitch, top - k * pitch))
    for x in (70, 250, 400):
        ops.append(b"%d %d m %d %d l S" % (x, top, x, top - len(rows) * pitch))
    for k, (label, value) in enumerate(rows):
        ops += [text(74, top - k * pitch - 15, label), text(254, top - k * pitch - 15, value)]
    return stream_pdf(b"\n".join(ops))


def test_a_heading_close_over_a_table_is_no_paragraph_of_its_cells(tmp_path):
    """The cells' lines are the table's alone: none is read again beside the heading."""
    from docworker import decode
    from docworker.engines import cpu
    from docworker.isolation import tasks

    path = tmp_path / "form.pdf"
    path.write_bytes(_heading_over_ruled_table_pdf())
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    assert len(page.tables) == 1
    assert page.markdown.startswith("3. Admisión en bolsa\n\n| Fecha de entrega |")
    assert page.markdown.count("Fecha de entrega") == 1
    assert page.markdown.count("Dato número 8") == 1
    assert [b.type for b in page.blocks if b.type != "line"][-1] == "table"


def _texts(lines):
    return [para.text for para in reading_order.paragraphs(lines)]


def test_a_short_title_over_an_indented_first_line_is_a_paragraph_of_its_own():
    """A scan's bold title ("Editing") over indented text: OCR does not say bold."""
    lines = [
        Line("Editing", (84, 478, 114, 490)),
        Line("To erase a wrong note, simply hold ERASE and press", (94, 491, 286, 502)),
        Line("the note to be erased just before it plays in the", (83, 501, 287, 512)),
        Line("sequence, when played back, it will be gone.", (84, 511, 272, 522)),
    ]
    assert _texts(lines) == [
        "Editing",
        "To erase a wrong note, simply hold ERASE and press the note to be erased just "
        "before it plays in the sequence, when played back, it will be gone.",
    ]


def test_a_forms_numbered_lines_are_a_paragraph_each():
    """pdf-lib's DC tax form: its lines numbered with no stop ("1 2012 DC Tax Liability
    ... $", "2 Multiply ..."), each as wide as the next and one ordinary gap apart, had run
    into one paragraph; a line that wraps inside one ("(lesser of Line 2 and 3).") stays
    in it, and a number inside a sentence's wrapped line starts nothing."""
    rows = [
        "1 2012 DC Tax Liability from your DC Individual Income Tax Return. $",
        "2 Multiply the amount on Line 1 by 90% (.90) and enter it here $",
        "3 2011 DC Tax Liability from your DC Individual Income Tax Return. $",
        "4 Minimum withholding and estimated tax payment required for tax $",
        "(lesser of Line 2 and 3).",
    ]
    lines = [Line(text, (40, 100 + 14 * i, 40 + 5.2 * len(text), 110 + 14 * i))
             for i, text in enumerate(rows)]  # fmt: skip
    assert _texts(lines) == [*rows[:3], f"{rows[3]} {rows[4]}"]
    prose = [
        "The survey counted the households of the district in",
        "3 rounds, one a year, and the households of the next in",
        "4 rounds.",
    ]
    lines = [Line(text, (40, 100 + 14 * i, 300, 110 + 14 * i)) for i, text in enumerate(prose)]
    assert len(_texts(lines)) == 1


def test_a_short_first_line_over_a_flush_line_stays_in_its_paragraph():
    """Ragged-right text: a short first line is no title when the next line is not indented."""
    lines = [
        Line("Editing notes", (84, 478, 150, 490)),
        Line("to erase a wrong note, simply hold ERASE and press", (84, 491, 286, 502)),
        Line("the note to be erased just before it plays.", (84, 501, 287, 512)),
    ]
    assert len(_texts(lines)) == 1


def _words(text, x0, top, size=10.0):
    """The words of a line set from ``x0``, half a size wide a character."""
    out, x = [], x0
    for word in text.split():
        out.append(Word(x, top, x + 0.5 * size * len(word), top + size, word))
        x += 0.5 * size * (len(word) + 1)
    return out


def _line(text, x0, top, x1, bold=False, ends=None, run_in=False):
    return Line(text, (x0, top, x1, top + 10), size=10, bold=bold, words=_words(text, x0, top),
                ends=ends or (bold, bold), run_in=run_in)  # fmt: skip


def test_a_bold_run_in_title_that_fills_its_line_goes_on_into_its_text():
    """Ragged-right text (IRS Publication 17): the bold title fills the line, no sentence
    ends there and the next line's first word would not fit after it, so the change of
    weight at the line break is the text running on, not a new paragraph."""
    lines = [
        _line(
            "U.S. tax allocable to the Virgin Islands now reported on line 13z. If you use",
            72,
            100,
            516,
            bold=True,
            ends=(True, False),
        ),
        _line(
            "Form 8689, Allocation of Individual Income Tax to the Virgin Islands, to", 72, 112, 520
        ),
        _line("figure your amount, you will now report this amount on line 13z.", 72, 124, 400),
        _line(
            "Reporting a transfer of a credit for a new clean vehicle at the time of",
            72,
            136,
            515,
            bold=True,
        ),
        _line(
            "sale. If you purchased a new or used clean vehicle from a registered dealer",
            72,
            148,
            520,
            ends=(True, False),
        ),
        _line("you must file a tax return.", 72, 160, 220),
    ]
    assert [t[:20] for t in _texts(lines)] == ["U.S. tax allocable t", "Reporting a transfer"]


def test_a_bold_title_over_its_text_still_ends_its_paragraph():
    """The same shapes, but the weight changes at the break (a heading that happens to fill
    its line), the title ends short of the edge, or the text under it is indented."""
    heading = _line("The Administration Needs to Fully Develop and Implement the Strategy",
                    72, 100, 516, bold=True)  # fmt: skip
    body = _line(
        "In April 2023, we reported that the goals and strategic objectives of", 72, 112, 520
    )
    assert len(_texts([heading, body])) == 2
    short = _line(
        "Confidential Business Information (CBI)", 72, 100, 300, bold=True, ends=(True, False)
    )
    assert len(_texts([short, body])) == 2
    indented = _line(
        "CBI is commercial or financial information that is both customarily", 90, 112, 520
    )
    wide = _line("Confidential Business Information (CBI) and what the agency does with it",
                 72, 100, 516, bold=True, ends=(True, False))  # fmt: skip
    assert len(_texts([wide, indented])) == 2


def test_a_small_capitals_label_runs_on_into_its_text_in_a_narrow_column():
    """The Federal Register's "FOR FURTHER INFORMATION CONTACT: Ian" (a bold label in small
    capitals, 7.3 pt, then the text's weight and size) over "Won, Manager, ..." (9 pt), in a
    column 18 em wide: one paragraph. A bold line set smaller that carries no such label
    (a form's checkbox row) still ends its paragraph where the size changes."""

    def line(text, top, x1, size, ends):
        return Line(text, (222, top, x1, top + 9), size=size, bold=ends[0],
                    words=_words(text, 222, top), ends=ends)  # fmt: skip

    label = line("FOR FURTHER INFORMATION CONTACT: Ian", 601.7, 383.4, 7.32, (True, False))
    text = line("Won, Manager, Seattle ACO Branch,", 611.7, 371.9, 9.0, (False, False))
    more = line("FAA, 2200 South 216th St., Des Moines,", 621.7, 385.0, 9.0, (False, False))
    assert len(_texts([label, text, more])) == 1
    form = line("2 Married filing jointly (even if only one had", 601.7, 383.4, 7.32, (True, False))
    assert len(_texts([form, text, more])) == 2


def test_a_run_in_title_starts_a_paragraph_where_the_line_before_had_room_for_it():
    """ "... the instructions for more." ends with room to spare, and the next line opens
    with a bold run-in title: a new paragraph. Justified entries (the Spanish BORME) whose
    bold labels fall at a line start: the line before reaches the right edge, so the break
    is the text wrapping, and the label stays in its entry."""

    def read(before: str, before_x1: float, title: str) -> list[str]:
        lines = [
            _line(before, 72, 100, before_x1),
            _line(title, 72, 112, 520, ends=(True, False), run_in=True),
            _line("and what follows it on the next line.", 72, 124, 300),
        ]
        return [t[:20] for t in _texts(lines)]

    # Not short enough to end a paragraph by itself (within a fifth of the width).
    assert read("See the instructions to Form 1040 for more.", 450, "Change of address. If") == [
        "See the instructions",
        "Change of address. I",
    ]
    # Room for most of the word (a ragged line well short of the edge) is enough.
    assert len(read("See the instructions to Form 1040 for more.", 495, "Change of address.")) == 2
    full = "Nombramientos. Adm. Solid.: URUENA FERNANDEZ JAVIER. Ceses. Adm. Unico."
    assert len(read(full, 520, "Modificaciones estatutarias. 21. Duracion y")) == 1


def test_a_bullet_that_separates_a_run_on_list_continues_its_line():
    """LNCS keywords wrap with their separator at the line start: no list item. A bullet
    under a line that does not use it between items still starts one."""
    keywords = [
        Line(
            "Keywords: Document Image Analysis · Deep Learning · Layout Analysis",
            (72, 100, 480, 110),
        ),
        Line("· Character Recognition · Open Source library · Toolkit.", (72, 112, 400, 122)),
    ]
    assert _texts(keywords) == [
        "Keywords: Document Image Analysis · Deep Learning · Layout Analysis · Character"
        " Recognition · Open Source library · Toolkit."
    ]
    items = [
        Line("The library comes with three parts", (72, 100, 300, 110)),
        Line("· a layout model zoo", (72, 112, 200, 122)),
        Line("· an OCR module", (72, 124, 180, 134)),
    ]
    assert len(_texts(items)) == 3


def test_numbered_items_of_about_one_length_are_each_their_own_paragraph():
    """No item ends a sentence or stops short of the next one's edge: the numbers say it."""
    lines = [
        Line("1. Filing Information", (119, 100, 288, 112)),
        Line("2. Filing Status", (119, 114, 240, 126)),
        Line("3. Apples and oranges", (119, 128, 280, 140)),
        Line("5. is no item after 3", (119, 142, 286, 154)),
    ]
    assert _texts(lines) == [
        "1. Filing Information",
        "2. Filing Status",
        "3. Apples and oranges 5. is no item after 3",
    ]


# ----------------------------------------------------- captions beside the text


def _prose_column(top: float, texts: list[str], x0: float = 200, x1: float = 370) -> list[Line]:
    return [Line(t, (x0, top + 14 * i, x1, top + 14 * i + 14)) for i, t in enumerate(texts)]


_PAGE = [
    "We went tip-toeing along a path amongst",
    "the trees back towards the end of the",
    "together. There was a place on my",
]


def test_a_caption_beside_the_column_leaves_the_sentence_it_sat_in():
    """c02-22: a picture's caption in the margin, on the row of the column's line."""
    lines = _prose_column(100, _PAGE)
    ankle = Line("ankle that got to itching; but I", (200, 143, 370, 157))
    caption = Line("THEY TIP-TOED ALONG.", (71, 142, 142, 152))
    below = Line("dasn't scratch it; and then my ear begun", (22, 157, 371, 171))
    ordered = reading_order.reading_order([*lines, caption, ankle, below], 400)
    texts = [line.text for line in ordered]
    assert texts[-1] == "THEY TIP-TOED ALONG.", texts
    assert texts[3] == "ankle that got to itching; but I"
    text = "\n\n".join(p.text for p in reading_order.paragraphs(ordered))
    assert "on my ankle that got to itching" in text


def test_pieces_beside_a_line_that_are_not_captions_stay_in_their_row():
    lines = _prose_column(100, _PAGE)
    row_top = 143
    cases = [
        # a list marker: one word
        Line("(a)", (150, row_top, 170, row_top + 10)),
        # as tall as the line: a form's label, a second column's cell
        Line("Total amount due", (40, row_top, 150, row_top + 14)),
        # close to the line: part of it
        Line("see page 4", (150, row_top, 185, row_top + 10)),
    ]
    for piece in cases:
        ankle = Line("ankle that got to itching; but I", (200, row_top, 370, row_top + 14))
        texts = [line.text for line in reading_order.reading_order([*lines, piece, ankle], 400)]
        assert texts[-1] != piece.text, piece.text
        assert any(piece.text in t and "ankle" in t for t in texts), texts
    # beside a line of mathematics (a display's left-hand side), not a caption
    formula = Line("x = a0 + b1 + c2", (200, row_top, 370, row_top + 14), math=3)
    label = Line("wobei R n", (60, row_top, 120, row_top + 10))
    texts = [line.text for line in reading_order.reading_order([*lines, label, formula], 400)]
    assert texts[-1] != "wobei R n", texts


def test_an_ocr_title_in_a_display_face_is_one_heading_over_its_text():
    """c02-22: "Chapter" and "II" in a decorated face, their OCR boxes overlapping."""
    chapter = Line("Chapter", (132, 0, 296, 79), confidence=0.9)
    two = Line("II", (286, 0, 351, 65), confidence=0.9)
    body = [
        Line(text, (169 if i == 0 else 198, 85 + 15 * i, 368, 100 + 15 * i), confidence=0.9)
        for i, text in enumerate(_PAGE)
    ]
    ordered = reading_order.reading_order([chapter, two, *body], 400)
    assert ordered[0].text == "Chapter II"
    paras = reading_order.paragraphs(ordered)
    assert paras[0].text == "Chapter II"
    assert paras[1].text.startswith("We went tip-toeing")
    # The text layer's boxes overlapping that much are no row: a formula's pieces.
    layer = reading_order.reading_order([Line("Chapter", chapter.bbox), Line("II", two.bbox)], 400)
    assert [line.text for line in layer] == ["Chapter", "II"]


def test_a_centred_title_of_two_lines_is_one_paragraph():
    """The DocLayNet scan: a display title's second, shorter line is centred under its
    first; it is not a centred heading over a block of text."""
    title = [
        Line("DocLayNet: A Large Human-Annotated Dataset for", (108, 82, 503, 101), confidence=0.9),
        Line("Document-Layout Analysis", (201, 100, 414, 122), confidence=0.9),
    ]
    body = [
        Line(text, (100, 160 + 12 * i, 510, 171 + 12 * i), confidence=0.9)
        for i, text in enumerate(_PAGE * 3)
    ]
    paras = reading_order.paragraphs(reading_order.reading_order([*title, *body], 600))
    assert paras[0].text == (
        "DocLayNet: A Large Human-Annotated Dataset for Document-Layout Analysis"
    )
    # A body-sized line centred under the title's last line is not part of it.
    byline = Line("Birgit Pfitzmann", (250, 124, 360, 135), confidence=0.9)
    paras = reading_order.paragraphs(reading_order.reading_order([*title, byline, *body], 600))
    assert paras[1].text == "Birgit Pfitzmann"
    # The text layer: lines of one size larger than the body's.
    sized = [
        Line("Einführung in die", (200, 80, 400, 100), size=20.0),
        Line("Geometrie und Topologie", (190, 104, 410, 124), size=20.0),
        *[
            Line(t, (100, 140 + 12 * i, 510, 151 + 12 * i), size=10.0)
            for i, t in enumerate(_PAGE * 3)
        ],
    ]
    paras = reading_order.paragraphs(reading_order.reading_order(sized, 600))
    assert paras[0].text == "Einführung in die Geometrie und Topologie"


def test_a_page_number_under_the_last_line_is_its_own_paragraph_and_furniture():
    """Vicksburg p. 1: a printer's "-4" just under the page's last line, no gap between."""
    lines = _prose_column(100, _PAGE * 4, x0=60, x1=372)
    mark = Line("-4", (92, lines[-1].bbox[3], 107, lines[-1].bbox[3] + 13))
    paras = reading_order.paragraphs(reading_order.reading_order([*lines, mark], 420))
    assert paras[-1].text == "-4"
    assert paras[-2].text.endswith("a place on my")
    kinds = furniture.furniture(paras, lines[-1].bbox[3] + 20)
    assert kinds[-1] == "page_footer" and kinds[-2] == "paragraph"
    # Not the last of a column of line numbers, nor a page number beside its entry.
    numbers = [Line(str(n), (20, 100 + 14 * n, 30, 112 + 14 * n)) for n in range(1, 26)]
    paras = reading_order.paragraphs(numbers)
    assert len(paras) == 1
    entry = [
        *lines,
        Line("Symbolverzeichnis", (60, 300, 160, 312)),
        Line("108", (350, 300, 372, 312)),
    ]
    paras = reading_order.paragraphs(reading_order.reading_order(entry, 420))
    assert paras[-1].text.endswith("Symbolverzeichnis 108")


def test_a_sentence_runs_on_into_a_centred_last_line():
    """congress / jbig2: "... and ordered to be" over a centred "printed." is one paragraph;
    a centred title under a finished sentence, and a formula centred under the sentence
    that leads into it, still start their own."""
    lead = Line(
        "Read, referred to the Committee on Commerce, and ordered to be", (30, 128, 207, 135)
    )
    body = _prose_column(150, _PAGE * 2, x0=30, x1=207)
    last = Line("printed.", (111, 134, 127, 140))
    paras = reading_order.paragraphs([lead, last, *body])
    assert paras[0].text.endswith("and ordered to be printed.")
    title = Line("MESSAGE", (100, 134, 138, 140))
    done = Line("Read, referred to the Committee on Commerce, and ordered.", (30, 128, 207, 135))
    assert len(reading_order.paragraphs([done, title, *body])) >= 2
    formula = Line("x = a + b", (100, 134, 138, 140), math=2)
    assert reading_order.paragraphs([lead, formula, *body])[0].text == lead.text


def test_a_caption_set_to_the_right_ends_before_the_next_paragraph():
    """Vicksburg: "The Yankee Lookout." under a picture at the right of the column, then
    "JUNE 10TH.—The heat ..." at the left edge; congress: a date set right, then the letter."""
    above = [
        Line("us there and seize the prize from them, as they say.", (60, 202, 374, 215)),
        Line("them.", (60, 215, 88, 228)),
    ]
    caption = Line("The Yankee Lookout.", (257, 232, 338, 243))
    text = [
        Line("JUNE 10TH.—The heat of the sun increases, and we must im-", (70, 240, 374, 254)),
        Line("prove our quarters. Accordingly a part of the day has been", (60, 253, 374, 267)),
    ]
    paras = reading_order.paragraphs([*above, caption, *text])
    assert [p.text for p in paras][-2:] == [
        "The Yankee Lookout.",
        "JUNE 10TH.—The heat of the sun increases, and we must improve our quarters. "
        "Accordingly a part of the day has been",
    ]
    # A line that starts at the left edge after a sentence still runs on.
    plain = Line("The Yankee Lookout is a hill.", (60, 232, 374, 243))
    paras = reading_order.paragraphs([plain, *text])
    assert len(paras) == 1


def test_a_section_head_in_capitals_heads_its_text_without_running_into_it():
    """The DocLayNet scan: "ABSTRACT" in the body's size over its first line."""
    head = Line("ABSTRACT", (54, 245, 111, 259), confidence=0.9)
    body = [
        Line(t, (54, 261 + 13 * i, 297, 274 + 13 * i), confidence=0.9) for i, t in enumerate(_PAGE)
    ]
    paras = reading_order.paragraphs([head, *body])
    assert paras[0].text == "ABSTRACT" and paras[1].text.startswith("We went")
    # Not a line of SQL, nor capitals running on into capitals.
    for text in ("THEN C . CUSTOMER_TAX_ID", "NOTICE TO ALL"):
        first = Line(text, (54, 245, 160, 259), confidence=0.9)
        follow = body if text != "NOTICE TO ALL" else [Line("USERS OF THIS SOFTWARE", body[0].bbox)]
        assert len(reading_order.paragraphs([first, *follow])) == 1, text


def _gazette_page():
    """The Federal Register's first page, simplified: a title (18 pt) at the left and a
    three-line masthead (8 pt) at the head of the third column, a rule drawn across the
    page under both, then three columns of prose."""
    title = Line("Proposed Rules", (45, 56, 183, 73), size=18)
    masthead = [
        Line("Federal Register", (399, 59, 460, 67), size=8),
        Line("Vol. 85, No. 152", (399, 74, 463, 82), size=8),
        Line("Thursday, August 6, 2020", (399, 91, 499, 99), size=8),
    ]
    places = ((45, "one"), (222, "two"), (399, "three"))
    columns = [_column(x, x + 160, 122, 12, name) for x, name in places]
    return [title, *masthead, *(line for column in columns for line in column)]


def test_a_rule_across_the_page_reads_what_is_over_it_first():
    lines = _gazette_page()
    rule = [(109.0, 45.0, 567.0)]
    ordered = [line.text for line in reading_order.reading_order(lines, 612, rules=rule)]
    assert ordered[:4] == ["Proposed Rules", "Federal Register", "Vol. 85, No. 152",
                           "Thursday, August 6, 2020"]  # fmt: skip
    assert ordered[4] == "one 0 of running text"
    assert ordered[-1] == "three 11 of running text"
    # Without the rule the title and masthead are still read first: short pieces set
    # apart over the columns (``columns._head_cut``), the masthead no column's head.
    plain = [line.text for line in reading_order.reading_order(lines, 612)]
    assert plain == ordered
    # A rule over one column only, or one that a piece crosses, cuts nothing.
    for rules in ([(109.0, 399.0, 567.0)], [(60.0, 45.0, 567.0)]):
        assert [ln.text for ln in reading_order.reading_order(lines, 612, rules=rules)] == plain


def test_a_large_title_beside_a_small_masthead_is_no_one_paragraph():
    """Far-apart pieces of one row stay one paragraph (a form's label and its value),
    unless one is set at half again the other's size and both are words."""
    title = Line("Proposed Rules", (45, 56, 183, 73), size=18)
    masthead = Line("Federal Register", (399, 59, 460, 67), size=8)
    assert _texts([title, masthead]) == ["Proposed Rules", "Federal Register"]
    mark = Line("®", (399, 59, 406, 67), size=8)
    assert len(_texts([title, mark])) == 1
    label = Line("Name of the applicant", (45, 60, 140, 70), size=9)
    value = Line("Jane Example", (399, 59, 460, 71), size=11)
    assert len(_texts([label, value])) == 1


def test_a_rule_cuts_a_right_to_left_page_too():
    """The same page mirrored and read right to left: the rule is mirrored with it."""
    lines = [
        Line(ln.text, (612 - ln.bbox[2], ln.bbox[1], 612 - ln.bbox[0], ln.bbox[3]), size=ln.size)
        for ln in _gazette_page()
    ]
    ordered = reading_order.reading_order(lines, 612, rtl=True, rules=[(109.0, 45.0, 567.0)])
    assert [line.text for line in ordered][:2] == ["Proposed Rules", "Federal Register"]
    assert ordered[4].text == "one 0 of running text"


def _form_page(footer_bold=False):
    """A form's last lines over a footer ruled off close under them (IRS Form 1040)."""
    lines = [
        Line(
            f"{n} Line {n} of the form . . . . . . . . {n}", (113, 500 + 12 * k, 476, 509 + 12 * k)
        )
        for k, n in enumerate(range(20, 37))
    ]
    lines.append(Line("37 Subtract line 36 from line 22 . . . . . . 37", (113, 704, 476, 714)))
    footer = Line("For Paperwork Reduction Act Notice, see instructions. Cat. No. 11320B",
                  (36, 714.4, 576, 726.5), size=9, bold=footer_bold)  # fmt: skip
    return reading_order.paragraphs([*lines, footer])


def test_a_footer_ruled_off_under_a_forms_last_line_is_furniture():
    paras = _form_page()
    # Without the rule the footer sits too close to the form to be set apart.
    assert furniture.furniture(paras, 792)[-1] == "paragraph"
    # The page's last rule across the text, grazing the footer's loose box.
    kinds = furniture.furniture(paras, 792, cuts=[600.0, 715.0])
    assert kinds[-1] == "page_footer"
    # The form's own lines, each ruled off from the one above and each ending with its
    # number after a leader, stay text.
    assert set(kinds[:-1]) == {"paragraph"}
    # A bold line ruled off at the bottom is a heading's or a total's, not a footer.
    assert furniture.furniture(_form_page(footer_bold=True), 792, cuts=[715.0])[-1] == "paragraph"


def test_rule_cuts_may_graze_a_loose_box():
    upper = Line("37 Subtract line 36 from line 22", (113, 733, 476, 743))
    lower = Line("Cat. No. 11320B Form 1040 (2010)", (36, 743.4, 576, 755.5))
    rule = [(744.0, 36.0, 576.0)]
    assert reading_order.rule_cuts([upper, lower], rule) == []
    assert reading_order.rule_cuts([upper, lower], rule, graze=1 / 6) == [744.0]


def test_a_forms_numbered_line_in_the_bottom_band_is_no_footer():
    """ "36 Add lines 23 through 31a ... . . . . 36" close under the form's other lines ends
    with its line number, as a numbered foot does ("206 Law Enforcement, ..."), but the
    dots that lead to it make it a form's line (or a contents entry): text."""
    body = [Line(ln.text, ln.bbox, size=10) for ln in _column(113, 476, 500, 16, "form line")]
    text = "36 Add lines 23 through 31a and 32 through 35 . . . . . . . 36"
    line = Line(text, (113, 724, 476, 734), size=10)
    foot = Line("206 Law Enforcement, Courts, and Prisons", (113, 724, 400, 732), size=8)
    for last, kind in ((line, "paragraph"), (foot, "page_footer")):
        paras = reading_order.paragraphs([*body, last])
        assert furniture.furniture(paras, 792)[-1] == kind


def test_a_list_of_authors_runs_on_into_its_centred_last_line():
    """A paper's authors wrap onto a shorter centred line: one paragraph, not a centred
    line under a block. A centred line that continues no list still ends it."""
    first = Line("Zejiang Shen 1, Ruochen Zhang 2, Melissa Dell 3, Benjamin Charles Germain",
                 (134.8, 169.5, 480.5, 180.8), size=9.91)  # fmt: skip
    last = Line("Lee 4, Jacob Carlson 3, and Weining Li 5", (223.1, 181.5, 392.0, 192.8), size=9.96)
    assert _texts([first, last]) == [f"{first.text} {last.text}"]
    centred = Line("Allen Institute for AI", (250.0, 181.5, 365.0, 192.8), size=9.96)
    assert len(_texts([first, centred])) == 2


def test_a_list_item_goes_on_at_its_hanging_indent_after_a_colon():
    """unstructured's list-item-example.pdf: "● Determining root challenges:" over
    "organizational factors", set where the item's text starts after its bullet. Both
    lines are narrower than the item's first one, so the second had been read as a line
    centred under it; a line that starts elsewhere under a list item still ends it."""
    words = [
        Word(327.8, 345.9, 334.4, 358.2, "●"),
        *_words("Determining root challenges:", 345.8, 345.9, 11),
    ]
    item = Line(
        "● Determining root challenges:", (327.8, 345.9, 485.7, 358.2), size=11, words=words
    )
    rest = Line("organizational factors", (345.8, 358.5, 450.2, 370.8), size=11,
                words=_words("organizational factors", 345.8, 358.5, 11))  # fmt: skip
    assert _texts([item, rest]) == ["● Determining root challenges: organizational factors"]
    centred = Line("A note on scope", (352.0, 358.5, 444.0, 370.8), size=11,
                   words=_words("A note on scope", 352.0, 358.5, 11))  # fmt: skip
    assert len(_texts([item, centred])) == 2


def test_a_piece_inside_a_table_is_never_joined_with_one_outside_it():
    """A box of totals set beside a table shares its rows: joined, each row read "23%
    121,00 Zapłacono 0,00 PLN", a line the table could not own, so its text came twice."""
    table = (50.0, 100.0, 300.0, 140.0)
    rows = [
        ("23%", "121,00", "Zapłacono", "0,00 PLN"),
        ("Razem", "121,00", "Do zapłaty", "148,83 PLN"),
    ]
    pieces = []
    for i, (a, b, c, d) in enumerate(rows):
        top = 105 + 15 * i
        pieces += [
            Line(a, (60, top, 90, top + 10)),
            Line(b, (200, top, 240, top + 10)),
            Line(c, (310, top, 360, top + 10)),
            Line(d, (380, top, 430, top + 10)),
        ]
    joined = [line.text for line in reading_order.join_rows(pieces)]
    assert joined == ["23% 121,00 Zapłacono 0,00 PLN", "Razem 121,00 Do zapłaty 148,83 PLN"]
    apart = [line.text for line in reading_order.join_rows(pieces, tables=[table])]
    assert apart == ["23% 121,00", "Zapłacono 0,00 PLN", "Razem 121,00", "Do zapłaty 148,83 PLN"]


def test_two_lines_under_a_figure_are_read_in_the_pages_columns():
    """Under a figure, two lines in each of two of the page's columns are too few to show
    a gutter; the gutter found above the figure splits them (they had been read across)."""
    lines = []
    for c, x in enumerate((50, 300)):
        for i in range(8):
            lines.append(
                Line(
                    f"column {c} line {i} of the running text",
                    (x, 60 + 12 * i, x + 220, 70 + 12 * i),
                )
            )
    lines.append(Line("Figure 1 spans the whole text width of the page here", (50, 200, 520, 212)))
    below = [
        Line("(3) In the Operating Procedures chapter,", (50, 300, 270, 310)),
        Line("replace the existing Airspeed Unreliable", (50, 312, 270, 322)),
        Line("paragraph with the information in figure 2", (300, 300, 520, 310)),
        Line("to paragraph (h)(3) of this AD.", (300, 312, 470, 322)),
    ]
    ordered = [line.text for line in reading_order.reading_order(lines + below, 600)]
    assert ordered[-4:] == [line.text for line in below]


def test_rows_of_a_label_and_its_figures_are_one_paragraph_each():
    """A scanned table no finder took (rules above and below it only): each row, a label
    and its figures, is a paragraph of its own, not one run-on paragraph, and none is a
    heading; prose whose lines end in a list of values runs on."""
    rows = [
        "SegLink [26] 70.0 86.0 77.0 8.9",
        "PixelLink [4] 73.2 83.0 77.8 -",
        "TextSnake [18] 73.9 83.2 78.3 1.1",
        "Ours (MLT-17) 84.54 86.62 85.57 12.31",
    ]
    lines = [Line(text, (40, 100 + 20 * i, 360, 114 + 20 * i)) for i, text in enumerate(rows)]
    paras = reading_order.paragraphs(lines)
    assert [p.text for p in paras] == rows
    assert all(markdown.heading_level(p, 0.0, False, 14.0) is None for p in paras)
    prose = ["The three runs gave recall values of 0.5, 0.7, 0.9 in 2003 - 2012",
             "and precision values of 0.61, 0.72, 0.83 on the test set."]  # fmt: skip
    lines = [Line(text, (40, 100 + 20 * i, 400, 114 + 20 * i)) for i, text in enumerate(prose)]
    assert len(reading_order.paragraphs(lines)) == 1


def test_a_section_heading_over_its_first_subsection_heading_is_two_paragraphs():
    """Two bold headings one under the other ("1. INTRODUCTION", "1.1 Cluster
    computing") are two headings, not one."""
    lines = [
        Line("1. INTRODUCTION", (60, 100, 160, 112), size=12.0, bold=True),
        Line("1.1 Cluster computing", (60, 116, 200, 127), size=11.0, bold=True),
        Line("The last few years have been characterized by huge tech-", (60, 131, 290, 141),
             size=9.0),
        Line("nological changes in the area of parallel and distributed", (60, 143, 290, 153),
             size=9.0),
    ]  # fmt: skip
    paras = reading_order.paragraphs(lines)
    assert [p.lines[0].text for p in paras][:2] == ["1. INTRODUCTION", "1.1 Cluster computing"]


def test_a_title_in_capitals_over_two_centred_lines_is_one_paragraph():
    """Tika's testJournalParser.pdf (IEEE style): "III. GCSR: A STRATEGY FOR
    MULTI-MICROROBOT CONTROL" over "AND ASSEMBLY", small capitals smaller than the body,
    centred in the column: the second line had been left a paragraph of its own."""
    head = Line("III. GCSR: A STRATEGY FOR MULTI-MICROROBOT CONTROL", (321, 287, 566, 296), size=8)
    tail = Line("AND ASSEMBLY", (409.5, 298.6, 472.9, 307.6), size=8)
    body = [
        Line(f"The body of the section, line {i} of the running text", (311, 312 + 11 * i,
             576, 321 + 11 * i), size=10)
        for i in range(4)
    ]  # fmt: skip
    assert _texts([head, tail, *body])[0] == (
        "III. GCSR: A STRATEGY FOR MULTI-MICROROBOT CONTROL AND ASSEMBLY"
    )
    # A table's caption whose label is set in lower case (camelot's twotables_2.pdf):
    # "Table 6 : DISTRIBUTION ..." over "MALE HEAD OF THE HOUSEHOLD", the second line
    # had stood as a heading of its own.
    caption = Line(
        "Table 6 : DISTRIBUTION (%) OF HOUSEHOLDS BY LITERACY STATUS OF",
        (123.5, 67.3, 485.0, 77.1),
        size=10.35,
        bold=True,
    )
    rest = Line("MALE HEAD OF THE HOUSEHOLD", (219.1, 79.3, 389.2, 89.0), size=10.35, bold=True)
    assert _texts([caption, rest, *body])[0] == f"{caption.text} {rest.text}"  # fmt: skip
    # Two lines in capitals set flush left, the second no shorter: two paragraphs.
    name = Line("JOHN SMITH", (72, 100, 140, 110), size=10)
    street = Line("1234 NORTH MAIN STREET", (72, 112, 220, 122), size=10)
    assert len(_texts([name, street, *body])) >= 2


def test_rows_of_far_apart_pieces_are_a_paragraph_each():
    """tesseract.js's bank statement (OCR): each row a date and label at the left, its
    figures far right, some ending in a code ("EX"); the rows had run together into one
    paragraph."""
    rows = [
        ("01Aug2018 Clearing Cheque", "4987 36.07 99,914.15"),
        ("01Aug2018 Clearing Cheque", "4982 800.04 100,775.12 EX"),
        ("01Aug2018 Incoming Interac e-Transfer", "14.54 101,583.92 EX"),
        ("01Aug2018 Transfer out to loan 7", "1,500.00 70,269.42"),
    ]
    lines = []
    for i, (label, figures) in enumerate(rows):
        lines += [
            Line(label, (31, 118 + 18 * i, 235, 136 + 18 * i), confidence=0.99),
            Line(figures, (570, 118 + 18 * i, 899, 136 + 18 * i), confidence=0.99),
        ]
    assert _texts(lines) == [f"{label} {figures}" for label, figures in rows]


def test_a_code_after_a_rows_figures_still_ends_a_row():
    assert paragraph_breaks.row_end("Clearing Cheque 4982 800.04 100,775.12 EX")
    assert paragraph_breaks.row_end("Deposit 50.00 1,200.00 CR")
    assert not paragraph_breaks.row_end("as shown in the TABLE")
    assert not paragraph_breaks.row_end("the sum of 12 and 15 EUROS")


def test_a_running_head_set_close_over_a_scanned_pages_first_line_is_furniture():
    """kraken's input.jpg: "214 HISTOIRE" two pixels over the first line, 16% down the
    scan; it had opened the first paragraph. A section's "1 INTRODUCTION" stays body."""
    starts = ["cerveau. Tous ces faits", "testables; on doit", "échappés", "si"] * 3
    body = [
        Line(f"{w} de la page, une ligne de texte courant numéro {i}", (519, 348 + 50 * i,
             1290, 398 + 50 * i), confidence=0.98)
        for i, w in enumerate(starts)
    ]  # fmt: skip
    for head, kind in (("214 HISTOIRE", "page_header"), ("1 INTRODUCTION", "paragraph")):
        lines = [Line(head, (519, 288, 1083, 346), confidence=0.98), *body]
        paras = reading_order.paragraphs(lines)
        assert paras[0].text == head
        assert furniture.furniture(paras, 2184.0, width=1456.0)[0] == kind
    # A report's title at a page's top, a year beside capitals, or set larger: no head.
    title = Line("2020 ANNUAL REPORT", (519, 288, 1083, 346), confidence=0.98)
    assert furniture.furniture(reading_order.paragraphs([title, *body]), 2184.0)[0] == ("paragraph")
    big = [Line("100 GREAT IDEAS", (72, 60, 400, 90), size=24)] + [
        Line(f"The body of the page, a line of running text number {i}", (72, 100 + 14 * i,
             520, 110 + 14 * i), size=10)
        for i in range(12)
    ]  # fmt: skip
    assert furniture.furniture(reading_order.paragraphs(big), 792.0)[0] == "paragraph"
    assert reading_order.running_head("HISTOIRE NATURELLE 215")
    assert not reading_order.running_head("214 Histoire")  # no capitals: a sentence


def test_a_bibliographys_wide_labels_beside_the_right_column_are_no_gutter():
    """pdfplumber's issue-982 paper (IEEE style, alphabetic labels): the right column's
    labels ("[KMN+02]") sit 14 pt left of their entries, the columns 11 pt apart. The
    widest clear run had been the labels' gap, so each label was read at the end of a
    left-column line; and each entry's next line, set at the hanging indent after a
    finished sentence, had started a paragraph of its own."""
    left = _column(40, 293, 60, 12, "left")
    entries = [
        ("[Joh15a]", ["D. Johnson, Biaxial recurrent neural network for music",
                      "composition, GitHub, Aug. 2015.",
                      "[Online]. Available: https://github.com/hexahedria"]),
        ("[Joh15b]", ["D. Johnson, Composing music with recurrent neural",
                      "networks, Personal Blog, Aug. 2015.",
                      "[Online]. Available: http://www.hexahedria.com"]),
        ("[KMN+02]", ["T. Kanungo, D. Mount, N. Netanyahu, C. Piatko, and",
                      "A. Wu, An efficient k-means clustering algorithm.",
                      "IEEE Transactions, vol. 24, no. 7, pp. 881-892, 2002."]),
        ("[Mit97]", ["T. M. Mitchell, Machine learning. McGraw Hill series",
                     "in computer science. McGraw-Hill, 1997."]),
    ]  # fmt: skip
    right, top = [], 60.0
    for label, rows in entries:
        right.append(_line(label, 304, top, 304 + 3.5 * len(label)))
        for i, text in enumerate(rows):
            right.append(_line(text, 347, top + 12 * i, 556))
        top += 12 * len(rows) + 8
    ordered = reading_order.reading_order(left + right, 595)
    texts = [line.text for line in ordered]
    assert texts[:12] == [line.text for line in left]
    paras = [para.text for para in reading_order.paragraphs(ordered)]
    assert paras[-4:] == [f"{label} {' '.join(rows)}" for label, rows in entries]


def test_numbered_references_are_a_paragraph_each():
    """GROBID's sample paper (ACM style): each entry's label sits at the column's edge,
    its next lines at a hanging indent. The entries had run together ("[3] A. Barak ...
    1998. [4] H. Casanova ...") and broken at their own lines instead."""
    rows = [
        (58, "[3] A. Barak and O. La'adan. The MOSIX multicomputer"),
        (73, "operating system for high performance cluster"),
        (73, "computing. Future Generation Computer Systems,"),
        (73, "13(4-5):361-372, Mar. 1998."),
        (58, "[4] H. Casanova, G. Obertelli, F. Berman, and R. Wolski."),
        (73, "The AppLeS parameter sweep template: User-level"),
        (73, "middleware for the grid. In Proceedings of"),
        (73, "SuperComputing'2000, Nov 2000."),
        (58, "[5] W. Cirne and F. Berman. A model for moldable"),
        (73, "supercomputer jobs. In 15th Intl. Parallel &"),
        (73, "Distributed Processing Symp., 2001."),
    ]
    lines = [_line(text, x, 57 + 10.6 * i, x + 4.3 * len(text)) for i, (x, text) in enumerate(rows)]
    paras = _texts(lines)
    assert [p[:4] for p in paras] == ["[3] ", "[4] ", "[5] "]
    assert paras[1] == " ".join(text for _, text in rows[4:8])


def test_a_short_letters_parts_a_blank_line_apart_are_paragraphs():
    """Unstructured's fake memo: a date, a salutation, one paragraph of two lines and a
    closing over a name, each a blank line from the next. Most of the page's gaps are
    blank lines, and the one gap inside the paragraph had been outvoted: the date ran
    into the salutation, the closing into the name."""
    rows = [
        (71, "May 5, 2023"),
        (95, "To Whom it May Concern:"),
        (119, "There were 20,000 bottles of water, 10,000 blankets, and 200"),
        (131, "2023. A total of 3 trucks were used for 15 hours."),
        (155, "Best Regards,"),
        (179, "Mallori"),
    ]
    lines = [Line(text, (72, y, 72 + 5.5 * len(text), y + 13), size=11) for y, text in rows]
    assert _texts(lines) == [
        "May 5, 2023",
        "To Whom it May Concern:",
        f"{rows[2][1]} {rows[3][1]}",
        "Best Regards,",
        "Mallori",
    ]


def test_rows_read_as_lines_apart_are_a_paragraph_each_too():
    """The Senate's expenditure report: each row a payee, a duty and an amount, far apart,
    read as three lines of one row (the columns' gutters part them). Rows of three such
    pieces whose columns line up are a paragraph each, as rows read as one line are
    (five rows had run into one paragraph: "BAIN, J MATTHEW DISTRICT DIRECTOR 37,499.96
    SMITH, ALVARO R ...")."""
    rows = [("BAIN, J MATTHEW", "DISTRICT DIRECTOR", "37,499.96"),
            ("SMITH, ALVARO R", "LEGISLATIVE CORRESPONDENT", "21,000.00"),
            ("ARMER, DEREK A", "STAFF ASSISTANT", "12,111.06"),
            ("ENGLERT, PAYTON A", "INTERN FROM SEP. 18", "446.87")]  # fmt: skip
    lines = []
    for r, (name, duty, amount) in enumerate(rows):
        top = 138 + 6 * r
        lines += [
            Line(name, (202, top, 202 + 3 * len(name), top + 6), size=5),
            Line(duty, (428, top, 428 + 3 * len(duty), top + 6), size=5),
            Line(amount, (703 - 3 * len(amount), top, 703, top + 6), size=5),
        ]
    assert _texts(lines) == [" ".join(row) for row in rows]

    # A form's rows, a label and its value far apart on one line and a note far right on
    # another (a seed trial's "SOIL CONDITIONS:  High P, ..." and "30\" ROW SPACING"):
    # a row each, as when each row is read as one line.
    form = [("PREV. CROP/HERB:", "Corn / Surpass, Roundup", "S2MNCE01"),
            ("SOIL DESCRIPTION:", "Canisteo clay loam", ""),
            ("SOIL CONDITIONS:", "High P, high K", "30 ROW SPACING")]  # fmt: skip
    lines = []
    for r, (label, value, note) in enumerate(form):
        top = 300 + 10 * r
        words, x = [], 40.0
        for k, word in enumerate(f"{label} {value}".split()):
            if k == len(label.split()):
                x = 180.0  # the value, far from its label
            words.append(Word(x, top, x + 4 * len(word), top + 8, word))
            x += 4 * len(word) + 3
        box = (40, top, words[-1].x1, top + 8)
        lines.append(Line(f"{label} {value}", box, size=7, words=words, pieces=2))
        if note:
            lines.append(Line(note, (500, top, 500 + 4 * len(note), top + 8), size=7))
    assert _texts(lines) == [" ".join(part for part in row if part) for row in form]


def test_rows_of_a_small_table_and_a_forms_labelled_rows_are_a_paragraph_each():
    """markitdown's booking order: a table of one header row and one row of values, too
    few rows for the stream finder, had run into one line ("Start Date End Date # Shows
    Gross Amount 12/20/24 12/31/24 48 $12,500.00"); so had a form's labels and values
    ("Name: Universal Studios Distribution Category: Film Distributor")."""

    def row(pieces, top, columns=(50, 120, 190, 270)):
        words = []
        for text, x in zip(pieces, columns, strict=False):
            for word in text.split():
                words.append(Word(x, top, x + 4 * len(word), top + 10, word))
                x += 4 * len(word) + 2
        box = (50, top, words[-1].x1, top + 10)  # far-apart pieces, joined as join_rows does
        return Line(" ".join(pieces), box, size=8, words=words, pieces=len(pieces))

    table = [row(["Start Date", "End Date", "# Shows", "Gross Amount"], 466),
             row(["12/20/24", "12/31/24", "48", "$12,500.00"], 478)]  # fmt: skip
    assert _texts(table) == [line.text for line in table]
    form = [row(["Name:", "Universal Studios Distribution"], 500, (50, 150)),
            row(["Category:", "Film Distributor"], 512, (50, 150))]  # fmt: skip
    assert _texts(form) == [line.text for line in form]

    # A justified reference spread out, every word gap wide and as wide as the others:
    # no row of a table, however its words fall (GROBID's sample, "[19] Seljak U. ...").
    def spread(words, top, step):
        out, x = [], 50.0
        for word in words:
            out.append(Word(x, top, x + 4 * len(word), top + 10, word))
            x += 4 * len(word) + step
        box = (50, top, out[-1].x1, top + 10)
        return Line(" ".join(words), box, size=8, words=out, pieces=len(words))

    refs = [spread(["[19]", "Seljak", "U.", "and", "Zaldarriaga", "M."], 530, 19),
            spread(["J.46", "9,1996", "in", "its", "Astrophysic", "J."], 542, 19)]  # fmt: skip
    assert len(_texts(refs)) == 1
