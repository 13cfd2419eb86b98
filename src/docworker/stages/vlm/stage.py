"""Vision-language model stage: page images → markdown (tables as HTML), continuously batched.

Loads ``<model_dir>/nanonets-ocr-s`` (Nanonets-OCR-s, a Qwen2.5-VL; the
default) or ``<model_dir>/got-ocr2`` (``settings.vlm_model="got-ocr2"``; the
folders are ``weights.VLM_FOLDERS``) with ``AutoModelForImageTextToText`` and
``AutoProcessor``, offline, bf16 on CUDA and fp32 on CPU.
Loading fails on any missing, unexpected or mismatched weight
(``output_loading_info``): random weights must never pass a warm-up.

Prompts are the models' own:

- Nanonets-OCR-s: the model card's system turn and instruction, word for word
  (``PAGE_PROMPT``; docstrange 1.1.8 sends the same text), through the
  checkpoint's chat template; at most 15,000 new tokens, as the card's clients allow.
- GOT-OCR2: its processor's own chat format for formatted OCR (``format=True``,
  "OCR with format"); at most 4,096 new tokens, as its card's examples use.

``settings.vlm_max_new_tokens`` overrides both limits. Generation is greedy
with continuous batching (``scheduler``, ``batcher``): up to
``settings.vlm_batch_size`` pages decode at once over one reused KV cache, a
finished page's row is refilled at once, and pages from every job share the
batch. A repetition loop is stopped during generation (``loops.LoopTracker``),
found again after it (``loops.find_loop``), cut off and flagged
(``VlmResult.looped``) so the engine can fall back to the page's text layer.

Input: ``list[RenderedPage]`` (or images + a prompt, for structured output).
Output: one ``VlmResult`` per page.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import BaseModel, Field

from docworker import errors, weights
from docworker.pages import RenderedPage
from docworker.stages.layout import loading_problems
from docworker.stages.vlm.loops import find_loop
from docworker.stages.vlm.scheduler import Finished, Scheduler, Task

_log = logging.getLogger(__name__)

#: The Nanonets-OCR-s model card's instruction, word for word.
PAGE_PROMPT = (
    "Extract the text from the above document as if you were reading it naturally. "
    "Return the tables in html format. Return the equations in LaTeX representation. "
    "If there is an image in the document and image caption is not present, add a small "
    "description of the image inside the <img></img> tag; otherwise, add the image caption "
    "inside <img></img>. Watermarks should be wrapped in brackets. "
    "Ex: <watermark>OFFICIAL COPY</watermark>. Page numbers should be wrapped in brackets. "
    "Ex: <page_number>14</page_number> or <page_number>9/22</page_number>. "
    "Prefer using ☐ and ☑ for check boxes."
)
#: The model card's system turn.
SYSTEM_PROMPT = "You are a helpful assistant."

#: New-token limits the model cards advise, per ``settings.vlm_model``.
CARD_MAX_NEW_TOKENS = {"nanonets": 15000, "got-ocr2": 4096}


def page_prompt(languages: Sequence[str] = ()) -> str:
    """The page instruction: the card's, unchanged (the model was trained on it alone)."""
    return PAGE_PROMPT


@dataclass
class VlmRequest:
    """One generation: images, the instruction that goes with them, optional own limits."""

    page: int
    images: list[Image.Image]
    prompt: str
    max_new_tokens: int | None = None
    ignore_eos: bool = False  # exactly max_new_tokens tokens (benchmarks)


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
    batch_size: int = Field(32, gt=0, description="Most sequences decoding at once.")
    max_new_tokens: int = Field(15000, gt=0, description="Cap on generated tokens per request.")
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


def load_vlm(path: Path, kind: str, device: str) -> tuple[Any, Any]:
    """``(model, processor)`` from a local folder; ``EngineUnavailable`` naming what is wrong."""
    try:
        from transformers import AutoModelForImageTextToText, AutoProcessor
    except ImportError as e:
        raise errors.EngineUnavailable(
            f"the VLM stage needs torch and transformers ({e});"
            " pip install torch==2.14.1 torchvision==0.29.1 transformers==5.23.0"
        ) from e
    if not (path / "config.json").is_file():
        raise errors.EngineUnavailable(f"no {kind} model at {path}")
    args: dict[str, Any] = {
        "local_files_only": True,
        "dtype": dtype_for(device),
        "output_loading_info": True,
    }
    if device.startswith("cuda"):
        args["device_map"] = {"": device}
    try:
        processor = AutoProcessor.from_pretrained(path, local_files_only=True)
        model, info = AutoModelForImageTextToText.from_pretrained(path, **args)
    except (OSError, ValueError, ImportError) as e:
        raise errors.EngineUnavailable(
            f"the {kind} model at {path} does not load: {type(e).__name__}: {e}"
        ) from e
    problems = loading_problems(info)
    if problems:
        raise errors.EngineUnavailable(
            f"the {kind} checkpoint at {path} does not fit its model: {'; '.join(problems)}"
        )
    attention = model.config.get_text_config()._attn_implementation
    if attention not in ("sdpa", "eager"):  # the batch passes its own 4-D masks
        raise errors.EngineUnavailable(
            f"the {kind} decoder uses {attention} attention;"
            " continuous batching needs sdpa or eager"
        )
    if not device.startswith("cuda"):
        model.to(device)
    return model.eval(), processor


class VlmStage:
    """Continuous-batching greedy generation with OOM back-off and a repetition guard."""

    name = "vlm"

    def __init__(self, model: Any, processor: Any, options: VlmOptions, device: str) -> None:
        self.model = model
        self.processor = processor
        self.options = options
        self.device = device
        self.dtype = dtype_for(device)
        tokenizer = processor.tokenizer
        self._stop_ids = self._collect_stop_ids(tokenizer)
        self._got_image_tokens = self._got_tokens() if options.kind == "got-ocr2" else 0
        self._scheduler: Scheduler | None = None

    @property
    def scheduler(self) -> Scheduler:
        """The generation loop, made on first use with the options as they are then."""
        if self._scheduler is None:
            options = self.options
            penalty = getattr(self.model.generation_config, "repetition_penalty", None) or 1.0
            self._scheduler = Scheduler(
                self.model,
                max_rows=options.batch_size,
                stop_ids=self._stop_ids,
                device=self.device,
                dtype=self.dtype,
                loop_options={
                    "max_period": options.loop_max_period,
                    "min_repeats": options.loop_min_repeats,
                    "min_span": options.loop_min_span,
                },
                repetition_penalty=float(penalty),
            )
        return self._scheduler

    @property
    def oom_retries(self) -> int:
        """Out-of-memory events the scheduler has recovered from."""
        return self.scheduler.oom_events

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
            max_new_tokens=settings.vlm_max_new_tokens or CARD_MAX_NEW_TOKENS[kind],
            max_image_pixels=settings.vlm_max_pixels,
        )
        started = time.perf_counter()
        model, processor = load_vlm(options.model_path, kind, device)
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

    # ------------------------------------------------------------------- inputs

    def inputs(self, request: VlmRequest):
        """The processor's tensors for one request, in the model's own prompt format."""
        cap = self.options.max_image_pixels
        if self.options.kind == "got-ocr2":
            image = _shrink(request.images[0], cap)
            return self.processor(
                [image], format=True, num_image_tokens=self._got_image_tokens, return_tensors="pt"
            )
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {
                "role": "user",
                "content": [{"type": "image"} for _ in request.images]
                + [{"type": "text", "text": request.prompt}],
            },
        ]
        text = self.processor.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        images = [_shrink(image, cap) for image in request.images]
        return self.processor(text=[text], images=images or None, return_tensors="pt")

    # ------------------------------------------------------------------- running

    def __call__(self, pages: list[RenderedPage], languages: Sequence[str] = ()) -> list[VlmResult]:
        """Markdown for each page, in order; failed pages carry ``error``."""
        prompt = page_prompt(languages)
        requests = [VlmRequest(page=p.number, images=[p.image], prompt=prompt) for p in pages]
        return self.run(requests)

    def submit(
        self,
        request: VlmRequest,
        *,
        max_new_tokens: int | None = None,
        loop_guard: bool | None = None,
    ) -> Future:
        """Queue one request; the future resolves to its ``VlmResult`` (never raises)."""
        limit = request.max_new_tokens or max_new_tokens or self.options.max_new_tokens
        guard = self.options.loop_guard if loop_guard is None else loop_guard
        done: Future = Future()
        try:
            inputs = self.inputs(request)  # on the caller's thread: overlaps generation
        except Exception as e:  # one page's processor failure fails that page only
            _log.exception("vlm: page %d: the processor failed", request.page)
            done.set_result(self._failed(request, e))
            return done
        task = Task(
            request.page,
            inputs,
            limit,
            guard=guard and not request.ignore_eos,
            ignore_eos=request.ignore_eos,
        )

        def resolve(inner: Future) -> None:
            if done.done():  # cancelled by the caller
                return
            try:
                result = self._result(request, inner)
            except Exception as e:  # decoding failed: still resolve, never hang the caller
                result = self._failed(request, e)
            with contextlib.suppress(InvalidStateError):  # cancelled meanwhile
                done.set_result(result)

        inner = self.scheduler.submit(task)
        done.add_done_callback(lambda outer: inner.cancel() if outer.cancelled() else None)
        inner.add_done_callback(resolve)
        return done

    def run(
        self,
        requests: list[VlmRequest],
        *,
        max_new_tokens: int | None = None,
        loop_guard: bool | None = None,
    ) -> list[VlmResult]:
        """Generate for every request (all share the continuous batch); results in order."""
        futures = [
            self.submit(r, max_new_tokens=max_new_tokens, loop_guard=loop_guard) for r in requests
        ]
        return [f.result() for f in futures]

    def _failed(self, request: VlmRequest, exc: BaseException) -> VlmResult:
        if isinstance(exc, errors.WorkerError):
            return VlmResult(page=request.page, error=exc)
        return VlmResult(
            page=request.page,
            error=errors.EngineFailed(
                f"page {request.page}: VLM generation failed ({type(exc).__name__})"
            ),
        )

    def _result(self, request: VlmRequest, future: Future) -> VlmResult:
        exc = future.exception()
        if exc is not None:
            return self._failed(request, exc)
        finished: Finished = future.result()
        return self.decode(request, finished)

    def decode(self, request: VlmRequest, finished: Finished) -> VlmResult:
        """Token ids → text: cut at the stop token, a loop cut to one copy."""
        ids, task = finished.tokens, finished.task
        stops = set(self._stop_ids) if not task.ignore_eos else set()
        end = next((k for k, t in enumerate(ids) if t in stops), None)
        content = ids if end is None else ids[:end]
        n_generated = len(content)
        looped = False
        if task.guard:
            loop = find_loop(
                content,
                max_period=self.options.loop_max_period,
                min_repeats=self.options.loop_min_repeats,
                min_span=self.options.loop_min_span,
            )
            if loop is not None:
                looped = True
                content = content[: loop[0] + loop[1]]
                _log.warning("vlm: page %d: repetition loop cut at token %d", task.page, loop[0])
        text = self.processor.tokenizer.decode(content, skip_special_tokens=True)
        return VlmResult(
            page=request.page,
            text=text.strip(),
            tokens=n_generated,
            looped=looped,
            hit_limit=end is None and len(ids) >= task.limit and not looped,
            seconds=round(finished.seconds, 4),
        )
