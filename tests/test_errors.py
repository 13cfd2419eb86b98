"""The error hierarchy: unique stable codes, all documented, one payload shape."""

from __future__ import annotations

import re
from pathlib import Path

from docworker import errors

README = Path(__file__).resolve().parents[1] / "README.md"


def test_codes_are_unique():
    codes = [cls.code for cls in errors.all_error_classes()]
    assert len(codes) == len(set(codes)), codes


def test_every_class_has_a_docstring():
    for cls in errors.all_error_classes():
        assert cls.__doc__ and cls.__doc__.strip(), cls


def _readme_codes() -> set[str]:
    text = README.read_text()
    table = text[text.index("| code | retryable |") :].split("\n\n", 1)[0]
    return set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", table, flags=re.MULTILINE))


def test_readme_lists_exactly_the_codes():
    """Every code is documented, and the table promises no code the worker cannot send."""
    codes = {cls.code for cls in errors.all_error_classes()}
    documented = _readme_codes()
    assert codes <= documented, f"README error table misses {sorted(codes - documented)}"
    assert documented <= codes, f"README documents codes never sent: {sorted(documented - codes)}"


def test_payload_shape():
    payload = errors.to_error_payload(errors.PasswordRequired("needs a password"))
    assert payload == {
        "error": {"code": "password_required", "message": "needs a password", "retryable": False}
    }


def test_foreign_exceptions_become_internal_without_their_message():
    payload = errors.to_error_payload(ValueError("Nombre: Juan Pérez, DNI 1234"))
    assert payload["error"]["code"] == "internal"
    assert "Juan" not in payload["error"]["message"]
