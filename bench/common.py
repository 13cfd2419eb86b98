"""Shared benchmark helpers: generated documents, machine facts, memory and medians.

Documents are written with ``tests/pdfgen.py`` (no PDF library), so every
benchmark can run from a fresh clone without ``../shared``:

- ``digital_pdf(n)``: ``n`` A4 pages of Spanish text with a real text layer
  (about 45 lines a page, accents, ñ, ¿ and ¡).
- ``scanned_pdf(n, dpi)``: ``n`` A4 pages that are full-page greyscale JPEG
  scans of such text, at ``dpi`` pixels per inch; no text layer.
- ``mixed_pdf(n, every, dpi)``: digital pages with a scanned page every
  ``every`` pages.

``machine()`` describes the machine and its load (``os.getloadavg``), which
each figure is recorded with. ``tree_peak_rss_mb(pids)`` sums ``VmHWM`` (peak
resident set) over a process and its children.

Inputs: page counts and resolutions. Outputs: PDF bytes, dicts of facts.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, TypeVar

from tests.pdfgen import ImagePage, TextPage, build_pdf, font

A4 = (595.0, 842.0)
T = TypeVar("T")

_WORDS = (
    "Artículo resolución señor Muñoz año público información ¿cuándo? ¡atención! "
    "Logroño España comisión técnica cumplimiento dirección señales deberán "
    "mantenerse legibles según fiscal curso presentó solicitud oficina publicará "
    "decisión anexo reglamento disposición adicional transitoria derogatoria "
    "niño pequeño acción razón corazón ejecución garantía régimen jurídico"
).split()


def spanish_lines(page: int, count: int, width: int = 11) -> list[str]:
    """Deterministic Spanish-looking lines, different on every page."""
    lines = []
    for i in range(count):
        start = (page * 7 + i * 3) % len(_WORDS)
        words = [_WORDS[(start + k * 5) % len(_WORDS)] for k in range(width)]
        lines.append(f"{page}.{i + 1} " + " ".join(words))
    return lines


def digital_pdf(pages: int, lines_per_page: int = 45) -> bytes:
    """``pages`` A4 pages with a text layer of ``lines_per_page`` lines each."""
    specs: list[TextPage | ImagePage] = []
    for p in range(1, pages + 1):
        lines = spanish_lines(p, lines_per_page)
        specs.append(
            TextPage(lines=[(56.0, 60.0 + 16.0 * i, 10.0, text) for i, text in enumerate(lines)])
        )
    return build_pdf(specs)


def scan_page_jpeg(page: int, dpi: int, lines_per_page: int = 30, quality: int = 80) -> bytes:
    """A full A4 page of text as a greyscale JPEG at ``dpi`` (a scanner's output)."""
    import io

    from PIL import Image, ImageDraw

    w, h = round(A4[0] / 72 * dpi), round(A4[1] / 72 * dpi)
    image = Image.new("L", (w, h), 246)
    draw = ImageDraw.Draw(image)
    size = max(8, round(11 / 72 * dpi))
    face = font(size)
    step = (h - 2 * (0.8 * dpi)) / lines_per_page
    for i, text in enumerate(spanish_lines(page, lines_per_page, width=8)):
        draw.text((0.8 * dpi, 0.8 * dpi + i * step), text, fill=25, font=face)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def scanned_page(page: int, dpi: int, lines_per_page: int = 30) -> ImagePage:
    w, h = round(A4[0] / 72 * dpi), round(A4[1] / 72 * dpi)
    jpeg = scan_page_jpeg(page, dpi, lines_per_page)
    return ImagePage(jpeg=jpeg, pixel_size=(w, h), placed_height=A4[1])


def scanned_pdf(pages: int, dpi: int = 150) -> bytes:
    """``pages`` full-page scans at ``dpi``, no text layer."""
    return build_pdf([scanned_page(p, dpi) for p in range(1, pages + 1)])


def mixed_pdf(pages: int, every: int = 10, dpi: int = 100, scan_lines: int = 30) -> bytes:
    """Digital pages with a full-page scan (``dpi``, ``scan_lines`` lines of text) every
    ``every`` pages: pages 1, 1 + every, ..."""
    specs: list[TextPage | ImagePage] = []
    for p in range(1, pages + 1):
        if (p - 1) % every == 0:
            specs.append(scanned_page(p, dpi, scan_lines))
        else:
            lines = spanish_lines(p, 45)
            specs.append(
                TextPage(lines=[(56.0, 60.0 + 16.0 * i, 10.0, t) for i, t in enumerate(lines)])
            )
    return build_pdf(specs)


# ------------------------------------------------------------------ machine


def load() -> list[float]:
    """1, 5 and 15-minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """What a figure was measured on."""
    mem_gb = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load": load(),
    }


# ------------------------------------------------------------------- memory


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident set (``VmHWM``), in MiB."""
    return round(_status_kb(pid, "VmHWM") / 1024, 1)


def rss_mb(pid: int) -> float:
    """A process's current resident set (``VmRSS``), in MiB."""
    return round(_status_kb(pid, "VmRSS") / 1024, 1)


def tree_peak_rss_mb(pids: Iterable[int]) -> float:
    """The sum of each process's peak RSS: an upper bound on the tree's peak."""
    return round(sum(peak_rss_mb(pid) for pid in pids), 1)


def cpu_s(pids: Iterable[int]) -> float:
    """CPU time the processes' live threads have used, in seconds (``schedstat``, ns).

    Summed over ``/proc/<pid>/task/*``: ``/proc/<pid>/schedstat`` alone is the
    main thread only, which would miss onnxruntime's threads and the thread an
    async handler runs the job in.
    """
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total / 1e9


# ------------------------------------------------------------------ timing


_LOOP: asyncio.AbstractEventLoop | None = None


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on one event loop kept for the whole benchmark, as RunPod keeps one
    per worker (``asyncio.run`` would build and tear down a loop and its thread pool
    every call, a cost no deployed job pays)."""
    global _LOOP
    if _LOOP is None:
        _LOOP = asyncio.new_event_loop()
    return _LOOP.run_until_complete(coro)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """``(seconds, result)`` of one call."""
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def pdf_task(path: Path) -> Any:
    """The page tasks' ``DocTask`` for a PDF at ``path``, with the default settings' limits
    (for the benchmarks that call ``engines.cpu.read_page`` in their own process)."""
    from docworker import decode
    from docworker.config import Settings
    from docworker.isolation import tasks

    settings = Settings()
    return tasks.DocTask(
        path=str(path),
        mime=decode.PDF,
        password=None,
        max_pages=settings.max_pages,
        max_page_points=settings.max_page_points,
        max_pixels=settings.max_render_pixels,
    )


def write_result(name: str, result: dict[str, Any], out_dir: Path | None = None) -> Path:
    """Write ``bench/results/<name>.json`` (or into ``out_dir``) and return its path."""
    folder = out_dir or Path(__file__).with_name("results")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return path
