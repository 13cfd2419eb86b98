"""Measure issue 13's attacks: outcome, worker and page-process peak memory, time.

``python -m tests.measure_hostile`` builds one CPU worker as ``handler.py``
does (``service.build_worker``: startup checks, which import torch, then the
pipeline with two page processes; default limits unless a row says
otherwise), runs each attack through ``Pipeline.run`` and prints the markdown
table that docs/ROBUSTNESS.md carries. Before each job the worker's and the
page processes' peak RSS (``VmHWM``) are reset by writing 5 to
``/proc/<pid>/clear_refs``; after it they are read back. Time is the wall time
of ``Pipeline.run``. The documents come from ``tests/office_bombs.py`` and
``tests/hostile_docs.py``, the slow servers from ``tests/servers.py``.

Not a test (it takes about two minutes); the tests of each row are named in
docs/ROBUSTNESS.md.
"""

from __future__ import annotations

import base64
import io
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docworker.config import Settings
from docworker.pipeline import Pipeline
from tests import hostile_docs, office_bombs
from tests.pdfgen import TextPage, build_pdf
from tests.servers import HttpServer

LOCAL = ["127.0.0.1"]


def _mib(pid: int | str, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"{field}:\s+(\d+)", text)
    return int(match.group(1)) // 1024 if match else 0


def _children(pipeline: Pipeline) -> list[int]:
    return [c.process.pid for c in pipeline.pool._children if c.process.is_alive()]


def _reset(pids: list[int | str]) -> None:
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def _outcome(payload: dict[str, Any]) -> str:
    if "error" in payload:
        return f"error `{payload['error']['code']}`"
    meta = payload["metadata"]
    codes = ", ".join(sorted({e["code"] for e in meta["errors"]}))
    return f"{meta['status']}" + (f" (`{codes}`)" if codes else "")


def measure(pipeline: Pipeline, job: dict[str, Any]) -> tuple[str, str, int, float]:
    """``(outcome, "worker peak (+growth)" MiB, page process peak MiB, seconds)``."""
    _reset(["self", *_children(pipeline)])
    before = _mib("self", "VmRSS")
    started = time.monotonic()
    payload = pipeline.run(job, job_id="measure")
    seconds = time.monotonic() - started
    page_peak = max((_mib(pid, "VmHWM") for pid in _children(pipeline)), default=0)
    worker = _mib("self", "VmHWM")
    return _outcome(payload), f"{worker} (+{worker - before})", page_peak, seconds


def _b64(name: str, data: bytes) -> dict[str, Any]:
    return {"document_base64": base64.b64encode(data).decode(), "filename": name}


def _deep_odt() -> bytes:
    out = io.BytesIO()
    deep = "<text:span>" * 5000 + "hola" + "</text:span>" * 5000
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr(
            "content.xml",
            "<office:document-content"
            ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
            ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
            f"<office:text><text:p>{deep}</text:p></office:text></office:body>"
            "</office:document-content>",
        )
    return out.getvalue()


def rows(server: HttpServer) -> list[tuple[str, str, dict[str, Any], Callable[[], dict[str, Any]]]]:
    """``(attack, expected, settings overrides, job factory)``."""
    drip = server.drip("/drip", piece=500, every_s=0.9, budget_s=40)
    head = server.drip("/head", every_s=0.5, headers_too=True, budget_s=40)
    trickle = server.drip("/trickle", piece=400, every_s=0.2, budget_s=60)  # 2 kB/s
    server.status("/" + "a" * 64, 404)
    long_url = server.url("/" + "a" * 2_000_000)
    secret_pdf = hostile_docs.encrypt(build_pdf([TextPage(lines=[(72, 100, 12, "x")])]), "k", "o")
    priv = {"allow_private_hosts": LOCAL}
    return [
        (
            "URL dripping 500 B every 0.9 s, `DOCWORKER_JOB_TIMEOUT_S=20`",
            "`timeout` within 25 s",
            {**priv, "job_timeout_s": 20.0, "fetch_min_bytes_per_s": 0},
            lambda: {"document_url": drip},
        ),
        (
            "URL dripping its response headers, 1 B every 0.5 s, job budget 20 s",
            "`timeout` within 25 s",
            {**priv, "job_timeout_s": 20.0},
            lambda: {"document_url": head},
        ),
        (
            "URL sending 2 kB/s, default floor (8192 B/s after 20 s) and budget (540 s)",
            "`timeout` after about 20 s",
            priv,
            lambda: {"document_url": trickle},
        ),
        (
            'ODT of 412 bytes, `<text:s text:c="350000000"/>`',
            "capped partial (`limit_exceeded`)",
            {},
            lambda: _b64("spaces.odt", office_bombs.odt_space_bomb(350_000_000)),
        ),
        (
            "XLSX of 5 KB, 1,500 cells pointing at one 32 KB shared string (48 MB of markdown)",
            "capped partial (`limit_exceeded`)",
            {},
            lambda: _b64("shared.xlsx", office_bombs.xlsx_shared_string_bomb(1500, 32_000)),
        ),
        (
            'XLSX of 2.7 MB, 10⁶ numeric cells, `outputs: ["text"]`',
            "capped partial (`limit_exceeded`)",
            {"page_timeout_s": 300.0},
            lambda: {**_b64("cells.xlsx", office_bombs.xlsx_many_cells()), "outputs": ["text"]},
        ),
        (
            "XLSX of 5.7 MB, 2.1 × 10⁶ numeric cells",
            "`limit_exceeded` before converting",
            {},
            lambda: _b64("huge.xlsx", office_bombs.xlsx_many_cells(105_000, 20)),
        ),
        (
            "The 10⁶-cell XLSX, `DOCWORKER_PAGE_TIMEOUT_S=1`",
            "`timeout`, no temp folder left",
            {"page_timeout_s": 1.0},
            lambda: _b64("cells.xlsx", office_bombs.xlsx_many_cells()),
        ),
        (
            "ODT nesting 5,000 spans",
            "`corrupt_document` (not retryable)",
            {},
            lambda: _b64("deep.odt", _deep_odt()),
        ),
        (
            "Encrypted PDF with a 1 MB `password`",
            "`invalid_input`",
            {},
            lambda: {**_b64("cifrado.pdf", secret_pdf), "password": "x" * 1_000_000},
        ),
        (
            "2 MB `document_url` (a 404 on loopback)",
            "`fetch_failed`, URL shown cut to 200 characters",
            priv,
            lambda: {"document_url": long_url},
        ),
        (
            "`s3_endpoint_url` naming an unlisted host",
            "`url_blocked`, no request sent",
            {},
            lambda: {"s3_uri": "s3://bucket/doc.pdf", "s3_endpoint_url": server.url("/")},
        ),
    ]


def main() -> None:
    from docworker.service import build_worker

    worker = build_worker(Settings(default_engine="cpu", workers=2))
    assert worker is not None, "the startup checks failed"
    pipeline = worker.pipeline
    print(f"worker after start-up: {_mib('self', 'VmRSS')} MiB RSS\n")
    server = HttpServer().start()
    print("| attack | expected | outcome | worker peak MiB (+growth) | page process peak MiB | s |")
    print("|---|---|---|---:|---:|---:|")
    try:
        for attack, expected, overrides, job in rows(server):
            settings = Settings(default_engine="cpu", workers=2, **overrides)
            outcome, worker, pages, seconds = measure(pipeline.with_settings(settings), job())
            print(f"| {attack} | {expected} | {outcome} | {worker} | {pages} | {seconds:.1f} |")
    finally:
        server.stop()
        pipeline.close()


if __name__ == "__main__":
    main()
