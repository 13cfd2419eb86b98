"""XLSX and HTML merged cells through the pipeline and the CLI: one cell with spans, text once.

The workbook is generated with openpyxl (merged ranges) and the page written
here with ``rowspan``/``colspan``, so the tests need no corpus. The caps and
hostile spans go through ``engines.office.convert``, the page-process entry
the pipeline calls.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from docworker import decode
from docworker.engines.office import OfficeTask, convert
from docworker.engines.office.build import MAX_TABLE_COLUMNS

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())
ACROSS = "Ejercicio presupuestario 2025"  # merged over two columns
DOWN = "Tasas municipales de Málaga"  # merged over two rows


def make_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cuentas"
    sheet["A1"], sheet["B1"], sheet["D1"] = "Concepto", ACROSS, "Nota"
    sheet.merge_cells("B1:C1")
    sheet["A2"], sheet["B2"], sheet["C2"], sheet["D2"] = DOWN, 10, 12.5, "¿señal?"
    sheet.merge_cells("A2:A3")
    sheet["B3"], sheet["C3"] = 3.0, dt.datetime(2025, 3, 1)
    sheet["A6"], sheet["B6"] = "Total", 25.5  # a blank row apart: a second table
    book.create_sheet("Vacía")
    other = book.create_sheet("Otra")
    other["B2"] = "sola"
    other.merge_cells("D4:F6")  # a merged range with no text shows nothing
    book.save(path)
    return path


PAGE = """<!DOCTYPE html><html><head><title>no es contenido</title>
<style>td {{ color: red }}</style><script>var x = "{down}";</script></head><body>
<h1>Informe   anual</h1>
<p>Antes de la <b>tabla</b>,<br>con dos líneas.</p>
<table><caption>Tabla 1: tasas</caption>
<thead><tr><th rowspan="2">Región</th><th colspan="2">{across}</th></tr>
<tr><th>2024</th><th>2025</th></tr></thead>
<tbody><tr><td rowspan="2">{down}</td><td>10</td><td>12</td></tr>
<tr><td colspan="2">sin cambios</td></tr>
<tr><td>Norte</td><td>1</td></tr></tbody></table>
<p>Después de la tabla.</p>
<ul><li>uno<ul><li>uno punto uno</li></ul></li><li>dos</li></ul>
<ol start="3"><li>tres<li>cuatro</ol>
<pre>  sangría
    kept</pre>
</body></html>
"""


def make_html(path: Path) -> Path:
    path.write_text(PAGE.format(across=ACROSS, down=DOWN), encoding="utf-8")
    return path


def with_merge(path: Path, ref: str) -> None:
    """Add a ``<mergeCell>`` to the first sheet's XML as written."""
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    merge = f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>", "</sheetData>" + merge
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def cells_of(table: dict) -> dict[tuple[int, int], dict]:
    return {(c["row"], c["col"]): c for c in table["cells"]}


def test_xlsx_merged_ranges_are_spans_with_their_text_once(cpu_pipeline, tmp_path):
    payload = cpu_pipeline.run({"document_path": str(make_xlsx(tmp_path / "cuentas.xlsx"))})
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    page = payload["data"]["pages"][0]
    first, total, other = page["tables"]
    assert (first["n_rows"], first["n_cols"]) == (3, 4)
    cells = cells_of(first)
    assert (cells[(0, 1)]["text"], cells[(0, 1)]["col_span"], cells[(0, 1)]["row_span"]) == (
        ACROSS,
        2,
        1,
    )
    assert (cells[(1, 0)]["text"], cells[(1, 0)]["row_span"], cells[(1, 0)]["col_span"]) == (
        DOWN,
        2,
        1,
    )
    assert (0, 2) not in cells and (2, 0) not in cells  # covered, not copies
    assert [c["text"] for c in first["cells"]].count(ACROSS) == 1
    assert [c["header"] for c in first["cells"] if c["row"] == 0] == [True] * 3
    assert not any(c["header"] for c in first["cells"] if c["row"] > 0)
    assert [cells[(1, c)]["text"] for c in (1, 2, 3)] == ["10", "12.5", "¿señal?"]
    assert [cells[(2, c)]["text"] for c in (1, 2, 3)] == ["3", "2025-03-01", ""]
    assert '<th colspan="2">' in first["html"] and '<td rowspan="2">' in first["html"]
    assert [c["text"] for c in total["cells"]] == ["Total", "25.5"]
    assert [c["text"] for c in other["cells"]] == ["sola"]
    markdown, text = page["markdown"], page["text"]
    for merged in (ACROSS, DOWN):
        assert markdown.count(merged) == 1 and text.count(merged) == 1
    assert f"| Concepto | {ACROSS} |  | Nota |\n| --- | --- | --- | --- |" in markdown
    assert f"| {DOWN} | 10 | 12.5 | ¿señal? |\n|  | 3 | 2025-03-01 |  |" in markdown
    assert markdown.startswith("## Sheet: Cuentas\n\n") and "Vacía" not in markdown
    assert [(b["type"], b["text"].split("\n")[0]) for b in page["blocks"]] == [
        ("heading", "Sheet: Cuentas"),
        ("table", f"Concepto\t{ACROSS}\t\tNota"),
        ("table", "Total\t25.5"),
        ("heading", "Sheet: Otra"),
        ("table", "sola"),
    ]
    assert payload["metadata"]["status"] == "success"
    (model,) = payload["metadata"]["engine"]["models"]
    assert model["id"] == "docworker-xlsx" and model["runtime"].startswith("openpyxl ")


def test_html_rowspan_colspan_are_spans_in_document_order(cpu_pipeline, tmp_path):
    payload = cpu_pipeline.run({"document_path": str(make_html(tmp_path / "informe.html"))})
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    page = payload["data"]["pages"][0]
    (table,) = page["tables"]
    assert (table["n_rows"], table["n_cols"]) == (5, 3)
    cells = cells_of(table)
    assert (cells[(0, 0)]["text"], cells[(0, 0)]["row_span"]) == ("Región", 2)
    assert (cells[(0, 1)]["text"], cells[(0, 1)]["col_span"]) == (ACROSS, 2)
    assert [cells[(1, c)]["text"] for c in (1, 2)] == ["2024", "2025"]  # placed past the span
    assert (cells[(2, 0)]["text"], cells[(2, 0)]["row_span"]) == (DOWN, 2)
    assert (cells[(3, 1)]["text"], cells[(3, 1)]["col_span"]) == ("sin cambios", 2)
    assert [cells[(4, c)]["text"] for c in range(3)] == ["Norte", "1", ""]  # a short row filled
    assert (1, 0) not in cells and (0, 2) not in cells and (3, 0) not in cells
    assert [r for (r, _), c in cells.items() if c["header"]] == [0, 0, 1, 1]  # thead
    assert '<th rowspan="2">Región</th><th colspan="2">' in table["html"]
    markdown, text = page["markdown"], page["text"]
    for merged in (ACROSS, DOWN):
        assert markdown.count(merged) == 1 and text.count(merged) == 1  # not the script's
    assert "| Región | Ejercicio presupuestario 2025 |  |\n| --- | --- | --- |" in markdown
    assert "no es contenido" not in text and "color" not in text
    assert [(b["type"], b["text"].split("\n")[0]) for b in page["blocks"]] == [
        ("heading", "Informe anual"),
        ("paragraph", "Antes de la tabla,"),
        ("caption", "Tabla 1: tasas"),
        ("table", f"Región\t{ACROSS}"),
        ("paragraph", "Después de la tabla."),
        ("list_item", "• uno"),
        ("list_item", "• uno punto uno"),
        ("list_item", "• dos"),
        ("list_item", "3. tres"),
        ("list_item", "4. cuatro"),
        ("code", "  sangría"),
    ]
    assert "Antes de la tabla,\ncon dos líneas." in text
    assert "- uno\n   - uno punto uno\n- dos" in markdown and "3. tres\n4. cuatro" in markdown
    assert "```\n  sangría\n    kept\n```" in markdown
    (model,) = payload["metadata"]["engine"]["models"]
    assert model["id"] == "docworker-html" and model["runtime"].startswith("lxml ")


def test_the_cli_writes_merged_text_once(tmp_path):
    xlsx = make_xlsx(tmp_path / "cuentas.xlsx")
    html = make_html(tmp_path / "informe.html")
    out = tmp_path / "out"
    cli_out = ["--out", str(out), "--format", "both"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCWORKER_", "RUNPOD_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "docworker", "extract", str(xlsx), str(html), *cli_out],
        cwd=ROOT,
        env={**env, "DOCWORKER_WORKERS": "1", "DOCWORKER_DEFAULT_ENGINE": "cpu"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("cuentas", "informe"):
        markdown = (out / f"{name}.md").read_text(encoding="utf-8")
        assert markdown.count(ACROSS) == 1 and markdown.count(DOWN) == 1, name
        suffix = ".xlsx" if name == "cuentas" else ".html"
        payload = json.loads((out / f"{name}{suffix}.json").read_text(encoding="utf-8"))
        spans = [
            (c["text"], c["row_span"], c["col_span"])
            for t in payload["data"]["pages"][0]["tables"]
            for c in t["cells"]
            if c["text"] in (ACROSS, DOWN)
        ]
        assert sorted(spans) == [(ACROSS, 1, 2), (DOWN, 2, 1)], name


def test_tables_are_cut_at_a_row_by_the_caps(tmp_path):
    rows = "".join(f"<tr><td>fila {r}</td><td colspan='2'>valor {r}</td></tr>" for r in range(50))
    path = tmp_path / "larga.html"
    path.write_text(f"<html><body><p>antes</p><table>{rows}</table><p>después</p></body></html>")
    whole = convert(OfficeTask(str(path), decode.HTML, 10**9, 1000.0))
    assert whole.cut is None and whole.tables[0].n_rows == 50
    capped = convert(OfficeTask(str(path), decode.HTML, 10**9, 1000.0, max_cells=21))
    (table,) = capped.tables
    assert (table.n_rows, len(table.cells)) == (10, 20)  # two cells a row: ten rows fit
    assert "first 10 of 50 rows" in (capped.cut or "")
    assert [b.text for b in capped.blocks if b.type == "paragraph"] == ["antes"]
    assert capped.markdown.count("\n") == 12  # "antes", blank, header, rule, nine rows
    book = openpyxl.Workbook()
    for r in range(1, 41):
        book.active.cell(r, 1, f"fila {r}")
        book.active.cell(r, 2, "x" * 100)
    book.save(tmp_path / "larga.xlsx")
    task = OfficeTask(str(tmp_path / "larga.xlsx"), decode.XLSX, 10**9, 1000.0, max_chars=2000)
    capped = convert(task)
    (table,) = capped.tables
    assert 0 < table.n_rows < 40 and len(capped.markdown) <= 2000
    assert f"first {table.n_rows} of 40 rows" in (capped.cut or "")


def test_hostile_spans_and_stray_cells_stay_bounded(tmp_path):
    path = tmp_path / "ancha.html"
    path.write_text(
        "<table><tr><td colspan='1000000000' rowspan='1000000000'>ancha</td><td>b</td></tr>"
        "<tr><td>c</td></tr></table>"
    )
    page = convert(OfficeTask(str(path), decode.HTML, 10**9, 1000.0))
    (table,) = page.tables
    assert (table.n_rows, table.n_cols) == (2, MAX_TABLE_COLUMNS)
    assert (table.cells[0].row_span, table.cells[0].col_span) == (2, MAX_TABLE_COLUMNS)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"] = "uno", "dos"
    sheet["XFD1048576"] = "lejos"  # past column 1000: left out with a note
    book.save(tmp_path / "lejos.xlsx")
    # A merge over the whole sheet (openpyxl itself would fill 17 billion positions).
    with_merge(tmp_path / "lejos.xlsx", "A1:XFD1048576")
    page = convert(OfficeTask(str(tmp_path / "lejos.xlsx"), decode.XLSX, 10**9, 1000.0))
    (table,) = page.tables
    assert [(c.text, c.row_span, c.col_span) for c in table.cells] == [("uno", 1, 2)]
    assert "dos" not in page.markdown and page.cut is None
    assert any("past column 1000" in note for note in page.notes)


def test_html_in_a_declared_legacy_charset(cpu_pipeline, tmp_path):
    path = tmp_path / "latin.html"
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Año ¿señal?</p></body></html>'
    path.write_bytes(page.encode("latin-1"))
    payload = cpu_pipeline.run({"document_path": str(path)})
    assert payload["data"]["text"] == "Año ¿señal?"
