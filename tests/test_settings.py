"""Settings: read once from the environment, validated, and documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from docworker.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def env_name(name: str, field) -> str:
    if field.validation_alias is not None:
        return field.validation_alias.choices[0]
    return f"DOCWORKER_{name.upper()}"


def test_readme_documents_every_setting():
    missing = [
        env_name(name, field)
        for name, field in Settings.model_fields.items()
        if f"| `{env_name(name, field)}` |" not in README
    ]
    assert not missing, f"README's environment table lacks {missing}"


def test_every_setting_has_a_description():
    assert all(field.description for field in Settings.model_fields.values())


def test_environment_is_read_with_prefix_and_aliases(monkeypatch):
    monkeypatch.setenv("DOCWORKER_MAX_PAGES", "12")
    monkeypatch.setenv("DOCWORKER_REQUIRE", "torch, gpu")
    monkeypatch.setenv("DOCWORKER_ALLOW_PRIVATE_HOSTS", "127.0.0.1,10.0.0.0/8")
    monkeypatch.setenv("BUCKET_SECRET_ACCESS_KEY", "s3cr3t")
    monkeypatch.setenv("RUNPOD_WEBHOOK_GET_JOB", "https://api.runpod.ai/v2/x/job-take")
    settings = Settings()
    assert settings.max_pages == 12
    assert settings.require == ["torch", "gpu"]
    assert settings.allow_private_hosts == ["127.0.0.1", "10.0.0.0/8"]
    assert settings.on_runpod is True
    assert "s3cr3t" not in repr(settings)
    assert settings.bucket_secret_access_key.get_secret_value() == "s3cr3t"


def test_unknown_requirement_is_refused():
    with pytest.raises(ValidationError):
        Settings(require=["gpu", "quantum"])


def test_settings_are_immutable():
    with pytest.raises(ValidationError):
        Settings().max_pages = 3
