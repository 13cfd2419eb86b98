"""GPU engine on CPU with tiny models; assembly, structured output, checks, docstrange."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from docworker import errors
from docworker.checks import gpu as gpu_checks
from docworker.checks import run_probe
from docworker.config import Settings
from docworker.contract import JobInput, PageResult
from docworker.engines.gpu import (
    GpuEngine,
    assemble_page,
    choose_engine_device,
    page_result,
    reading_order,
    split_elements,
)
from docworker.engines.office import docstrange as docstrange_local
from docworker.geometry import Line
from docworker.pages import RenderedPage
from docworker.service import engine_probes
from docworker.stages.layout import Region
from docworker.stages.structured import StructuredStage, extract_json
from docworker.stages.vlm import VlmResult


@pytest.fixture(scope="module")
def engine(tiny_model_dir):
    settings = Settings(
        model_dir=tiny_model_dir, device="cpu", vlm_max_new_tokens=8, vlm_batch_size=2
    )
    return GpuEngine.from_settings(settings)


def _job(**kwargs) -> JobInput:
    return JobInput(document_base64="JVBERi0=", filename="a.pdf", **kwargs)


def _page(number: int = 1, scale: float = 0.5, lines: list[Line] | None = None):
    image = Image.new("RGB", (160, 220), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "Información pública", fill="black")
    draw.rectangle((10, 60, 150, 120), outline="black")
    return RenderedPage(
        number=number,
        width=160 * scale,
        height=220 * scale,
        unit="pt",
        image=image,
        scale=scale,
        lines=lines or [],
    )


# ------------------------------------------------------------------- end to end


@pytest.mark.models
def test_engine_end_to_end_on_cpu(engine):
    assert engine.device == "cpu" and engine.dtype == "float32"
    warnings: list[str] = []
    pages = [_page(1, 0.5), _page(2, 2.0)]
    results = engine.process(pages, _job(), warnings)
    assert [r.number for r in results] == [1, 2]
    for page, result in zip(pages, results, strict=True):
        PageResult.model_validate(result.model_dump())
        assert result.status == "ok" and result.source == "vlm"
        assert (result.width, result.height, result.unit) == (page.width, page.height, "pt")
        assert result.markdown is not None and result.text is not None
        assert result.tables == [] or all(t.bbox for t in result.tables)
        for block in result.blocks:
            x0, y0, x1, y1 = block.bbox
            assert 0 <= x0 <= x1 <= page.width and 0 <= y0 <= y1 <= page.height
            assert block.source in ("vlm", "layout")
        assert set(result.timings_ms) == {"layout", "vlm", "assemble"}
    assert any("token limit" in w for w in warnings)  # 8 tokens cannot finish a page


@pytest.mark.models
def test_engine_honours_outputs_models_and_warmup(engine, tiny_model_dir):
    (result,) = engine.process([_page()], _job(outputs=["markdown", "blocks"]))
    assert result.text is None and result.tables is None
    assert result.markdown is not None and result.blocks is not None
    manifest = json.loads((tiny_model_dir / "MANIFEST.json").read_text())["models"]
    models = {m.role: m for m in engine.models()}
    assert models["layout"].id == manifest["layout"]["id"]
    assert models["vlm"].version == manifest["nanonets-ocr-s"]["revision"] == "tiny-test"
    assert {m.runtime for m in models.values()} == {"torch"}
    assert engine.warmup(max_new_tokens=4) > 0


@pytest.mark.models
def test_structured_output_fails_with_evidence_after_one_retry(engine):
    schema = {
        "type": "object",
        "properties": {"titulo": {"type": "string"}},
        "required": ["titulo"],
    }
    with pytest.raises(errors.SchemaValidationFailed) as caught:
        engine.structured([_page()], "# Información pública", schema)
    details = caught.value.details
    assert [d["attempt"] for d in details] == [1, 2]
    assert all(isinstance(d["raw_output"], str) and d["errors"] for d in details)
    assert caught.value.to_dict()["code"] == "schema_validation_failed"


def test_structured_retries_with_the_errors_and_returns_valid_json():
    prompts: list[str] = []
    replies = iter(['Aquí tiene: {"titulo": 3}', '```json\n{"titulo": "Año ñ"}\n```'])

    class FakeVlm:
        follows_instructions = True

        def run(self, requests, max_new_tokens=None):
            prompts.append(requests[0].prompt)
            return [VlmResult(page=0, text=next(replies))]

    schema = {"type": "object", "properties": {"titulo": {"type": "string"}}}
    value = StructuredStage(FakeVlm())([_page()], "# Año ñ", schema)
    assert value == {"titulo": "Año ñ"}
    assert len(prompts) == 2 and "# Año ñ" in prompts[0]
    assert "is not of type 'string'" in prompts[1] and '{"titulo": 3}' in prompts[1]


def test_structured_rejects_bad_schemas_and_ocr_only_models():
    class Vlm:
        follows_instructions = False

        class options:  # mimics VlmStage.options
            kind = "got-ocr2"

    with pytest.raises(errors.InvalidInput, match="not a valid JSON Schema"):
        StructuredStage(Vlm())([], "", {"type": "objeto"})
    with pytest.raises(errors.InvalidInput, match="JSON object"):
        StructuredStage(Vlm())([], "", {"type": "array"})
    with pytest.raises(errors.EngineUnavailable, match="nanonets"):
        StructuredStage(Vlm())([], "", {"type": "object"})


def test_extract_json_finds_the_object():
    assert extract_json('{"a": 1}') == {"a": 1}
    assert extract_json('Sure!\n```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}
    assert extract_json('El resultado es {"b": "¿sí?"} y nada más') == {"b": "¿sí?"}
    with pytest.raises(ValueError):
        extract_json("no hay json aquí")


# --------------------------------------------------------------------- assembly

VLM_OUTPUT = """Boletín Oficial

# Resolución de 3 de marzo

La tasa se aplica a **todas** las solicitudes.

- primer punto
- segundo punto

<table><tr><th>Concepto</th><th>Importe</th></tr><tr><td>Tasa</td><td>12,50 €</td></tr></table>

Tabla 1: importes vigentes

<page_number>7</page_number>"""


def _regions() -> list[Region]:
    return [
        Region("Page-footer", 0.9, (280, 800, 320, 815)),
        Region("Table", 0.95, (60, 300, 540, 380)),
        Region("Page-header", 0.9, (60, 20, 300, 40)),
        Region("Section-header", 0.9, (60, 80, 400, 100)),
        Region("Text", 0.9, (60, 120, 540, 160)),
        Region("List-item", 0.8, (70, 170, 540, 185)),
        Region("List-item", 0.8, (70, 190, 540, 205)),
        Region("Caption", 0.7, (60, 390, 300, 405)),
    ]


def _a4() -> RenderedPage:
    return RenderedPage(
        number=1,
        width=595,
        height=842,
        unit="pt",
        image=Image.new("RGB", (62, 88)),
        scale=9.6,
        lines=[Line("Boletín Oficial", (60, 22, 200, 38))],
    )


def test_split_elements_recognises_markdown_structure():
    kinds = [e.kind for e in split_elements(VLM_OUTPUT)]
    assert kinds == [
        "paragraph",
        "heading",
        "paragraph",
        "list_item",
        "list_item",
        "table",
        "paragraph",
        "page_number",
    ]
    pipe = split_elements("| a | b |\n| --- | --- |\n| 1 | 2 |\n\n$$x^2$$\n\n<img>logo</img>")
    assert [e.kind for e in pipe] == ["table", "formula", "picture"]
    assert pipe[0].table.n_rows == 2 and pipe[0].table.cells[3].text == "2"


def test_assembly_boxes_types_and_furniture():
    page = _a4()
    assembled = assemble_page(page, VLM_OUTPUT, _regions())
    types = [(b.type, b.text[:12]) for b in assembled.blocks]
    assert types == [
        ("page_header", "Boletín Ofic"),
        ("heading", "Resolución d"),
        ("paragraph", "La tasa se a"),
        ("list_item", "primer punto"),
        ("list_item", "segundo punt"),
        ("table", "Concepto | I"),
        ("caption", "Tabla 1: imp"),
        ("page_footer", "7"),
    ]
    boxes = {b.type: b.bbox for b in assembled.blocks}
    assert boxes["page_header"] == (60, 20, 300, 40) and boxes["page_footer"] == (
        280,
        800,
        320,
        815,
    )
    assert assembled.tables[0].bbox == (60, 300, 540, 380)
    assert assembled.tables[0].n_rows == 2
    # Furniture stays out of markdown and text; the table is a markdown table there.
    assert "Boletín Oficial" not in assembled.markdown and "7" not in assembled.text.split()
    assert assembled.markdown.startswith("# Resolución de 3 de marzo")
    assert "| Concepto | Importe |" in assembled.markdown
    assert all(b.source == "vlm" for b in assembled.blocks)


def test_unmatched_elements_get_the_gap_between_neighbours():
    page = _a4()
    regions = [Region("Text", 0.9, (60, 100, 540, 140)), Region("Text", 0.9, (60, 400, 540, 440))]
    assembled = assemble_page(
        page, "Primero.\n\n<watermark>BORRADOR</watermark>\n\nÚltimo.", regions
    )
    assert [b.type for b in assembled.blocks] == ["paragraph", "other", "paragraph"]
    assert (
        assembled.blocks[1].bbox == (60, 140, 540, 400) and assembled.blocks[1].confidence is None
    )
    assert "BORRADOR" not in assembled.markdown


def test_reading_order_two_columns_headers_first_footers_last():
    regions = [
        Region("Page-footer", 0.9, (50, 800, 100, 810)),
        Region("Text", 0.9, (320, 100, 550, 400)),  # right column
        Region("Text", 0.9, (50, 100, 280, 300)),  # left column, top
        Region("Title", 0.9, (50, 40, 550, 70)),  # spans both columns
        Region("Text", 0.9, (50, 320, 280, 400)),  # left column, bottom
        Region("Page-header", 0.9, (50, 10, 100, 20)),
    ]
    order = [r.bbox for r in reading_order(regions)]
    assert order == [
        (50, 10, 100, 20),
        (50, 40, 550, 70),
        (50, 100, 280, 300),
        (50, 320, 280, 400),
        (320, 100, 550, 400),
        (50, 800, 100, 810),
    ]


def test_looping_page_falls_back_to_text_layer_with_a_warning():
    page = _a4()
    warnings: list[str] = []
    looped = VlmResult(page=1, text="la la la", tokens=300, looped=True)
    result = page_result(page, [], looped, ["text", "markdown", "blocks"], 1.0, None, warnings)
    assert result.source == "text_layer" and result.text == "Boletín Oficial"
    assert result.blocks[0].type == "line" and result.blocks[0].source == "text_layer"
    assert warnings and "repetition loop" in warnings[0]
    failed = VlmResult(page=1, error=errors.EngineFailed("page 1: out of GPU memory"))
    bad = page_result(page, [], failed, ["text"], 1.0, None, warnings)
    assert bad.status == "failed" and bad.error.code == "engine_failed" and bad.error.page == 1


# ------------------------------------------------------------- availability and checks


def test_unavailable_reasons_are_fast_and_clear(tmp_path, tiny_model_dir):
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(errors.EngineUnavailable, match="CUDA is not available"):
            GpuEngine.from_settings(Settings(model_dir=tiny_model_dir, device="cuda"))
        with pytest.raises(errors.EngineUnavailable, match="DOCWORKER_DEVICE=cpu"):
            choose_engine_device("auto")
    with pytest.raises(errors.EngineUnavailable, match=r"MANIFEST\.json missing"):
        GpuEngine.from_settings(Settings(model_dir=tmp_path, device="cpu"))


@pytest.mark.models
def test_check_weights_sizes_always_sha256_on_request(tmp_path, tiny_model_dir):
    ok = gpu_checks.check_weights(tiny_model_dir, ["layout", "nanonets-ocr-s", "got-ocr2"])
    assert [(r.name, r.ok) for r in ok] == [("layout", True), ("vlm", True), ("vlm", True)]
    assert ok[0].data["sha256_verified"] is False and "size only" in ok[0].detail

    copy = tmp_path / "models"
    shutil.copytree(tiny_model_dir, copy)
    config = copy / "layout" / "config.json"
    config.write_bytes(config.read_bytes().replace(b'"Caption"', b'"Captio!"'))  # same size
    (result,) = gpu_checks.check_weights(copy, ["layout"])
    assert result.ok  # a size check cannot see it...
    (result,) = gpu_checks.check_weights(copy, ["layout"], verify_sha256=True)
    assert not result.ok and "config.json sha256" in result.detail  # ...a hash can
    for shard in (copy / "nanonets-ocr-s").glob("model-*.safetensors"):
        shard.write_bytes(b"")
    (result,) = gpu_checks.check_weights(copy, ["nanonets-ocr-s"])
    assert not result.ok and "model-00001-of-00002.safetensors is 0 bytes" in result.detail
    assert "*.safetensors missing or empty" in result.detail
    (copy / "MANIFEST.json").unlink()
    (result,) = gpu_checks.check_weights(copy, ["got-ocr2"])
    assert not result.ok and "MANIFEST.json missing" in result.detail
    with pytest.raises(errors.EngineUnavailable, match="weights not usable"):
        GpuEngine.from_settings(Settings(model_dir=copy, device="cpu"))


def test_check_cuda_reports_a_one_line_result():
    result = gpu_checks.check_cuda()
    assert result.name == "gpu" and "\n" not in result.detail
    if not result.ok:
        assert result.detail.startswith("CUDA not available")


# -------------------------------------------------------------------- docstrange


def test_docstrange_without_cuda_constructs_no_extractor(monkeypatch):
    import docstrange

    def forbidden(*args, **kwargs):
        raise AssertionError("DocumentExtractor must not be constructed without CUDA")

    monkeypatch.setattr(docstrange, "DocumentExtractor", forbidden)
    monkeypatch.setattr(docstrange_local, "_cuda_available", lambda: False)
    ok, detail = docstrange_local.check_local_mode()
    # Without CUDA the GPU extractor is not used here; the Office processors are.
    assert ok and "GPU extractor: not used on this machine" in detail and "cloud" in detail
    assert "local Office processors available (DOCX, PPTX, XLSX, HTML)" in detail
    result = run_probe("docstrange", engine_probes()["docstrange"])
    assert result.name == "docstrange" and result.ok


def test_docstrange_check_fails_when_its_office_processors_do_not_import(monkeypatch):
    import importlib

    real = importlib.import_module

    def broken(name, *args, **kwargs):
        if name == "docstrange.processors.pptx_processor":
            raise ImportError("no pptx", name="pptx")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(docstrange_local.importlib, "import_module", broken)
    monkeypatch.setattr(docstrange_local, "_cuda_available", lambda: False)
    ok, detail = docstrange_local.check_local_mode()
    assert not ok and "do not import (pptx)" in detail


def test_docstrange_cache_files_cover_the_builder_links():
    from docworker import weights

    assert set(docstrange_local.CACHE_FILES) == set(weights.DOCSTRANGE_LINKS)


def test_docstrange_with_cuda_but_no_cache_refuses_before_constructing(monkeypatch, tmp_path):
    import docstrange

    monkeypatch.setattr(docstrange, "DocumentExtractor", None)  # would fail if called
    monkeypatch.setattr(docstrange_local, "_cuda_available", lambda: True)
    ok, detail = docstrange_local.check_local_mode(cache_dir=tmp_path)
    assert not ok and "model cache incomplete" in detail and "download" in detail


def test_docstrange_extractor_must_be_local(monkeypatch, tmp_path):
    import docstrange
    from docstrange.processors import CloudProcessor, DOCXProcessor, GPUProcessor

    for rel, patterns in docstrange_local.CACHE_FILES.items():
        for pattern in patterns:
            (tmp_path / rel).mkdir(parents=True, exist_ok=True)
            (tmp_path / rel / pattern.replace("*", "x")).write_bytes(b"w")
    easy = tmp_path / "easyocr"
    easy.mkdir()
    for name in docstrange_local.EASYOCR_FILES:
        (easy / name).write_bytes(b"w")
    monkeypatch.setattr(docstrange_local, "easyocr_model_dir", lambda: easy)
    monkeypatch.setattr(docstrange_local, "_easyocr_md5_problem", lambda folder: None)
    monkeypatch.setattr(docstrange_local, "_cuda_available", lambda: True)
    calls = []

    class Extractor:
        def __init__(self, gpu=False, cloud=False):
            calls.append(gpu)
            self.cloud_mode = not gpu or cloud
            gpu_processor = GPUProcessor()
            gpu_processor._get_ocr_service = lambda: None  # docstrange loads Nanonets here
            self.processors = [CloudProcessor() if cloud else DOCXProcessor(), gpu_processor]

        def get_processing_mode(self):
            return "cloud" if self.cloud_mode else "gpu_forced"

    monkeypatch.setattr(docstrange, "DocumentExtractor", Extractor)
    ok, detail = docstrange_local.check_local_mode(cache_dir=tmp_path)
    assert ok and "cloud_mode=False" in detail and calls == [True]
    # The check's instance is the process's: asking again builds nothing.
    assert docstrange_local.local_extractor(tmp_path).cloud_mode is False and calls == [True]
    with pytest.raises(errors.EngineUnavailable, match="cloud mode"):
        docstrange_local.verify_local(Extractor(gpu=True, cloud=True))


def _office_files(tmp_path: Path) -> dict[str, Path]:
    import docx
    import openpyxl
    import pptx

    document = docx.Document()
    document.add_heading("Título de la resolución", 1)
    document.add_paragraph("¿Señal? ¡Sí! Año 2025.")
    document.save(tmp_path / "doc.bin")  # no .docx suffix on purpose
    book = openpyxl.Workbook()
    book.active.title = "Tasas"
    book.active.append(["Concepto", "Importe"])
    book.active.append(["Señal", 12.5])
    book.save(tmp_path / "book.xlsx")
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Diapositiva año"
    slide.placeholders[1].text = "punto ñ"
    deck.save(tmp_path / "deck.pptx")
    (tmp_path / "page.html").write_text(
        "<html><body><h1>Hola ñ</h1><p>texto</p></body></html>", encoding="utf-8"
    )
    return {
        "doc": tmp_path / "doc.bin",
        "xlsx": tmp_path / "book.xlsx",
        "pptx": tmp_path / "deck.pptx",
        "html": tmp_path / "page.html",
    }


def test_office_to_markdown_uses_local_processors_only(tmp_path, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("office conversion opened a socket")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    files = _office_files(tmp_path)
    ooxml = "application/vnd.openxmlformats-officedocument."
    md = docstrange_local.office_to_markdown
    assert "# Título de la resolución" in md(files["doc"], ooxml + "wordprocessingml.document")
    assert "¿Señal? ¡Sí!" in md(files["doc"], ooxml + "wordprocessingml.document")
    assert "| Señal | 12.5 |" in md(files["xlsx"], ooxml + "spreadsheetml.sheet")
    assert "punto ñ" in md(files["pptx"], ooxml + "presentationml.presentation")
    assert "# Hola ñ" in md(files["html"], "text/html")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(errors.CorruptDocument):
        md(broken, ooxml + "wordprocessingml.document")
    with pytest.raises(errors.UnsupportedType):
        md(files["html"], "application/pdf")


def test_reading_order_keeps_columns_whose_breaks_line_up():
    left = [Region("Text", 0.9, (50, 100, 280, 200)), Region("Text", 0.9, (50, 220, 280, 300))]
    right = [Region("Text", 0.9, (320, 100, 550, 200)), Region("Text", 0.9, (320, 220, 550, 300))]
    order = reading_order([right[1], left[1], right[0], left[0]])
    assert order == [*left, *right]
