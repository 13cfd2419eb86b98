"""Runaway repetition in generated text: found after generation, and stopped during it.

A VLM sometimes falls into a loop, repeating the same n-gram until its token
limit. ``find_loop`` finds such a trailing repetition in a finished sequence
(token ids or characters) so it can be cut to one copy; ``LoopTracker`` stops
each row of the continuous batch as soon as ``find_loop`` would fire, so a
looping page does not run to its token limit.

Inputs: sequences of token ids (or characters); each step's new tokens.
Outputs: ``(start, period)`` or ``None``; a per-row stop mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def find_loop(
    seq: Sequence[Any], *, max_period: int = 128, min_repeats: int = 8, min_span: int = 256
) -> tuple[int, int] | None:
    """``(start, period)`` of a runaway repetition at the END of ``seq``, else ``None``.

    A loop is a trailing stretch in which ``seq[i] == seq[i - period]`` for some
    ``period <= max_period``, covering at least ``max(min_span, period *
    min_repeats)`` items. Works on token ids or on characters. ``start`` is where
    the repeating stretch begins, so ``seq[:start + period]`` keeps one copy.
    """
    n = len(seq)
    best: tuple[int, int] | None = None
    for period in range(1, min(max_period, n // 2) + 1):
        run = 0
        i = n - 1
        while i - period >= 0 and seq[i] == seq[i - period]:
            run += 1
            i -= 1
        span = run + period
        if span >= max(min_span, period * min_repeats):
            start = n - span
            if best is None or start < best[0]:
                best = (start, period)
    return best


class LoopTracker:
    """``find_loop``'s rule, applied token by token to rows that join and leave a batch.

    Row ``i`` holds one sequence; ``step(new_tokens)`` takes the token each
    active row just generated and returns which rows now end in a loop.
    ``add_row`` starts a fresh row at the end; ``move_row``/``pop_row`` keep
    the rows packed as the batch does. State is two small tensors per row
    (run lengths per period, the last ``max_period`` tokens), on the device.
    """

    def __init__(
        self,
        rows: int,
        device: Any,
        *,
        max_period: int = 128,
        min_repeats: int = 8,
        min_span: int = 256,
    ) -> None:
        import torch

        self.max_period = max_period
        self.periods = torch.arange(1, max_period + 1, device=device)
        self.needed = torch.clamp(self.periods * min_repeats, min=min_span)
        self.runs = torch.zeros(rows, max_period, dtype=torch.long, device=device)
        self.history = torch.full((rows, max_period), -1, dtype=torch.long, device=device)
        self.generated = torch.zeros(rows, dtype=torch.long, device=device)
        self.count = 0

    def add_row(self, first_token: int) -> None:
        """A new last row whose first generated token is ``first_token``."""
        i = self.count
        self.runs[i] = 0
        self.history[i] = -1
        self.history[i, 0] = first_token
        self.generated[i] = 1
        self.count += 1

    def move_row(self, src: int, dst: int) -> None:
        self.runs[dst] = self.runs[src]
        self.history[dst] = self.history[src]
        self.generated[dst] = self.generated[src]

    def pop_row(self) -> None:
        self.count -= 1

    def step(self, new_tokens):
        """``new_tokens``: LongTensor ``[count]``. Returns a BoolTensor ``[count]``: looped."""
        import torch

        n = self.count
        runs, history, generated = self.runs[:n], self.history[:n], self.generated[:n]
        generated += 1
        # history[:, k] is the token k+1 positions before the new one; compare generated
        # tokens only (period p needs p earlier generated tokens).
        same = history == new_tokens[:, None]
        same &= self.periods[None, :] < generated[:, None]
        torch.where(same, runs + 1, torch.zeros_like(runs), out=runs)
        history.copy_(torch.cat([new_tokens[:, None], history[:, :-1]], dim=1))
        return ((runs + self.periods[None, :]) >= self.needed[None, :]).any(dim=1)
