"""No query string, URL credential, S3 secret or document text reaches logs or error payloads."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from docworker import errors, fetch
from docworker.contract import JobInput
from docworker.logs import JsonFormatter, job_context, setup_logging
from tests.servers import (
    FAKE_ACCESS_KEY_ID,
    FAKE_SECRET_ACCESS_KEY,
    HttpServer,
    MotoS3,
    build_settings,
    pdf_with_text,
)

DOC_TEXT = "CONFIDENTIAL-PAYLOAD-7731"
PASSWORD = "hunter2-Pa55word"
TOKEN = "tok-9f8e7d6c5b4a"
LOCAL = ["127.0.0.1"]


class Capture:
    """Every record as the worker's JSON lines, plus error payloads, in one searchable text."""

    def __init__(self, caplog: pytest.LogCaptureFixture, stream: io.StringIO) -> None:
        self.caplog = caplog
        self.stream = stream
        self.payloads: list[str] = []

    def fail(self, job: JobInput, settings, workdir: Path) -> errors.WorkerError:
        with pytest.raises(errors.WorkerError) as info:
            fetch.fetch_document(job, settings, workdir)
        payload = errors.to_error_payload(info.value)
        self.payloads.append(json.dumps(payload, ensure_ascii=False))
        return info.value

    def text(self) -> str:
        formatter = JsonFormatter()
        lines = [formatter.format(record) for record in self.caplog.records]
        return "\n".join([*lines, self.stream.getvalue(), *self.payloads])

    def assert_clean(self, *secrets: str) -> None:
        text = self.text()
        assert "docworker.fetch" in text  # the capture did see the worker's lines
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked"


@pytest.fixture
def capture(caplog: pytest.LogCaptureFixture) -> Iterator[Capture]:
    """The production logging setup at DEBUG (JSON lines to a buffer) plus caplog."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    noisy = ("urllib3", "botocore", "boto3", "s3transfer", "RapidOCR", "docstrange")
    saved_noisy = {name: logging.getLogger(name).level for name in noisy}
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    caplog.set_level(logging.DEBUG, logger="docworker")
    try:
        with job_context("job-secrets"):
            yield Capture(caplog, stream)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_noisy.items():
            logging.getLogger(name).setLevel(level)


def _query_secrets(url: str) -> list[str]:
    query = urlsplit(url).query
    values = [value for _key, value in parse_qsl(query) if len(value) >= 8]
    return [query, *values]


def test_presigned_url_fetch_and_failures(capture: Capture, moto_s3: MotoS3, tmp_path: Path):
    moto_s3.put("private/report.pdf", pdf_with_text(DOC_TEXT))
    good = moto_s3.presigned_url("private/report.pdf")
    missing = moto_s3.presigned_url("private/missing.pdf")
    assert "Signature" in good
    settings = build_settings(allow_private_hosts=LOCAL)

    doc = fetch.fetch_document(JobInput(document_url=good), settings, tmp_path / "a")
    assert DOC_TEXT.encode() in doc.path.read_bytes()  # the text is in the file, not the logs
    capture.fail(JobInput(document_url=missing), settings, tmp_path / "b")
    capture.fail(
        JobInput(document_url=good),
        build_settings(allow_private_hosts=LOCAL, max_bytes=10),
        tmp_path / "c",
    )
    capture.assert_clean(
        *_query_secrets(good),
        *_query_secrets(missing),
        "X-Amz-Signature=",
        "X-Amz-Credential=",
        FAKE_ACCESS_KEY_ID,
        FAKE_SECRET_ACCESS_KEY,
        DOC_TEXT,
    )
    assert "report.pdf" in capture.text()  # the redacted URL is still useful


def test_credentials_in_urls(capture: Capture, http_server: HttpServer, tmp_path: Path):
    http_server.status("/flaky", 503)
    http_server.redirect("/jump", f"http://eve:{PASSWORD}@10.0.0.1/steal?token={TOKEN}")
    http_server.serve("/secret.txt", f"plain text {DOC_TEXT}".encode())
    base = f"http://bob:{PASSWORD}@127.0.0.1:{http_server.port}"
    settings = build_settings(allow_private_hosts=LOCAL, fetch_retries=1)
    jobs = [
        f"{base}/flaky?token={TOKEN}",  # 5xx, retried, then fails
        f"{base}/jump?token={TOKEN}",  # redirect to a blocked address
        f"{base}/secret.txt?token={TOKEN}",  # unsupported type: content must not be echoed
        f"http://bob:{PASSWORD}@169.254.169.254/latest?token={TOKEN}",  # blocked at once
        f"http://bob:{PASSWORD}@127.0.0.1:1/nothing?token={TOKEN}",  # connection refused
    ]
    for index, url in enumerate(jobs):
        capture.fail(JobInput(document_url=url), settings, tmp_path / str(index))
    capture.assert_clean(PASSWORD, TOKEN, DOC_TEXT, "bob:", "eve:")


def test_s3_fetches(capture: Capture, moto_s3: MotoS3, tmp_path: Path):
    uri = moto_s3.put("in/doc.pdf", pdf_with_text(DOC_TEXT))
    settings = build_settings(s3_endpoint_url=moto_s3.endpoint_url)
    fetch.fetch_document(JobInput(s3_uri=uri), settings, tmp_path / "a")
    error = capture.fail(
        JobInput(s3_uri=f"s3://{moto_s3.bucket}/in/missing.pdf"), settings, tmp_path / "b"
    )
    assert "missing.pdf" in error.message  # the bucket/key path is fine to show
    capture.fail(
        JobInput(s3_uri=uri),
        build_settings(s3_endpoint_url=moto_s3.endpoint_url, max_bytes=5),
        tmp_path / "c",
    )
    capture.assert_clean(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, DOC_TEXT, "Signature=")


# ---------------------------------------------------- handler.py at its defaults


def test_handler_test_input_prints_no_secret_and_no_text(moto_s3: MotoS3):
    """Issue 13 #3: at RunPod's default DEBUG, `--test_input` printed the job (presigned
    signature, credential, password) and the result (the document's text)."""
    import os
    import subprocess
    import sys

    from tests.hostile_docs import encrypt

    root = Path(__file__).resolve().parents[1]
    moto_s3.put("private/cifrado.pdf", encrypt(pdf_with_text(DOC_TEXT), user=PASSWORD, owner=""))
    url = moto_s3.presigned_url("private/cifrado.pdf")
    job = {"input": {"document_url": url, "password": PASSWORD, "engine": "cpu"}}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCWORKER_", "RUNPOD_", "BUCKET_", "AWS_"))
    }
    env.update(
        DOCWORKER_WORKERS="1",
        DOCWORKER_WARMUP="false",
        DOCWORKER_ALLOW_PRIVATE_HOSTS="127.0.0.1",
    )
    proc = subprocess.run(
        [sys.executable, "handler.py", "--test_input", json.dumps(job)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "completed successfully" in out and "success, 1 page(s)" in out
    for secret in (*_query_secrets(url), PASSWORD, FAKE_ACCESS_KEY_ID, DOC_TEXT, "Signature="):
        assert secret not in out, f"{secret!r} printed"
    assert "cifrado.pdf" in out  # the redacted URL still says which document
