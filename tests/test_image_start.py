"""A simulated start of the GPU image: the gate passes with every baked file, fails without any one.

The model folder is baked by ``builder/fetch_models.py`` itself (tiny real layout
and VLM checkpoints; placeholder TableFormer and EasyOCR files), docstrange's
cache and EasyOCR's folder are linked the way the image links them, and the
settings are the Dockerfile's (``DOCWORKER_REQUIRE=torch,gpu,layout,vlm,docstrange``).
Two things are simulated because this machine has no GPU: CUDA is reported
present, and docstrange's ``DocumentExtractor`` (which needs CUDA to construct)
is a stand-in whose construction is counted. The models themselves run on the
CPU (``DOCWORKER_DEVICE=cpu``).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import ClassVar

import pytest
from builder import fetch_models

from docworker import weights
from docworker.checks import CheckResult, startup
from docworker.checks import gpu as gpu_checks
from docworker.config import Settings
from docworker.engines.office import docstrange as docstrange_local
from docworker.isolation import netguard
from tests.pdfgen import ImagePage, build_pdf, scan_jpeg
from tests.test_dockerfile_sync import DOCKERFILE, _stage_env, replay

pytestmark = pytest.mark.models

PLACEHOLDERS = {
    "tableformer": {"tm_config.json": b'{"model": {}}', "tableformer_accurate.safetensors": b"tf"},
    "easyocr": {"craft_mlt_25k.pth": b"craft weights", "english_g2.pth": b"english weights"},
}


@pytest.fixture(scope="module")
def image(tmp_path_factory, tiny_model_dir) -> dict[str, Path]:
    """``/models`` and ``/root`` of a built image, on local disk."""
    root = tmp_path_factory.mktemp("image")
    mirror = root / "mirror"
    for name in ("layout", "nanonets-ocr-s", "got-ocr2"):
        shutil.copytree(tiny_model_dir / name, mirror / name)
    for name, files in PLACEHOLDERS.items():
        (mirror / name).mkdir(parents=True)
        for filename, body in files.items():
            (mirror / name / filename).write_bytes(body)
    models, home = root / "models", root / "home"
    fetch_models.fetch(list(fetch_models.MODELS), str(mirror), models)
    fetch_models.link_docstrange_cache(
        models,
        home / ".cache" / "docstrange" / "models",
        easyocr_dir=home / ".EasyOCR" / "model",
    )
    return {"models": models, "home": home}


class FakeExtractor:
    """``DocumentExtractor(gpu=True)`` as docstrange 1.1.8 builds it, minus CUDA and models."""

    built: ClassVar[list[FakeExtractor]] = []

    def __init__(self, gpu: bool = False, **kwargs):
        from docstrange.processors import DOCXProcessor, GPUProcessor

        assert gpu is True, "only the local GPU mode may ever be constructed"
        self.gpu = gpu
        self.cloud_mode = not gpu
        self.loaded: list[str] = []
        self.read: list[str] = []
        processor = GPUProcessor()
        processor._get_ocr_service = lambda: self.loaded.append("nanonets")
        self.processors = [DOCXProcessor(), processor]
        FakeExtractor.built.append(self)

    def get_processing_mode(self) -> str:
        return "gpu_forced" if self.gpu else "cloud"

    def extract(self, path: str):
        self.read.append(path)

        class Result:
            def extract_markdown(self) -> str:
                return "# Resolución\n\nTexto de la página: año, ¿señal?"

        return Result()


@pytest.fixture
def started(image, monkeypatch):
    """Environment of the image at start: HOME, links, CUDA reported, Dockerfile settings."""
    import docstrange
    from easyocr import config

    monkeypatch.setenv("HOME", str(image["home"]))
    monkeypatch.setattr(config, "MODULE_PATH", str(image["home"] / ".EasyOCR"))
    # The placeholder EasyOCR files stand in for the real ones, MD5 sums included.
    for model, filename in (
        (config.detection_models["craft"], "craft_mlt_25k.pth"),
        (config.recognition_models["gen2"]["english_g2"], "english_g2.pth"),
    ):
        body = PLACEHOLDERS["easyocr"][filename]
        monkeypatch.setitem(model, "md5sum", hashlib.md5(body, usedforsecurity=False).hexdigest())
    monkeypatch.setattr(docstrange_local, "_cuda_available", lambda: True)
    monkeypatch.setattr(
        gpu_checks,
        "check_cuda",
        lambda: CheckResult("gpu", True, "NVIDIA H200 (simulated), CUDA 13.0"),
    )
    monkeypatch.setattr(docstrange, "DocumentExtractor", FakeExtractor)
    FakeExtractor.built.clear()
    docstrange_local.forget_local_extractor()
    for key, value in netguard.OFFLINE_ENV.items():
        monkeypatch.setenv(key, value)
    steps = replay.plan(replay.parse_dockerfile(DOCKERFILE.read_text()))
    env = {k: v for k, v in _stage_env(steps, "runtime").items() if k.startswith("DOCWORKER_")}
    for key in list(Settings.model_fields):
        monkeypatch.delenv(f"DOCWORKER_{key.upper()}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DOCWORKER_MODEL_DIR", str(image["models"]))
    monkeypatch.setenv("DOCWORKER_DEVICE", "cpu")  # no GPU here: the same models on the CPU
    yield Settings(workers=1, vlm_max_new_tokens=8, vlm_batch_size=2)
    docstrange_local.forget_local_extractor()


def test_the_image_starts_and_docstrange_is_built_once_for_check_and_jobs(
    started, image, monkeypatch, tmp_path
):
    from docworker import service

    assert started.require == ["torch", "gpu", "layout", "vlm", "docstrange"]
    monkeypatch.setattr(service, "setup_logging", lambda level: None)
    worker = service.build_worker(started)
    assert worker is not None, "the gate refused a complete image"
    try:
        engines = worker.pipeline.engines
        assert {"cpu", "gpu", "docstrange"} <= set(engines)
        (extractor,) = FakeExtractor.built  # built once: by the check, used by the engine
        assert engines["docstrange"].extractor is extractor
        assert extractor.cloud_mode is False and extractor.loaded == ["nanonets"]
        pdf = tmp_path / "scan.pdf"
        pdf.write_bytes(
            build_pdf([ImagePage(jpeg=scan_jpeg(["Resolución"]), pixel_size=(620, 877))])
        )
        payload = worker.pipeline.run({"document_path": str(pdf), "engine": "docstrange"})
        meta = payload["metadata"]
        assert meta["engine"]["name"] == "docstrange"
        assert meta["engine"]["models"][0]["runtime"].startswith("docstrange 1.1.8")
        (page,) = payload["data"]["pages"]
        assert page["status"] == "ok" and "Texto de la página: año, ¿señal?" in page["text"]
        assert len(extractor.read) == 1 and len(FakeExtractor.built) == 1
    finally:
        worker.pipeline.close()


def _baked_files(models: Path) -> list[str]:
    manifest = weights.read_manifest(models)
    return sorted(f"{name}/{rel}" for name, entry in manifest.items() for rel in entry.files)


def test_removing_any_one_baked_file_fails_the_gate_naming_it(started, image, tmp_path):
    from docworker.service import engine_probes

    report = startup.run_checks(started, engine_probes())
    assert report.ok, report.reason()
    files = _baked_files(image["models"])
    assert len(files) >= 20 and any(f.startswith("easyocr/") for f in files)
    for rel in files:
        path = image["models"] / rel
        aside = tmp_path / "aside"
        shutil.move(path, aside)
        docstrange_local.forget_local_extractor()
        try:
            report = startup.run_checks(started, engine_probes())
        finally:
            shutil.move(aside, path)
        assert not report.ok, f"the gate passed without {rel}"
        assert Path(rel).name in report.reason(), (rel, report.reason())
    docstrange_local.forget_local_extractor()
    assert startup.run_checks(started, engine_probes()).ok


def test_a_wrong_easyocr_file_fails_the_gate_before_easyocr_downloads_it(started, image):
    from docworker.service import engine_probes

    path = image["models"] / "easyocr" / "english_g2.pth"
    body = path.read_bytes()
    try:
        path.write_bytes(body.upper())  # same size: only a hash can tell
        report = startup.run_checks(started, engine_probes())
    finally:
        path.write_bytes(body)
    assert not report.ok
    assert "english_g2.pth has md5" in report.reason() and "download it again" in report.reason()
    assert FakeExtractor.built == []
