"""Structured extraction: page images + markdown + a JSON Schema → a validated JSON object.

The VLM is shown the first pages' images and the document's markdown and is
asked for one JSON object that fills the caller's ``json_schema``. The answer is
parsed (code fences and chatter around the object are tolerated) and validated
with ``jsonschema``. An invalid answer is retried once, with the validation
errors fed back; a second failure raises ``errors.SchemaValidationFailed`` with
the raw outputs (truncated) and the errors in ``details``.

Needs an instruction-following VLM (Nanonets-OCR-s); GOT-OCR2 only does OCR,
so structured mode with it raises ``errors.EngineUnavailable``.

Input: ``list[RenderedPage]``, the document markdown, a JSON Schema.
Output: the validated object (a ``dict``).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pydantic import BaseModel, Field

from docworker import errors
from docworker.pages import RenderedPage
from docworker.stages.vlm import VlmRequest, VlmStage

_log = logging.getLogger(__name__)

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)

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


def schema_validator(schema: dict[str, Any]):
    """A jsonschema validator for ``schema`` (its ``$schema`` draft, else 2020-12).

    Raises ``errors.InvalidInput`` when the schema itself is not valid.
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
    return cls(schema)


def validation_problems(validator, value: Any, limit: int = 5) -> list[str]:
    """Up to ``limit`` readable validation errors, most relevant first; ``[]`` when valid."""
    import jsonschema

    found = sorted(validator.iter_errors(value), key=jsonschema.exceptions.relevance)
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
