"""DOCX and PPTX through the pipeline: body order kept, tables whole, merged cells as spans.

The documents are generated here with python-docx and python-pptx (installed
with docstrange), so the tests need no corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from docworker import decode
from docworker.engines.office import OfficeTask, convert
from docworker.engines.office.build import MAX_TABLE_COLUMNS, escape

docx = pytest.importorskip("docx")
pptx = pytest.importorskip("pptx")

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())
MERGED = "Importe total del ejercicio"


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Resolución 7/2025", 1)
    document.add_paragraph("Primera parte, ¿señal? ¡Sí!")
    document.add_paragraph("Tabla 1: tasas por año", style="Caption")
    table = document.add_table(rows=30, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = MERGED  # a horizontal span
    table.cell(0, 2).text = "2025"
    for r in range(1, 30):
        table.cell(r, 0).text = f"fila {r}"
        table.cell(r, 1).text = str(r * 10)
    table.cell(1, 2).merge(table.cell(3, 2)).text = "tres filas"  # a vertical span
    nested = table.cell(4, 2).add_table(rows=1, cols=2)
    nested.cell(0, 0).text, nested.cell(0, 1).text = "anidada", "celda"
    document.add_paragraph("Después de la tabla.")
    document.add_paragraph("punto uno", style="List Bullet")
    document.add_paragraph("punto dos", style="List Bullet")
    document.add_paragraph("paso uno", style="List Number")
    document.add_paragraph("paso dos", style="List Number")
    document.add_heading("Anexo", 2)
    last = document.add_table(rows=2, cols=2)
    for r, row in enumerate([["Región", "Málaga"], ["Año", "2025"]]):
        for c, value in enumerate(row):
            last.cell(r, c).text = value
    document.save(path)
    return path


def test_docx_keeps_body_order_whole_tables_and_spans(cpu_pipeline, tmp_path):
    payload = cpu_pipeline.run({"document_path": str(make_docx(tmp_path / "acta.docx"))})
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    page = payload["data"]["pages"][0]
    assert [(b["type"], b["text"].split("\n")[0]) for b in page["blocks"]] == [
        ("heading", "Resolución 7/2025"),
        ("paragraph", "Primera parte, ¿señal? ¡Sí!"),
        ("caption", "Tabla 1: tasas por año"),
        ("table", f"{MERGED}\t\t2025"),
        ("paragraph", "Después de la tabla."),
        ("list_item", "• punto uno"),
        ("list_item", "• punto dos"),
        ("list_item", "1. paso uno"),
        ("list_item", "2. paso dos"),
        ("heading", "Anexo"),
        ("table", "Región\tMálaga"),
    ]
    first, second = page["tables"]
    assert (first["n_rows"], first["n_cols"]) == (30, 3)  # whole: no 20-row cut
    cells = {(c["row"], c["col"]): c for c in first["cells"]}
    assert (cells[(0, 0)]["text"], cells[(0, 0)]["col_span"], cells[(0, 0)]["row_span"]) == (
        MERGED,
        2,
        1,
    )
    assert (0, 1) not in cells  # covered by the span, not a copy of its text
    assert (cells[(1, 2)]["text"], cells[(1, 2)]["row_span"]) == ("tres filas", 3)
    assert (2, 2) not in cells and (3, 2) not in cells
    assert cells[(4, 2)]["text"] == "anidada celda"  # a nested table's text joins its cell
    assert cells[(29, 0)]["text"] == "fila 29"
    assert [c["header"] for c in first["cells"] if c["row"] == 0] == [True, True]
    assert '<th colspan="2">' in first["html"] and 'rowspan="3"' in first["html"]
    markdown = page["markdown"]
    assert markdown.count(MERGED) == 1 and markdown.count("tres filas") == 1
    assert page["text"].count(MERGED) == 1
    assert markdown.index("Tabla 1: tasas") < markdown.index(MERGED) < markdown.index("Después")
    assert "- punto uno\n- punto dos\n\n1. paso uno\n2. paso dos" in markdown
    assert "# Resolución 7/2025" in markdown and "## Anexo" in markdown
    assert [b["level"] for b in page["blocks"] if b["type"] == "heading"] == [1, 2]
    assert grid_row(second, 0) == ["Región", "Málaga"]
    assert not payload["metadata"]["warnings"]
    (model,) = payload["metadata"]["engine"]["models"]
    assert model["id"] == "docworker-docx" and model["runtime"].startswith("python-docx ")


def grid_row(table: dict, row: int) -> list[str]:
    out = [""] * table["n_cols"]
    for cell in table["cells"]:
        if cell["row"] == row:
            out[cell["col"]] = cell["text"]
    return out


def make_pptx(path: Path) -> Path:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = "Informe trimestral"
    table = slide.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(2)).table
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(0, 0).text = "Periodo"
    table.cell(0, 2).text = "Total"
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(1, 0).text = "2025"
    for r, (quarter, total) in enumerate([("T1", "10"), ("T2", "12")], start=1):
        table.cell(r, 1).text, table.cell(r, 2).text = quarter, total
    slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    slide.shapes.title.text = "Puntos"
    body = slide.placeholders[1].text_frame
    body.text = "Ingresos al alza"
    sub = body.add_paragraph()
    sub.text, sub.level = "sobre todo en Málaga", 1
    data = CategoryChartData()
    data.categories = ["T1", "T2"]
    data.add_series("Ventas", (10, 12))
    data.add_series("Costes", (7, 8))
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Gráfico"
    slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2), Inches(6), Inches(4), data
    )
    deck.save(path)
    return path


def test_pptx_reads_slides_in_order_with_tables_spans_and_charts(cpu_pipeline, tmp_path):
    payload = cpu_pipeline.run({"document_path": str(make_pptx(tmp_path / "informe.pptx"))})
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    page = payload["data"]["pages"][0]
    assert [(b["type"], b["text"].split("\n")[0]) for b in page["blocks"]] == [
        ("title", "Informe trimestral"),
        ("table", "Periodo\t\tTotal"),
        ("title", "Puntos"),
        ("list_item", "• Ingresos al alza"),
        ("list_item", "• sobre todo en Málaga"),
        ("title", "Gráfico"),
        ("table", "\tVentas\tCostes"),
    ]
    spans, chart = page["tables"]
    cells = {(c["row"], c["col"]): c for c in spans["cells"]}
    assert (cells[(0, 0)]["text"], cells[(0, 0)]["col_span"]) == ("Periodo", 2)
    assert (cells[(1, 0)]["text"], cells[(1, 0)]["row_span"]) == ("2025", 2)
    assert (0, 1) not in cells and (2, 0) not in cells
    assert [grid_row(chart, r) for r in range(3)] == [
        ["", "Ventas", "Costes"],
        ["T1", "10", "7"],
        ["T2", "12", "8"],
    ]
    markdown = page["markdown"]
    assert markdown.index("<!-- slide 1 -->") < markdown.index("# Informe trimestral")
    assert markdown.index("<!-- slide 2 -->") < markdown.index("# Puntos")
    assert "- Ingresos al alza\n   - sobre todo en Málaga" in markdown
    assert "slide" not in page["text"] and page["text"].count("2025") == 1
    (model,) = payload["metadata"]["engine"]["models"]
    assert model["id"] == "docworker-pptx"


def test_hostile_spans_are_clamped_and_caps_cut_at_a_piece(tmp_path):
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph("antes")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "ancha"
    for r in range(2):
        table.cell(r, 1).text = f"b{r}"
    # A billion-column span (set last: python-docx itself would expand it).
    tc_pr = table.cell(0, 0)._tc.get_or_add_tcPr()
    tc_pr.append(tc_pr.makeelement(qn("w:gridSpan"), {qn("w:val"): str(10**9)}))
    document.add_paragraph("después")
    path = tmp_path / "ancha.docx"
    document.save(path)
    task = OfficeTask(str(path), decode.DOCX, 10**9, 1000.0)
    page = convert(task)
    assert page.cut is None
    assert page.tables[0].n_cols == MAX_TABLE_COLUMNS
    assert [b.text for b in page.blocks if b.type == "paragraph"] == ["antes", "después"]
    capped = convert(OfficeTask(str(path), decode.DOCX, 10**9, 1000.0, max_cells=2))
    assert capped.tables == [] and "cut after 1 of its 3 parts" in (capped.cut or "")
    assert [b.text for b in capped.blocks] == ["antes"]


def test_markdown_escaping_reads_back_as_the_same_text():
    from docworker.engines.office.markdown import parse

    tricky = ["# no es título", "1. no es lista", "- tampoco", "a*b*c [x](y) `z` <b> | _u_ \\"]
    for text in tricky:
        assert parse(escape(text)).text == text, text
