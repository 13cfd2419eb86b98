"""A word hyphenated at a column or page break is joined in the markdown;
real compounds and a capital after the break stay apart.
"""

from __future__ import annotations

from docworker.geometry import Line
from docworker.stages.joining import join_broken, join_lines, join_pages, vocabulary
from docworker.stages.markdown import items_markdown, layout_items
from docworker.stages.reading_order import Paragraph


def test_join_broken_joins_a_word_split_at_a_break_only():
    assert join_broken("the results are concern-", "ing the model") == (
        "the results are concerning the model"
    )
    compound = join_broken("a market-", "based approach", vocabulary(["nature-based"]))
    assert compound == "a market-based approach"
    assert join_broken("they were self-", "employed") == "they were self-employed"
    assert join_broken("the Schwarz-", "Weiß edition") == "the Schwarz-Weiß edition"
    assert join_broken("the Schwarz-", "(Weiß) edition") is None
    assert join_broken("and I sup-", "Cannister shot is a tin cylinder") is None  # a sidebar
    assert join_broken("the 2023-", "0379 decision") is None
    assert join_broken("the end.", "next paragraph") is None
    assert join_broken("a well-", "known") == "a well-known"


def test_a_compound_on_both_lines_and_a_camel_case_name_on_the_page():
    """SPECTER's paper: "state-of-" / "the-art graph" on a page of references (no English
    prose there to ask) had read "state-ofthe-art"; "SciB-" / "ERT" read "SciB-ERT" on
    pages that say "SciBERT" a dozen times; "GPT-" / "based" had read "GPTbased"."""
    assert join_lines(["compare to a state-of-", "the-art graph model"]) == (
        "compare to a state-of-the-art graph model"
    )
    page = vocabulary(["We initialize the model from SciBERT pretrained weights."])
    assert join_lines(["using a vanilla SciB-", "ERT results in"], page) == (
        "using a vanilla SciBERT results in"
    )
    assert join_lines(["using a vanilla SciB-", "ERT results in"]) == (
        "using a vanilla SciB-ERT results in"
    )
    assert join_lines(["a GPT-", "based model"]) == "a GPT-based model"


def _para(text: str, x0: float, top: float) -> Paragraph:
    return Paragraph([Line(text, (x0, top, x0 + 200, top + 10), size=10.0)])


def test_a_word_broken_between_columns_reads_whole_in_the_markdown():
    paras = [
        _para("The first column ends with a broken repre-", 50, 700),
        _para("sentation of the word, read in column two.", 320, 80),
        _para("A new paragraph follows.", 320, 120),
    ]
    md = items_markdown(layout_items(paras, ["paragraph"] * 3, []))
    assert md == (
        "The first column ends with a broken representation of the word, read in column two."
        "\n\nA new paragraph follows."
    )


def test_a_page_footer_between_the_parts_does_not_stop_the_join():
    paras = [
        _para("the well-known exam-", 50, 700),
        _para("12", 300, 800),
        _para("ple of a broken word.", 320, 80),
    ]
    md = items_markdown(layout_items(paras, ["paragraph", "page_footer", "paragraph"], []))
    assert md == "the well-known example of a broken word."


def test_a_heading_or_a_table_is_never_joined():
    paras = [_para("a list of co-", 50, 700), _para("authors", 320, 80)]
    md = items_markdown(layout_items(paras, ["paragraph", "paragraph"], []))
    assert md == "a list of coauthors"
    md = join_pages(["# Title\n\nwe found that the align-", "# next section\n\nment holds"])
    assert md == "# Title\n\nwe found that the align-\n\n# next section\n\nment holds"


def test_pages_join_a_word_broken_over_the_page_break():
    pages = [
        "# Title\n\nText that runs on to the next page and breaks a hy-",
        "phen word here.\n\nMore.",
    ]
    assert (
        join_pages(pages)
        == "# Title\n\nText that runs on to the next page and breaks a hyphen word here.\n\nMore."
    )
    # A compound the pages print whole elsewhere keeps its hyphen; a table never joins.
    pages = ["we use a data-", "driven method; data-driven work\n\nok"]
    assert join_pages(pages) == "we use a data-driven method; data-driven work\n\nok"
    assert join_pages(["| a | b |", "c"]) == "| a | b |\n\nc"
    assert join_pages(["", "one", "", "two"]) == "one\n\ntwo"


def test_a_pdf_word_broken_over_a_page_break_reads_whole(tmp_path, cpu_pipeline):
    from tests.hostile_docs import run_file
    from tests.pdfgen import TextPage, build_pdf

    pdf = build_pdf(
        [
            TextPage([(72, 72, 11, "The measurements were taken under the same condi-")]),
            TextPage([(72, 72, 11, "tions as before, with a self-calibrating probe.")]),
        ]
    )
    payload = run_file(cpu_pipeline, tmp_path / "broken.pdf", pdf)
    markdown = payload["data"]["markdown"]
    assert "the same conditions as before" in markdown
    assert payload["data"]["pages"][0]["markdown"].endswith("condi-")


def test_pages_join_a_paragraph_cut_mid_sentence():
    """A page ends mid-sentence and the next goes on in lower case: one paragraph."""
    pages = [
        "# Estimated tax\n\nIf you pay in installments, make your first payment by the due"
        " date for the first payment",
        "period. Make your remaining payments by the later due dates.\n\nMore.",
    ]
    assert join_pages(pages) == (
        "# Estimated tax\n\nIf you pay in installments, make your first payment by the due date"
        " for the first payment period. Make your remaining payments by the later due dates."
        "\n\nMore."
    )
    # A finished sentence, a capital after the break, a short fragment or a list: no join.
    sentence = "This paragraph is long enough to be running text and it ends."
    assert join_pages([sentence, "and this starts lower case"]).count("\n\n") == 1
    long_open = "This paragraph is long enough to be running text and it runs on"
    assert join_pages([long_open, "Another paragraph"]).count("\n\n") == 1
    assert join_pages(["see the URL here", "and more"]) == "see the URL here\n\nand more"
    assert join_pages([long_open, "- an item"]).count("\n\n") == 1


def _lines(texts: list[str], x0: float, top: float) -> Paragraph:
    return Paragraph(
        [
            Line(t, (x0, top + 12 * i, x0 + 200, top + 12 * i + 10), size=10.0)
            for i, t in enumerate(texts)
        ]
    )


def test_a_sentence_cut_by_a_column_break_reads_whole_in_the_markdown():
    paras = [
        _lines(["Copies of the comments should be sent to the", "person identified"], 50, 690),
        _lines(["in the section below, and to the docket.", "A new sentence."], 320, 80),
        _lines(["Karl Marx Jim Denton Doug Mack Tom McKinley Kent", "Milligan"], 50, 300),
        _lines(["ibm.com/redbooks Redpaper and the rest of it.", "More."], 320, 300),
        _lines(["One line that breaks off in the middle of a"], 50, 500),
        _lines(["sentence and goes on here in column two."], 320, 500),
    ]
    md = items_markdown(layout_items(paras, ["paragraph"] * 6, []))
    assert md.split("\n\n") == [
        "Copies of the comments should be sent to the person identified in the section below,"
        " and to the docket. A new sentence.",
        "Karl Marx Jim Denton Doug Mack Tom McKinley Kent Milligan",  # names, then an address
        "ibm.com/redbooks Redpaper and the rest of it. More.",
        "One line that breaks off in the middle of a",  # one line: a running head, maybe
        "sentence and goes on here in column two.",
    ]


def test_a_paragraph_cut_by_a_page_break_goes_on_past_the_next_pages_figure():
    """fr_olap.pdf: page 1 ends "... utilisant QSL. Sur", page 2 sets its figure's caption
    first and goes on "cette base, nous proposons ..." under it: the sentence is joined,
    the caption follows it. A capital after the floats, or more than three of them, no."""
    cut = "un algorithme glouton de construction automatique de résumés utilisant QSL. Sur"
    page = "FIG. 1 – Les dimensions de notre exemple jouet\n\ncette base, nous proposons un algo."
    assert join_pages([cut, page]) == (
        f"{cut} cette base, nous proposons un algo.\n\nFIG. 1 – Les dimensions de notre"
        " exemple jouet"
    )
    table = "| a | b |\n| --- | --- |\n| 1 | 2 |"
    assert join_pages([cut, f"{table}\n\nTable 2: Totals\n\ncette base"]) == (
        f"{cut} cette base\n\n{table}\n\nTable 2: Totals"
    )
    assert join_pages([cut, "Figure 2: A map\n\nCette base"]).count("\n\n") == 2
    many = "\n\n".join(["![](a.png)"] * 4 + ["cette base"])
    assert join_pages([cut, many]).count("\n\n") == 5
