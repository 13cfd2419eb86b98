""".runpod/hub.json and .runpod/tests.json against Settings, the contract and the image.

hub.json must document every Settings field under the environment variable
that sets it, with the default the deployed image really has; tests.json must
exercise every output mode with inputs that pass ``JobInput`` validation.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import typing
from pathlib import Path

import pytest
from annotated_types import Ge, Gt, Le
from pydantic import SecretStr

from docworker.config import Settings
from docworker.contract import ALL_OUTPUTS, JobInput

REPO = Path(__file__).resolve().parent.parent
HUB = json.loads((REPO / ".runpod" / "hub.json").read_text(encoding="utf-8"))
TESTS = json.loads((REPO / ".runpod" / "tests.json").read_text(encoding="utf-8"))

#: Settings fields that RunPod itself sets; listing them as inputs would let a
#: user override the platform's value. docs/DEPLOY.md names them instead.
SET_BY_RUNPOD = {"on_runpod": "RUNPOD_WEBHOOK_GET_JOB"}
HUB_CATEGORIES = {"audio", "embedding", "language", "video", "image"}
INPUT_TYPES = {"string", "number", "boolean", "huggingface"}


def env_name(field_name: str) -> str:
    """The variable that sets a field: its upper-case alias, else DOCWORKER_<FIELD>."""
    alias = Settings.model_fields[field_name].validation_alias
    if alias is not None:
        return next(c for c in alias.choices if isinstance(c, str) and c.isupper())
    return f"DOCWORKER_{field_name.upper()}"


def image_env() -> dict[str, str]:
    """ENV values the Dockerfile sets, which are the real defaults of a deployed worker."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    return dict(re.findall(r"\b(DOCWORKER_\w+)=(\S+)", text))


ENV_ENTRIES = {entry["key"]: entry for entry in HUB["config"]["env"]}


def test_hub_metadata() -> None:
    assert HUB["type"] == "serverless"
    assert HUB["category"] in HUB_CATEGORIES
    assert HUB["title"] and HUB["description"]
    config = HUB["config"]
    assert config["runsOn"] == "GPU"
    assert isinstance(config["containerDiskInGb"], int) and config["containerDiskInGb"] >= 20
    assert isinstance(config["gpuCount"], int) and config["gpuCount"] >= 1
    assert isinstance(config["gpuIds"], str) and config["gpuIds"]


def test_cuda_versions_fit_the_torch_build() -> None:
    """allowedCudaVersions must not admit hosts whose driver is older than torch's CUDA."""
    spec = importlib.util.find_spec("torch")
    assert spec is not None and spec.submodule_search_locations
    version_py = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    match = re.search(r"^cuda(?::\s*\S+)?\s*=\s*'([\d.]+)'", version_py.read_text(), re.M)
    assert match, "torch/version.py names no CUDA version: is this the CUDA build?"
    built = tuple(int(x) for x in match.group(1).split("."))
    for source in (HUB["config"], TESTS["config"]):
        for allowed in source["allowedCudaVersions"]:
            assert tuple(int(x) for x in allowed.split(".")) >= built, allowed


def test_every_settings_field_is_documented() -> None:
    expected = {env_name(n) for n in Settings.model_fields if n not in SET_BY_RUNPOD}
    assert set(ENV_ENTRIES) == expected
    assert len(ENV_ENTRIES) == len(HUB["config"]["env"]), "duplicate env keys"


def test_platform_variables_are_not_user_settable() -> None:
    deploy = (REPO / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    for field_name, variable in SET_BY_RUNPOD.items():
        assert env_name(field_name) == variable
        assert variable not in ENV_ENTRIES
        assert variable in deploy, f"docs/DEPLOY.md must explain {variable}"


def test_deploy_doc_names_only_real_variables() -> None:
    deploy = (REPO / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    for name in set(re.findall(r"\b((?:DOCWORKER|BUCKET)_[A-Z0-9_]+)\b", deploy)):
        assert name in ENV_ENTRIES, f"docs/DEPLOY.md names {name}, which hub.json does not"


@pytest.mark.parametrize("field_name", [n for n in Settings.model_fields if n not in SET_BY_RUNPOD])
def test_env_entry_matches_field(field_name: str) -> None:
    field = Settings.model_fields[field_name]
    entry = ENV_ENTRIES[env_name(field_name)]
    spec = entry["input"]
    assert spec["name"] and spec["type"] in INPUT_TYPES
    assert field.description and field.description.split(";")[0] in spec["description"]
    default = field.default_factory() if field.default_factory else field.default
    image_default = image_env().get(entry["key"])
    annotation = field.annotation
    if image_default is not None:
        assert spec["default"] == image_default, "hub default must equal the image's ENV"
    elif default is None:
        assert "default" not in spec, "an empty default would set the variable to ''"
    elif isinstance(default, list):
        assert spec["default"] == ",".join(default)
    elif annotation is bool:
        assert spec["type"] == "boolean" and spec["default"] is default
        assert (spec["trueValue"], spec["falseValue"]) == ("true", "false")
    elif annotation in (int, float):
        assert spec["type"] == "number" and spec["default"] == default
        for meta in field.metadata:
            if isinstance(meta, Ge):
                assert spec["min"] == meta.ge
            if isinstance(meta, Gt) and annotation is int:
                assert spec["min"] == meta.gt + 1
            if isinstance(meta, Le):
                assert spec["max"] == meta.le
    else:
        assert str(spec["default"]) == str(default)
    if typing.get_origin(annotation) is typing.Literal:
        assert [o["value"] for o in spec["options"]] == list(typing.get_args(annotation))
    for option in spec.get("options", []):
        Settings(**{field_name: option["value"]})


def test_presets_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {env_name(n): n for n in Settings.model_fields}
    for preset in HUB["config"]["presets"]:
        assert preset["name"]
        for key in list(names):
            monkeypatch.delenv(key, raising=False)
        for key, value in preset["defaults"].items():
            assert key in ENV_ENTRIES, f"preset {preset['name']!r}: {key} is not documented"
            monkeypatch.setenv(key, str(value).lower() if isinstance(value, bool) else str(value))
        Settings()


def test_tests_json_shape() -> None:
    names = [t["name"] for t in TESTS["tests"]]
    assert len(names) == len(set(names))
    for test in TESTS["tests"]:
        assert re.fullmatch(r"[a-z0-9_]+", test["name"])
        assert isinstance(test["timeout"], int) and 10_000 <= test["timeout"] <= 600_000
    config = TESTS["config"]
    assert config["gpuCount"] >= 1 and config["gpuTypeId"]
    for item in config.get("env", []):
        assert item["key"] in ENV_ENTRIES


@pytest.mark.parametrize("test", TESTS["tests"], ids=lambda t: t["name"])
def test_each_test_input_validates(test: dict) -> None:
    JobInput.model_validate(test["input"])


def test_every_output_mode_is_exercised_and_on_cpu_too() -> None:
    def outputs(test: dict) -> set[str]:
        return set(JobInput.model_validate(test["input"]).outputs)

    good = [t for t in TESTS["tests"] if not t["name"].startswith("error_")]
    assert set().union(*(outputs(t) for t in good)) == set(ALL_OUTPUTS)
    cpu = [t for t in good if t["input"].get("engine") != "gpu"]
    assert set().union(*(outputs(t) for t in cpu)) == set(ALL_OUTPUTS)
    for mode in ALL_OUTPUTS:  # one test per mode asks for that mode alone
        assert any(outputs(t) == {mode} for t in good), mode
    assert any(t["input"].get("engine") == "gpu" for t in good), "no GPU engine test"


def test_every_hub_test_expects_success() -> None:
    """The Hub passes a test only on HTTP 200; a job that fails on purpose stays out.

    The error case lives in scripts/replay_dockerfile.py's own smoke jobs instead.
    """
    from scripts.replay_dockerfile import SMOKE_ERROR_JOBS

    assert not [t["name"] for t in TESTS["tests"] if t["name"].startswith("error_")]
    for test in TESTS["tests"]:
        assert base64.b64decode(test["input"]["document_base64"]).startswith(b"%PDF")
    assert SMOKE_ERROR_JOBS
    for name, job in SMOKE_ERROR_JOBS.items():
        assert name.startswith("error_")
        JobInput.model_validate(job)
        assert not base64.b64decode(job["document_base64"]).startswith(b"%PDF")


def test_presets_run_on_the_listing_machine() -> None:
    """runsOn is one per listing and presets only set variables: none may promise a CPU box."""
    for preset in HUB["config"]["presets"]:
        assert ("CPU" in preset["name"]) == (HUB["config"]["runsOn"] == "CPU"), preset["name"]


def test_secrets_are_runpod_secrets_without_defaults() -> None:
    secret_fields = [
        name
        for name, field in Settings.model_fields.items()
        if SecretStr in typing.get_args(field.annotation) and name not in SET_BY_RUNPOD
    ]
    assert {"s3_access_key_id", "s3_secret_access_key"} <= set(secret_fields)
    for name in ("s3_access_key_id", "s3_secret_access_key"):
        spec = ENV_ENTRIES[env_name(name)]["input"]
        assert "default" not in spec and spec["type"] == "string"
        assert "RUNPOD_SECRET_" in spec["description"]
    assert "DOCWORKER_S3_REGION" in ENV_ENTRIES


def test_sample_document_is_a_spanish_pdf_with_a_table() -> None:
    import pypdfium2

    bodies = {
        t["input"]["document_base64"] for t in TESTS["tests"] if not t["name"].startswith("error_")
    }
    for encoded in bodies:
        pdf = pypdfium2.PdfDocument(base64.b64decode(encoded))
        try:
            assert len(pdf) == 1
            text = pdf[0].get_textpage().get_text_bounded()
        finally:
            pdf.close()
        for expected in ("Información pública: año 2025", "¿Señal? ¡Sí!", "Región", "Málaga"):
            assert expected in text
