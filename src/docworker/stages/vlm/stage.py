"""Vision-language model stage: page images → markdown (tables as HTML), batched.

Loads ``<model_dir>/nanonets-ocr-s`` (Nanonets-OCR-s, a Qwen2.5-VL; the
default) or ``<model_dir>/got-ocr2`` (``settings.vlm_model="got-ocr2"``; the
folders are ``weights.VLM_FOLDERS``) with ``AutoModelForImageTextToText`` and
``AutoProcessor``, offline, in bf16 on CUDA and fp32 on CPU. Generation is
greedy, ``settings.vlm_batch_size`` pages at a time, at most
``settings.vlm_max_new_tokens`` tokens per page.

Failure handling, per page so that one page never sinks the document:

* ``torch.cuda.OutOfMemoryError`` (a typed check) halves the batch and retries;
  a page that runs out of memory alone gets an ``engine_failed`` result.
* A repetition loop (the same n-gram over and over, a known VLM failure) is
  stopped by ``loops.RepetitionGuard`` during generation, found again after it
  by ``loops.find_loop``, cut off, and flagged (``VlmResult.looped``) so the
  engine can fall back to the page's text layer and warn.

The HTML table parser that turns the model's ``<table>`` output into
``contract.Table`` is ``tables.parse``.

Input: ``list[RenderedPage]`` (or images + a prompt, for structured output).
Output: one ``VlmResult`` per page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, Field

from docworker import errors, weights
from docworker.pages import RenderedPage
from docworker.stages.vlm.loops import RepetitionGuard, find_loop

_log = logging.getLogger(__name__)

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
        if kind not in weights.VLM_FOLDERS:
            raise errors.EngineUnavailable(
                f"unknown vlm_model {kind!r}; known: {', '.join(weights.VLM_FOLDERS)}"
            )
        options = VlmOptions(
            kind=kind,
            model_path=Path(settings.model_dir) / weights.VLM_FOLDERS[kind],
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
