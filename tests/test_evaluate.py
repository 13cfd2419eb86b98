"""The evaluation harness's metrics, reference loading and report writing (no OCR)."""

from __future__ import annotations

import json

from docworker import evaluate as ev


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
