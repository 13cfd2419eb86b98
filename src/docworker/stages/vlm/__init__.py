"""The vision-language model stage: page images → markdown, batched, loops guarded.

- ``stage``: ``VlmStage`` (load offline, batched greedy generation with OOM
  back-off), its ``VlmOptions``, ``VlmRequest`` and ``VlmResult``, and the
  page instruction (``page_prompt``).
- ``loops``: ``find_loop`` and ``RepetitionGuard``, which find and stop a
  runaway repetition in generated tokens.

Input: ``list[RenderedPage]`` (or images + a prompt). Output: one ``VlmResult`` per request.
"""

from docworker.stages.vlm.loops import RepetitionGuard, find_loop
from docworker.stages.vlm.stage import (
    PAGE_PROMPT,
    VlmOptions,
    VlmRequest,
    VlmResult,
    VlmStage,
    dtype_for,
    page_prompt,
)

__all__ = [
    "PAGE_PROMPT",
    "RepetitionGuard",
    "VlmOptions",
    "VlmRequest",
    "VlmResult",
    "VlmStage",
    "dtype_for",
    "find_loop",
    "page_prompt",
]
