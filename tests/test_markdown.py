"""Markdown structure from the text layer: headings, lists, captions, code, columns, furniture."""

from __future__ import annotations

import pytest

from docworker.decode import pdfchars
from docworker.geometry import Line
from docworker.stages import markdown, reading_order
from docworker.stages.joining import join_lines, vocabulary
from tests.pdfspans import Span, column
from tests.test_text_pieces import _view, page_items

PROSE = [
    "The origins of word processing can be traced back to the invention of",
    "the typewriter in the nineteenth century, which let people produce",
    "legible documents more efficiently than handwriting had ever allowed.",
]


def _markdown(tmp_path, spans, **kw):
    items = page_items(_view(tmp_path, [spans], **kw))
    return markdown.items_markdown(items), items


def test_headings_from_size_weight_and_numbering(tmp_path):
    spans = [
        Span(72, 80, 20, "Annual Report on Legal Aid", "F2"),
        *column(72, 120, PROSE),
        Span(72, 180, 12, "1 Introduction", "F2"),
        *column(72, 200, PROSE),
        Span(72, 260, 10, "5.1 Hyper Parameter Optimization", "F2"),
        *column(72, 280, PROSE),
    ]
    md, items = _markdown(tmp_path, spans)
    assert md.startswith("# Annual Report on Legal Aid\n\n")
    assert "\n\n## 1 Introduction\n\n" in md
    assert "\n\n### 5.1 Hyper Parameter Optimization\n\n" in md
    blocks = markdown.items_blocks(items, "text_layer")
    levels = [(b.text, b.level) for b in blocks if b.type == "heading"]
    assert levels == [
        ("Annual Report on Legal Aid", 1),
        ("1 Introduction", 2),
        ("5.1 Hyper Parameter Optimization", 3),
    ]


def test_a_bold_sentence_in_running_text_is_not_a_heading(tmp_path):
    spans = [
        *column(72, 100, PROSE),
        Span(72, 150, 10, "This whole paragraph is set in bold for emphasis, and it ends.", "F2"),
        *column(72, 180, PROSE),
    ]
    md, _ = _markdown(tmp_path, spans)
    assert "#" not in md


def test_body_text_is_no_heading_on_a_page_whose_footnotes_outweigh_it(tmp_path):
    """9-point body, 7-point footnotes with more characters: the body's size is a text
    size, so its short paragraphs (a column's last line, cut mid-sentence) are no
    headings; a bold body-size line and a larger title still are."""
    notes = [f"{n} {text}" for n, text in enumerate(PROSE * 6, 1)]
    spans = [
        Span(72, 60, 14, "Airworthiness Directives", "F2"),
        *column(72, 90, PROSE * 3, size=9, lead=11),
        Span(72, 200, 9, "These effects include stall warning activation, and"),
        Span(72, 230, 9, "Proposed Design Changes", "F2"),
        *column(72, 250, PROSE * 2, size=9, lead=11),
        *column(72, 330, notes, size=7, lead=8),
    ]
    md, items = _markdown(tmp_path, spans, height=842)
    levels = [(i.paragraph.text, i.level) for i in items if i.kind == "heading"]
    assert levels == [("Airworthiness Directives", 1), ("Proposed Design Changes", 3)]
    assert "\n\nThese effects include stall warning activation, and\n\n" in md


def test_bullets_and_numbers_become_list_items(tmp_path):
    spans = [
        *column(72, 100, PROSE),
        Span(90, 150, 10, "\u2022"),
        Span(108, 150, 10, "Federal eRulemaking Portal: go to the website."),
        Span(90, 162, 10, "\u2022"),
        Span(108, 162, 10, "Fax: 202-493-2251."),
        Span(90, 184, 10, "1. Submit the comments in writing."),
        Span(90, 196, 10, "2. Mark the confidential parts."),
    ]
    md, items = _markdown(tmp_path, spans)
    assert "\n\n- Federal eRulemaking Portal: go to the website.\n\n- Fax: 202-493-2251.\n\n" in md
    assert md.endswith("1. Submit the comments in writing.\n\n2. Mark the confidential parts.")
    assert [i.kind for i in items].count("list_item") == 4


def test_captions_are_typed(tmp_path):
    spans = [*column(72, 100, PROSE), Span(72, 160, 9, "Figure 3: Layout of a two-column page.")]
    md, items = _markdown(tmp_path, spans)
    assert [i.kind for i in items][-1] == "caption"
    assert md.endswith("\n\nFigure 3: Layout of a two-column page.")


def test_monospaced_lines_are_a_code_block_with_their_indentation(tmp_path):
    code = [(72, "function add(a, b) {"), (96, "return a + b;"), (72, "}")]
    spans = [*column(72, 100, PROSE)] + [
        Span(x, 150 + 12 * i, 10, text, "F3") for i, (x, text) in enumerate(code)
    ]
    md, items = _markdown(tmp_path, spans)
    assert md.endswith("```\nfunction add(a, b) {\n    return a + b;\n}\n```")
    assert items[-1].kind == "code"


def test_a_typewritten_page_is_not_code(tmp_path):
    lines = [f"{i} THE WITNESS: Yes; it was (as I said) on the table." for i in range(1, 9)]
    md, _ = _markdown(tmp_path, column(72, 100, lines, font="F3", lead=24))
    assert "```" not in md


def test_a_listing_on_a_page_set_in_a_monospaced_font_is_still_code(tmp_path):
    """pdfplumber's issue-982 paper ends in an appendix of C, a page of it: the page is
    mostly monospaced, which had made every line prose (a comment's " * " lines read as
    bullets); lines dense with program text are code even there."""
    listing = [
        (72, "/*"), (78, " * Increment the size of the group information."), (78, " */"),
        (72, "static int indicate_policy(void)"), (72, "{"), (84, "int error;"),
        (84, "if (fd == MARN_EPT) {"), (96, "ret = 1;"), (84, "}"), (84, "return ret;"),
        (72, "}"),
    ]  # fmt: skip
    spans = [Span(x, 100 + 12 * i, 10, text, "F3") for i, (x, text) in enumerate(listing)]
    md, items = _markdown(tmp_path, spans)
    assert [i.kind for i in items] == ["code"]
    assert "\n{\n  int error;\n  if (fd == MARN_EPT) {\n    ret = 1;\n  }\n" in md


def test_monospaced_email_addresses_under_the_authors_are_no_code(tmp_path):
    """The DPR paper sets its authors' addresses in TeX's Courier: a brace is no code."""
    lines = [
        "{vladk, barlaso, plewis, ledell, edunov, scottyih}@fb.com",
        "sewon@cs.washington.edu",
        "danqic@cs.princeton.edu",
    ]
    spans = [*column(72, 100, PROSE)] + [
        Span(120, 160 + 12 * i, 10, text, "F3") for i, text in enumerate(lines)
    ]
    md, items = _markdown(tmp_path, spans)
    assert "```" not in md
    assert items[-1].kind == "paragraph"


def test_urws_courier_is_monospaced():
    """TeX's Courier is URW's NimbusMonL ("pcrr8r"): no fixed-pitch flag, no "mono"."""
    for name in ("NimbusMonL-Regu", "NimbusMonL-Bold", "pcrr8r", "Monaco"):
        assert pdfchars._MONO_NAME.search(name)
    assert not pdfchars._MONO_NAME.search("NimbusRomNo9L-Regu")


def test_escapes_only_where_a_paragraph_start_would_change_meaning():
    assert markdown.escape_markdown("costs 150. more # items - * + > here") == (
        "costs 150. more # items - * + > here"
    )
    assert markdown.escape_markdown("# not a heading") == "\\# not a heading"
    assert markdown.escape_markdown("2020. The year") == "2020\\. The year"
    assert markdown.escape_markdown("- dash") == "\\- dash"
    assert markdown.escape_markdown("#hashtag") == "#hashtag"
    assert markdown.escape_markdown("---") == "\\---"


def test_toc_entries_stay_one_a_line(tmp_path):
    entries = [
        "Chapter 1. Securing and protecting IBM DB2 data . . . . . . . . . . . 1",
        "1.1 Security fundamentals . . . . . . . . . . . . . . . . . . . . . . . 2",
        "1.2 Current state of IT security . . . . . . . . . . . . . . . . . . . 2",
    ]
    md, _ = _markdown(tmp_path, column(72, 100, entries))
    assert md.split("\n\n") == entries


def test_two_columns_are_read_one_after_the_other(tmp_path):
    left = [f"left column line {i} of the running text here" for i in range(12)]
    right = [f"right column line {i} of the running text too" for i in range(12)]
    spans = [
        Span(72, 60, 16, "A title across both columns of the page", "F2"),
        *column(72, 100, left),
        *column(320, 100, right),
    ]
    md, _ = _markdown(tmp_path, spans)
    text = " ".join(md.split())
    assert text.index("left column line 11") < text.index("right column line 0")
    assert text.index("title across") < text.index("left column line 0")


def test_a_table_without_rules_stays_row_by_row(tmp_path):
    rows = [("Presentes", "217", "0", "217"), ("Ausentes", "40", "0", "40")]
    rows += [(f"Region {i}", str(10 * i), str(i), str(11 * i)) for i in range(6)]
    spans = [
        Span(x, 100 + 12 * r, 10, cell)
        for r, row in enumerate(rows)
        for x, cell in zip((72, 250, 330, 410), row, strict=True)
    ]
    md, _ = _markdown(tmp_path, spans)
    assert "Presentes 217 0 217" in md and "Region 5 50 5 55" in md


def test_line_numbers_down_the_margin_are_read_after_the_text(tmp_path):
    lines = [
        "The above-entitled matter came on for oral",
        "argument before the Supreme Court of the United States",
        "at 1:01 p.m.",
        "APPEARANCES:",
        "STEVEN E. MERCER, ESQ., Deputy Attorney General",
        "on behalf of the Petitioner.",
    ]
    spans = [Span(60, 100 + 26 * i, 12, str(i + 1), "F3") for i in range(len(lines))]
    spans += column(90, 100, lines, size=12, lead=26, font="F3")
    md, _ = _markdown(tmp_path, spans)
    assert "came on for oral argument before the Supreme Court" in " ".join(md.split())


def test_numbered_running_head_and_page_number_are_furniture(tmp_path):
    spans = [
        Span(200, 90, 8, "Optimized Table Tokenization for Table Structure Recognition"),
        Span(480, 90, 8, "9"),
        *column(72, 120, PROSE * 6),
        Span(290, 800, 9, "- 9 -"),
    ]
    md, items = _markdown(tmp_path, spans, height=842)
    assert "Tokenization" not in md and "- 9 -" not in md
    assert items[0].kind == "page_header"


def test_joining_rules():
    assert join_lines(["the concern-", "ing data"]) == "the concerning data"
    assert join_lines(["Lucene-", "BM25 system"]) == "Lucene-BM25 system"
    assert join_lines(["Model 737–", "9 airplanes"]) == "Model 737–9 airplanes"
    assert join_lines(["an early example—", "an example"]) == "an early example—an example"
    assert join_lines(["1960s -", "1970s"]) == "1960s - 1970s"
    words = vocabulary(["the meeting was long"])
    assert join_lines(["meet-", "ing"], words) == "meeting"
    assert join_lines(["re-", "entry"], vocabulary(["a re-entry here"])) == "re-entry"
    assert (
        join_lines(["文档的版面分析是", "文字识别的第一步。"])
        == "文档的版面分析是文字识别的第一步。"
    )
    assert (
        join_lines(["日本語の文章は、", "空白なしで続く。"]) == "日本語の文章は、空白なしで続く。"
    )
    assert join_lines(["使用", "Python 语言"]) == "使用 Python 语言"
    assert join_lines(["한국어는 띄어쓰기를", "합니다"]) == "한국어는 띄어쓰기를 합니다"


def test_a_word_in_capitals_broken_at_a_line_end_joins_when_it_is_a_word():
    # grobid's sample.pdf, page 3: "3. A NEW BICRITERIA EFFICIENT SO-" / "LUTION"
    heading = ["3. A NEW BICRITERIA EFFICIENT SO-", "LUTION"]
    assert join_lines(heading) == "3. A NEW BICRITERIA EFFICIENT SOLUTION"
    assert join_lines(["FUNDAMENTAL-", "FORM"], vocabulary(["die Fundamentalform"])) == (
        "FUNDAMENTALFORM"
    )
    assert join_lines(["WORST-", "CASE ANALYSIS"]) == "WORST-CASE ANALYSIS"  # no such word
    assert join_lines(["SELF-", "CONTROL"]) == "SELF-CONTROL"
    assert join_lines(["WORK-", "LIFE"], vocabulary(["work-life balance"])) == "WORK-LIFE"
    assert join_lines(["NEW SO-", "Lution"]) == "NEW SO-Lution"  # not capitals throughout


def test_a_web_address_broken_after_a_slash_joins_without_a_space():
    # pdfplumber's federal-register page: "https://www.faa.gov/" / "aircraft/draft_docs/fsb/"
    assert join_lines(["Report at https://www.faa.gov/", "aircraft/draft_docs/fsb/ for"]) == (
        "Report at https://www.faa.gov/aircraft/draft_docs/fsb/ for"
    )
    assert join_lines(["visit www.irs.gov/", "advocate."]) == "visit www.irs.gov/advocate."
    assert join_lines(["see acf.hhs.gov/programs/cse/", "newhire"]) == (
        "see acf.hhs.gov/programs/cse/newhire"
    )
    assert join_lines(["either and/", "or both"]) == "either and/ or both"
    assert join_lines(["in km/", "h"]) == "in km/ h"


#: A page of English running text: its vocabulary holds English's function words.
ENGLISH_PAGE = vocabulary(
    [
        "This is the part of the paper that was written for a reader, and which is read by many",
        "or from the start, with notes that are to be kept.",
    ]
)


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("the worst-", "case approach", "the worst-case approach"),  # two words, no word joined
        ("a simple dual-", "encoder framework", "a simple dual-encoder framework"),
        ("in high-", "dimensional vectors", "in high-dimensional vectors"),
        ("the question-to-", "positive score", "the question-to-positive score"),
        ("the state-", "of-the-art model", "the state-of-the-art model"),  # more compound follows
        ("the concern-", "ing data", "the concerning data"),  # "ing" is no word
        ("the infor-", "mation age", "the information age"),
        ("a car-", "pet on the floor", "a carpet on the floor"),  # both words, and so is the join
        ("the inter-", "national-level body", "the international-level body"),
        ("from pre-", "trained models", "from pretrained models"),  # a prefix that joins
        ("the rank-la-", "ment that", "the rank-lament that"),
    ],
)
def test_a_compound_broken_at_a_line_end_on_an_english_page_keeps_its_hyphen(left, right, joined):
    assert join_lines([left, right], ENGLISH_PAGE) == joined


def test_the_english_list_decides_nothing_on_a_page_in_another_language():
    german = vocabulary(["Die Form der Fläche und die Kurve, mit der sie in einem Raum liegt"])
    assert join_lines(["die Fundamental-", "form der Fläche"], german) == (
        "die Fundamentalform der Fläche"
    )
    assert join_lines(["the worst-", "case"]) == "the worstcase"  # no page: no language
    assert join_lines(["the worst-", "case"], ENGLISH_PAGE) == "the worst-case"


def test_paragraph_text_joins_rows_after_columns():
    pieces = [Line("Name:", (72, 100, 100, 110)), Line("Juan", (200, 100, 230, 110))]
    (line,) = reading_order.reading_order(pieces, 600)
    assert line.text == "Name: Juan" and line.bbox == (72, 100, 230, 110)


def test_a_copyright_line_set_apart_at_the_foot_is_furniture(tmp_path):
    spans = [
        *column(72, 100, PROSE * 4),
        *column(72, 300, PROSE),
        Span(72, 735, 10, "© 2020 Elsevier Ltd. All rights reserved."),
    ]
    md, items = _markdown(tmp_path, spans, height=842)
    assert "Elsevier" not in md and items[-1].kind == "page_footer"


def test_a_numbered_foot_close_under_the_text_is_furniture_but_a_dated_caption_is_not(tmp_path):
    spans = [
        Span(72, 60, 9, "Table 324. Arrests by Sex and Age: 2009", "F2"),
        *column(72, 80, PROSE * 21, lead=11),  # down to 764 pt
        Span(72, 774, 8, "206 Law Enforcement, Courts, and Prisons", "F2"),
    ]
    md, items = _markdown(tmp_path, spans, height=842)
    assert "Law Enforcement" not in md and items[-1].kind == "page_footer"
    assert md.startswith("Table 324. Arrests by Sex and Age: 2009")


def test_ocr_headings_from_line_height():
    """OCR lines have no font size: a short paragraph of tall line boxes is a heading."""

    def ocr(text, top, height, left=60.0):
        return Line(text, (left, top, left + 8 * len(text), top + height), confidence=0.99)

    paras = [
        reading_order.Paragraph([ocr("The LinnSequencer", 20, 26)]),
        reading_order.Paragraph([ocr("Composition Without Compromise", 60, 16)]),
        reading_order.Paragraph([ocr(text, 80 + 13 * i, 12) for i, text in enumerate(PROSE)]),
        reading_order.Paragraph([ocr("Editing", 130, 13)]),
        reading_order.Paragraph([ocr(text, 150 + 13 * i, 12) for i, text in enumerate(PROSE)]),
    ]
    kinds = ["paragraph"] * len(paras)
    assert markdown.classify(paras, kinds) == [
        ("heading", 1),
        ("heading", 2),
        ("paragraph", None),
        ("paragraph", None),
        ("paragraph", None),
    ]


def test_a_chinese_sentence_is_no_heading_but_a_short_title_is():
    """Chinese words are not spaced: a sentence ending in "。" is long by its characters."""

    def ocr(text, top, height, left=60.0):
        return Line(text, (left, top, left + 12 * len(text), top + height), confidence=0.99)

    body = [
        "文档的版面分析是文字识别的第一步，也是最重要的一步。",
        "版面分析找出标题和表格的位置。",
    ]
    paras = [
        reading_order.Paragraph([ocr("第一章 总则", 20, 17)]),
        reading_order.Paragraph([ocr("本规定适用于所有提交给本机构审查的文件和报告。", 50, 17)]),
        reading_order.Paragraph([ocr(text, 80 + 13 * i, 12) for i, text in enumerate(body * 4)]),
    ]
    assert markdown.classify(paras, ["paragraph"] * 3) == [
        ("heading", 2),
        ("paragraph", None),
        ("paragraph", None),
    ]


def test_an_ocr_label_running_up_the_page_is_no_heading():
    """On an OCR page a heading is a line taller than the body's; a label set up the
    page (a chart's axis) is as tall as it is long, and only as thick as the body."""
    body = [
        reading_order.Paragraph([Line(f"line {i} of the body text here", (60, 100 + 40 * i,
                                                                          900, 130 + 40 * i))])
        for i in range(8)
    ]  # fmt: skip
    label = reading_order.Paragraph([Line("Potential (V)", (1150, 40, 1182, 460))])
    title = reading_order.Paragraph([Line("Results of the run", (60, 20, 700, 70))])
    height = markdown.body_height([*body, label])
    assert height == pytest.approx(30)
    assert markdown.heading_level(label, 0.0, False, height) is None
    assert markdown.heading_level(title, 0.0, False, height) == 2


def test_a_numbered_section_in_capitals_is_a_heading_and_an_address_is_none():
    """IEEE sets "I. INTRODUCTION" in small capitals no larger than the body: a heading.
    An author's e-mail set large on a title page is no heading."""

    def para(text: str, size: float, bold: bool = False) -> reading_order.Paragraph:
        return reading_order.Paragraph([Line(text, (60, 100, 300, 112), size=size, bold=bold)])

    assert markdown.heading_level(para("I. INTRODUCTION", 9.0), 10.0, False) == 2
    assert markdown.heading_level(para("III. TESTING WITH THE CMB", 9.5), 10.0, False) == 2
    assert markdown.heading_level(para("I. The first item of a list", 10.0), 10.0, False) is None
    assert markdown.heading_level(para("Gregory.Mounie@imag.fr", 12.0), 10.0, False) is None
    assert markdown.heading_level(para("Grégory Mounié", 12.0), 10.0, False) == 2


def test_a_footnote_inside_a_sentence_broken_at_a_column_comes_after_it():
    """Tika's testJournalParser.pdf: the left column ends "(all robots are", its footnote
    "*Contact: ..." (set smaller) stands under it, and the right column goes on
    "controlled by a single global control signal), ...": the sentence is one again
    and the footnote follows it."""

    def para(texts, size, top):
        return markdown.PageItem(
            "paragraph",
            paragraph=reading_order.Paragraph(
                [
                    Line(t, (50, top + 12 * i, 290, top + 12 * i + 10), size=size)
                    for i, t in enumerate(texts)
                ]
            ),
        )

    items = [
        para(
            [
                "All these envisioned microrobotic applications rely on the combined",
                "actions of large number microrobots. The high level of underactuation",
                "presents in such systems (all robots are",
            ],
            10,
            100,
        ),
        para(["*Contact: Vahid Foroutan. E-mail address: vforou2@uic.edu"], 8, 700),
        para(
            [
                "controlled by a single global control signal), makes the simultaneous",
                "control of several microrobots significantly more challenging.",
            ],
            10,
            60,
        ),
    ]
    md = markdown.items_markdown(items)
    assert "(all robots are controlled by a single global control signal)" in md
    assert md.endswith("*Contact: Vahid Foroutan. E-mail address: vforou2@uic.edu")
    # A note in the body's size, or after a finished sentence, stays where it stands.
    items[1] = para(["*Contact: Vahid Foroutan. E-mail address: vforou2@uic.edu"], 10, 700)
    assert "(all robots are\n\n*Contact" in markdown.items_markdown(items)


def test_a_fonts_weight_counts_for_bold_only_where_the_pdf_declares_it():
    """pdfium guesses a weight from a font's stems where the PDF declares none: regular
    Georgia read 665, Arial Italic 645, dvips's bitmap fonts 625-828 (GROBID's sample,
    its references bold, each cut from its URL). Bold is the name's, a declared weight
    (700, 900), or the force-bold flag."""
    for name, weight in (("GAAAAA+Georgia", 665), ("BAAAAA+Arial-ItalicMT", 645), ("Fm", 760),
                         ("TimesNewRomanPSMT", 650), ("Helvetica-Medium", 500)):  # fmt: skip
        assert not pdfchars.font_bold(name, weight, 0), name
    for name, weight in (("NimbusRomNo9L-Medi", 700), ("HelveticaNeueLTPro-Bd", 708),
                         ("AdobeCorpID-MyriadBdIt", 0), ("LubalinGraphStd-Demi", 610),
                         ("HelveticaNeueLTStd-Blk", 0), ("IJMAAR+YoonGothicPro780", 700),
                         ("Arial-BoldMT", 0)):  # fmt: skip
        assert pdfchars.font_bold(name, weight, 0), name
    assert pdfchars.font_bold("F1", 0, 1 << 18)  # the descriptor's force-bold flag
