"""OCR threads per job: a job too short to fill the page processes lends their cores
to its own pages' OCR (``engines.cpu.threads_for``), on a second stage built on first use."""

from __future__ import annotations

import multiprocessing

import pytest

from docworker import decode
from docworker.engines import cpu
from docworker.isolation import tasks
from tests.pdfgen import text_image


@pytest.mark.parametrize(
    ("cores", "threads", "engine", "wide"),
    [
        (2, 1, "rapidocr", 2),  # two page processes on two cores
        (2, 2, "rapidocr", 0),  # DOCWORKER_WORKERS=1: the one stage has both cores
        (16, 1, "rapidocr", 4),  # capped: the recognizer scales poorly past a few threads
        (2, 1, "tesseract", 0),  # the wheel's libtesseract runs one thread
        (1, 1, "rapidocr", 0),
    ],
)
def test_wide_stage_only_where_it_adds_threads(cores, threads, engine, wide):
    assert cpu.wide_threads(cores, threads, engine) == wide


def test_a_short_job_borrows_the_idle_cores_and_a_long_one_does_not():
    engine = cpu.CpuEngine([], ocr_threads=1, wide_threads=2)
    assert engine.threads_for(1, cores=2) == 2
    assert engine.threads_for(2, cores=2) == 1
    assert engine.threads_for(117, cores=2) == 1
    sixteen = cpu.CpuEngine([], ocr_threads=1, wide_threads=4)
    assert [sixteen.threads_for(n, cores=16) for n in (1, 4, 5, 16)] == [4, 4, 1, 1]
    assert cpu.CpuEngine([], ocr_threads=2).threads_for(1, cores=2) == 2  # no wide stage


def _intra_op(stage) -> int:
    session = stage._engine._load_rec_model().session.session
    return session.get_session_options().intra_op_num_threads


def _in_a_page_process(function, *args):
    """Run ``function`` in a fresh spawned process, as the page pool does: the OCR
    stages live there, and this test process stays as small as it was."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def _two_stages(path: str) -> tuple[tuple[int, int], bool, list[str]]:
    one, two = cpu.ocr_stage(1), cpu.ocr_stage(2)
    kept = one is not two and cpu.ocr_stage(2) is two  # built once, kept
    doc = tasks.DocTask(path, decode.PNG, None, 10, 14400.0, 40_000_000)
    pages = [cpu.read_page(tasks.PageTask(doc=doc, number=1, ocr_threads=n)) for n in (1, 2)]
    return (_intra_op(one), _intra_op(two)), kept, [page.text for page in pages]


def test_each_thread_count_has_its_own_stage_and_reads_the_same(tmp_path):
    lines = ["Informe anual de la junta", "The board met on 4 March 2024"]
    path = tmp_path / "page.png"
    text_image(lines, size=(700, 200), font_size=32).save(path)
    threads, kept, texts = _in_a_page_process(_two_stages, str(path))
    assert threads == (1, 2) and kept
    assert texts[0].split("\n") == lines
    assert texts[1] == texts[0]


def _warmed() -> set:
    cpu.warmup((1, "rapidocr"))
    return set(cpu._ocr)


def test_warmup_builds_only_the_stage_every_job_uses():
    assert _in_a_page_process(_warmed) == {("rapidocr", (), 1)}
