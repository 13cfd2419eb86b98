"""Office output is bounded where it is made, in the page process (issue 13 #2 and minor items).

The three bombs of the issue are generated here (``tests/office_bombs.py``) and
run through ``Pipeline.run``: each must end in ``limit_exceeded`` or a capped
``partial`` result, with the worker process staying far below 1.5 GB. The worker
is a process of its own holding only a CPU pipeline (``tests/office_bomb_worker.py``):
measured in this test process, the peak also counted what earlier tests had left
here. Peak RSS is the process's ``VmHWM``, reset before each job by writing 5 to
``/proc/self/clear_refs``.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from docworker import decode
from docworker.config import Settings
from docworker.pipeline import Pipeline
from tests import office_bombs

ROOT = Path(__file__).resolve().parents[1]

#: The issue's bound for the worker process during an Office bomb.
WORKER_RSS_LIMIT_MIB = 1536
#: ``engines.office.MAX_CHARS`` and ``MAX_TABLE_CELLS``: a PDF page's caps.
MAX_CHARS = 1_000_000
MAX_TABLE_CELLS = 100_000


def run_measured(tmp_path: Path, name: str, data: bytes, page_timeout_s: float = 0, **job: Any):
    """``(payload, worker peak MiB, growth MiB over the job's start, seconds)`` of one job
    in a worker process of its own (``tests/office_bomb_worker.py``)."""
    path = tmp_path / name
    path.write_bytes(data)
    jobs = tmp_path / "jobs.json"
    jobs.write_text(json.dumps([{"name": name, "job": {"document_path": str(path), **job}}]))
    args = [sys.executable, "-m", "tests.office_bomb_worker", str(jobs), str(tmp_path)]
    if page_timeout_s:
        args.append(str(page_timeout_s))
    subprocess.run(args, cwd=ROOT, check=True, timeout=600)
    result = json.loads((tmp_path / f"{name}.json").read_text())
    if "skip" in result:
        pytest.skip(result["skip"])
    return result["payload"], result["peak_mib"], result["growth_mib"], result["seconds"]


def _assert_bounded(payload: dict[str, Any], peak: int, growth: int) -> None:
    assert peak < WORKER_RSS_LIMIT_MIB, f"worker peak {peak} MiB"
    assert growth < 200, f"the worker grew by {growth} MiB"
    assert len(json.dumps(payload)) < 8 * MAX_CHARS  # a few MB, never a GB
    if "error" in payload:
        assert payload["error"]["code"] == "limit_exceeded", payload["error"]
        return
    assert payload["metadata"]["status"] == "partial"
    (cut,) = payload["metadata"]["errors"]
    assert cut["code"] == "limit_exceeded" and cut["page"] == 1 and not cut["retryable"]
    assert payload["data"]["pages"][0]["status"] == "ok"


def test_odt_space_bomb_is_capped(tmp_path):
    """650 bytes asking for 350 million spaces took the worker to 4.7 GB."""
    data = office_bombs.odt_space_bomb(350_000_000)
    assert len(data) < 1000
    payload, peak, growth, _ = run_measured(tmp_path, "spaces.odt", data)
    _assert_bounded(payload, peak, growth)
    assert "repeat count" in payload["metadata"]["errors"][0]["message"]
    text = payload["data"]["text"]
    assert text.startswith("inicio") and text.endswith("fin") and len(text) < 2000


def test_xlsx_shared_string_bomb_is_cut_to_one_pages_worth(tmp_path):
    """1,500 cells pointing at one 32 KB shared string: 48 MB of markdown from 5 KB."""
    data = office_bombs.xlsx_shared_string_bomb(1500, 32_000)
    assert len(data) < 20_000
    payload, peak, growth, _ = run_measured(tmp_path, "shared.xlsx", data)
    _assert_bounded(payload, peak, growth)
    page = payload["data"]["pages"][0]
    assert 0 < len(page["markdown"]) <= MAX_CHARS
    assert "palabra" in page["text"]


def test_many_cells_with_text_only_send_only_text(tmp_path):
    """120,000 cells: over the table cell cap; `outputs: ["text"]` is applied in the child."""
    data = office_bombs.xlsx_many_cells(6000, 20)
    payload, peak, growth, _ = run_measured(tmp_path, "cells.xlsx", data, outputs=["text"])
    _assert_bounded(payload, peak, growth)
    page = payload["data"]["pages"][0]
    assert page["markdown"] is None and page["blocks"] is None and page["tables"] is None
    assert page["text"].count("\n") < MAX_TABLE_CELLS // 20 + 10


@pytest.mark.slow
def test_a_million_cells_with_text_only(tmp_path):
    """The issue's third bomb: 10⁶ cells added 1 GB to the worker even with `outputs: ["text"]`."""
    data = office_bombs.xlsx_many_cells(50_000, 20)
    payload, peak, growth, _ = run_measured(
        tmp_path, "million.xlsx", data, page_timeout_s=300, outputs=["text"]
    )
    _assert_bounded(payload, peak, growth)


def test_outputs_are_applied_in_the_page_process(cpu_pipeline, tmp_path):
    """What crosses the pipe holds only the asked-for parts."""
    from docworker.engines.office import OfficeTask

    path = tmp_path / "shared.xlsx"
    path.write_bytes(office_bombs.xlsx_many_cells(5, 3))
    task = OfficeTask(str(path), decode.XLSX, 10**9, 1000.0, outputs=("tables",))
    ((_, result),) = list(
        cpu_pipeline.pool.run("docworker.engines.office.convert", [task], timeout_s=60)
    )
    assert result.text is None and result.markdown is None and result.blocks is None
    assert [len(t.cells) for t in result.tables] == [15] and result.cut is None


def test_cap_markdown_cuts_at_a_line_boundary():
    from docworker.engines.office import cap_markdown

    text = "\n".join(f"| {i} | x |" for i in range(100))
    assert cap_markdown(text, 10_000, 1000) == (text, None)
    cut, why = cap_markdown(text, 10_000, 30)  # 3 pipes a row: 10 rows fit
    assert cut.split("\n") == text.split("\n")[:10] and "30 table cells" in why
    cut, why = cap_markdown(text, 50, 1000)
    assert cut == text[: text.rfind("\n", 0, 51)] and why
    assert cap_markdown("x" * 100, 10, 5)[0] == "x" * 10


# --------------------------------------------------------------- minor items


def _odt(content_body: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr(
            "content.xml",
            "<office:document-content"
            ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
            ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
            f"<office:text>{content_body}</office:text></office:body></office:document-content>",
        )
    return out.getvalue()


def _run_bytes(pipeline: Pipeline, name: str, data: bytes) -> dict[str, Any]:
    job = {"document_base64": base64.b64encode(data).decode(), "filename": name}
    return pipeline.run(job, job_id=name)


def test_deterministic_odt_failures_are_not_retryable(cpu_pipeline):
    deep = "<text:span>" * 5000 + "hola" + "</text:span>" * 5000
    payload = _run_bytes(cpu_pipeline, "deep.odt", _odt(f"<text:p>{deep}</text:p>"))
    assert payload["error"]["code"] == "corrupt_document"
    assert payload["error"]["retryable"] is False
    # A count that is no number is read as 1, not a crash.
    payload = _run_bytes(cpu_pipeline, "count.odt", _odt('<text:p>a<text:s text:c="x"/>b</text:p>'))
    assert payload["data"]["text"] == "a b"


@pytest.mark.parametrize("member", ["word/document.xml", "xl/workbook.xml", "ppt/presentation.xml"])
def test_error_messages_name_no_temporary_path(cpu_pipeline, member):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(member, "<not xml")
    payload = _run_bytes(cpu_pipeline, "broken", out.getvalue())
    error = payload["error"]
    assert error["code"] == "corrupt_document"
    assert "/tmp" not in error["message"] and "docworker-job-" not in error["message"]


def test_office_timeout_leaves_no_temporary_folder(tmp_path, monkeypatch):
    """A conversion killed at its budget left an empty docworker-office-* folder behind."""
    children_tmp = tmp_path / "children-tmp"
    children_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(children_tmp))  # read by the page processes at start
    pipeline = Pipeline.build(
        Settings(default_engine="cpu", workers=1, page_timeout_s=1.0, warmup=False), load_gpu=False
    )
    try:
        path = tmp_path / "slow.xlsx"
        path.write_bytes(office_bombs.xlsx_many_cells(6000, 20))
        payload = pipeline.run({"document_path": str(path)}, job_id="slow-office")
        assert payload["error"]["code"] == "timeout"
        assert pipeline.pool.stats.killed == 1
    finally:
        pipeline.close()
    assert [p.name for p in children_tmp.iterdir() if "docworker-office" in p.name] == []


def test_a_workbook_of_millions_of_cells_is_refused_before_converting(tmp_path):
    """2.1 million cells would take the converter a minute (and a retryable timeout under
    load) for content cut to 100,000 cells anyway: refused at once."""
    data = office_bombs.xlsx_many_cells(105_000, 20)
    payload, peak, growth, took = run_measured(tmp_path, "huge.xlsx", data)
    assert payload["error"]["code"] == "limit_exceeded", payload["error"]
    assert payload["error"]["retryable"] is False
    assert took < 15
    _assert_bounded(payload, peak, growth)


def test_cell_count_is_exact_across_read_pieces(tmp_path):
    from docworker import errors
    from docworker.engines.office import check_sheet_cells

    path = tmp_path / "cells.xlsx"
    path.write_bytes(office_bombs.xlsx_many_cells(40_000, 20))  # 24 MB of sheet XML
    check_sheet_cells(path, 800_000)
    with pytest.raises(errors.LimitExceeded):
        check_sheet_cells(path, 799_999)
