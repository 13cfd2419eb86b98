"""The quality harness (bench/quality): metrics, references, reports, the checks scorer.

Everything here runs on tiny strings, tables and generated PDFs; only the
agreement test with the corpus's reference scorer needs ../shared/corpus and
skips without it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from bench import quality as ev
from bench.quality import checks as ck
from bench.quality import report, tablegrid, textlayer
from bench.quality.checkreport import render_section, summarize_engine
from bench.quality.outputs import find_output, read_output

from tests.pdfgen import TextPage, build_pdf, chinese_pdf

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def test_normalize_folds_ligatures_quotes_and_whitespace():
    assert ev.normalize("di\ufb00erent  “misﬁts”\n\tand—so") == 'different "misfits" and-so'


def test_cer_wer_and_bow():
    assert ev.cer("hello world", "hello world") == 0.0
    assert ev.cer("hallo world", "hello world") == 1 / 11
    assert ev.wer("hello there world", "hello world") == 0.5
    assert ev.bow_f1("world hello", "hello world") == 1.0
    assert ev.bow_f1("", "hello") == 0.0


def test_order_score_sees_swapped_columns():
    left = " ".join(f"alpha{i} beta{i} gamma{i}" for i in range(10))
    right = " ".join(f"delta{i} eps{i} zeta{i}" for i in range(10))
    assert ev.order_score(left + " " + right, left + " " + right) == 1.0
    swapped = ev.order_score(right + " " + left, left + " " + right)
    assert swapped is not None and swapped < 0.6
    assert ev.order_score("too short", "too short") is None


def test_decolumnize_reads_left_column_first():
    rows = [f"{f'left line {i}':<30}    right line {i}" for i in range(8)]
    out = ev.decolumnize("Title\n" + "\n".join(rows))
    lines = [s.strip() for s in out.split("\n") if s.strip()]
    assert lines[0] == "Title"
    assert lines[1:9] == [f"left line {i}" for i in range(8)]
    assert lines[9:] == [f"right line {i}" for i in range(8)]


def test_strip_markdown_and_latex():
    md = (
        "---\nlang: en\n---\n## Title\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n"
        "<!-- image -->\n**bold** \\_x"
    )
    assert ev.normalize(ev.strip_markdown(md)) == "Title a b 1 2 bold _x"
    tex = (
        "\\documentclass{article}\\begin{document}"
        "\\section{Intro} Some \\emph{text} % c\n\\end{document}"
    )
    assert ev.normalize(ev.strip_latex(tex)) == "Intro Some text"


def test_table_scores_tolerate_a_shift_but_not_a_wrong_cell():
    expected = [["a", "b"], ["1", "2"]]
    assert ev.table_scores(expected, [["title", ""], ["a", "b"], ["1", "2"]])["cell_acc"] == 1.0
    scores = ev.table_scores(expected, [["a", "b"], ["1", "3"]])
    assert scores["cell_acc"] == 0.75 and 0 < scores["cell_f1"] < 1


def test_crop_reference_finds_the_covered_span():
    ref = " ".join(f"w{i}" for i in range(1000))
    hyp = " ".join(f"w{i}" for i in range(400, 450))
    cropped = ev.crop_reference(hyp, ref, margin=0)
    assert cropped.startswith("w400") and len(cropped.split()) <= 64


def _corpus(tmp_path):
    (tmp_path / "a.txt").write_text("Hola, señor\n")
    (tmp_path / "t.csv").write_text("x,y\n1,2\n")
    header = [
        "local_path",
        "source_repo",
        "source_path",
        "commit",
        "license",
        "size_bytes",
        "kind",
        "lang",
        "description",
        "ground_truth",
        "gt_type",
        "password",
        "expected_behaviour",
        "open_check",
        "notes",
    ]
    rows = [
        [
            "a.pdf",
            "",
            "",
            "",
            "",
            "1",
            "digital_pdf",
            "es",
            "",
            "a.txt",
            "exact transcription",
            "",
            "",
            "",
            "",
        ],
        [
            "t.pdf",
            "",
            "",
            "",
            "",
            "1",
            "digital_pdf;table",
            "en",
            "",
            "t.csv",
            "expected table CSV",
            "",
            "",
            "",
            "",
        ],
        [
            "bad.pdf",
            "",
            "",
            "",
            "",
            "1",
            "bad_input;corrupt",
            "en",
            "",
            "",
            "",
            "",
            "clean error",
            "",
            "",
        ],
        ["nogt.pdf", "", "", "", "", "1", "digital_pdf", "en", "", "", "", "", "", "", ""],
    ]
    (tmp_path / "MANIFEST.tsv").write_text(
        "\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8"
    )
    for name in ("a.pdf", "t.pdf", "bad.pdf", "nogt.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.4\n")
    return tmp_path


def test_manifest_selection_skips_hostile_and_unscored(tmp_path):
    corpus = _corpus(tmp_path)
    chosen = ev.select(ev.read_manifest(corpus), corpus, None)
    assert [(c.path, r.quality) for c, r in chosen] == [("a.pdf", "exact"), ("t.pdf", "tables")]
    assert chosen[1][1].tables == [[["x", "y"], ["1", "2"]]]
    assert [c.path for c, _ in ev.select(ev.read_manifest(corpus), corpus, "t.*")] == ["t.pdf"]


def test_a_second_corpus_adds_its_documents_checks_and_new_rows(tmp_path):
    from bench.quality.checkrun import digital_pdfs, new_documents
    from bench.quality.corpus import combine

    (tmp_path / "main").mkdir()
    main = _corpus(tmp_path / "main")
    (main / "docs").mkdir()
    (main / "checks").mkdir()
    (main / "checks" / "checks.jsonl").write_text('{"id": "a_1"}\n')
    (main / "checks" / "README.md").write_text("| a.pdf | yes | en |\n| t.pdf |  | en |\n")
    (main / "checks" / "score_checks.py").write_text("# reference scorer\n")
    extra = tmp_path / "extra"
    (extra / "more" / "checks").mkdir(parents=True)
    (extra / "more" / "b.pdf").write_bytes(b"%PDF-1.4\n")
    (extra / "more" / "long.pdf").write_bytes(b"%PDF-1.4\n")
    header = (main / "MANIFEST.tsv").read_text().splitlines()[0]
    row = ["more/b.pdf", "", "", "", "", "1", "digital_pdf", "ja", "", "", "", "", "", "", ""]
    long_row = ["more/long.pdf", *row[1:6], "digital_pdf;long", *row[7:]]
    rows = ["\t".join(r) for r in (row, long_row)]
    (extra / "MANIFEST.tsv").write_text("\n".join([header, *rows]) + "\n")
    (extra / "checks").mkdir()
    (extra / "checks" / "checks.jsonl").write_text('{"id": "b_1"}\n{"id": "b_2"}\n')
    (extra / "checks" / "README.md").write_text("| document | new |\n| more/b.pdf | yes | ja |\n")

    both = combine([main, extra], tmp_path / "both")
    assert [c.path for c in ev.read_manifest(both)][-2:] == ["more/b.pdf", "more/long.pdf"]
    assert (both / "more" / "b.pdf").is_file() and (both / "a.pdf").is_file()
    ids = [
        json.loads(line)["id"]
        for line in (both / "checks" / "checks.jsonl").read_text().splitlines()
    ]
    assert ids == ["a_1", "b_1", "b_2"]
    assert new_documents(both) == {"a.pdf", "more/b.pdf"}
    assert (both / "checks" / "score_checks.py").read_text() == "# reference scorer\n"
    # A long document is for the speed benchmark, not the recall figure.
    assert "more/b.pdf" in digital_pdfs(both) and "more/long.pdf" not in digital_pdfs(both)
    assert combine([main], tmp_path / "unused") == main
    (extra / "docs").mkdir()
    with pytest.raises(ValueError, match="docs"):
        combine([main, extra], tmp_path / "both")


def _payload(text, tables=()):
    page = {
        "number": 1,
        "source": "text_layer",
        "status": "ok",
        "rotation": 0,
        "tables": list(tables),
        "markdown": text,
        "text": text,
    }
    return {
        "data": {"pages": [page], "text": text, "markdown": text},
        "metadata": {"status": "success", "timings_ms": {}},
    }


def test_score_report_and_deltas(tmp_path):
    corpus = _corpus(tmp_path)
    (case, ref), (tcase, tref) = ev.select(ev.read_manifest(corpus), corpus, None)
    table = {
        "n_rows": 2,
        "n_cols": 2,
        "cells": [
            {"row": 0, "col": 0, "text": "x"},
            {"row": 0, "col": 1, "text": "y"},
            {"row": 1, "col": 0, "text": "1"},
            {"row": 1, "col": 1, "text": "2"},
        ],
    }
    files = {
        "a.pdf": {**ev.score_case(case, ref, _payload("Hola, senor")), "category": "digital"},
        "t.pdf": {**ev.score_case(tcase, tref, _payload("x y", [table])), "category": "digital"},
    }
    assert files["a.pdf"]["cer"] == round(1 / 11, 4)
    assert files["t.pdf"]["table_acc"] == 1.0
    report = {
        "files": files,
        "summary": ev.summarize(files),
        "meta": {
            "command": "eval",
            "date": "today",
            "machine": "m",
            "revision": "r",
            "settings": "s",
            "seconds": 1.0,
            "only": None,
        },
    }
    md, js = tmp_path / "Q.md", tmp_path / "q.json"
    md.write_text(f"old\n{ev.NOTES_START}\nkeep me\n{ev.NOTES_END}\n")
    assert ev.write_report(report, md, js) == []
    assert "keep me" in md.read_text() and "| a.pdf | exact |" in md.read_text()
    better = json.loads(js.read_text())
    better["files"]["a.pdf"]["cer"] = 0.0
    assert ev.deltas(json.loads(js.read_text()), better) == ["a.pdf: cer 0.0909 -> 0.0000 (better)"]


# ------------------------------------------------------------ checks scorer


def _check(kind, **fields):
    return {"pdf": "d.pdf", "page": 1, "id": f"d_{kind}", "type": kind, "max_diffs": 0, **fields}


def _run(kind, content, **fields):
    return ck.run_check(_check(kind, **fields), content).passed


def test_normalize_text_is_olmocr_style():
    assert ck.normalize_text("**Bold**  and *it*\n<br>x <b>y</b>") == "Bold and it x y"
    assert (
        ck.normalize_text("a __b__ _c_ USER_NAME and USER_TYPE") == "a b c USER_NAME and USER_TYPE"
    )
    assert ck.normalize_text("“q” ‘s’ 737–9 a—b −1 ＿ µm") == "\"q\" 's' 737-9 a-b -1 _ μm"
    assert ck.normalize_text("Ca\u0301mara\u00a0x") == "Cámara x"
    # Only those folds: ligatures, guillemets and hyphens stay as they are.
    assert ck.normalize_text("ﬁ «x» Schwarz-Weiß") == "ﬁ «x» Schwarz-Weiß"


def test_present_and_absent():
    text = "The **quick** brown\nfox jumps. Página 1 de 9"
    assert _run("present", text, text="quick brown fox")
    assert not _run("present", text, text="Quick brown fox")
    assert _run("present", text, text="Quick brown fox", case_sensitive=False)
    assert not _run("present", text, text="brown fax")
    assert _run("present", text, text="brown fax", max_diffs=1)
    assert not _run("absent", text, text="Página 1 de 9")
    assert _run("absent", text, text="Página 2 de 9")
    assert _run("absent", "", text="anything")


def test_order():
    text = "Heading one. Body of one. Heading two. Body of two. Heading one."
    assert _run("order", text, before="Heading one", after="Body of one")
    assert _run("order", text, before="Body of two", after="Heading one")  # some pair in order
    assert not _run("order", text, before="Body of two", after="Body of one")
    assert not _run("order", text, before="missing", after="Body of one")


MD_TABLE = """Some text

| Year | Sales | Cost |
| --- | --- | --- |
| 2020 | 10 | 4 |
| 2021 | **12** | 5 |

After."""

HTML_TABLE = """<table><thead><tr><th></th><th colspan="2">TEDs</th></tr>
<tr><th>Lang</th><th>simple</th><th>all</th></tr></thead>
<tr><td rowspan="2">OTSL</td><td>0.965</td><td>0.955</td></tr>
<tr><td>0.857<br></td><td>0.843</td></tr></table>"""


def test_table_checks_on_markdown():
    assert _run("table", MD_TABLE, cell="12", up="10", down=None, left="2021", right="5")
    assert _run("table", MD_TABLE, cell="12", top_heading="Sales", left_heading="2021")
    assert not _run("table", MD_TABLE, cell="12", up="4")
    assert not _run("table", MD_TABLE, cell="13")
    assert not _run("table", "12 10 2021", cell="12")
    assert not _run("table", MD_TABLE, cell="Sales", top_heading="Sales")  # no walk above row 0
    # Every heading met on the walk counts; in markdown the first column is headings too.
    assert _run("table", MD_TABLE, cell="2021", top_heading="2020")
    assert _run("table", MD_TABLE, cell="2021", top_heading="Year")
    assert not _run("table", MD_TABLE, cell="12", top_heading="10")


def test_table_checks_on_html_with_spans():
    assert _run("table", HTML_TABLE, cell="0.965", top_heading="simple", left_heading="OTSL")
    assert _run("table", HTML_TABLE, cell="0.965", down="0.857", right="0.955")
    assert _run("table", HTML_TABLE, cell="0.857", left="OTSL", up="0.965")  # rowspan
    assert _run("table", HTML_TABLE, cell="simple", up="TEDs")  # colspan above
    assert _run("table", HTML_TABLE, cell="OTSL", right="0.857")  # a rowspan has two right
    assert not _run("table", HTML_TABLE, cell="0.965", left="Lang")
    (grid,) = tablegrid.tables_in(HTML_TABLE)
    assert [(c.text, c.row, c.col, c.heading) for c in grid.cells[:2]] == [
        ("", 0, 0, True),
        ("TEDs", 0, 1, True),
    ]


def test_baseline_and_math():
    assert _run("baseline", "Some text here.")
    assert not _run("baseline", "  .. \n")
    assert not _run("baseline", "Text " + "la la " * 20)  # 40 repeats of "la"
    assert _run("baseline", "Text " + "la " * 30)
    assert not _run("baseline", "Text 中文")
    assert _run("baseline", "1 a", max_length=2)
    assert not _run("baseline", "12 ab", max_length=3)
    assert ck.tail_repeats("x a b a b a b") == 3
    assert _run("math", r"We have $$ a^{2} + 8 = 12 $$ here", math="a^2 + 8 = 12")
    assert _run("math", r"inline \( \left( x \right) \, y \)", math="(x)y")
    assert not _run("math", "a^2 + 8 = 12", math="a^2 + 8 = 12")


def test_outputs_are_found_and_split_into_pages(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "doc.md").write_text("a\fb", encoding="utf-8")
    assert find_output(tmp_path, "x/doc.pdf") == tmp_path / "doc.md"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "doc.pdf.json").write_text(
        json.dumps({"data": {"markdown": "A B", "pages": [{"number": 2, "markdown": "B"}]}})
    )
    assert find_output(tmp_path, "x/doc.pdf") == tmp_path / "doc.md"  # .md names first
    out = read_output(tmp_path / "x" / "doc.pdf.json", None)
    assert (out.text, out.pages) == ("A B", {2: "B"})
    assert read_output(tmp_path / "doc.md", 2).pages == {1: "a", 2: "b"}
    assert read_output(tmp_path / "doc.md", 3).pages is None


def _pdf(path: Path, pages: int) -> None:
    path.write_bytes(build_pdf([TextPage([(72, 72, 12, f"Page {i}")]) for i in range(pages)]))


def test_score_outputs_skips_blank_page_checks_without_page_text(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    corpus.mkdir()
    out.mkdir()
    _pdf(corpus / "two.pdf", 2)
    _pdf(corpus / "one.pdf", 1)
    blank = {**_check("baseline", max_length=0), "pdf": "two.pdf", "page": 2, "id": "b2"}
    checks = [
        {**_check("present", text="Hello"), "pdf": "two.pdf", "id": "p"},
        blank,
        {**_check("absent", text="x"), "pdf": "gone.pdf", "id": "g"},
        {**_check("baseline", max_length=3), "pdf": "one.pdf", "id": "b1"},
    ]
    (out / "two.md").write_text("Hello world", encoding="utf-8")
    (out / "one.md").write_text("abc", encoding="utf-8")
    got = {r.id: (r.passed, r.skipped) for r in ck.score_outputs(out, checks, corpus)}
    assert got == {
        "p": (True, False),
        "b2": (False, True),
        "g": (False, False),
        "b1": (True, False),
    }
    (out / "two.md").write_text("Hello world\f", encoding="utf-8")
    got = {r.id: (r.passed, r.skipped) for r in ck.score_outputs(out, checks, corpus)}
    assert got["b2"] == (True, False)


# ------------------------------------------------- agreement with reference


def _synthetic_outputs(checks: list[dict], outdir: Path) -> None:
    """Outputs built from the checks: tables from their relations, every other check's text.

    Documents take turns: texts upper-cased, order pairs reversed, tables flattened to
    prose, as pipe tables or as ragged HTML tables, so both passing and failing
    results are compared.
    """
    by_doc: dict[str, list[dict]] = {}
    for c in checks:
        by_doc.setdefault(c["pdf"], []).append(c)
    for i, (pdf, cs) in enumerate(sorted(by_doc.items())):
        parts = []
        for c in cs:
            if c["type"] == "present":
                parts.append(c["text"] if i % 3 else c["text"].upper())
            elif c["type"] == "order":
                pair = [c["before"], c["after"]]
                parts.append("\n\n".join(pair if i % 2 else pair[::-1]))
            elif c["type"] == "table":
                up, left = c.get("up") or c.get("top_heading") or "h", c.get("left") or "l"
                row = f"| {left} | {c['cell']} | {c.get('right') or 'r'} |"
                table = (
                    f"| x | {up} | y |\n|---|---|---|\n{row}\n| z | {c.get('down') or 'd'} | w |"
                )
                html = (
                    f"<table><thead><tr><th>x</th><th>{up}</th></tr></thead>"
                    f"<tr><td>{left}</td><td>{c['cell']}</td><td>{c.get('right') or 'r'}</td></tr>"
                    f"<tr><td colspan=2>{c.get('down') or 'd'}</td></tr></table>"
                )
                parts.append([table.replace("|", " "), table, html][i % 3])
            elif c["type"] == "math":
                parts.append(f"$${c['math']}$$")
        (outdir / f"{Path(pdf).stem}.md").write_text("\n\n".join(parts), encoding="utf-8")


@pytest.mark.skipif(not (CORPUS / "checks" / "checks.jsonl").is_file(), reason="no corpus")
def test_scorer_agrees_with_the_reference_scorer(tmp_path):
    pytest.importorskip("rapidfuzz")
    pytest.importorskip("fuzzysearch")
    from bench.quality.agree import compare, reference_scorer
    from bench.quality.peers import raw_text

    reference = reference_scorer(CORPUS)
    assert not isinstance(reference, str), reference
    checks = ck.load_checks(CORPUS / "checks" / "checks.jsonl")
    raw, synthetic = tmp_path / "raw", tmp_path / "synthetic"
    raw.mkdir()
    synthetic.mkdir()
    for pdf in sorted({c["pdf"] for c in checks}):
        (raw / f"{Path(pdf).stem}.md").write_text(raw_text(CORPUS / pdf), encoding="utf-8")
    _synthetic_outputs(checks, synthetic)
    for outdir in (raw, synthetic):
        result = compare(outdir, checks, CORPUS, reference)
        assert result["disagreements"] == [], outdir.name
        assert result["agree"] == len(checks)
    passed = sum(r.passed for r in ck.score_outputs(raw, checks, CORPUS))
    # The checks README's raw pypdfium2 baseline: "| **overall** | 281 | **105/281 (37.4%)** |"
    readme = (CORPUS / "checks" / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"\| \*\*overall\*\* \| (\d+) \| \*\*(\d+)/(\d+)", readme)
    assert stated is not None
    assert (len(checks), passed) == (int(stated[1]), int(stated[2]))


# ------------------------------------------------------ recall and controls


def test_word_recall_and_control_characters(tmp_path):
    layer = "Ef\ufffe\r\nfects of the the USER_NAME 150."
    words = textlayer.output_words("**Effects** of *the* the\n\nUSER\\_NAME 150\\.")
    assert textlayer.word_recall(textlayer._joined(layer).split(), words) == (6, 6)
    assert textlayer.word_recall(["a", "a", "b"], ["a", "b", "c"]) == (2, 3)
    # a raised mark written as a superscript is the text layer's figure: no word lost
    raised = textlayer.output_words("annual reports² which, at 10⁻⁵")
    assert raised == ["annual", "reports2", "which,", "at", "10−5"]
    html = textlayer.output_words('<table>\n<tr><th colspan="2">Sl. No</th><td>Kota</td></tr>')
    assert html == ["Sl.", "No", "Kota"]
    assert textlayer.control_chars("a\x02b\tc\nd\x0c\r") == 3
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(build_pdf([TextPage([(72, 72, 12, "Señal pública del año")])]))
    assert textlayer.layer_words(pdf) == ["Señal", "pública", "del", "año"]
    payload = {"data": {"markdown": "Señal pública\x02 del", "text": "Señal\x02"}}
    figures = textlayer.document_figures(pdf, None, payload)
    assert figures["recall"] == 0.5 and figures["missing"] == ["pública", "año"]
    assert (figures["control_text"], figures["control_markdown"]) == (1, 1)


def test_recall_counts_chinese_and_japanese_a_character_a_word(tmp_path):
    """Lines of CJK text have no spaces and join without one: a line is no word."""
    layer = textlayer._split("風景やみんなと\r\nいっしょに text")
    output = textlayer.output_words("風景やみんなといっしょに text")
    assert textlayer.word_recall(layer, output) == (13, 13)
    assert textlayer.output_words("Plain words, no CJK.") == ["Plain", "words,", "no", "CJK."]
    lines = ["文档的版面分析是文字识别的第一步，", "也是最重要的一步。"]
    pdf = tmp_path / "zh.pdf"
    pdf.write_bytes(chinese_pdf(lines))
    figures = textlayer.document_figures(pdf, None, {"data": {"markdown": "".join(lines)}})
    assert (figures["recall"], figures["layer_words"]) == (1.0, 24)


def test_recall_counts_words_with_furniture_and_hyphenated_forms(tmp_path):
    layer = "self\x02publishing . . . . Total 12\n3"
    assert textlayer.alternatives(layer) == {"selfpublishing": "self-publishing"}
    words = [w for w in textlayer._joined(layer).split() if textlayer.is_word(w)]
    assert words == ["selfpublishing", "Total", "12", "3"]  # a leader's dots are no words
    assert textlayer.word_recall(
        words, ["self-publishing", "Total", "12"], textlayer.alternatives(layer)
    ) == (3, 4)
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(build_pdf([TextPage([(72, 72, 12, "Body text . . . . 7")])]))
    payload = {
        "data": {
            "markdown": "Body text",
            "pages": [
                {"blocks": [{"type": "page_footer", "text": "7"}, {"type": "line", "text": "x"}]}
            ],
        }
    }
    figures = textlayer.document_figures(pdf, None, payload)
    assert (figures["layer_words"], figures["recall"], figures["recall_markdown"]) == (
        3,
        1.0,
        0.6667,
    )


# ------------------------------------------------------------------ reports


def _checks_report() -> dict:
    results = [
        ck.CheckResult("a_present_01", "present", "a.pdf", True, False, "found"),
        ck.CheckResult("a_table_01", "table", "a.pdf", False, False, "no table in the output"),
        ck.CheckResult("b_baseline_01", "baseline", "b.pdf", False, True, "skipped"),
    ]
    info = {
        "status": "ok",
        "mode": "cpu",
        "seconds": {"a.pdf": 2.0, "b.pdf": 1.0},
        "pages": {"a.pdf": 3, "b.pdf": 1},
    }
    info.update(summarize_engine(results, info, ["a.pdf", "b.pdf"], {"b.pdf"}))
    return {
        "meta": {
            "command": "eval --checks",
            "date": "today",
            "machine": "m",
            "revision": "r",
            "seconds": 3.0,
            "outputs": "build/quality",
            "documents": 2,
            "checks": 3,
            "new_documents": ["b.pdf"],
        },
        "engines": {"docworker": info, "markitdown": {"status": "not installed (pip install x)"}},
        "agreement": {"status": "reference scorer needs fuzzysearch"},
        "failures": [{"id": "a_table_01", "why": "no table", "snippet": "x | y"}],
        "word_recall": {
            "documents": {
                "a.pdf": {
                    "layer_words": 4,
                    "found": 3,
                    "recall": 0.75,
                    "missing": ["año"],
                    "control_text": 1,
                    "control_markdown": 0,
                }
            },
            "kinds": {"a.pdf": ["digital_pdf"]},
        },
    }


def test_checks_summary_and_section():
    report_ = _checks_report()
    info = report_["engines"]["docworker"]
    assert info["overall"] == {"passed": 1, "total": 2, "skipped": 1}
    assert info["new"] == {"passed": 0, "total": 0, "skipped": 1}
    assert info["s_per_page"] == 0.75
    section = render_section(report_)
    assert section.startswith("## Checks (olmOCR-bench style)")
    assert "| present | 1 | 1/1 (100.0%) | not installed |" in section
    assert "| **overall** | 3 | 1/2 (50.0%), 1 skipped | not installed |" in section
    assert "| 1 older documents | 2 | 1/2 (50.0%) | not installed |" in section
    assert "recall over all of them: **75.0%** (3 of 4 words, 1 files)" in section
    assert "`a_table_01` (no table): x \\| y" in section


def test_checks_section_is_replaced_in_place_and_kept_by_cer_runs(tmp_path):
    md, js = tmp_path / "Q.md", tmp_path / "q.json"
    md.write_text(f"# Quality\n\ntables\n\n## Notes\n\n{ev.NOTES_START}\nmine\n{ev.NOTES_END}\n")
    report.replace_checks_section(md, "## Checks\n\nfirst")
    report.replace_checks_section(md, "## Checks\n\nsecond")
    text = md.read_text()
    assert text.count(report.CHECKS_START) == 1 and "second" in text and "first" not in text
    assert text.index("second") < text.index("## Notes")
    js.write_text(json.dumps({"checks": {"kept": True}, "files": {}}))
    cer_report = {
        "files": {},
        "summary": {"checks": {"passed": 0, "total": 0}},
        "meta": {
            "command": "eval",
            "date": "d",
            "machine": "m",
            "revision": "r",
            "settings": "s",
            "seconds": 1.0,
            "only": None,
        },
    }
    ev.write_report(cer_report, md, js)
    assert json.loads(js.read_text())["checks"] == {"kept": True}
    text = md.read_text()
    assert "second" in text and "mine" in text


# ---------------------------------------------------------------- CLI, peers


def test_a_missing_peer_is_reported_not_raised(monkeypatch, tmp_path):
    from bench.quality import checkrun, peers

    assert peers.unavailable("nope").startswith("unknown peer")
    monkeypatch.setattr(peers.importlib.util, "find_spec", lambda name: None)
    assert peers.unavailable("pymupdf4llm") == (
        "not installed (pip install pymupdf4llm==1.28.2 pymupdf-layout==1.28.2)"
    )
    info = checkrun.run_peer("markitdown", ["a.pdf"], tmp_path, tmp_path, 10, lambda s: None)
    assert info == {"status": "not installed (pip install markitdown[pdf]==0.1.9)"}


def test_eval_without_the_harness_says_what_to_install_in_one_line(monkeypatch, capsys):
    from docworker.__main__ import main

    monkeypatch.setitem(sys.modules, "bench.quality", None)
    assert main(["eval", "--corpus", "nowhere"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install -r bench/requirements.txt" in err
    monkeypatch.undo()
    monkeypatch.setattr(ev, "REQUIRED", {"no_such_module_xyz": "rapidfuzz"})
    assert main(["eval", "--corpus", "nowhere", "--checks"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "docworker eval needs rapidfuzz: pip install -r bench/requirements.txt"


def test_overlay_draws_blocks_and_tables(cpu_pipeline, tmp_path):
    from PIL import Image

    from docworker import overlay
    from docworker.__main__ import build_parser

    args = build_parser().parse_args(["overlay", "f.pdf", "--out", "o"])
    assert (args.pages, args.dpi) == ("1-3", 100)
    pdf = tmp_path / "tiny.pdf"
    lines = [(72, 72 + 16 * i, 12, f"Línea {i} del párrafo de prueba") for i in range(4)]
    pdf.write_bytes(build_pdf([TextPage(lines), TextPage([(72, 400, 20, "Segunda")])]))
    payload = cpu_pipeline.run({"document_path": str(pdf), "engine": "cpu", "pages": "1-2"})
    written = overlay.write_overlays(pdf, payload, tmp_path / "out", dpi=72)
    assert [p.name for p in written] == ["tiny-p1.png", "tiny-p2.png"]
    plain = overlay.render_page(pdf, 1, 72)
    drawn = Image.open(written[0]).convert("RGB")
    assert drawn.size == plain.size == (595, 842)
    block = next(b for b in payload["data"]["pages"][0]["blocks"] if b["type"] != "line")
    x0, y0, _, y1 = block["bbox"]
    edge = [drawn.getpixel((x, int((y0 + y1) / 2))) for x in range(int(x0) - 1, int(x0) + 3)]
    assert overlay.COLOURS[block["type"]] in edge  # the block's left edge, in its colour
    assert drawn.getpixel((5, 5)) == plain.getpixel((5, 5)) == (255, 255, 255)
    page = {
        "width": 100,
        "height": 100,
        "blocks": [],
        "tables": [{"bbox": [10, 10, 50, 50], "n_rows": 2, "n_cols": 2}],
    }
    small = overlay.draw_page(Image.new("RGB", (200, 200), "white"), page)
    assert small.getpixel((20, 60)) == overlay.TABLE  # table box scaled ×2


def test_an_equation_counts_in_its_plain_reading_not_its_latex():
    page = {
        "blocks": [
            {"type": "formula", "text": "R^{2} \\to R", "bbox": [100, 100, 200, 120]},
            {"type": "line", "text": "R 2 → R", "bbox": [101, 101, 199, 119]},
            {"type": "line", "text": "Outside", "bbox": [100, 300, 200, 320]},
        ]
    }
    payload = {"data": {"pages": [page], "markdown": "Text\n\n$$ R^{2} \\to R $$\n\nOutside"}}
    assert textlayer.formula_text(payload) == "R 2 → R"
    words = textlayer.output_words(payload["data"]["markdown"])
    assert words == ["Text", "Outside"]  # the LaTeX leaves the markdown's words


def test_table_cells_of_japanese_compare_without_a_line_breaks_space():
    expected = [["持分法の適用範囲\rの変動", "85"]]
    assert ev.table_scores(expected, [["持分法の適用範囲の変動", "85"]])["cell_acc"] == 1.0
    assert ev.table_scores([["Taxable\rincome", "1"]], [["Taxableincome", "1"]])["cell_acc"] == 0.5
