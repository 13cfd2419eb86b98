"""The vision-language model stage: page images → markdown, continuously batched.

- ``stage``: ``VlmStage`` (load offline with weight checks, the models' own
  prompts, ``submit``/``run``), its ``VlmOptions``, ``VlmRequest`` and
  ``VlmResult``, and the page instruction (``PAGE_PROMPT``, ``page_prompt``).
- ``scheduler``: the generation thread: admits pages into free rows between
  decode steps, OOM back-off by type, fatal GPU errors.
- ``batcher``: ``DecodeBatch``, the rows and their reused KV buffer; one
  forward pass per step for every row.
- ``loops``: ``find_loop`` and ``LoopTracker``, which find
  and stop a runaway repetition in generated tokens.

Input: ``list[RenderedPage]`` (or images + a prompt). Output: one ``VlmResult`` per request.
"""

from docworker.stages.vlm.loops import LoopTracker, find_loop
from docworker.stages.vlm.stage import (
    CARD_MAX_NEW_TOKENS,
    PAGE_PROMPT,
    SYSTEM_PROMPT,
    VlmOptions,
    VlmRequest,
    VlmResult,
    VlmStage,
    dtype_for,
    page_prompt,
)

__all__ = [
    "CARD_MAX_NEW_TOKENS",
    "PAGE_PROMPT",
    "SYSTEM_PROMPT",
    "LoopTracker",
    "VlmOptions",
    "VlmRequest",
    "VlmResult",
    "VlmStage",
    "dtype_for",
    "find_loop",
    "page_prompt",
]
