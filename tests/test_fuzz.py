"""Property-based fuzzing: the input contract, the page-range parser, and decode on mutated files.

- ``parse_input`` on any JSON-like value gives a ``JobInput`` or raises
  ``errors.InvalidInput`` (whose details never echo a value), never another
  exception.
- ``parse_page_ranges`` gives sorted, unique pages within ``1..count`` that
  match the spec, or raises ``ValueError``.
- Byte flips, truncations, splices and token insertions on small generated
  PDFs, images and a DOCX go through ``tests/fuzz_targets.decode_file`` in a
  real page process: the outcome is a page count or a ``docworker.errors``
  code, never a foreign exception, a crash of the process, or a run past the
  time budget.

CI runs a bounded number of examples. ``make fuzz`` runs the ``slow`` tests
here with more examples (``FUZZ_EXAMPLES``, default 2000) and mutates the
corpus files too (``FUZZ_CORPUS``, default ``../shared/corpus``; skipped
where it is absent).
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from docworker import errors
from docworker.contract import JobInput, parse_page_ranges
from docworker.isolation.pool import PagePool
from docworker.pipeline import parse_input
from tests import hostile_docs
from tests.pdfgen import ImagePage, TextPage, build_pdf, scan_jpeg

ROOT = Path(__file__).resolve().parents[1]
SLOW_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
CORPUS = Path(os.environ.get("FUZZ_CORPUS", str(ROOT.parent / "shared" / "corpus")))
BUDGET_S = 15.0  # per mutated file, in the page process

# ------------------------------------------------------------------ the contract

FIELDS = [
    "document_url", "s3_uri", "s3_endpoint_url", "document_base64", "filename",
    "document_path", "pages", "password", "outputs", "engine", "ocr", "languages",
    "dpi", "json_schema", "stream",
]  # fmt: skip

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
plausible = {
    "document_url": st.sampled_from(["https://example.com/a.pdf", "http://x", "ftp://x/y", ""]),
    "s3_uri": st.sampled_from(["s3://bucket/key.pdf", "s3://B/k", "s3://ab/"]),
    "document_base64": st.sampled_from(["JVBERi0xLjQ=", "not base64", ""]),
    "filename": st.text(max_size=300),
    "document_path": st.text(max_size=20),
    "pages": st.text(alphabet="0123456789-, x", max_size=20),
    "outputs": st.lists(
        st.sampled_from(["markdown", "text", "blocks", "tables", "html"]), max_size=5
    ),
    "engine": st.sampled_from(["auto", "cpu", "gpu", "tpu", None]),
    "ocr": st.sampled_from(["auto", "always", "never", "sometimes"]),
    "languages": st.lists(st.sampled_from(["es", "en", "spa", "ES", "e", "español"]), max_size=10),
    "dpi": st.integers(min_value=-10, max_value=10_000),
}
job_dicts = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=10),
    json_values,
    max_size=8,
) | st.fixed_dictionaries({}, optional={k: v | json_values for k, v in plausible.items()})


@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(st.one_of(job_dicts, json_values))
def test_any_input_is_a_job_or_invalid_input(value: Any) -> None:
    try:
        job = parse_input(value)
    except errors.InvalidInput as e:
        assert e.code == "invalid_input"
        for detail in e.details:
            assert set(detail) == {"loc", "msg", "type"}
        payload = errors.to_error_payload(e)
        assert payload["error"]["code"] == "invalid_input"
        return
    assert isinstance(job, JobInput)
    # A valid job's page spec never fails later, whatever the document's page count.
    for count in (0, 1, 7):
        parse_page_ranges(job.pages, count)


@st.composite
def page_specs(draw: st.DrawFn) -> tuple[str, set[int], list[int]]:
    """A valid spec like '1-3,7,9-', the pages it names, and where its open ranges start."""
    parts: list[str] = []
    named: set[int] = set()
    open_from: list[int] = []
    for _ in range(draw(st.integers(1, 5))):
        lo = draw(st.integers(1, 60))
        pad = [" " * draw(st.integers(0, 1)) for _ in range(4)]
        shape = draw(st.sampled_from(["one", "range", "open"]))
        if shape == "one":
            parts.append(f"{pad[0]}{lo}{pad[1]}")
            named.add(lo)
        elif shape == "range":
            hi = draw(st.integers(lo, 80))
            parts.append(f"{pad[0]}{lo}{pad[1]}-{pad[2]}{hi}{pad[3]}")
            named.update(range(lo, hi + 1))
        else:
            parts.append(f"{pad[0]}{lo}{pad[1]}-{pad[2]}")
            open_from.append(lo)
    return ",".join(parts), named, open_from


@settings(max_examples=300, deadline=timedelta(seconds=1))
@given(page_specs(), st.integers(0, 100))
def test_valid_page_specs_select_exactly_their_pages(
    spec: tuple[str, set[int], list[int]], count: int
) -> None:
    text, named, open_from = spec
    expected = {n for n in named if n <= count}
    for lo in open_from:
        expected.update(range(lo, count + 1))
    assert parse_page_ranges(text, count) == sorted(expected)


@settings(max_examples=400, deadline=timedelta(seconds=1))
@given(st.text(alphabet="0123456789-, \t", max_size=30) | st.text(max_size=30), st.integers(0, 500))
def test_any_page_spec_is_a_sorted_selection_or_value_error(spec: str, count: int) -> None:
    try:
        pages = parse_page_ranges(spec, count)
    except ValueError:
        return
    assert pages == sorted(set(pages))
    assert all(1 <= n <= count for n in pages)


# ------------------------------------------------------------------ mutated files


def _seed_files() -> list[bytes]:
    """Small valid files of every decoded kind: each a few KB, so one flip matters."""
    jpeg = scan_jpeg(["Hola"], size=(64, 32), font_size=12)
    seeds = [
        build_pdf([TextPage(lines=[(72, 100, 12, "¿Qué tal, señora Núñez?")])]),
        build_pdf(
            [
                TextPage(lines=[(72, 72, 10, "uno")], rotate=90),
                ImagePage(jpeg=jpeg, pixel_size=(64, 32)),
            ]
        ),
        hostile_docs.lying_count_pdf(),
        hostile_docs.page_tree_loop_pdf(),
        hostile_docs.slow_page_pdf(rects=50),
        hostile_docs.content_bomb_pdf(mib=1),
        hostile_docs.text_flood_pdf(lines=40),
        hostile_docs.tiff_frames(3),
        hostile_docs.png_claiming(64, 64),
    ]
    for fmt in ("PNG", "JPEG", "WEBP", "BMP", "TIFF"):
        out = io.BytesIO()
        Image.new("RGB", (24, 16), "white").save(out, format=fmt)
        seeds.append(out.getvalue())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document>" + "hola " * 50 + "</w:document>")
    seeds.append(out.getvalue())
    return seeds


SEEDS = _seed_files()
TOKENS = [
    b"/Count 2147483647", b"/Count -1", b" 0 R", b" 99999 0 R", b"<<", b">>", b"[", b"]",
    b"obj", b"endobj", b"stream\n", b"endstream", b"/Filter /FlateDecode", b"/Length 999999999",
    b"/Rotate 45", b"/MediaBox [0 0 1e30 1e30]", b"/Kids [2 0 R]", b"xref", b"trailer",
    b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"IHDR", b"IDAT", b"PK\x05\x06",
]  # fmt: skip


@st.composite
def mutations(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed after 1–6 flips, truncations, deletions, duplications, splices or token inserts."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "byte", "truncate", "delete", "dup", "splice", "token"]))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            data[at] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
        elif op == "splice":
            other = draw(st.sampled_from(seeds)) or b"%PDF-"
            start = draw(st.integers(0, len(other) - 1))
            data[at:at] = other[start : start + draw(st.integers(1, 512))]
        else:
            data[at:at] = draw(st.sampled_from(TOKENS))
    return bytes(data)


@pytest.fixture(scope="module")
def fuzz_pool():
    pool = PagePool(workers=1, memory_mb=1024)
    pool.start()
    yield pool
    pool.close()


def decode_in_child(pool: PagePool, path: Path) -> tuple[str, str]:
    """The file's decode outcome; fails the test on a foreign error, a crash or a hang."""
    ((_, result),) = list(
        pool.run("tests.fuzz_targets.decode_file", [(str(path), 3)], timeout_s=BUDGET_S)
    )
    if isinstance(result, errors.TimeLimitExceeded):
        pytest.fail(f"decode ran past {BUDGET_S} s on {path.name}")
    if isinstance(result, errors.WorkerError):
        pytest.fail(f"the page process did not answer on {path.name}: {result.message}")
    kind, detail = result
    assert kind != "foreign", f"unmapped exception decoding {path.name}:\n{detail}"
    if kind == "error":
        assert detail in {cls.code for cls in errors.all_error_classes()} - {"internal"}
    return kind, detail


def _check_mutations(pool: PagePool, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "mutated.bin"
    path.write_bytes(data)
    decode_in_child(pool, path)


FILE_SETTINGS = settings(
    max_examples=250,
    deadline=timedelta(seconds=BUDGET_S + 10),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FILE_SETTINGS
@given(data=mutations(SEEDS))
def test_mutated_files_decode_or_fail_cleanly(fuzz_pool: PagePool, tmp_path: Path, data: bytes):
    _check_mutations(fuzz_pool, tmp_path, data)


def test_seed_files_decode(fuzz_pool: PagePool, tmp_path: Path) -> None:
    """The unmutated seeds are valid: the fuzzing starts from files that work."""
    kinds = []
    for i, seed in enumerate(SEEDS):
        path = tmp_path / f"seed{i}"
        path.write_bytes(seed)
        kinds.append(decode_in_child(fuzz_pool, path))
    assert [kind for kind, _ in kinds].count("ok") >= len(
        SEEDS
    ) - 2  # the loop and the bomb may refuse


@pytest.mark.slow
@settings(
    max_examples=SLOW_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=mutations(SEEDS))
def test_mutated_files_long_run(fuzz_pool: PagePool, tmp_path: Path, data: bytes):
    _check_mutations(fuzz_pool, tmp_path, data)


CORPUS_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".docx",
                   ".pptx", ".xlsx"}  # fmt: skip


def _corpus_seeds() -> list[bytes]:
    """Every corpus file under 2 MB of a decoded type (hostile ones included)."""
    if not (CORPUS / "MANIFEST.tsv").exists():
        return []
    return [
        path.read_bytes()
        for path in sorted(CORPUS.rglob("*"))
        if path.is_file()
        and path.suffix.lower() in CORPUS_SUFFIXES
        and path.stat().st_size < 2_000_000
    ]


@pytest.mark.slow
def test_mutated_corpus_files(fuzz_pool: PagePool, tmp_path: Path) -> None:
    seeds = _corpus_seeds()
    if not seeds:
        pytest.skip(f"no corpus at {CORPUS}")

    @settings(
        max_examples=SLOW_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=mutations(seeds))
    def run(data: bytes) -> None:
        _check_mutations(fuzz_pool, tmp_path, data)

    run()
