"""GPU engine throughput: pages/s and peak GPU memory against batch size.

Random weights at the real models' shapes cost the same compute as the real
models, so no download is needed: Nanonets-OCR-s is a Qwen2.5-VL-3B, docling's
layout model an RT-DETR with a ResNet-50 backbone. Every page generates exactly
``--tokens`` tokens (``min_new_tokens == max_new_tokens``, loop guard off), so
the figures do not depend on what random weights happen to say.

Runs through the worker's own ``LayoutStage`` and ``VlmStage`` (preprocessing,
batching, dtype policy, decoding included) and prints a markdown table, also
written to ``--out``.

    PYTHONPATH=src python -m bench.gpu_bench --device cuda --out docs/bench/gpu.md
    PYTHONPATH=src python -m bench.gpu_bench --device cpu --tiny   # smoke run

(from the repository root; ``tests.tinymodels`` supplies configs and tokenizers).

Inputs: command-line options. Output: a markdown report on stdout (and --out).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger(__name__)


@dataclass
class Row:
    stage: str
    batch: int
    pages: int
    seconds: float
    tokens: int
    peak_gib: float | None

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def synthetic_pages(count: int, size: tuple[int, int]):
    """Text-like A4 pages (black lines of glyphs on white), rendered at ``size`` pixels."""
    from PIL import Image, ImageDraw

    from docworker.pages import RenderedPage

    pages = []
    width, height = size
    for number in range(1, count + 1):
        image = Image.new("RGB", size, "white")
        draw = ImageDraw.Draw(image)
        step = max(12, height // 60)
        for row, y in enumerate(range(step * 3, height - step * 3, step)):
            line = f"Línea {row} de la página {number}: año, señal, ¿sí?"
            draw.text((width // 12, y), line, fill="black")
        pages.append(
            RenderedPage(
                number=number,
                width=595.0,
                height=842.0,
                unit="pt",
                image=image,
                scale=595.0 / width,
            )
        )
    return pages


@contextlib.contextmanager
def _build_on(device: str, dtype):
    """Allocate parameters directly on ``device`` in ``dtype`` (no fp32 CPU copy of 3B weights)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)


def build_stages(args):
    """LayoutStage and VlmStage around random models of the chosen size."""
    import torch
    from tests import tinymodels
    from transformers import (
        GotOcr2ForConditionalGeneration,
        Qwen2_5_VLForConditionalGeneration,
        RTDetrForObjectDetection,
        RTDetrImageProcessor,
    )

    from docworker.stages.layout import LayoutOptions, LayoutStage
    from docworker.stages.vlm import VlmOptions, VlmStage, dtype_for

    size = "tiny" if args.tiny else "full"
    dtype = dtype_for(args.device)
    torch.manual_seed(0)
    with _build_on(args.device, torch.float32):
        layout_model = RTDetrForObjectDetection(tinymodels.layout_config(size)).eval()
    side = 64 if args.tiny else 640
    layout = LayoutStage(
        layout_model,
        RTDetrImageProcessor(size={"height": side, "width": side}),
        LayoutOptions(model_path=Path("."), batch_size=1, threshold=0.5),
        args.device,
    )
    if args.vlm == "got-ocr2":
        tokenizer = tinymodels.train_tokenizer(tinymodels.GOT_SPECIAL_TOKENS)
        config = tinymodels.got_config(tokenizer, size)
        processor = tinymodels.got_processor(tokenizer, 64 if args.tiny else 1024)
        cls = GotOcr2ForConditionalGeneration
    else:
        tokenizer = tinymodels.train_tokenizer(tinymodels.QWEN_SPECIAL_TOKENS)
        config = tinymodels.qwen_config(tokenizer, size)
        processor = tinymodels.qwen_processor(tokenizer, max_pixels=args.max_pixels)
        cls = Qwen2_5_VLForConditionalGeneration
    with _build_on(args.device, dtype):
        vlm_model = cls(config).eval()
    options = VlmOptions(
        kind="got-ocr2" if args.vlm == "got-ocr2" else "nanonets",
        model_path=Path("."),
        batch_size=1,
        max_new_tokens=args.tokens,
        max_image_pixels=args.max_pixels,
        loop_guard=False,
    )
    vlm = VlmStage(vlm_model, processor, options, args.device)
    params = sum(p.numel() for p in vlm_model.parameters()) / 1e9
    return layout, vlm, params


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _reset_peak(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak(device: str) -> float | None:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**30
    return None


def measure(args) -> tuple[list[Row], dict[str, str]]:
    import torch

    from docworker.stages.vlm import VlmRequest, page_prompt

    layout, vlm, params = build_stages(args)
    pages = synthetic_pages(max(args.pages, max(args.batch_sizes)), args.page_size)
    prompt = page_prompt(["es"])
    generate = {"min_new_tokens": args.tokens}
    rows: list[Row] = []
    for batch in args.batch_sizes:
        count = max(args.pages, batch)
        work = pages[:count]
        # layout
        layout.options = layout.options.model_copy(update={"batch_size": batch})
        layout(work[:batch])  # warm-up: kernels, allocator
        _sync(args.device)
        _reset_peak(args.device)
        started = time.perf_counter()
        layout(work)
        _sync(args.device)
        rows.append(
            Row("layout", batch, count, time.perf_counter() - started, 0, _peak(args.device))
        )
        # VLM
        vlm.options = vlm.options.model_copy(update={"batch_size": batch})
        requests = [VlmRequest(page=p.number, images=[p.image], prompt=prompt) for p in work]
        vlm.run(requests[:batch], max_new_tokens=min(8, args.tokens), generate_kwargs={})
        _sync(args.device)
        _reset_peak(args.device)
        started = time.perf_counter()
        results = vlm.run(requests, generate_kwargs=generate)
        _sync(args.device)
        seconds = time.perf_counter() - started
        failed = [r for r in results if r.error is not None]
        if failed:
            _log.warning(
                "batch %d: %d pages failed, first: %s", batch, len(failed), failed[0].error
            )
        tokens = sum(r.tokens for r in results)
        rows.append(Row("vlm", batch, count, seconds, tokens, _peak(args.device)))
        print(f"batch {batch}: done", file=sys.stderr)
    device_name = "cpu"
    if args.device.startswith("cuda"):
        device_name = torch.cuda.get_device_name(torch.cuda.current_device())
    info = {
        "device": f"{args.device} ({device_name})",
        "dtype": str(vlm.dtype).replace("torch.", ""),
        "vlm": f"{args.vlm} shapes, {'tiny' if args.tiny else 'full'}, {params:.2f} B parameters",
        "page": f"{args.page_size[0]}x{args.page_size[1]} px, max {args.max_pixels} px to the VLM",
        "tokens/page": str(args.tokens),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    return rows, info


def report(rows: list[Row], info: dict[str, str]) -> str:
    lines = ["# GPU engine benchmark (random weights, real shapes)", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += [
        "",
        "| stage | batch | pages | seconds | pages/s | tokens/s | peak GPU GiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        peak = f"{row.peak_gib:.2f}" if row.peak_gib is not None else "n/a"
        tokens = f"{row.tokens / row.seconds:.0f}" if row.tokens and row.seconds else "-"
        lines.append(
            f"| {row.stage} | {row.batch} | {row.pages} | {row.seconds:.2f} |"
            f" {row.pages_per_s:.3f} | {tokens} | {peak} |"
        )
    return "\n".join(lines) + "\n"


def _size(text: str) -> tuple[int, int]:
    width, height = text.lower().split("x")
    return int(width), int(height)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes: a smoke run")
    parser.add_argument("--vlm", choices=("nanonets", "got-ocr2"), default="nanonets")
    parser.add_argument("--batch-sizes", default="1,2,4,8")
    parser.add_argument("--pages", type=int, default=8, help="pages timed per batch size")
    parser.add_argument("--tokens", type=int, default=256, help="generated tokens per page")
    parser.add_argument(
        "--page-size", type=_size, default=(1240, 1754), help="rendered page, px (A4 @150dpi)"
    )
    parser.add_argument("--max-pixels", type=int, default=2_000_000)
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    if args.tiny:
        args.page_size = (160, 220)
        args.max_pixels = min(args.max_pixels, 28 * 28 * 16)
        args.tokens = min(args.tokens, 16)
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            print("CUDA is not available; use --device cpu --tiny for a smoke run", file=sys.stderr)
            return 1
    rows, info = measure(args)
    text = report(rows, info)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
