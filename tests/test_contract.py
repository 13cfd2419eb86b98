"""The input and output contract: validation, page ranges, committed JSON Schemas."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from docworker import errors
from docworker.contract import SCHEMA_VERSION, JobInput, json_schemas, parse_page_ranges
from docworker.pipeline import parse_input

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schemas_match_the_models():
    for name, schema in json_schemas().items():
        committed = json.loads((ROOT / "schemas" / name).read_text())
        assert committed == schema, (
            f"schemas/{name} is stale: run python -m docworker schema --write schemas"
        )


def test_schema_version_is_published():
    for schema in json_schemas().values():
        assert schema["x-schema-version"] == SCHEMA_VERSION
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(
    "spec,count,expected",
    [
        (None, 3, [1, 2, 3]),
        ("", 3, [1, 2, 3]),
        ("1-3,7", 10, [1, 2, 3, 7]),
        ("2-", 4, [2, 3, 4]),
        ("5,1,5", 5, [1, 5]),
        ("9", 3, []),
        (" 1 - 2 , 3 ", 5, [1, 2, 3]),
    ],
)
def test_page_ranges(spec, count, expected):
    assert parse_page_ranges(spec, count) == expected


@pytest.mark.parametrize("spec", ["0", "3-1", "a", "1,,2", "-3", "1-2-3"])
def test_bad_page_ranges(spec):
    with pytest.raises(ValueError):
        parse_page_ranges(spec, 10)


def test_exactly_one_source():
    with pytest.raises(ValidationError):
        JobInput()
    with pytest.raises(ValidationError):
        JobInput(document_url="https://example.com/a.pdf", s3_uri="s3://bucket/key")
    assert JobInput(s3_uri="s3://my-bucket/a/b.pdf").s3_location() == ("my-bucket", "a/b.pdf")


def test_base64_needs_filename_and_valid_base64():
    good = base64.b64encode(b"%PDF-1.4").decode()
    with pytest.raises(ValidationError):
        JobInput(document_base64=good)
    with pytest.raises(ValidationError):
        JobInput(document_base64="not base64!!", filename="a.pdf")
    assert JobInput(document_base64=good, filename="a.pdf").filename == "a.pdf"


def test_unknown_fields_are_rejected_with_invalid_input():
    with pytest.raises(errors.InvalidInput) as info:
        parse_input({"document_url": "https://example.com/a.pdf", "colour": "blue"})
    assert info.value.code == "invalid_input"
    assert info.value.details[0]["loc"] == "colour"


def test_invalid_input_details_never_echo_values():
    secret = base64.b64encode(b"confidential contract text").decode()
    with pytest.raises(errors.InvalidInput) as info:
        parse_input({"document_base64": secret, "filename": "x.pdf", "pages": "zzz"})
    assert secret not in json.dumps(errors.to_error_payload(info.value))


@pytest.mark.parametrize(
    "value", ["ftp://example.com/a.pdf", "file:///etc/passwd", "example.com/a.pdf", "s3://b/k"]
)
def test_document_url_must_be_http(value):
    with pytest.raises(ValidationError):
        JobInput(document_url=value)


def test_non_dict_input():
    with pytest.raises(errors.InvalidInput):
        parse_input(["document_url"])
