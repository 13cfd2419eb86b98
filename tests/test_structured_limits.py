"""Structured output: a caller's `pattern` cannot hang the worker (issue 13 #6).

The VLM is a stand-in that answers fixed text, so the stage runs exactly as in
the GPU engine (``engines.gpu.engine.GpuEngine.structured`` calls it), on CPU.
Python's ``re`` holds the GIL while it backtracks, so a validation that never
returns would hang the whole test process: each call runs in a spawned
process that is killed at a deadline.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from typing import Any

import pytest

from docworker import errors
from docworker.pages import RenderedPage
from docworker.stages.structured import StructuredStage
from docworker.stages.vlm import VlmResult

#: 40 characters that make ``^(a|a)+$`` backtrack for hours in Python's ``re``.
EVIL_VALUE = "a" * 40 + "!"


class FakeVlm:
    """Answers each structured prompt with the next reply; records the prompts."""

    follows_instructions = True

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    def run(self, requests, max_new_tokens=None):
        self.prompts.append(requests[0].prompt)
        return [VlmResult(page=0, text=self.replies.pop(0))]


def _page() -> RenderedPage:
    from PIL import Image

    return RenderedPage(
        number=1, width=100, height=100, unit="pt", image=Image.new("RGB", (50, 50)), scale=0.5
    )


def _call(queue, fn, args) -> None:
    try:
        queue.put({"value": fn(*args)})
    except Exception as e:
        queue.put({"error": e})


def within(seconds: float, fn, *args) -> dict[str, Any]:
    """``{"value"|"error", "seconds"}`` of ``fn(*args)`` in a child; a failure after ``seconds``."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_call, args=(queue, fn, args), daemon=True)
    child.start()
    started = time.monotonic()
    try:
        outcome = queue.get(timeout=seconds + 10)  # + the child's start-up
    except Exception:
        child.kill()
        pytest.fail(f"still running after {seconds} s")
    finally:
        child.join(5)
    outcome["seconds"] = time.monotonic() - started
    return outcome


@pytest.mark.parametrize("pattern", ["^(a|a)+$", "^(a|aa)+$", "^(a+)+$"])
def test_a_backtracking_pattern_fails_fast_with_invalid_input(pattern):
    schema = {"type": "object", "properties": {"id": {"type": "string", "pattern": pattern}}}
    stage = StructuredStage(FakeVlm(f'{{"id": "{EVIL_VALUE}"}}', f'{{"id": "{EVIL_VALUE}"}}'))
    outcome = within(10, stage, [_page()], "# doc", schema)
    error = outcome.get("error")
    if error is None:  # regex saw through this one: it fails to match, fast, as it should
        pytest.fail(f"validated {EVIL_VALUE!r} against {pattern!r}")
    if isinstance(error, errors.SchemaValidationFailed):  # no match found within the limit
        assert outcome["seconds"] < 10
        return
    assert isinstance(error, errors.InvalidInput), error
    assert error.to_dict()["code"] == "invalid_input"
    assert "time limit" in error.message and EVIL_VALUE not in error.message
    assert outcome["seconds"] < 10


def test_an_ordinary_pattern_still_validates_and_is_fed_back():
    schema = {
        "type": "object",
        "properties": {"dni": {"type": "string", "pattern": "^[0-9]{8}[A-Z]$"}},
        "required": ["dni"],
    }
    vlm = FakeVlm('{"dni": "1234567Z"}', '{"dni": "12345678Z"}')
    stage = StructuredStage(vlm)
    assert stage([_page()], "DNI 12345678Z", schema) == {"dni": "12345678Z"}
    assert "does not match" in vlm.prompts[1]


def test_pattern_properties_are_refused_but_a_property_may_bear_that_name():
    refused = {
        "type": "object",
        "properties": {"x": {"type": "object", "patternProperties": {"^(a+)+$": {}}}},
    }
    with pytest.raises(errors.InvalidInput, match="patternProperties"):
        StructuredStage(FakeVlm())([_page()], "", refused)
    named = {"type": "object", "properties": {"patternProperties": {"type": "string"}}}
    vlm = FakeVlm('{"patternProperties": "sí"}')
    assert StructuredStage(vlm)([_page()], "", named) == {"patternProperties": "sí"}
