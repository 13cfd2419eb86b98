"""Large results go to the result bucket: real boto3 against moto's S3 server on 127.0.0.1.

The presigned URL each stored response carries is downloaded over HTTP and
its bytes are checked against the response's ``bytes`` and ``sha256``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import urllib.request
from pathlib import Path
from typing import Any

import jsonschema

from docworker import errors
from docworker.contract import (
    DocumentData,
    DocumentInfo,
    EngineInfo,
    ExtractionResponse,
    Metadata,
    PageResult,
)
from docworker.results import ResultStore, object_key, payload_bytes, region_of
from docworker.service import Worker
from tests.servers import FAKE_SECRET_ACCESS_KEY, build_settings

ROOT = Path(__file__).resolve().parents[1]
STORED_SCHEMA = json.loads((ROOT / "schemas" / "stored-output.schema.json").read_text())
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())

BUCKET_SECRET = "bucketSecretDocworker/NeverLogged+987"


def make_payload(pages: int, words: int = 50) -> dict[str, Any]:
    """A valid response payload of roughly ``pages * words * 10`` bytes."""
    text = " ".join(["Información pública año señal"] * (words // 4))
    page_results = [
        PageResult(
            number=n,
            width=595,
            height=842,
            unit="pt",
            source="text_layer",
            status="ok",
            text=text,
            markdown=text,
            blocks=[],
            tables=[],
        )
        for n in range(1, pages + 1)
    ]
    response = ExtractionResponse(
        data=DocumentData(pages=page_results, text=text, markdown=text),
        metadata=Metadata(
            job_id="job-1",
            status="success",
            document=DocumentInfo(
                sha256="0" * 64,
                mime="application/pdf",
                bytes=1000,
                page_count=pages,
                pages_processed=pages,
            ),
            engine=EngineInfo(name="cpu", requested="cpu", reason="requested cpu", device="cpu"),
            timings_ms={"total": 1.0},
            worker_version="0.1.0",
        ),
    )
    payload = response.model_dump(mode="json")
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    return payload


def bucket_settings(moto_s3, **overrides: Any):
    values: dict[str, Any] = {
        "bucket_endpoint_url": moto_s3.endpoint_url,
        "bucket_access_key_id": "bucket-key-id",
        "bucket_secret_access_key": BUCKET_SECRET,
        "bucket_name": moto_s3.bucket,
        "result_inline_max_bytes": 2000,
        "result_url_expiry_s": 600,
    }
    values.update(overrides)
    return build_settings(**values)


def download(url: str) -> bytes:
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def stored_keys(moto_s3) -> list[str]:
    listing = moto_s3.client.list_objects_v2(Bucket=moto_s3.bucket)
    return [item["Key"] for item in listing.get("Contents", [])]


def test_small_payload_stays_inline(moto_s3):
    store = ResultStore.from_settings(bucket_settings(moto_s3))
    payload = make_payload(1, words=8)
    assert len(payload_bytes(payload)) <= 2000
    assert store.maybe_store(payload, "job-1") is payload
    assert stored_keys(moto_s3) == []


def test_large_payload_is_stored_and_the_presigned_url_serves_it(moto_s3, caplog):
    caplog.set_level(logging.DEBUG)
    store = ResultStore.from_settings(bucket_settings(moto_s3))
    payload = make_payload(40)
    body = payload_bytes(payload)
    assert len(body) > 2000

    stored = store.maybe_store(payload, "job-1")

    jsonschema.validate(stored, STORED_SCHEMA)
    assert set(stored) == {"result", "metadata"}
    assert stored["metadata"] == payload["metadata"]
    result = stored["result"]
    assert result["bytes"] == len(body)
    assert result["sha256"] == hashlib.sha256(body).hexdigest()
    assert result["expires_in_s"] == 600
    fetched = download(result["url"])
    assert len(fetched) == result["bytes"]
    assert hashlib.sha256(fetched).hexdigest() == result["sha256"]
    assert json.loads(fetched) == payload
    assert "Información pública" in fetched.decode("utf-8")  # stored as UTF-8, not \\u escapes
    (key,) = stored_keys(moto_s3)
    assert key.startswith("results/") and "job-1" in key and key.endswith(".json")
    head = moto_s3.client.head_object(Bucket=moto_s3.bucket, Key=key)
    assert head["ContentType"].startswith("application/json")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert BUCKET_SECRET not in logged and "X-Amz-Signature" not in logged


def test_missing_bucket_gives_upload_failed(moto_s3):
    store = ResultStore.from_settings(bucket_settings(moto_s3, bucket_name="no-such-bucket-here"))
    payload = store.maybe_store(make_payload(40), "job-1")
    assert set(payload) == {"error"}
    assert payload["error"]["code"] == errors.UploadFailed.code == "upload_failed"
    assert payload["error"]["retryable"] is True
    assert "NoSuchBucket" in payload["error"]["message"]
    assert BUCKET_SECRET not in json.dumps(payload)


def test_unreachable_endpoint_gives_upload_failed(moto_s3):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = bucket_settings(moto_s3, bucket_endpoint_url=f"http://127.0.0.1:{port}")
    payload = ResultStore.from_settings(settings).maybe_store(make_payload(40), "job-1")
    assert payload["error"]["code"] == "upload_failed"
    assert payload["error"]["retryable"] is True
    assert FAKE_SECRET_ACCESS_KEY not in json.dumps(payload)


class FakePipeline:
    """Stands in for ``Pipeline``: returns a canned payload."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def run(self, job_input, job_id=None, progress=None, on_page=None):
        return json.loads(json.dumps(self.payload))


def test_worker_stores_large_results_but_never_errors(moto_s3):
    settings = bucket_settings(moto_s3)
    store = ResultStore.from_settings(settings)
    big = Worker(settings, FakePipeline(make_payload(40)), result_store=store)
    stored = big.run_job({"id": "job-9", "input": {}})
    jsonschema.validate(stored, STORED_SCHEMA)
    assert json.loads(download(stored["result"]["url"]))["metadata"]["job_id"] == "job-1"

    error = {"error": {"code": "fetch_failed", "message": "x" * 5000, "retryable": True}}
    failing = Worker(settings, FakePipeline(error), result_store=store)
    assert failing.run_job({"id": "job-10", "input": {}}) == error
    assert len(stored_keys(moto_s3)) == 1


def test_region_and_key_helpers():
    assert region_of("https://s3.eu-west-1.amazonaws.com") == "eu-west-1"
    assert region_of("https://bucket.s3.us-east-2.amazonaws.com") == "us-east-2"
    assert region_of("https://nyc3.digitaloceanspaces.com") == "nyc3"
    assert region_of("http://127.0.0.1:9000") is None
    now = dt.datetime(2025, 3, 4, tzinfo=dt.UTC)
    key = object_key("../../etc/passwd sync-1", now)
    assert key.startswith("results/2025-03-04/_etc_passwd_sync-1-") and key.count("/") == 2
    assert object_key("a", now) != object_key("a", now)
    assert object_key(None, now).startswith("results/2025-03-04/job-")
