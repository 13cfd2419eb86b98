"""Structured extraction: page images + markdown + a JSON Schema → a validated JSON object.

The VLM is shown the first pages' images and the document's markdown and is
asked for one JSON object that fills the caller's ``json_schema``. The answer is
parsed (code fences and chatter around the object are tolerated) and validated
with ``jsonschema``. An invalid answer is retried once, with the validation
errors fed back; a second failure raises ``errors.SchemaValidationFailed`` with
the raw outputs (truncated) and the errors in ``details``.

Needs an instruction-following VLM (Nanonets-OCR-s); GOT-OCR2 only does OCR,
so structured mode with it raises ``errors.EngineUnavailable``.

Regular expressions come from the caller, and Python's ``re`` backtracks: a
``pattern`` of ``^(a+)+$`` against 40 characters of the model's answer runs
for hours in the worker process. So ``pattern`` is evaluated with the
``regex`` module under a time limit (``PATTERN_TIMEOUT_S`` per value,
``PATTERN_BUDGET_S`` for one validation); past it the job fails with
``invalid_input``, naming no value. ``patternProperties`` is refused when the
schema is checked (jsonschema matches it with ``re`` in three places, with no
way to bound them).

Input: ``list[RenderedPage]``, the document markdown, a JSON Schema.
Output: the validated object (a ``dict``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field

from docworker import errors
from docworker.pages import RenderedPage
from docworker.stages.vlm import VlmRequest, VlmStage

_log = logging.getLogger(__name__)

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)

#: Longest one ``pattern`` may run on one value, and all of them in one validation.
PATTERN_TIMEOUT_S = 0.1
PATTERN_BUDGET_S = 1.0
_pattern_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "docworker_pattern_deadline", default=None
)
#: Keywords whose value maps names (not keywords) to subschemas.
_NAMED_SUBSCHEMAS = frozenset({"properties", "$defs", "definitions", "dependentSchemas"})
#: Keywords whose value is data, never a schema.
_DATA = frozenset({"enum", "const", "examples", "default"})

STRUCTURED_PROMPT = (
    "Fill in a JSON Schema from this document. The document's pages are shown above "
    "as images, and their transcription follows as Markdown.\n\n"
    "<document>\n{markdown}\n</document>\n\n"
    "JSON Schema:\n{schema}\n\n"
    "Reply with exactly one JSON object that validates against the schema and nothing else. "
    "Take every value from the document; where the document does not give a value and "
    "the schema allows it, use null. Copy text exactly, keeping accents and punctuation."
)

RETRY_PROMPT = (
    "\n\nYour previous reply was:\n{previous}\n\n"
    "It is not valid: {problems}\n"
    "Reply again with only the corrected JSON object."
)


class StructuredOptions(BaseModel):
    """Limits of one structured extraction."""

    max_images: int = Field(4, ge=0, description="Page images shown to the model (first pages).")
    max_markdown_chars: int = Field(
        24_000, gt=0, description="Markdown beyond this is cut (the images still show the pages)."
    )
    max_new_tokens: int = Field(
        4096, gt=0, description="Cap on the JSON answer's tokens (the VLM's page cap)."
    )
    retries: int = Field(1, ge=0, description="Further attempts after an invalid answer.")
    raw_output_limit: int = Field(
        4096, gt=0, description="Characters of each raw answer kept in the error details."
    )


def extract_json(text: str) -> Any:
    """The JSON value in a model's reply: the whole reply, a fenced block, or the first object.

    Raises ``ValueError`` with a short reason when none parses.
    """
    stripped = text.strip()
    candidates = [stripped]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(stripped)]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[{\[]", stripped):
        try:
            value, _ = decoder.raw_decode(stripped[match.start() :])
        except ValueError:
            continue
        return value
    raise ValueError("the reply holds no parseable JSON value")


def _truncate(text: str, limit: int) -> str:
    return (
        text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"
    )


def _pattern_matches(pattern: str, text: str) -> bool:
    """``re.search`` semantics with the ``regex`` module, under this validation's time limit."""
    try:
        import regex
    except ImportError as e:  # a dependency of transformers, so of the gpu engine
        raise errors.InvalidInput(
            "`pattern` in json_schema needs the regex module here; leave `pattern` out"
        ) from e
    deadline = _pattern_deadline.get() or time.monotonic() + PATTERN_BUDGET_S
    left = deadline - time.monotonic()
    try:
        if left <= 0:
            raise TimeoutError
        return regex.search(pattern, text, timeout=min(PATTERN_TIMEOUT_S, left)) is not None
    except TimeoutError as e:
        raise errors.InvalidInput(
            f"a `pattern` in json_schema ran past its time limit ({PATTERN_TIMEOUT_S:g} s a"
            f" value, {PATTERN_BUDGET_S:g} s a validation): it backtracks (like ^(a+)+$);"
            " use a simpler pattern"
        ) from e
    except regex.error as e:
        raise errors.InvalidInput("a `pattern` in json_schema is not a valid expression") from e


def _bounded_pattern(validator, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's ``pattern`` keyword, evaluated by ``_pattern_matches``."""
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not _pattern_matches(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _refuse_pattern_properties(node: Any) -> None:
    """``InvalidInput`` if any (sub)schema uses ``patternProperties``."""
    if isinstance(node, list):
        for item in node:
            _refuse_pattern_properties(item)
        return
    if not isinstance(node, dict):
        return
    if "patternProperties" in node:
        raise errors.InvalidInput(
            "json_schema uses `patternProperties`, which is not supported (its expressions"
            " would run without a time limit); list the names in `properties`"
        )
    for key, value in node.items():
        if key in _DATA:
            continue
        if key in _NAMED_SUBSCHEMAS and isinstance(value, dict):
            _refuse_pattern_properties(list(value.values()))
        else:
            _refuse_pattern_properties(value)


def schema_validator(schema: dict[str, Any]):
    """A jsonschema validator for ``schema`` (its ``$schema`` draft, else 2020-12).

    Its ``pattern`` runs under a time limit (``_bounded_pattern``). Raises
    ``errors.InvalidInput`` when the schema itself is not valid, is not an
    object's, or uses ``patternProperties``.
    """
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise errors.InvalidInput(f"json_schema is not a valid JSON Schema: {e.message}") from e
    root_type = schema.get("type", "object")
    if root_type != "object" and not (isinstance(root_type, list) and "object" in root_type):
        raise errors.InvalidInput('json_schema must describe a JSON object ("type": "object")')
    _refuse_pattern_properties(schema)
    bounded = jsonschema.validators.extend(cls, {"pattern": _bounded_pattern})
    return bounded(schema)


def validation_problems(validator, value: Any, limit: int = 5) -> list[str]:
    """Up to ``limit`` readable validation errors, most relevant first; ``[]`` when valid."""
    import jsonschema

    token = _pattern_deadline.set(time.monotonic() + PATTERN_BUDGET_S)
    try:
        found = sorted(validator.iter_errors(value), key=jsonschema.exceptions.relevance)
    finally:
        _pattern_deadline.reset(token)
    problems = []
    for error in found[:limit]:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(f"at {where}: {error.message}")
    return problems


class StructuredStage:
    """Prompt, parse, validate, retry once, then fail with the evidence."""

    name = "structured"

    def __init__(self, vlm: VlmStage, options: StructuredOptions | None = None) -> None:
        self.vlm = vlm
        self.options = options or StructuredOptions()

    @classmethod
    def from_settings(cls, settings: Any, vlm: VlmStage) -> StructuredStage:
        """The stage over an already loaded VLM (models load once)."""
        options = StructuredOptions(max_new_tokens=vlm.options.max_new_tokens)
        return cls(vlm, options)

    def prompt(self, markdown: str, schema: dict[str, Any]) -> str:
        limit = self.options.max_markdown_chars
        body = markdown if len(markdown) <= limit else markdown[:limit] + "\n[... cut ...]"
        return STRUCTURED_PROMPT.format(
            markdown=body, schema=json.dumps(schema, ensure_ascii=False, indent=1)
        )

    def __call__(
        self, pages: list[RenderedPage], markdown: str, schema: dict[str, Any]
    ) -> dict[str, Any]:
        """The object filling ``schema``; raises ``SchemaValidationFailed`` after the retry."""
        validator = schema_validator(schema)
        if not self.vlm.follows_instructions:
            raise errors.EngineUnavailable(
                f"structured output needs an instruction-following VLM; {self.vlm.options.kind}"
                " only does OCR (set DOCWORKER_VLM_MODEL=nanonets)"
            )
        images = [page.image for page in pages[: self.options.max_images]]
        base_prompt = self.prompt(markdown, schema)
        prompt = base_prompt
        attempts: list[dict[str, Any]] = []
        for attempt in range(1 + self.options.retries):
            (result,) = self.vlm.run(
                [VlmRequest(page=0, images=images, prompt=prompt)],
                max_new_tokens=self.options.max_new_tokens,
            )
            if result.error is not None:
                raise result.error
            raw = result.text
            try:
                value = extract_json(raw)
            except ValueError as e:
                problems = [str(e)]
            else:
                if isinstance(value, dict):
                    problems = validation_problems(validator, value)
                else:
                    problems = [f"the reply is a JSON {type(value).__name__}, not an object"]
                if not problems:
                    if attempt:
                        _log.info("structured output valid after %d retries", attempt)
                    return value
            _log.warning(
                "structured output attempt %d invalid: %s",
                attempt + 1,
                problems[0] if problems else "?",
            )
            attempts.append(
                {
                    "attempt": attempt + 1,
                    "raw_output": _truncate(raw, self.options.raw_output_limit),
                    "errors": problems,
                }
            )
            prompt = base_prompt + RETRY_PROMPT.format(
                previous=_truncate(raw, 2000), problems="; ".join(problems)
            )
        raise errors.SchemaValidationFailed(
            f"the model's output does not validate against json_schema after {len(attempts)}"
            " attempts",
            details=attempts,
        )
