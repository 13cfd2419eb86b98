"""Continuous batching for a Hugging Face VLM: rows join and leave one reused KV cache.

A page is *prefilled* alone (``prefill``: its image tokens and prompt in one
forward pass, the model's own position rules), then *joins* the decode batch
as a new row. Every ``step`` runs one forward pass for all rows at once and
appends one token to each; a row that finishes leaves at once and the next
page takes its place, so no page waits for the longest one in its batch.

The KV cache is one preallocated buffer per layer, ``[rows, kv_heads,
capacity, head_dim]``, written in place (no per-step concatenation). Rows are
right-aligned on a shared write position ``w``: row ``i`` holds its
``length_i`` tokens at ``[w - length_i, w)``. A step writes every row's new
key/value at ``w`` and attends over the window ``[w - max length, w]`` with a
mask that hides each row's left padding. Rows stay packed (a leaving row is
replaced by the last one, a copy of one row), the window is moved back to the
start of the buffer when ``w`` reaches the end, and the buffer doubles when the
window itself does not fit.

Positions are the model's: ``length_i + rope_delta_i``, where Qwen2.5-VL's
``rope_deltas`` come from its prefill (multimodal RoPE) and GOT-OCR2's is 0.
Greedy decoding with the checkpoint's ``repetition_penalty`` applied the way
``generate`` applies it (``tests/test_vlm.py`` checks equality with
``generate``, token for token).

Inputs: a loaded ``*ForConditionalGeneration`` model (sdpa or eager attention)
and processor outputs. Outputs: next-token ids; rows to retire.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

_log = logging.getLogger(__name__)

#: Tokens of KV capacity the buffer starts with (it doubles when needed).
INITIAL_CAPACITY = 4096


@dataclass
class Row:
    """One sequence in the batch: its cache length, rope delta and tokens so far."""

    key: Any  # the caller's handle
    length: int  # tokens in the cache (prompt + generated, not the pending one)
    delta: int  # multimodal RoPE offset (Qwen2.5-VL), 0 otherwise
    pending: int  # the last generated token, not yet in the cache
    seen: Any = None  # LongTensor of ids penalised by repetition_penalty
    tokens: list[int] = field(default_factory=list)  # generated ids, pending included


class _RowCache:
    """The ``Cache`` the model writes through: in-place writes at ``w``, a window view back."""

    def __init__(self, batch: DecodeBatch) -> None:
        self.batch = batch

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        b = self.batch
        n, w, s = len(b.rows), b.w, b.w - b.window
        keys, values = b.keys[layer_idx], b.values[layer_idx]
        keys[:n, :, w] = key_states[:, :, 0]
        values[:n, :, w] = value_states[:, :, 0]
        return keys[:n, :, s : w + 1], values[:n, :, s : w + 1]

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self.batch.window


def _as_cache(batch: DecodeBatch):
    """A ``transformers.Cache`` subclass instance wrapping ``_RowCache`` (isinstance checks)."""
    from transformers import Cache

    class RowCache(Cache):
        def __init__(self, inner: _RowCache) -> None:
            self.inner = inner
            self.layers = []
            self.layer_class_to_replicate = None
            self.offloading = False

        def update(self, key_states, value_states, layer_idx, *args, **kwargs):
            return self.inner.update(key_states, value_states, layer_idx)

        def get_seq_length(self, layer_idx: int = 0) -> int:
            return self.inner.get_seq_length(layer_idx)

    return RowCache(_RowCache(batch))


class DecodeBatch:
    """The rows decoding together and their KV buffer. Not thread-safe: one owner thread."""

    def __init__(self, model: Any, max_rows: int, *, repetition_penalty: float = 1.0) -> None:
        self.model = model
        self.max_rows = max_rows
        self.repetition_penalty = repetition_penalty
        self.rows: list[Row] = []
        self.keys: list[Any] = []
        self.values: list[Any] = []
        self.capacity = 0
        self.w = 0
        self.device = None
        self.mask_kind = self._mask_kind(model)
        self.layer_types = sorted(set(_text_config(model).layer_types or ["full_attention"]))
        if set(self.layer_types) - {"full_attention"}:
            raise ValueError(f"continuous batching needs full attention only: {self.layer_types}")
        self._cache = _as_cache(self)

    @staticmethod
    def _mask_kind(model: Any) -> str:
        impl = getattr(_text_config(model), "_attn_implementation", None) or "sdpa"
        if impl not in ("sdpa", "eager"):
            raise ValueError(f"continuous batching needs sdpa or eager attention, not {impl}")
        return impl

    # ------------------------------------------------------------------ state

    @property
    def window(self) -> int:
        return max((r.length for r in self.rows), default=0)

    def free(self) -> int:
        return self.max_rows - len(self.rows)

    def kv_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))

    def release(self) -> None:
        """Drop the KV buffer (after an out-of-memory error; rows must be empty)."""
        self.keys, self.values, self.capacity, self.w = [], [], 0, 0

    def _allocate(self, like_keys: list[Any], like_values: list[Any], capacity: int) -> None:
        import torch

        rows = self.max_rows
        new_keys = [
            torch.zeros(rows, k.shape[1], capacity, k.shape[3], dtype=k.dtype, device=k.device)
            for k in like_keys
        ]
        new_values = [
            torch.zeros(rows, v.shape[1], capacity, v.shape[3], dtype=v.dtype, device=v.device)
            for v in like_values
        ]
        if self.keys and self.rows:  # move the live window to the start of the new buffer
            n, s, width = len(self.rows), self.w - self.window, self.window
            for old, new in zip((*self.keys, *self.values), (*new_keys, *new_values), strict=True):
                new[:n, :, :width] = old[:n, :, s : self.w]
            self.w = width
        else:
            self.w = 0
        self.keys, self.values, self.capacity = new_keys, new_values, capacity

    def _shift(self, new_w: int) -> None:
        """Move the live window so that it ends at ``new_w`` (growing the buffer if needed).

        The move allocates nothing (chunks never overlap), so an out-of-memory
        error can only come from growing, which swaps buffers only once the
        new ones exist: the cache is never left half moved.
        """
        if new_w > self.capacity:
            capacity = max(self.capacity * 2, new_w + 1, INITIAL_CAPACITY)
            self._allocate(self.keys, self.values, capacity)
        width, n = self.window, len(self.rows)
        if n and width and new_w != self.w:
            src, dst = self.w - width, new_w - width
            gap = abs(dst - src)
            starts = list(range(0, width, gap))
            if dst > src:
                starts.reverse()
            for t in (*self.keys, *self.values):
                for c in starts:
                    e = min(c + gap, width)
                    t[:n, :, dst + c : dst + e] = t[:n, :, src + c : src + e]
        self.w = new_w

    # ------------------------------------------------------------------ rows

    def join(self, key: Any, prefill_cache: Any, first_token: int, delta: int, seen) -> None:
        """Add a prefilled sequence (its ``DynamicCache`` of one row) as the last row."""
        layers = prefill_cache.layers
        length = int(layers[0].keys.shape[2])
        if not self.keys:
            capacity = max(INITIAL_CAPACITY, 2 * length)
            self._allocate([la.keys for la in layers], [la.values for la in layers], capacity)
            self.device = layers[0].keys.device
        if self.w < length:
            self._shift(length)
        i = len(self.rows)
        for layer, keys, values in zip(layers, self.keys, self.values, strict=True):
            keys[i, :, self.w - length : self.w] = layer.keys[0]
            values[i, :, self.w - length : self.w] = layer.values[0]
        self.rows.append(Row(key, length, delta, first_token, seen, [first_token]))

    def leave(self, i: int) -> Row:
        """Remove row ``i``; the last row moves into its place (one row's window copied)."""
        row = self.rows[i]
        last = len(self.rows) - 1
        if i != last:
            moved = self.rows[last]
            lo = self.w - moved.length
            for t in (*self.keys, *self.values):
                t[i, :, lo : self.w] = t[last, :, lo : self.w]
            self.rows[i] = moved
        self.rows.pop()
        return row

    # ------------------------------------------------------------------ step

    def _mask(self):
        import torch

        width = self.window + 1
        lengths = torch.tensor([r.length for r in self.rows], device=self.device)
        columns = torch.arange(width, device=self.device)
        keep = columns[None, :] >= (width - 1 - lengths)[:, None]  # the row's tokens + new one
        keep = keep[:, None, None, :]
        if self.mask_kind == "sdpa":
            return keep
        dtype = self.keys[0].dtype
        return torch.zeros(keep.shape, dtype=dtype, device=self.device).masked_fill(
            ~keep, torch.finfo(dtype).min
        )

    def step(self):
        """One forward pass for all rows; returns the next token of each row (LongTensor)."""
        import torch

        if self.w >= self.capacity:
            if self.window + 1 >= self.capacity:
                self._allocate(self.keys, self.values, self.capacity * 2)
            else:
                self._shift(self.window)
        n = len(self.rows)
        input_ids = torch.tensor([[r.pending] for r in self.rows], device=self.device)
        positions = torch.tensor([[r.length + r.delta] for r in self.rows], device=self.device)
        mask = self._mask()
        out = self.model(
            input_ids=input_ids,
            position_ids=positions,
            attention_mask={kind: mask for kind in self.layer_types},
            past_key_values=self._cache,
            use_cache=True,
            logits_to_keep=1,
        )
        logits = out.logits[:, -1, :].float()
        del out
        seen = [r.seen for r in self.rows]
        if self.repetition_penalty != 1.0:
            for i, row in enumerate(self.rows):
                seen[i] = torch.cat([row.seen, logits.new_tensor([row.pending]).long()])
                penalise(logits[i], seen[i], self.repetition_penalty)
        next_tokens = logits.argmax(dim=-1)
        chosen = next_tokens.tolist()
        # Commit only now: an error above leaves every row as it was (column w is rewritten).
        self.w += 1
        for row, token, row_seen in zip(self.rows, chosen, seen, strict=True):
            row.length += 1
            row.seen = row_seen
            row.pending = token
            row.tokens.append(token)
        assert len(self.rows) == n
        return next_tokens


def penalise(scores, seen, penalty: float) -> None:
    """``RepetitionPenaltyLogitsProcessor`` for one row, in place."""
    import torch

    chosen = scores.gather(0, seen)
    scores.scatter_(0, seen, torch.where(chosen < 0, chosen * penalty, chosen / penalty))


def _text_config(model: Any) -> Any:
    config = model.config
    return getattr(config, "text_config", None) or config
