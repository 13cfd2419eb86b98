"""Running heads and feet found by repetition across pages (``stages.running``)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from docworker.contract import Block, PageResult
from docworker.stages import running
from tests.pdfgen import TextPage, build_pdf

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())

HEAD = "Boletín Oficial de La Rioja, número 12"


def _foot(n: int, pages: int) -> str:
    return f"Página {n} de {pages}. Gobierno de La Rioja, Secretaría General Técnica"


def _page_spec(n: int, pages: int, head: str = HEAD) -> TextPage:
    """A running head and foot set close to the body: the per-page rule keeps them as
    paragraphs (they are not set apart by two line heights)."""
    lines = [(72.0, 40.0, 9.0, head)]
    lines += [
        (72.0, 62.0 + 14 * i, 10.0, f"Línea {i} del cuerpo del texto en la página {n}.")
        for i in range(50)
    ]
    lines.append((72.0, 768.0, 9.0, _foot(n, pages)))
    return TextPage(lines=lines)


@pytest.fixture(scope="module")
def bulletin(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "boletin.pdf"
    path.write_bytes(build_pdf([_page_spec(n, 4) for n in range(1, 5)]))
    return path


def _kinds(page: dict) -> dict[str, str]:
    return {b["text"]: b["type"] for b in page["blocks"] if b["type"] != "line"}


def test_repeated_head_and_foot_become_furniture_across_pages(cpu_pipeline, bulletin):
    payload = cpu_pipeline.run({"document_path": str(bulletin)}, job_id="t")
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    pages = payload["data"]["pages"]
    assert len(pages) == 4
    for n, page in enumerate(pages, start=1):
        kinds = _kinds(page)
        assert kinds[HEAD] == "page_header"
        assert kinds[_foot(n, 4)] == "page_footer"
        assert HEAD not in page["markdown"] and "Página" not in page["markdown"]
        assert f"Línea 0 del cuerpo del texto en la página {n}." in page["markdown"]
        assert HEAD in page["text"]  # text keeps furniture, as on a single page
    assert HEAD not in payload["data"]["markdown"]


def test_one_page_alone_keeps_them_as_body(cpu_pipeline, bulletin):
    """The same page in a one-page job: no repetition, so the per-page verdict stands."""
    payload = cpu_pipeline.run({"document_path": str(bulletin), "pages": "2"}, job_id="t")
    page = payload["data"]["pages"][0]
    assert _kinds(page)[HEAD] == "paragraph"
    assert HEAD in page["markdown"]


def test_markdown_only_job_still_drops_them(cpu_pipeline, bulletin):
    """Blocks are dropped as each page arrives; the candidates were taken before."""
    payload = cpu_pipeline.run(
        {"document_path": str(bulletin), "outputs": ["markdown"]}, job_id="t"
    )
    for page in payload["data"]["pages"]:
        assert page["blocks"] is None
        assert HEAD not in page["markdown"]


def _page(blocks: list[tuple[str, str, float]], markdown: str | None = None) -> PageResult:
    built = []
    for kind, text, y in blocks:
        built.append(Block(type=kind, text=text, bbox=(72, y, 300, y + 9), source="text_layer"))
        built.append(Block(type="line", text=text, bbox=(72, y, 300, y + 9), source="text_layer"))
    body = [t for k, t, _ in blocks if k == "paragraph"]
    return PageResult(
        number=1,
        width=595,
        height=842,
        unit="pt",
        source="text_layer",
        status="ok",
        text="\n\n".join(t for _, t, _ in blocks),
        markdown="\n\n".join(body) if markdown is None else markdown,
        blocks=built,
        tables=[],
    )


def test_digits_fold_but_words_must_match_and_sit_at_the_same_height():
    pages = [
        _page([("paragraph", f"Informe anual {2020 + n}", 40), ("paragraph", "Cuerpo", 400)])
        for n in range(3)
    ]
    pages.append(_page([("paragraph", "Informe anual 2030", 300), ("paragraph", "Cuerpo", 400)]))
    pages.append(_page([("paragraph", "Otro título", 40), ("paragraph", "Cuerpo", 400)]))
    found = [c for i, p in enumerate(pages) for c in running.candidates(i, p)]
    assert running.mark(pages, found) == 3
    for page in pages[:3]:
        assert page.blocks[0].type == "page_header"
        assert page.markdown == "Cuerpo"
    # Page 4 holds the same words in the body (not in the band): no candidate at all.
    assert pages[3].blocks[0].type == "paragraph"
    assert pages[4].blocks[0].type == "paragraph"
    assert pages[4].markdown == "Otro título\n\nCuerpo"


def test_needs_enough_pages():
    """Two pages of ten sharing a head line is a coincidence, not a running head."""
    heads = ["Capítulo 1", "Capítulo 2"] + [f"Sección {w}" for w in "abcdefgh"]
    pages = [_page([("paragraph", head, 40), ("paragraph", "x", 400)]) for head in heads]
    found = [c for i, p in enumerate(pages) for c in running.candidates(i, p)]
    assert len(found) == 10
    assert running.mark(pages, found) == 0
    # The same two pages alone are a whole document: there, they repeat.
    assert running.mark(pages[:2], found[:2]) == 2


def test_markdown_that_does_not_match_the_blocks_is_left_alone():
    pages = [
        _page([("paragraph", "Acta de la sesión", 40), ("paragraph", "Cuerpo", 400)], "otro")
        for _ in range(3)
    ]
    found = [c for i, p in enumerate(pages) for c in running.candidates(i, p)]
    assert running.mark(pages, found) == 3
    assert all(p.blocks[0].type == "page_header" and p.markdown == "otro" for p in pages)


def test_a_head_set_lower_counts_when_nothing_lies_above_it():
    """A LaTeX article on A4 sets its running head 15% down the page (fr_olap.pdf: y 115
    to 124 of 842), below the band where any short paragraph is a candidate. There the
    page's topmost paragraph still is one; a title of two lines, or a paragraph under
    another block (a clause repeated under each heading of a form), is not."""
    head = "Résumés et interrogations de logs de requêtes OLAP"
    pages = [_page([("paragraph", head, 115), ("paragraph", f"Cuerpo {n}", 400)]) for n in range(4)]
    found = [c for i, p in enumerate(pages) for c in running.candidates(i, p)]
    assert running.mark(pages, found) == 4
    assert all(p.blocks[0].type == "page_header" for p in pages)
    assert [p.markdown for p in pages] == [f"Cuerpo {n}" for n in range(4)]

    clause = "This clause is provided for demonstration purposes only."
    under = [
        _page([("heading", name, 90), ("paragraph", clause, 115), ("paragraph", "x", 400)])
        for name in ("Scope", "Terms", "Notices")
    ]
    titled = [_page([("heading", head, 115), ("paragraph", "x", 400)]) for _ in range(3)]
    for page in titled:  # the title's second line
        page.blocks.insert(
            2, Block(type="line", text="y", bbox=(72, 124, 300, 133), source="text_layer")
        )
    # A page of one line (its only text, 12.4% down) is no running head, however alike.
    alone = [_page([("paragraph", f"Página {n}: señal pública", 95)]) for n in range(4)]
    for pages in (under, titled, alone):
        found = [c for i, p in enumerate(pages) for c in running.candidates(i, p)]
        assert running.mark(pages, found) == 0


def test_a_bold_head_of_one_line_set_low_in_a_large_page_box():
    """The US Code of Federal Regulations prints each page in a larger page box: its
    running heads ("Drug Enforcement Administration, Justice" on odd pages, "§ 1308.01
    21 CFR Ch. II (4-1-00 Edition)" on even ones), set bold and so typed headings, sit 20%
    down a page of 792 points (tika's testPDF_bad_page_303226.pdf)."""
    odd, even = "Drug Enforcement Administration, Justice", "§ 1308.{} 21 CFR Ch. II"
    pages = [
        _page([("heading", odd if n % 2 else even.format(n), 159), ("paragraph", "x", 400)])
        for n in range(6)
    ]
    for page in pages[1::2]:  # the section number at the right, a hair higher
        page.blocks.append(
            Block(
                type="page_header",
                text="§ 1308.11",
                bbox=(440, 158.9, 480, 167.7),
                source="text_layer",
            )
        )
    found = [c for i, p in enumerate(pages) for c in running.candidates(i, p)]
    assert running.mark(pages, found) == 6
    assert all(p.blocks[0].type == "page_header" for p in pages)
    assert [p.markdown for p in pages] == ["x"] * 6
