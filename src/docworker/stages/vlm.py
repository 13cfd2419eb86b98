"""Vision-language model stage: page images → markdown (tables as HTML), batched.

Loads ``<model_dir>/nanonets-ocr-s`` (Nanonets-OCR-s, a Qwen2.5-VL; the
default) or ``<model_dir>/got-ocr2`` (``settings.vlm_model="got-ocr2"``) with
``AutoModelForImageTextToText`` and ``AutoProcessor``, offline, in bf16 on CUDA
and fp32 on CPU. Generation is greedy, ``settings.vlm_batch_size`` pages at a
time, at most ``settings.vlm_max_new_tokens`` tokens per page.

Failure handling, per page so that one page never sinks the document:

* ``torch.cuda.OutOfMemoryError`` (a typed check) halves the batch and retries;
  a page that runs out of memory alone gets an ``engine_failed`` result.
* A repetition loop (the same n-gram over and over, a known VLM failure) is
  stopped by ``RepetitionGuard`` during generation, found again after it by
  ``find_loop``, cut off, and flagged (``VlmResult.looped``) so the engine can
  fall back to the page's text layer and warn.

Also here: the HTML table parser (``html.parser``, rowspan/colspan aware) that
turns the model's ``<table>`` output into ``contract.Table``.

Input: ``list[RenderedPage]`` (or images + a prompt, for structured output).
Output: one ``VlmResult`` per page.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, Field

from docworker import errors
from docworker.contract import Table, TableCell
from docworker.pages import RenderedPage
from docworker.tables import render

_log = logging.getLogger(__name__)

#: settings.vlm_model → folder under settings.model_dir.
MODEL_FOLDERS = {"nanonets": "nanonets-ocr-s", "got-ocr2": "got-ocr2"}

_LANGUAGE_NAMES = {
    "es": "Spanish",
    "en": "English",
    "ca": "Catalan",
    "gl": "Galician",
    "eu": "Basque",
    "pt": "Portuguese",
    "fr": "French",
    "de": "German",
    "it": "Italian",
}

# Our own wording of a page-to-markdown instruction in the form Nanonets-OCR-s
# was tuned on: natural reading order, HTML tables, LaTeX equations, tagged
# page numbers/watermarks/images, ballot-box check boxes.
PAGE_PROMPT = (
    "Transcribe this document page into Markdown, in the order a person would read it. "
    "Use Markdown headings and lists where the page has them. "
    "Write every table as an HTML <table> (use rowspan and colspan for merged cells). "
    "Write equations in LaTeX. "
    "Put a figure's caption, or a short description when it has none, inside <img></img>. "
    "Wrap page numbers in <page_number></page_number> and watermarks in <watermark></watermark>. "
    "Show check boxes as ☐ and ☑. "
    "Copy the text exactly, in its original language{languages}, keeping accents and "
    "punctuation such as ñ, ¿ and ¡."
)


def page_prompt(languages: Sequence[str] = ()) -> str:
    """The page instruction, with a language hint from the job's ``languages``."""
    names = [_LANGUAGE_NAMES.get(code, code) for code in languages]
    hint = f" (probably {' or '.join(names)})" if names else ""
    return PAGE_PROMPT.format(languages=hint)


# -------------------------------------------------------------------- repetition loops


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


class RepetitionGuard:
    """A generation stopping criterion: stops a sequence once ``find_loop`` would fire.

    Keeps, per sequence and per period ``p``, how many consecutive new tokens
    equalled the token ``p`` positions earlier; O(max_period) tensor work per
    step. Only generated tokens count, never the prompt (which is mostly
    repeated image placeholders).
    """

    def __init__(
        self,
        prompt_length: int,
        *,
        max_period: int = 128,
        min_repeats: int = 8,
        min_span: int = 256,
    ) -> None:
        self.prompt_length = prompt_length
        self.max_period = max_period
        self.min_repeats = min_repeats
        self.min_span = min_span
        self._runs = None  # torch.LongTensor [batch, max_period]
        self.fired = None  # torch.BoolTensor [batch]

    def __call__(self, input_ids, scores=None, **kwargs):
        import torch

        batch, length = input_ids.shape
        generated = length - self.prompt_length
        periods = torch.arange(1, self.max_period + 1, device=input_ids.device)
        if self._runs is None or self._runs.shape[0] != batch:
            self._runs = torch.zeros(
                batch, self.max_period, dtype=torch.long, device=input_ids.device
            )
            self.fired = torch.zeros(batch, dtype=torch.bool, device=input_ids.device)
        last = input_ids[:, -1:]
        usable = min(self.max_period, length - 1)
        # earlier[:, k] is the token k+1 positions before the last one.
        earlier = input_ids[:, length - 1 - usable : length - 1].flip(1)
        same = torch.zeros(batch, self.max_period, dtype=torch.bool, device=input_ids.device)
        same[:, :usable] = earlier == last
        same &= (periods < generated).unsqueeze(0)  # compare generated tokens only
        self._runs = torch.where(same, self._runs + 1, torch.zeros_like(self._runs))
        needed = torch.clamp(periods * self.min_repeats, min=self.min_span)
        hit = ((self._runs + periods) >= needed).any(dim=1)
        self.fired |= hit
        return hit


# ------------------------------------------------------------------------ HTML tables

_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.IGNORECASE)
_MAX_COLSPAN = 1000
_MAX_ROWSPAN = 65534
_MAX_CELLS = 100_000


def find_html_tables(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of top-level ``<table>...</table>`` in ``text``; nesting aware.

    An unclosed table runs to the end of the text (a generation cut short).
    """
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for match in _TABLE_TAG.finditer(text):
        if match.group(1) == "":
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, match.end()))
    if depth > 0:
        spans.append((start, len(text)))
    return spans


@dataclass
class _RawCell:
    header: bool
    row_span: int
    col_span: int
    parts: list[str] = field(default_factory=list)


def _span(value: str | None, cap: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), cap)


class _TableParser(HTMLParser):
    """Rows of raw cells from one table; nested tables become text of their cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[_RawCell]] = []
        self._depth = 0
        self._in_head = False
        self._cell: _RawCell | None = None

    def _close_cell(self) -> None:
        self._cell = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            if self._depth > 1 and self._cell is not None:
                self._cell.parts.append(" ")
            return
        if self._depth != 1:
            if tag in ("br", "tr", "td", "th", "p", "div", "li") and self._cell is not None:
                self._cell.parts.append(" ")
            return
        if tag == "thead":
            self._in_head = True
        elif tag in ("tbody", "tfoot"):
            self._in_head = False
        elif tag == "tr":
            self._close_cell()
            self.rows.append([])
        elif tag in ("td", "th"):
            self._close_cell()
            if not self.rows:
                self.rows.append([])
            spans = dict(attrs)
            self._cell = _RawCell(
                header=tag == "th" or self._in_head,
                row_span=_span(spans.get("rowspan"), _MAX_ROWSPAN),
                col_span=_span(spans.get("colspan"), _MAX_COLSPAN),
            )
            self.rows[-1].append(self._cell)
        elif tag in ("br", "p", "div", "li") and self._cell is not None:
            self._cell.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth -= 1
            return
        if self._depth != 1:
            return
        if tag in ("td", "th", "tr"):
            self._close_cell()
        elif tag == "thead":
            self._in_head = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.parts.append(data)


def parse_html_table(markup: str) -> Table:
    """One ``<table>`` → ``contract.Table`` with cells placed on the grid (spans honoured).

    Cells are placed left to right into the first free grid position of their
    row, skipping positions covered by rowspans from above, as browsers do.
    Rowspans are clipped to the table's last row; the grid is capped at
    ``_MAX_CELLS`` positions.
    """
    parser = _TableParser()
    parser.feed(markup)
    parser.close()
    raw_rows = [row for row in parser.rows if row] or []
    n_rows = len(raw_rows)
    occupied: set[tuple[int, int]] = set()
    cells: list[TableCell] = []
    n_cols = 0
    for r, row in enumerate(raw_rows):
        c = 0
        for raw in row:
            while (r, c) in occupied:
                c += 1
            row_span = min(raw.row_span, n_rows - r)
            col_span = raw.col_span
            if len(occupied) + row_span * col_span > _MAX_CELLS:
                row_span, col_span = 1, 1
            text = " ".join("".join(raw.parts).split())
            cells.append(
                TableCell(
                    row=r, col=c, text=text, row_span=row_span, col_span=col_span, header=raw.header
                )
            )
            for rr in range(r, r + row_span):
                for cc in range(c, c + col_span):
                    occupied.add((rr, cc))
            c += col_span
            n_cols = max(n_cols, c)
    return Table(
        bbox=None,
        n_rows=n_rows,
        n_cols=n_cols,
        cells=cells,
        markdown=render.markdown(render.grid(cells, n_rows, n_cols)),
        html=render.html(cells, n_rows),
    )


# ------------------------------------------------------------------------------ stage


@dataclass
class VlmRequest:
    """One generation: images and the instruction that goes with them."""

    page: int
    images: list[Image.Image]
    prompt: str


@dataclass
class VlmResult:
    """What the VLM made of one request (one page, or one structured prompt)."""

    page: int
    text: str = ""
    tokens: int = 0
    looped: bool = False
    hit_limit: bool = False
    seconds: float = 0.0
    error: errors.WorkerError | None = None


class VlmOptions(BaseModel):
    """What the VLM stage needs from the settings."""

    kind: str = Field("nanonets", description="nanonets | got-ocr2")
    model_path: Path = Field(description="Folder with the model in HF format.")
    batch_size: int = Field(4, gt=0, description="Requests per generate() call.")
    max_new_tokens: int = Field(4096, gt=0, description="Cap on generated tokens per request.")
    max_image_pixels: int = Field(
        2_000_000, gt=0, description="Page images are shrunk to at most this many pixels."
    )
    loop_guard: bool = Field(True, description="Stop and flag runaway repetition.")
    loop_max_period: int = Field(128, gt=0, description="Longest repeating n-gram looked for.")
    loop_min_repeats: int = Field(8, gt=1, description="Repeats of the n-gram that make a loop.")
    loop_min_span: int = Field(256, gt=0, description="Fewest tokens a loop must cover.")


def _shrink(image: Image.Image, max_pixels: int) -> Image.Image:
    image = image.convert("RGB")
    pixels = image.width * image.height
    if pixels <= max_pixels:
        return image
    factor = (max_pixels / pixels) ** 0.5
    size = (max(28, int(image.width * factor)), max(28, int(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def dtype_for(device: str):
    """bf16 on CUDA, fp32 on CPU (bf16 matmuls on CPU are slow and less exact)."""
    import torch

    return torch.bfloat16 if device.startswith("cuda") else torch.float32


class VlmStage:
    """Batched greedy generation with OOM back-off and a repetition guard."""

    name = "vlm"

    def __init__(self, model: Any, processor: Any, options: VlmOptions, device: str) -> None:
        self.model = model
        self.processor = processor
        self.options = options
        self.device = device
        self.dtype = dtype_for(device)
        self.oom_retries = 0
        tokenizer = processor.tokenizer
        tokenizer.padding_side = "left"
        self._pad_id = tokenizer.pad_token_id
        if self._pad_id is None:
            self._pad_id = tokenizer.eos_token_id
        self._stop_ids = self._collect_stop_ids(tokenizer)
        self._got_image_tokens = self._got_tokens() if options.kind == "got-ocr2" else 0

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_settings(cls, settings: Any, *, device: str = "cpu") -> VlmStage:
        """Load the configured VLM offline onto ``device`` (bf16 on CUDA, fp32 on CPU)."""
        kind = settings.vlm_model
        if kind not in MODEL_FOLDERS:
            raise errors.EngineUnavailable(
                f"unknown vlm_model {kind!r}; known: {', '.join(MODEL_FOLDERS)}"
            )
        options = VlmOptions(
            kind=kind,
            model_path=Path(settings.model_dir) / MODEL_FOLDERS[kind],
            batch_size=settings.vlm_batch_size,
            max_new_tokens=settings.vlm_max_new_tokens,
            max_image_pixels=settings.vlm_max_pixels,
        )
        try:
            from transformers import AutoModelForImageTextToText, AutoProcessor
        except ImportError as e:
            raise errors.EngineUnavailable(
                f"the VLM stage needs torch and transformers ({e});"
                " pip install torch==2.14.1 torchvision==0.29.1 transformers==5.23.0"
            ) from e
        if not (options.model_path / "config.json").is_file():
            raise errors.EngineUnavailable(f"no {kind} model at {options.model_path}")
        started = time.perf_counter()
        load_args: dict[str, Any] = {"local_files_only": True, "dtype": dtype_for(device)}
        if device.startswith("cuda"):
            load_args["device_map"] = {"": device}
        try:
            processor = AutoProcessor.from_pretrained(options.model_path, local_files_only=True)
            model = AutoModelForImageTextToText.from_pretrained(options.model_path, **load_args)
        except (OSError, ValueError, ImportError) as e:
            raise errors.EngineUnavailable(
                f"the {kind} model at {options.model_path} does not load: {type(e).__name__}: {e}"
            ) from e
        if not device.startswith("cuda"):
            model.to(device)
        model.eval()
        _log.info(
            "vlm %s (%s) loaded on %s as %s in %.1f s",
            kind,
            type(model).__name__,
            device,
            str(dtype_for(device)).replace("torch.", ""),
            time.perf_counter() - started,
        )
        return cls(model, processor, options, device)

    def _collect_stop_ids(self, tokenizer) -> list[int]:
        ids: set[int] = set()
        configured = getattr(self.model.generation_config, "eos_token_id", None)
        if isinstance(configured, int):
            ids.add(configured)
        elif configured:
            ids.update(int(i) for i in configured)
        for token in ("<|im_end|>", "<|endoftext|>"):
            token_id = tokenizer.convert_tokens_to_ids(token)
            if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
                ids.add(token_id)
        if tokenizer.eos_token_id is not None:
            ids.add(tokenizer.eos_token_id)
        return sorted(ids)

    def _got_tokens(self) -> int:
        """Image tokens GOT's projector emits: (image_size / patch_size / 4) squared."""
        vision = self.model.config.vision_config
        side = int(vision.image_size) // int(vision.patch_size) // 4
        return side * side

    @property
    def follows_instructions(self) -> bool:
        """Whether free-form prompts work (Nanonets does; GOT only does OCR)."""
        return self.options.kind == "nanonets"

    # ------------------------------------------------------------------- running

    def __call__(self, pages: list[RenderedPage], languages: Sequence[str] = ()) -> list[VlmResult]:
        """Markdown for each page, in order; failed pages carry ``error``."""
        prompt = page_prompt(languages)
        requests = [VlmRequest(page=p.number, images=[p.image], prompt=prompt) for p in pages]
        return self.run(requests)

    def run(
        self,
        requests: list[VlmRequest],
        *,
        max_new_tokens: int | None = None,
        loop_guard: bool | None = None,
        generate_kwargs: dict[str, Any] | None = None,
    ) -> list[VlmResult]:
        """Generate for every request, ``batch_size`` at a time, halving on OOM."""
        import torch

        results: list[VlmResult | None] = [None] * len(requests)
        size = self.options.batch_size
        pending = [
            list(range(i, min(i + size, len(requests)))) for i in range(0, len(requests), size)
        ]
        while pending:
            chunk = pending.pop(0)
            try:
                outs = self._generate(
                    [requests[i] for i in chunk], max_new_tokens, loop_guard, generate_kwargs or {}
                )
            except torch.cuda.OutOfMemoryError:
                self._release_memory()
                self.oom_retries += 1
                if len(chunk) == 1:
                    page = requests[chunk[0]].page
                    _log.warning("vlm: page %d runs out of GPU memory even alone", page)
                    results[chunk[0]] = VlmResult(
                        page=page,
                        error=errors.EngineFailed(
                            f"page {page}: out of GPU memory in the VLM, even in a batch of 1"
                        ),
                    )
                    continue
                size = max(1, len(chunk) // 2)
                _log.warning(
                    "vlm: out of GPU memory with %d pages; retrying %d at a time", len(chunk), size
                )
                pending[0:0] = [chunk[i : i + size] for i in range(0, len(chunk), size)]
                continue
            except Exception as e:  # one bad page must not fail its batch-mates
                if len(chunk) > 1:
                    _log.warning(
                        "vlm: batch failed (%s); retrying its pages one by one", type(e).__name__
                    )
                    pending[0:0] = [[i] for i in chunk]
                    continue
                page = requests[chunk[0]].page
                _log.exception("vlm: page %d failed", page)
                results[chunk[0]] = VlmResult(
                    page=page,
                    error=errors.EngineFailed(
                        f"page {page}: VLM generation failed ({type(e).__name__})"
                    ),
                )
                continue
            for i, out in zip(chunk, outs, strict=True):
                results[i] = out
        return [r for r in results if r is not None]

    def _release_memory(self) -> None:
        import gc

        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _inputs(self, requests: list[VlmRequest]):
        cap = self.options.max_image_pixels
        if self.options.kind == "got-ocr2":
            images = [_shrink(r.images[0], cap) for r in requests]
            return self.processor(
                images, format=True, num_image_tokens=self._got_image_tokens, return_tensors="pt"
            )
        conversations = [
            [
                {
                    "role": "user",
                    "content": [{"type": "image"} for _ in r.images]
                    + [{"type": "text", "text": r.prompt}],
                }
            ]
            for r in requests
        ]
        texts = [
            self.processor.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
            for c in conversations
        ]
        images = [_shrink(image, cap) for r in requests for image in r.images]
        return self.processor(text=texts, images=images or None, padding=True, return_tensors="pt")

    def _generate(
        self,
        requests: list[VlmRequest],
        max_new_tokens: int | None,
        loop_guard: bool | None,
        generate_kwargs: dict[str, Any],
    ) -> list[VlmResult]:
        import torch

        started = time.perf_counter()
        limit = max_new_tokens or self.options.max_new_tokens
        guard_on = self.options.loop_guard if loop_guard is None else loop_guard
        inputs = self._inputs(requests).to(self.device)
        for key, value in list(inputs.items()):
            if torch.is_tensor(value) and value.is_floating_point():
                inputs[key] = value.to(self.dtype)
        prompt_length = inputs["input_ids"].shape[1]
        kwargs: dict[str, Any] = {
            "max_new_tokens": limit,
            "do_sample": False,
            "eos_token_id": self._stop_ids,
            "pad_token_id": self._pad_id,
        }
        if guard_on:
            from transformers import StoppingCriteriaList

            guard = RepetitionGuard(
                prompt_length,
                max_period=self.options.loop_max_period,
                min_repeats=self.options.loop_min_repeats,
                min_span=self.options.loop_min_span,
            )
            kwargs["stopping_criteria"] = StoppingCriteriaList([guard])
        kwargs.update(generate_kwargs)
        with torch.inference_mode():
            output = self.model.generate(**inputs, **kwargs)
        generated = output[:, prompt_length:].tolist()
        seconds = (time.perf_counter() - started) / len(requests)
        results = []
        stops = set(self._stop_ids)
        for request, ids in zip(requests, generated, strict=True):
            end = next((k for k, t in enumerate(ids) if t in stops), None)
            content = ids if end is None else ids[:end]
            while content and content[-1] == self._pad_id:
                content = content[:-1]
            n_generated = len(content)
            looped = False
            if guard_on:
                loop = find_loop(
                    content,
                    max_period=self.options.loop_max_period,
                    min_repeats=self.options.loop_min_repeats,
                    min_span=self.options.loop_min_span,
                )
                if loop is not None:
                    looped = True
                    content = content[: loop[0] + loop[1]]
                    _log.warning(
                        "vlm: page %d: repetition loop cut at token %d", request.page, loop[0]
                    )
            text = self.processor.tokenizer.decode(content, skip_special_tokens=True)
            results.append(
                VlmResult(
                    page=request.page,
                    text=text.strip(),
                    tokens=n_generated,
                    looped=looped,
                    hit_limit=end is None and len(ids) >= limit and not looped,
                    seconds=round(seconds, 4),
                )
            )
        return results
