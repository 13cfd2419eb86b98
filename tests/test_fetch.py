"""fetch_document against real servers on 127.0.0.1: limits, retries, sniffing, sources."""

from __future__ import annotations

import base64
import hashlib
import socket
import tempfile
import time
from pathlib import Path

import pytest

from docworker import decode, errors, fetch
from docworker.contract import JobInput
from docworker.fetch import s3 as fetch_s3
from tests.servers import HttpServer, MotoS3, build_settings

LOCAL = ["127.0.0.1"]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:  # the job's folder, made by fetch itself
    return tmp_path / "job"


def _fetch(url: str, workdir: Path, **overrides) -> fetch.FetchedDocument:
    overrides.setdefault("allow_private_hosts", LOCAL)
    settings = build_settings(**overrides)
    return fetch.fetch_document(JobInput(document_url=url), settings, workdir)


def _leftovers(workdir: Path) -> list[str]:
    return sorted(p.name for p in workdir.iterdir()) if workdir.exists() else []


# ------------------------------------------------------------------ happy paths


def test_url_download_writes_inside_workdir(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.serve("/files/report.pdf", tiny_pdf, content_type="application/pdf")
    doc = _fetch(url, workdir)
    assert doc.path.parent == workdir
    assert doc.path.name == "document.pdf"
    assert doc.path.read_bytes() == tiny_pdf
    assert doc.size == len(tiny_pdf)
    assert doc.sha256 == hashlib.sha256(tiny_pdf).hexdigest()
    assert doc.mime == decode.PDF
    assert doc.filename == "report.pdf"
    assert doc.attempts == 1
    assert _leftovers(workdir) == ["document.pdf"]


def test_sniffing_ignores_lying_content_type_and_extension(
    http_server: HttpServer, workdir, tiny_png
):
    url = http_server.serve("/scan.pdf", tiny_png, content_type="application/pdf")
    doc = _fetch(url, workdir)
    assert doc.mime == decode.PNG
    assert doc.path.name == "document.png"
    assert doc.filename == "scan.pdf"  # the name is metadata only


def test_content_disposition_names_the_file(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.serve(
        "/download",
        tiny_pdf,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''informe%20a%C3%B1o.pdf"},
    )
    assert _fetch(url, workdir).filename == "informe año.pdf"


def test_unsupported_type_names_the_detected_type(http_server: HttpServer, workdir):
    url = http_server.serve("/doc.pdf", b"just some text, no magic", content_type="application/pdf")
    with pytest.raises(errors.UnsupportedType) as info:
        _fetch(url, workdir)
    assert "application/octet-stream" in info.value.message
    assert _leftovers(workdir) == []


def test_empty_document_is_corrupt(http_server: HttpServer, workdir):
    url = http_server.serve("/empty.pdf", b"")
    with pytest.raises(errors.CorruptDocument, match="empty document"):
        _fetch(url, workdir)
    assert _leftovers(workdir) == []


def test_temp_files_never_leave_workdir(
    http_server: HttpServer, tmp_path: Path, monkeypatch, tiny_pdf
):
    elsewhere = tmp_path / "system-tmp"
    elsewhere.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(elsewhere))
    workdir = tmp_path / "job"
    _fetch(http_server.serve("/ok", tiny_pdf), workdir)
    with pytest.raises(errors.TooLarge):
        _fetch(http_server.oversized("/big", 300_000, announce=False), workdir, max_bytes=100_000)
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job", "system-tmp"]
    assert _leftovers(workdir) == ["document.pdf"]


def test_basic_auth_goes_to_the_origin_only(http_server: HttpServer, workdir, tiny_pdf):
    http_server.serve("/final", tiny_pdf)
    http_server.redirect("/hop", http_server.url("/final", host="localhost"))
    url = f"http://alice:s3cr%40t@127.0.0.1:{http_server.port}/hop"
    _fetch(url, workdir, allow_private_hosts=["127.0.0.1", "localhost"])
    first, second = http_server.requests
    expected = "Basic " + base64.b64encode(b"alice:s3cr@t").decode()
    assert first[1].get("Authorization") == expected
    assert "Authorization" not in second[1]
    assert second[1]["Host"] == f"localhost:{http_server.port}"


# ------------------------------------------------------------ timeouts, bodies


def test_slow_server_hits_the_read_timeout(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.slow("/slow", tiny_pdf, delay_s=1.0, pieces=3)
    started = time.monotonic()
    with pytest.raises(errors.FetchFailed) as info:
        _fetch(url, workdir, read_timeout_s=0.3)
    assert time.monotonic() - started < 1.5
    assert info.value.code == "fetch_failed"
    assert "read timeout" in info.value.message
    assert info.value.retryable is True
    assert http_server.hits["/slow"] == 1  # a read timeout is not retried in-process
    assert _leftovers(workdir) == []


def test_truncated_body_fails(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.truncated("/cut", tiny_pdf, claimed=len(tiny_pdf) + 500)
    with pytest.raises(errors.FetchFailed) as info:
        _fetch(url, workdir, fetch_retries=1)
    assert info.value.to_dict()["code"] == "fetch_failed"
    assert "shorter than its Content-Length" in info.value.message
    assert http_server.hits["/cut"] == 2
    assert _leftovers(workdir) == []


def test_connection_refused_is_retried(workdir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(errors.FetchFailed) as info:
        _fetch(f"http://127.0.0.1:{port}/doc.pdf", workdir, fetch_retries=2)
    assert info.value.retryable is True
    assert "(3 attempt(s))" in info.value.message


# ------------------------------------------------------------------- redirects


def test_redirects_within_the_limit(http_server: HttpServer, workdir, tiny_pdf):
    http_server.serve("/final.pdf", tiny_pdf)
    url = http_server.redirect_chain("/r", 3, "/final.pdf")
    doc = _fetch(url, workdir, max_redirects=3)
    assert doc.mime == decode.PDF
    assert doc.filename == "final.pdf"
    assert http_server.hits["/final.pdf"] == 1


def test_redirects_over_the_limit(http_server: HttpServer, workdir, tiny_pdf):
    http_server.serve("/final.pdf", tiny_pdf)
    url = http_server.redirect_chain("/r", 4, "/final.pdf")
    with pytest.raises(errors.FetchFailed) as info:
        _fetch(url, workdir, max_redirects=3)
    assert info.value.retryable is False
    assert "more than 3" in info.value.message
    assert http_server.hits["/final.pdf"] == 0


def test_redirect_without_location_fails(http_server: HttpServer, workdir):
    url = http_server.status("/nowhere", 302)
    with pytest.raises(errors.FetchFailed, match="without a Location"):
        _fetch(url, workdir)


# --------------------------------------------------------------------- retries


def test_5xx_then_ok_succeeds_after_retries(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.flaky("/flaky", tiny_pdf, failures=2, status=503)
    doc = _fetch(url, workdir, fetch_retries=2)
    assert doc.attempts == 3
    assert http_server.hits["/flaky"] == 3
    assert doc.path.read_bytes() == tiny_pdf


def test_5xx_gives_up_after_the_retries(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.flaky("/down", tiny_pdf, failures=10, status=502)
    with pytest.raises(errors.FetchFailed) as info:
        _fetch(url, workdir, fetch_retries=2)
    assert info.value.retryable is True
    assert "HTTP 502" in info.value.message
    assert http_server.hits["/down"] == 3


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (403, False), (429, True)])
def test_4xx_fails_at_once(http_server: HttpServer, workdir, status, retryable):
    url = http_server.status("/missing", status)
    with pytest.raises(errors.FetchFailed) as info:
        _fetch(url, workdir, fetch_retries=3)
    assert http_server.hits["/missing"] == 1
    assert info.value.retryable is retryable
    assert f"HTTP {status}" in info.value.message


# ---------------------------------------------------------------------- limits


def test_too_large_by_content_length(http_server: HttpServer, workdir):
    url = http_server.oversized("/big", 5_000_000, announce=True)
    started = time.monotonic()
    with pytest.raises(errors.TooLarge) as info:
        _fetch(url, workdir, max_bytes=1_000_000)
    assert info.value.code == "too_large"
    assert "5000000" in info.value.message
    assert time.monotonic() - started < 1.0
    assert _leftovers(workdir) == []


def test_too_large_while_streaming_chunked(http_server: HttpServer, workdir):
    url = http_server.oversized("/big", 3_000_000, announce=False)
    with pytest.raises(errors.TooLarge):
        _fetch(url, workdir, max_bytes=1_000_000)
    assert _leftovers(workdir) == []


def test_chunked_body_within_the_limit(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.serve("/chunked", tiny_pdf * 20, chunked=True)
    assert _fetch(url, workdir).size == len(tiny_pdf) * 20


def test_huge_response_headers_fail(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.huge_headers("/hdr", tiny_pdf, count=40, size=1000)
    with pytest.raises(errors.FetchFailed) as info:
        _fetch(url, workdir, max_header_bytes=8192)
    assert info.value.retryable is False
    assert "headers" in info.value.message
    assert _fetch(url, workdir, max_header_bytes=64 * 1024).mime == decode.PDF


# -------------------------------------------------------------- base64, local


def test_base64_document(workdir, tiny_png):
    job = JobInput(document_base64=base64.b64encode(tiny_png).decode(), filename="foto.png")
    doc = fetch.fetch_document(job, build_settings(), workdir)
    assert doc.mime == decode.PNG
    assert doc.filename == "foto.png"
    assert doc.path.read_bytes() == tiny_png


def test_base64_too_large(workdir, tiny_png):
    job = JobInput(document_base64=base64.b64encode(tiny_png * 10).decode(), filename="x.png")
    with pytest.raises(errors.TooLarge):
        fetch.fetch_document(job, build_settings(max_bytes=len(tiny_png)), workdir)
    assert _leftovers(workdir) == []


def test_local_path_off_runpod(tmp_path: Path, workdir, tiny_pdf):
    source = tmp_path / "input.pdf"
    source.write_bytes(tiny_pdf)
    doc = fetch.fetch_document(JobInput(document_path=str(source)), build_settings(), workdir)
    assert doc.path.parent == workdir
    assert doc.filename == "input.pdf"
    assert source.exists()


def test_local_path_refused_on_runpod(tmp_path: Path, workdir, tiny_pdf):
    source = tmp_path / "input.pdf"
    source.write_bytes(tiny_pdf)
    settings = build_settings(on_runpod=True)
    with pytest.raises(errors.InvalidInput, match="refused on RunPod"):
        fetch.fetch_document(JobInput(document_path=str(source)), settings, workdir)


@pytest.mark.parametrize("name", ["missing.pdf", "."])
def test_local_path_must_be_a_file(tmp_path: Path, workdir, name):
    job = JobInput(document_path=str(tmp_path / name))
    with pytest.raises(errors.InvalidInput):
        fetch.fetch_document(job, build_settings(), workdir)


# --------------------------------------------------------------------------- S3


def test_s3_uri(moto_s3: MotoS3, workdir, tiny_pdf):
    uri = moto_s3.put("in/2025/informe.pdf", tiny_pdf)
    settings = build_settings(s3_endpoint_url=moto_s3.endpoint_url)  # operator's: not SSRF-checked
    doc = fetch.fetch_document(JobInput(s3_uri=uri), settings, workdir)
    assert doc.mime == decode.PDF
    assert doc.filename == "informe.pdf"
    assert doc.sha256 == hashlib.sha256(tiny_pdf).hexdigest()


@pytest.mark.parametrize(
    ("uri_of", "words"),
    [
        (lambda s3: f"s3://{s3.bucket}/nope.pdf", "does not exist (NoSuchKey)"),
        (lambda s3: "s3://docworker-no-such-bucket/x.pdf", "does not exist (NoSuchBucket)"),
    ],
)
def test_s3_missing_fails_without_retry(moto_s3: MotoS3, workdir, uri_of, words):
    settings = build_settings(s3_endpoint_url=moto_s3.endpoint_url, fetch_retries=3)
    with pytest.raises(errors.FetchFailed) as info:
        fetch.fetch_document(JobInput(s3_uri=uri_of(moto_s3)), settings, workdir)
    assert words in info.value.message
    assert info.value.retryable is False


def test_s3_too_large(moto_s3: MotoS3, workdir, tiny_pdf):
    uri = moto_s3.put("big.pdf", tiny_pdf * 4)
    settings = build_settings(s3_endpoint_url=moto_s3.endpoint_url, max_bytes=len(tiny_pdf))
    with pytest.raises(errors.TooLarge):
        fetch.fetch_document(JobInput(s3_uri=uri), settings, workdir)
    assert _leftovers(workdir) == []


def test_s3_endpoint_in_the_job_must_be_listed_by_the_operator(moto_s3: MotoS3, workdir, tiny_pdf):
    uri = moto_s3.put("job.pdf", tiny_pdf)
    job = JobInput(s3_uri=uri, s3_endpoint_url=moto_s3.endpoint_url)
    with pytest.raises(errors.UrlBlocked, match="DOCWORKER_S3_ENDPOINTS"):
        fetch.fetch_document(job, build_settings(allow_private_hosts=LOCAL), workdir)
    listed = build_settings(s3_endpoints=[moto_s3.endpoint_url.upper() + "/"])
    doc = fetch.fetch_document(job, listed, workdir)  # scheme, host, port compared
    assert doc.mime == decode.PDF


def test_a_job_endpoint_never_receives_the_workers_key_id(
    moto_s3: MotoS3, http_server: HttpServer, workdir, tiny_pdf
):
    """Issue 13 #5: SigV4 puts the access key id in Authorization; a caller's host gets nothing."""
    uri = moto_s3.put("job.pdf", tiny_pdf)
    evil = http_server.url("/").rstrip("/")
    job = JobInput(s3_uri=uri, s3_endpoint_url=evil)
    settings = build_settings(
        allow_private_hosts=LOCAL,
        s3_endpoint_url=moto_s3.endpoint_url,
        s3_endpoints=[moto_s3.endpoint_url],
    )
    with pytest.raises(errors.UrlBlocked) as info:
        fetch.fetch_document(job, settings, workdir)
    assert info.value.retryable is False
    assert http_server.requests == []
    # The operator's endpoint, named in the job or not, still works with boto3.
    same = JobInput(s3_uri=uri, s3_endpoint_url=moto_s3.endpoint_url)
    assert fetch.fetch_document(same, settings, workdir / "a").size == len(tiny_pdf)
    assert fetch.fetch_document(JobInput(s3_uri=uri), settings, workdir / "b").size == len(tiny_pdf)


def test_presigned_s3_url(moto_s3: MotoS3, workdir, tiny_pdf):
    moto_s3.put("shared/scan.pdf", tiny_pdf, ContentType="image/png")
    url = moto_s3.presigned_url("shared/scan.pdf")
    assert "X-Amz-Signature=" in url or "Signature=" in url
    doc = _fetch(url, workdir)
    assert doc.mime == decode.PDF
    assert doc.filename == "scan.pdf"
    assert doc.path.read_bytes() == tiny_pdf


@pytest.mark.parametrize(("count", "size"), [(1, 70_000), (150, 10)])
def test_headers_over_http_client_limits_fail(http_server: HttpServer, workdir, count, size):
    url = http_server.huge_headers("/hdr", b"%PDF-1.4\n", count=count, size=size)
    with pytest.raises(errors.FetchFailed) as info:
        _fetch(url, workdir, fetch_retries=2)
    assert info.value.retryable is False
    assert http_server.hits["/hdr"] == 1


def test_whole_download_has_a_time_budget(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.slow("/drip", tiny_pdf, delay_s=0.4, pieces=5)
    with pytest.raises(errors.TimeLimitExceeded):
        _fetch(url, workdir, read_timeout_s=2.0, job_timeout_s=0.5)
    assert _leftovers(workdir) == []


# ---------------------------------------------------- slow-loris servers (issue 13 #1)


def _timed_fetch(url: str, workdir: Path, **overrides) -> tuple[errors.WorkerError, float]:
    started = time.monotonic()
    with pytest.raises(errors.WorkerError) as info:
        _fetch(url, workdir, **overrides)
    return info.value, time.monotonic() - started


def test_a_dripping_body_ends_at_the_job_deadline(http_server: HttpServer, workdir):
    """500 bytes every 0.3 s never fills a 64 KiB chunk nor trips the 2 s read timeout."""
    url = http_server.drip("/drip", piece=500, every_s=0.3)
    error, took = _timed_fetch(url, workdir, job_timeout_s=3.0, fetch_min_bytes_per_s=0)
    assert error.code == "timeout", error.message
    assert "time budget" in error.message
    assert 3.0 <= took < 3.0 + 1.5
    assert _leftovers(workdir) == []


@pytest.mark.parametrize("every_s", [0.2, 0.02], ids=["in-status-line", "in-headers"])
def test_dripping_headers_end_at_the_job_deadline(http_server: HttpServer, workdir, every_s):
    """Cut in the status line, the read fails; cut after it, the headers seem to end and the
    body seems empty: both are the deadline's doing, never `corrupt_document`."""
    url = http_server.drip("/drip-head", every_s=every_s, headers_too=True)
    error, took = _timed_fetch(url, workdir, job_timeout_s=1.0, fetch_min_bytes_per_s=0)
    assert error.code == "timeout", error.message
    assert took < 1.0 + 1.5


def test_a_dripping_tls_body_ends_at_the_job_deadline(
    https_server: HttpServer, workdir, monkeypatch
):
    from docworker.fetch import http as fetch_http
    from tests.servers import TLS_HOSTNAME

    monkeypatch.setattr(fetch_http, "_ca_bundle", lambda: str(https_server.ca_file))
    from docworker.fetch import ssrf

    monkeypatch.setattr(ssrf, "_resolve", lambda host, port: ["127.0.0.1"])
    https_server.drip("/drip", piece=300, every_s=0.3)
    url = f"https://{TLS_HOSTNAME}:{https_server.port}/drip"
    error, took = _timed_fetch(url, workdir, job_timeout_s=2.0, fetch_min_bytes_per_s=0)
    assert error.code == "timeout", error.message
    assert took < 2.0 + 1.5


def test_a_body_below_the_rate_floor_ends_after_the_grace_period(http_server: HttpServer, workdir):
    url = http_server.drip("/trickle", piece=500, every_s=0.2)  # 2.5 kB/s
    error, took = _timed_fetch(
        url, workdir, job_timeout_s=60, fetch_min_bytes_per_s=10_000, fetch_grace_s=1.0
    )
    assert error.code == "timeout" and error.retryable
    assert "minimum rate" in error.message
    assert 1.0 <= took < 3.0
    assert http_server.hits["/trickle"] == 1  # not retried


def test_a_body_above_the_floor_is_not_cut(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.slow("/steady", tiny_pdf * 40, delay_s=0.3, pieces=4)
    doc = _fetch(url, workdir, fetch_min_bytes_per_s=1000, fetch_grace_s=0.5)
    assert doc.size == len(tiny_pdf) * 40


def test_a_two_megabyte_url_is_shown_short(http_server: HttpServer, workdir, caplog):
    """Issue 13: the path of a 2 MB URL went into three log lines and the error, whole."""
    http_server.status("/" + "a" * 64, 404)
    url = http_server.url("/" + "a" * 2_000_000)
    with caplog.at_level("DEBUG", logger="docworker"):
        error, _ = _timed_fetch(url, workdir)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert error.code == "fetch_failed"
    assert "a" * 300 not in error.message and len(error.message) < 400
    assert "a" * 300 not in logged and len(logged) < 2000


# ------------------------------------------------------------- S3 error mapping


def _stubbed_client(monkeypatch, moto_s3: MotoS3, errors_to_raise: list[tuple[str, int]]):
    from botocore.stub import Stubber

    client = fetch_s3._s3_client(moto_s3.endpoint_url, build_settings())
    stubber = Stubber(client)
    for code, status in errors_to_raise:
        stubber.add_client_error("get_object", service_error_code=code, http_status_code=status)
    stubber.activate()
    monkeypatch.setattr(fetch_s3, "_s3_client", lambda endpoint, settings, sink=None: client)
    return stubber


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [("AccessDenied", 403, "was denied (AccessDenied)"), ("NoSuchKey", 404, "does not exist")],
)
def test_s3_client_errors_fail_at_once(monkeypatch, moto_s3: MotoS3, workdir, code, status, words):
    stubber = _stubbed_client(monkeypatch, moto_s3, [(code, status)])
    settings = build_settings(s3_endpoint_url=moto_s3.endpoint_url, fetch_retries=3)
    job = JobInput(s3_uri=f"s3://{moto_s3.bucket}/a/b.pdf")
    with pytest.raises(errors.FetchFailed) as info:
        fetch.fetch_document(job, settings, workdir)
    assert words in info.value.message
    assert f"s3://{moto_s3.bucket}/a/b.pdf" in info.value.message
    assert info.value.retryable is False
    stubber.assert_no_pending_responses()


def test_s3_5xx_is_retried(monkeypatch, moto_s3: MotoS3, workdir):
    stubber = _stubbed_client(monkeypatch, moto_s3, [("InternalError", 500), ("SlowDown", 503)])
    settings = build_settings(s3_endpoint_url=moto_s3.endpoint_url, fetch_retries=1)
    job = JobInput(s3_uri=f"s3://{moto_s3.bucket}/a/b.pdf")
    with pytest.raises(errors.FetchFailed) as info:
        fetch.fetch_document(job, settings, workdir)
    assert "SlowDown" in info.value.message
    assert "(2 attempt(s))" in info.value.message
    assert info.value.retryable is True
    stubber.assert_no_pending_responses()


def test_s3_without_credentials(monkeypatch, moto_s3: MotoS3, workdir, tiny_pdf):
    uri = moto_s3.put("doc.pdf", tiny_pdf)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    settings = build_settings(s3_endpoint_url=moto_s3.endpoint_url)
    with pytest.raises(errors.FetchFailed, match="no AWS credentials") as info:
        fetch.fetch_document(JobInput(s3_uri=uri), settings, workdir)
    assert info.value.retryable is False
