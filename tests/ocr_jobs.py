"""Jobs through a real pipeline set to one OCR engine (the Tesseract and tiny-engine tests),
a scan in a script the OCR engines lack, and a count of what a RapidOCR recognizer is
given."""

from __future__ import annotations

import pytest


def engine_pipeline(ocr_engine: str):
    """A one-process CPU pipeline whose OCR engine comes from DOCWORKER_OCR_ENGINE (the
    setting as a deployment gives it), for a module fixture to yield and close."""
    from docworker.config import Settings
    from docworker.pipeline import Pipeline

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCWORKER_OCR_ENGINE", ocr_engine)
        settings = Settings(default_engine="cpu", workers=1)
    assert settings.ocr_engine == ocr_engine
    return Pipeline.build(settings, load_gpu=False)


def korean_scan(folder):
    """The corpus's Korean PDF's first page rendered at 150 dpi as a PNG in ``folder``: a
    real page in a script neither bundled OCR engine reads."""
    from pathlib import Path

    import pypdfium2 as pdfium

    root = Path(__file__).resolve().parents[1]
    pdf = pdfium.PdfDocument(root / "corpus" / "unstructured-io" / "korean-text-with-tables.pdf")
    try:
        scan = folder / "korean.png"
        pdf[0].render(scale=150 / 72).to_pil().convert("RGB").save(scan)
    finally:
        pdf.close()
    return scan


def run_scan_job(pipeline, folder, lines: list[str], job_id: str) -> dict:
    """``lines`` as a scanned one-page PDF (tests.pdfgen) through ``pipeline``; the payload,
    checked to have succeeded."""
    from tests.pdfgen import ImagePage, build_pdf, scan_jpeg

    path = folder / "escaneo.pdf"
    path.write_bytes(build_pdf([ImagePage(jpeg=scan_jpeg(lines), pixel_size=(1240, 700))]))
    payload = pipeline.run({"document_path": str(path)}, job_id=job_id)
    assert payload["metadata"]["status"] == "success", payload["metadata"]["errors"]
    return payload


def _recorded(monkeypatch, engine, measure) -> list:
    """A list that each call of ``engine.recognize_txt`` (a RapidOCR) appends
    ``measure(line images)`` to, the real recognizer still reading them."""
    real = engine.recognize_txt
    calls: list = []

    def recorded(crops):
        calls.append(measure(crops))
        return real(crops)

    monkeypatch.setattr(engine, "recognize_txt", recorded)
    return calls


def count_batches(monkeypatch, engine) -> list[int]:
    """Each call of ``engine.recognize_txt``: its number of line images."""
    return _recorded(monkeypatch, engine, len)


def image_widths(monkeypatch, engine) -> list[list[int]]:
    """Each call of ``engine.recognize_txt``: its line images' widths, in pixels."""
    return _recorded(monkeypatch, engine, lambda crops: [crop.shape[1] for crop in crops])


def read_spied(monkeypatch, stage, lines: list[str], size: tuple[int, int], font_size: int, spy):
    """``lines`` drawn (``tests.pdfgen.text_image``) and read by the default RapidOCR
    ``stage`` with ``spy`` (``count_batches``, ``image_widths``) on its first (tiny)
    recognizer and on its small one: ``(read lines, first's record, small's record)``."""
    from tests.pdfgen import text_image

    first = spy(monkeypatch, stage._first)
    again = spy(monkeypatch, stage._engine)
    image = text_image(lines, size=size, font_size=font_size).convert("RGB")
    return stage.read(image, 1.0), first, again
