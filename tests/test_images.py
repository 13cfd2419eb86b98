"""Figures and page images (job option ``images``) through the CLI, the handler and the bucket.

The PDFs are written here byte by byte (``tests.pdfgen.pdf_from_objects``):
a text page with a JPEG figure drawn directly or inside a form XObject, an
8-pixel icon that is no figure, and a page-sized background under its text.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import jsonschema
import pytest
from PIL import Image, ImageDraw

from docworker.contract import SCHEMA_VERSION, PageResult
from docworker.images import ImageBudget
from docworker.results import ResultStore
from docworker.service import Worker
from tests.pdfgen import pdf_from_objects
from tests.servers import build_settings

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
W, H = 595, 842
#: The figure's box in top-left page points: 300 x 200 pt at (100, 200).
FIGURE = (100.0, 200.0, 400.0, 400.0)
BEFORE = "El texto antes de la figura explica el año y la canción."
AFTER = "El texto después de la figura sigue aquí con más palabras."


def _jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).rectangle(
        (size[0] // 4, size[1] // 4, 3 * size[0] // 4, 3 * size[1] // 4), fill=(20, 20, 200)
    )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _image_object(jpeg: bytes, size: tuple[int, int]) -> bytes:
    return (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
        b" /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
        % (size[0], size[1], len(jpeg))
        + jpeg
        + b"\nendstream"
    )


def _text(x: float, y: float, size: float, text: str) -> bytes:
    raw = text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"BT /F1 %.2f Tf 1 0 0 1 %.2f %.2f Tm (%s) Tj ET" % (size, x, H - y, raw)


def figure_pdf(
    pages: int = 1, *, figures: int = 1, in_form: bool = False, background: bool = False
) -> bytes:
    """Text pages, each with ``figures`` JPEG figures (the first at ``FIGURE``) and an icon.

    ``in_form``: the figure is drawn by a form XObject (its matrix places it).
    ``background``: a page-sized image lies under the text instead of the figures.
    """
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        4: _image_object(_jpeg((240, 160), (230, 60, 40)), (240, 160)),
        5: _image_object(_jpeg((8, 8), (0, 0, 0)), (8, 8)),
    }
    form = b"q 300 0 0 200 0 0 cm /Im1 Do Q"
    objects[6] = (
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 200] /Matrix [1 0 0 1 100 %d]"
        b" /Resources << /XObject << /Im1 4 0 R >> >> /Length %d >>\nstream\n"
        % (H - 400, len(form))
        + form
        + b"\nendstream"
    )
    kids = []
    number = 7
    for _ in range(pages):
        ops = []
        if background:
            ops.append(b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % (W, H))
        ops += [
            _text(72, 80, 16, "Informe anual de señales"),
            _text(72, 120, 11, BEFORE),
            _text(72, 480, 11, "Figura 1: Un rectángulo azul sobre rojo."),
            _text(72, 520, 11, AFTER),
        ]
        if not background:
            ops.append(b"/Fm1 Do" if in_form else b"q 300 0 0 200 100 %d cm /Im1 Do Q" % (H - 400))
            for k in range(1, figures):  # more figures, lower down the page
                ops.append(b"q 200 0 0 120 100 %d cm /Im1 Do Q" % (H - 560 - 130 * k))
            ops.append(b"q 12 0 0 12 500 800 cm /Im2 Do Q")  # an 8-pixel icon: no figure
        stream = b"\n".join(ops)
        objects[number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R >>"
            b" /XObject << /Im1 4 0 R /Im2 5 0 R /Fm1 6 0 R >> >> >>" % (W, H, number + 1)
        )
        objects[number + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        kids.append(number)
        number += 2
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    return pdf_from_objects(objects)


def png(data: bytes) -> Image.Image:
    assert data.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image


def job(pdf: bytes, **options) -> dict:
    encoded = base64.b64encode(pdf).decode()
    return {"document_base64": encoded, "filename": "informe.pdf", "engine": "cpu", **options}


def handle(worker: Worker, job_input: dict, job_id: str = "img-1") -> dict:
    return asyncio.run(worker.handler({"id": job_id, "input": job_input}))


def near(a, b, tol: float = 0.5) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


# ------------------------------------------------------------------ the CLI


def test_cli_writes_markdown_with_its_figures_beside_it(tmp_path):
    source = tmp_path / "paper.pdf"
    source.write_bytes(figure_pdf(pages=2))
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCWORKER_")}
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "docworker", "extract", str(source), "--format", "both"),
            *("--images", "figures", "--out", str(out), "--no-progress"),
        ],
        cwd=ROOT,
        env={**env, "DOCWORKER_WORKERS": "1", "DOCWORKER_DEFAULT_ENGINE": "cpu"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    markdown = (out / "paper.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", markdown)
    assert links == [
        ("Figure 1, page 1", "paper_images/page-001-figure-01.png"),
        ("Figure 1, page 2", "paper_images/page-002-figure-01.png"),
    ]
    # Each figure stands where it is on the page: after the text above it, before its caption.
    first = markdown.index(links[0][1])
    assert markdown.index(BEFORE) < first < markdown.index("Figura 1:") < markdown.index(AFTER)
    payload = json.loads((out / "paper.pdf.json").read_text(encoding="utf-8"))
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    for _, target in links:
        written = (out / target).read_bytes()  # relative to the markdown file
        image = png(written)
        assert image.size == (600, 400)  # 300 x 200 pt at the default 144 dpi
        assert image.getpixel((5, 5))[0] > 200 and image.getpixel((300, 200))[2] > 180
        name = Path(target).name
        (entry,) = [
            im for page in payload["data"]["pages"] for im in page["images"] if im["name"] == name
        ]
        assert base64.b64decode(entry["data"]) == written  # the JSON keeps the same PNG inline
    assert sorted(p.name for p in (out / "paper_images").iterdir()) == [
        "page-001-figure-01.png",
        "page-002-figure-01.png",
    ]


# -------------------------------------------------------------- the handler


def test_handler_returns_figures_and_pages_inline_with_boxes(cpu_pipeline):
    worker = Worker(build_settings(), cpu_pipeline, progress_sink=lambda j, p: None)
    payload = handle(worker, job(figure_pdf(), images="both", images_dpi=72))
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    assert payload["metadata"]["schema_version"] == SCHEMA_VERSION == "1.2.0"
    assert payload["metadata"]["status"] == "success" and payload["metadata"]["warnings"] == []
    (page,) = payload["data"]["pages"]
    figure, whole = page["images"]
    assert (figure["kind"], figure["name"], figure["page"]) == (
        "figure",
        "page-001-figure-01.png",
        1,
    )
    assert near(figure["bbox"], FIGURE)
    assert (figure["width"], figure["height"]) == (300, 200)  # 72 dpi: one pixel a point
    image = png(base64.b64decode(figure["data"]))
    assert image.size == (300, 200) and figure["bytes"] == len(base64.b64decode(figure["data"]))
    assert figure["url"] is None and figure["mime"] == "image/png"
    assert (whole["kind"], whole["name"]) == ("page", "page-001.png")
    assert whole["bbox"] == [0.0, 0.0, W, H] and (whole["width"], whole["height"]) == (W, H)
    assert png(base64.b64decode(whole["data"])).size == (W, H)
    # One picture block (the 8-pixel icon is none), named after its image, in reading order.
    blocks = [b for b in page["blocks"] if b["type"] != "line"]
    pictures = [b for b in blocks if b["type"] == "picture"]
    assert len(pictures) == 1 and near(pictures[0]["bbox"], FIGURE)
    assert pictures[0]["text"] == "page-001-figure-01.png"
    texts = [b["text"] for b in blocks]
    assert texts.index(BEFORE) < texts.index("page-001-figure-01.png") < texts.index(AFTER)
    assert "![Figure 1, page 1](page-001-figure-01.png)" in payload["data"]["markdown"]


def test_no_images_by_default_but_picture_blocks_all_the_same(cpu_pipeline):
    worker = Worker(build_settings(), cpu_pipeline, progress_sink=lambda j, p: None)
    payload = handle(worker, job(figure_pdf(in_form=True)))
    (page,) = payload["data"]["pages"]
    assert page["images"] is None and "![" not in payload["data"]["markdown"]
    (picture,) = [b for b in page["blocks"] if b["type"] == "picture"]
    assert near(picture["bbox"], FIGURE) and picture["text"] == ""  # placed by the form's matrix
    assert "picture" not in page["timings_ms"] and "images" not in page["timings_ms"]


@pytest.mark.parametrize(("ocr", "source"), [("never", "text_layer"), ("always", "ocr")])
def test_a_background_under_the_text_is_no_figure(cpu_pipeline, ocr, source):
    worker = Worker(build_settings(), cpu_pipeline, progress_sink=lambda j, p: None)
    payload = handle(worker, job(figure_pdf(background=True), images="figures", ocr=ocr))
    (page,) = payload["data"]["pages"]
    assert page["source"] == source and BEFORE.split()[0] in page["text"]
    assert page["images"] == []
    assert not [b for b in page["blocks"] if b["type"] == "picture"]


def test_budgets_leave_images_out_with_a_warning_not_a_failure(cpu_pipeline):
    settings = build_settings(max_images_per_page=1, max_image_bytes_per_job=4000)
    worker = Worker(settings, cpu_pipeline.with_settings(settings), lambda j, p: None)
    payload = handle(worker, job(figure_pdf(pages=2, figures=2), images="figures", images_dpi=72))
    assert payload["metadata"]["status"] == "success"
    first, second = payload["data"]["pages"]
    # Page 1: two figures found, one exported (the per-page cap); page 2: past the job's bytes.
    assert [im["name"] for im in first["images"]] == ["page-001-figure-01.png"]
    assert [b["text"] for b in first["blocks"] if b["type"] == "picture"] == [
        "page-001-figure-01.png",
        "",
    ]
    assert second["images"] == [] and "![" not in second["markdown"]
    assert all(b["text"] == "" for b in second["blocks"] if b["type"] == "picture")
    warnings = " ".join(payload["metadata"]["warnings"])
    assert "DOCWORKER_MAX_IMAGES_PER_PAGE (1)" in warnings and "page(s) 1, 2" in warnings
    assert "1 image(s) left out" in warnings and "DOCWORKER_MAX_IMAGE_BYTES_PER_JOB" in warnings


def test_an_image_document_returns_its_page_as_png(cpu_pipeline, tiny_png):
    worker = Worker(build_settings(), cpu_pipeline, progress_sink=lambda j, p: None)
    encoded = base64.b64encode(tiny_png).decode()
    job_input = {"document_base64": encoded, "filename": "p.png", "ocr": "never", "images": "both"}
    (page,) = handle(worker, job_input)["data"]["pages"]
    (whole,) = page["images"]  # an image has no figures
    assert (whole["kind"], whole["bbox"], whole["width"], whole["height"]) == (
        "page",
        [0.0, 0.0, 16.0, 8.0],
        16,
        8,
    )
    assert png(base64.b64decode(whole["data"])).getpixel((3, 3)) == (200, 30, 30)


def test_images_options_are_validated(cpu_pipeline):
    worker = Worker(build_settings(), cpu_pipeline, progress_sink=lambda j, p: None)
    for bad in ({"images": "all"}, {"images": "figures", "images_dpi": 1000}):
        error = json.loads(handle(worker, job(figure_pdf(), **bad))["error"])
        assert error["code"] == "invalid_input"


# ------------------------------------------------------------- the bucket


def test_images_over_the_inline_cap_go_to_the_result_bucket(cpu_pipeline, moto_s3):
    settings = build_settings(
        bucket_endpoint_url=moto_s3.endpoint_url,
        bucket_access_key_id="bucket-key-id",
        bucket_secret_access_key="bucket-secret-key",
        bucket_name=moto_s3.bucket,
        max_inline_image_bytes=10_000,
    )
    store = ResultStore.from_settings(settings)
    worker = Worker(settings, cpu_pipeline, lambda j, p: None, result_store=store)
    payload = handle(worker, job(figure_pdf(), images="both", images_dpi=72), job_id="img-9")
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    figure, whole = payload["data"]["pages"][0]["images"]
    assert figure["bytes"] <= 10_000 and figure["data"] and figure["url"] is None
    assert whole["bytes"] > 10_000 and whole["data"] is None
    assert whole["url"].startswith(moto_s3.endpoint_url)
    with urllib.request.urlopen(whole["url"], timeout=10) as response:
        assert response.headers["Content-Type"] == "image/png"
        body = response.read()
    assert len(body) == whole["bytes"] and png(body).size == (W, H)
    keys = [o["Key"] for o in moto_s3.client.list_objects_v2(Bucket=moto_s3.bucket)["Contents"]]
    assert len(keys) == 1 and re.fullmatch(
        r"results/[\d-]+/img-9-[0-9a-f]{12}/page-001\.png", keys[0]
    )


# ------------------------------------------------------------------ the docs


def test_readme_documents_the_option_and_the_current_schema_version():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f'"schema_version": "{SCHEMA_VERSION}"' in readme
    assert "| `images` |" in readme and "| `images_dpi` |" in readme
    assert "--images figures" in readme


CORPUS_PDFS = ROOT.parent / "shared" / "corpus" / "docling" / "pdf"


@pytest.mark.skipif(not CORPUS_PDFS.is_dir(), reason="the shared corpus is absent")
@pytest.mark.parametrize(
    ("name", "figures"),
    [
        ("amt_handbook_sample.pdf", 1),
        ("picture_classification.pdf", 2),
        ("invisible_text_layer.pdf", 0),
    ],
)
def test_real_pdfs_give_their_figures(cpu_pipeline, name, figures):
    """Real figures come back as valid PNGs inside their pages; a scan under its text does not."""
    path = CORPUS_PDFS / name
    if not path.is_file():
        pytest.skip(f"{name} is absent")
    worker = Worker(build_settings(), cpu_pipeline, progress_sink=lambda j, p: None)
    job_input = {"document_path": str(path), "pages": "1-2", "images": "figures", "images_dpi": 72}
    payload = handle(worker, job_input)
    found = 0
    for page in payload["data"]["pages"]:
        for image in page["images"]:
            x0, y0, x1, y1 = image["bbox"]
            assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]
            assert png(base64.b64decode(image["data"])).size == (image["width"], image["height"])
            found += 1
    assert found == figures


def test_a_page_without_its_asked_images_is_named_in_a_warning():
    budget = ImageBudget("pages", max_bytes=1000, max_per_page=4)
    page = PageResult(
        number=3, width=10, height=10, unit="pt", source="text_layer", status="ok", images=[]
    )
    budget.admit(page)
    budget.admit(PageResult(number=4, width=0, height=0, unit="pt", source="none", status="failed"))
    assert budget.warnings() == ["images could not be made on page(s) 3; the text is complete"]
