"""GPU engine throughput at realistic page lengths: pages/s, tokens/s, p50/p95 per page.

Random weights at the real models' shapes (``bench/gpu_models.py``) cost the
same compute as the real models, so no download is needed. Each page is an
A4 render (1240 × 1754 px at 150 dpi, shrunk to ``--max-pixels`` as the worker
does, about 2,550 vision tokens at 2 MP) and generates a length drawn
uniformly from ``--min-tokens``..``--max-tokens`` (300–3,000 by default,
seeded), exactly: the stop token is ignored, so random weights cannot end a
page early.

For each ``--batch-sizes`` value (the most pages decoding at once) every page
is queued at once and run through the worker's own continuous batching
(``VlmStage``'s scheduler: prefill, decode rows, KV buffer, OOM back-off). It
reports pages/s and generated tokens/s over the wall time, the per-page time
from prefill to last token (p50/p95), the most rows that decoded together,
out-of-memory events and peak GPU memory. Preprocessing (the processor, on
the job threads in the worker) is timed apart. ``--baseline`` adds transformers'
``generate`` in static batches of the same size, which waits for each batch's
longest page. The layout model is timed in batches of ``--layout-batch``.

    python -m bench.gpu_bench --device cuda --out docs/bench/gpu.md --json gpu.json
    python -m bench.gpu_bench --device cpu --tiny       # smoke run, seconds

Needs torch, transformers and docworker on the path; no pytest, no test helpers.

Inputs: command-line options. Output: a markdown report on stdout (and --out/--json).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

_log = logging.getLogger(__name__)


@dataclass
class Row:
    """One measured configuration."""

    stage: str  # "vlm", "vlm-static" or "layout"
    batch: int
    pages: int
    seconds: float
    tokens: int = 0
    p50_s: float | None = None
    p95_s: float | None = None
    peak_rows: int | None = None
    oom_events: int | None = None
    peak_gib: float | None = None

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def page_images(count: int, size: tuple[int, int]):
    """Text-like A4 renders: lines of glyphs on white."""
    from PIL import Image, ImageDraw

    images = []
    width, height = size
    for number in range(1, count + 1):
        image = Image.new("RGB", size, "white")
        draw = ImageDraw.Draw(image)
        step = max(12, height // 60)
        for row, y in enumerate(range(step * 3, height - step * 3, step)):
            draw.text(
                (width // 12, y), f"Línea {row} de la página {number}: año, ¿sí?", fill="black"
            )
        images.append(image)
    return images


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


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

    return torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None


def _stage(model, processor, args, rows: int):
    from docworker.stages.vlm import VlmOptions, VlmStage

    options = VlmOptions(
        kind=args.vlm,
        model_path=Path("."),
        batch_size=rows,
        max_new_tokens=args.max_tokens,
        max_image_pixels=args.max_pixels,
        loop_guard=False,
    )
    return VlmStage(model, processor, options, args.device)


def measure_vlm(model, processor, args, lengths: list[int], images) -> list[Row]:
    from docworker.stages.vlm import VlmRequest, page_prompt
    from docworker.stages.vlm.scheduler import Task

    rows: list[Row] = []
    for batch in args.batch_sizes:
        stage = _stage(model, processor, args, batch)
        requests = [
            VlmRequest(page=i + 1, images=[images[i % len(images)]], prompt=page_prompt())
            for i in range(len(lengths))
        ]
        started = time.perf_counter()
        inputs = [stage.inputs(r) for r in requests]
        prep = (time.perf_counter() - started) / len(requests)
        warm = [Task(0, inputs[0], 4, guard=False, ignore_eos=True) for _ in range(min(2, batch))]
        for future in [stage.scheduler.submit(t) for t in warm]:
            future.result()
        _sync(args.device)
        _reset_peak(args.device)
        tasks = [
            Task(r.page, x, n, guard=False, ignore_eos=True)
            for r, x, n in zip(requests, inputs, lengths, strict=True)
        ]
        started = time.perf_counter()
        finished = [f.result() for f in [stage.scheduler.submit(t) for t in tasks]]
        _sync(args.device)
        seconds = time.perf_counter() - started
        per_page = [f.seconds for f in finished]
        rows.append(
            Row(
                "vlm",
                batch,
                len(tasks),
                seconds,
                tokens=sum(len(f.tokens) for f in finished),
                p50_s=percentile(per_page, 0.5),
                p95_s=percentile(per_page, 0.95),
                peak_rows=stage.scheduler.peak_rows,
                oom_events=stage.scheduler.oom_events,
                peak_gib=_peak(args.device),
            )
        )
        print(f"vlm rows {batch}: {rows[-1].pages_per_s:.3f} pages/s (prep {prep:.3f} s/page)",
              file=sys.stderr)  # fmt: skip
        if args.baseline:
            rows.append(static_baseline(stage, requests, lengths, batch, args))
    return rows


def static_baseline(stage, requests, lengths: list[int], batch: int, args) -> Row:
    """``generate`` in fixed batches: each batch runs as long as its longest page."""
    import torch

    _reset_peak(args.device)
    per_page: list[float] = []
    started = time.perf_counter()
    for lo in range(0, len(requests), batch):
        chunk = requests[lo : lo + batch]
        longest = max(lengths[lo : lo + batch])
        images = [r.images[0] for r in chunk]
        if args.vlm == "got-ocr2":
            tokens = stage._got_image_tokens
            inputs = stage.processor(
                images, format=True, num_image_tokens=tokens, return_tensors="pt"
            )
        else:
            texts = [_chat_text(stage, r.prompt) for r in chunk]
            inputs = stage.processor(text=texts, images=images, padding=True, return_tensors="pt")
        inputs = inputs.to(args.device)
        t = time.perf_counter()
        with torch.inference_mode():
            stage.model.generate(
                **inputs, max_new_tokens=longest, min_new_tokens=longest, do_sample=False
            )
        _sync(args.device)
        per_page.extend([time.perf_counter() - t] * len(chunk))
    seconds = time.perf_counter() - started
    return Row(
        "vlm-static",
        batch,
        len(requests),
        seconds,
        tokens=sum(lengths),  # useful tokens; padding to the longest page is wasted work
        p50_s=percentile(per_page, 0.5),
        p95_s=percentile(per_page, 0.95),
        peak_gib=_peak(args.device),
    )


def _chat_text(stage, prompt: str) -> str:
    """The prompt as ``VlmStage.inputs`` builds it (system turn, image, instruction)."""
    from docworker.stages.vlm import SYSTEM_PROMPT

    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]},
    ]
    return stage.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def measure_layout(model, processor, args, images) -> Row:
    from docworker.pages import RenderedPage
    from docworker.stages.layout import LayoutOptions, LayoutStage

    stage = LayoutStage(
        model, processor, LayoutOptions(model_path=Path("."), batch_size=args.layout_batch), "cpu"
    )
    stage.device = args.device
    pages = [
        RenderedPage(number=i + 1, width=595.0, height=842.0, unit="pt", image=im, scale=0.48)
        for i, im in enumerate(images)
    ]
    stage(pages[: args.layout_batch])  # warm-up
    _sync(args.device)
    _reset_peak(args.device)
    started = time.perf_counter()
    stage(pages)
    _sync(args.device)
    return Row("layout", args.layout_batch, len(pages), time.perf_counter() - started,
               peak_gib=_peak(args.device))  # fmt: skip


def run(args) -> tuple[list[Row], dict[str, str]]:
    import torch

    from bench import gpu_models
    from docworker.stages.vlm import dtype_for

    size = "tiny" if args.tiny else "full"
    dtype = dtype_for(args.device)
    model, processor = gpu_models.vlm(args.vlm, size, args.device, dtype)
    params = sum(p.numel() for p in model.parameters()) / 1e9
    draw = random.Random(args.seed)
    lengths = [draw.randint(args.min_tokens, args.max_tokens) for _ in range(args.pages)]
    images = page_images(min(args.pages, 16), args.page_size)
    rows = measure_vlm(model, processor, args, lengths, images)
    del model
    layout_model, layout_processor = gpu_models.layout(size, args.device)
    rows.append(measure_layout(layout_model, layout_processor, args, images))
    name = "cpu"
    if args.device.startswith("cuda"):
        name = torch.cuda.get_device_name(torch.cuda.current_device())
    info = {
        "device": f"{args.device} ({name})",
        "dtype": str(dtype).replace("torch.", ""),
        "vlm": f"{args.vlm}, {size} shapes, {params:.2f} B parameters, random weights",
        "pages": f"{args.pages}, {args.page_size[0]}x{args.page_size[1]} px, "
        f"at most {args.max_pixels} px to the VLM",
        "tokens/page": f"uniform {args.min_tokens}-{args.max_tokens} (seed {args.seed}), "
        f"mean {statistics.mean(lengths):.0f}",
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    return rows, info


def report(rows: list[Row], info: dict[str, str]) -> str:
    lines = ["# GPU engine benchmark (random weights, real shapes)", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += [
        "",
        "| stage | batch | pages | seconds | pages/s | tokens/s | p50 s/page | p95 s/page"
        " | most rows | OOM | peak GiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def fmt(value, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    for r in rows:
        lines.append(
            f"| {r.stage} | {r.batch} | {r.pages} | {r.seconds:.2f} | {r.pages_per_s:.3f}"
            f" | {fmt(r.tokens_per_s if r.tokens else None, '.0f')} | {fmt(r.p50_s, '.2f')}"
            f" | {fmt(r.p95_s, '.2f')} | {fmt(r.peak_rows, 'd')} | {fmt(r.oom_events, 'd')}"
            f" | {fmt(r.peak_gib, '.1f')} |"
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
    parser.add_argument("--batch-sizes", default="16,32,64", help="most pages decoding at once")
    parser.add_argument("--pages", type=int, default=128)
    parser.add_argument("--min-tokens", type=int, default=300)
    parser.add_argument("--max-tokens", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-size", type=_size, default=(1240, 1754), help="A4 at 150 dpi")
    parser.add_argument("--max-pixels", type=int, default=2_000_000)
    parser.add_argument("--layout-batch", type=int, default=8)
    parser.add_argument("--baseline", action="store_true", help="also static-batch generate")
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    if args.tiny:
        args.page_size = (160, 220)
        args.max_pixels = min(args.max_pixels, 28 * 28 * 16)
        args.pages = min(args.pages, 8)
        args.min_tokens, args.max_tokens = min(args.min_tokens, 4), min(args.max_tokens, 24)
        args.batch_sizes = sorted({min(b, 4) for b in args.batch_sizes})
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            print("CUDA is not available; use --device cpu --tiny for a smoke run", file=sys.stderr)
            return 1
    rows, info = run(args)
    text = report(rows, info)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    if args.json:
        payload = {"info": info, "rows": [asdict(r) | {"pages_per_s": r.pages_per_s,
                   "tokens_per_s": r.tokens_per_s} for r in rows]}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
