"""The operator's S3 key pair and region (DOCWORKER_S3_*) reach the S3 client, and never a log.

RunPod workers have no instance role, so a Hub deployment gets its AWS
credentials from these settings (RunPod secrets). Runs against moto's S3
server on 127.0.0.1 with the standard chain emptied.
"""

from __future__ import annotations

import logging

import pytest

from docworker import errors, fetch
from docworker.config import Settings
from docworker.contract import JobInput
from docworker.pipeline import Pipeline
from tests.servers import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, build_settings, pdf_with_text


@pytest.fixture
def no_chain(moto_s3, monkeypatch):
    """moto's bucket, with the standard chain's environment credentials removed."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    return moto_s3


def test_settings_credentials_read_an_s3_input_through_the_pipeline(no_chain, caplog, tmp_path):
    uri = no_chain.put("informe.pdf", pdf_with_text("Informe leido con las claves del operador"))
    settings = build_settings(
        s3_endpoint_url=no_chain.endpoint_url,
        s3_access_key_id=FAKE_ACCESS_KEY_ID,
        s3_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        s3_region="eu-west-1",
        default_engine="cpu",
        workers=1,
        warmup=False,
    )
    caplog.set_level(logging.DEBUG, logger="docworker")
    pipeline = Pipeline.build(settings, load_gpu=False)
    try:
        payload = pipeline.run({"s3_uri": uri, "outputs": ["text"]}, job_id="s3-keys")
    finally:
        pipeline.close()
    assert "error" not in payload, payload
    assert "Informe leido con las claves del operador" in payload["data"]["text"]
    logged = "\n".join(r.getMessage() + repr(getattr(r, "data", "")) for r in caplog.records)
    assert FAKE_SECRET_ACCESS_KEY not in logged and FAKE_ACCESS_KEY_ID not in logged
    assert FAKE_SECRET_ACCESS_KEY not in repr(settings) + str(settings.model_dump())

    # The same job without the settings' keys finds no credentials at all.
    bare = build_settings(s3_endpoint_url=no_chain.endpoint_url)
    with pytest.raises(errors.FetchFailed, match="no AWS credentials"):
        fetch.fetch_document(JobInput(s3_uri=uri), bare, tmp_path)


def test_key_id_and_secret_come_together_and_errors_do_not_echo_them(monkeypatch):
    monkeypatch.setenv("DOCWORKER_S3_SECRET_ACCESS_KEY", "only-the-secret-1234")
    with pytest.raises(ValueError, match="set together") as info:
        Settings()
    assert "only-the-secret-1234" not in str(info.value)
    monkeypatch.setenv("DOCWORKER_S3_ACCESS_KEY_ID", "AKIAEXAMPLE")
    settings = Settings()
    assert settings.s3_secret_access_key.get_secret_value() == "only-the-secret-1234"
