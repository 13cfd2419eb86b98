"""How a page's cost grows with what it holds: generated pages at n, 2n and 4n items.

A cost that grows faster than the page is the one a real document finds before any
benchmark does (a spreadsheet export whose every empty cell reads "0", a table of a
thousand rows). Each kind of page is made at three sizes and read by
``engines.cpu.read_page`` (text layer, ``ocr: never``) in this process; CPU time with
``time.process_time``, the best of ``--runs``. ``growth`` is the exponent between
the two largest sizes (1: linear; 2: quadratic).

Kinds (one page each, taller where it needs to be):

- ``zeros``: n pieces reading "0" in a grid of 80 columns, 4-pt print;
- ``ruled``: a ruled table of n rows by 12 columns of five-digit numbers;
- ``stream``: a table of n rows by 8 columns (a word, then numbers), no rules;
- ``prose``: two columns of n lines of 9-pt prose;
- ``labels``: n short words scattered at random (a map's labels).

Run it on two trees alternately (``PYTHONPATH`` picks the tree)::

    PYTHONPATH=src python -m bench.big_pages
    PYTHONPATH=/tmp/base/src python -m bench.big_pages --kinds zeros ruled

Output: a table on stdout, JSON in ``bench/results/big_pages.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.pdfgen import stream_pdf

from bench.common import load, machine, pdf_task, write_result

SIZES = {
    "zeros": (4000, 8000, 16000),
    "ruled": (200, 400, 800),
    "stream": (200, 400, 800),
    "prose": (200, 400, 800),
    "labels": (2000, 4000, 8000),
}
_WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at"
    " which but have an they you were their one all we can her has there been if more when"
).split()


def _text(x: float, y: float, size: float, text: str) -> bytes:
    return b"BT /F1 %.1f Tf %.2f %.2f Td (%s) Tj ET" % (size, x, y, text.encode("latin-1"))


def _grid(
    outer: int, inner: int, place: Callable[[int, int], tuple[float, float]], size: float,
    text: Callable[[int, int], str],
) -> list[bytes]:  # fmt: skip
    """One piece of text a cell, drawn ``outer`` by ``inner``: at ``place(i, j)``."""
    return [_text(*place(i, j), size, text(i, j)) for i in range(outer) for j in range(inner)]


def page(kind: str, n: int) -> bytes:
    """One generated page of ``kind`` with ``n`` items (see module docstring)."""
    rng = random.Random(n)
    ops: list[bytes] = []
    height = 842.0
    if kind == "zeros":
        rows = n // 80 + 1
        ops = [_text(10 + 7 * (i % 80), 830 - (i // 80) * 820 / rows, 4, "0") for i in range(n)]
    elif kind == "ruled":
        height = max(842.0, 40 + 10 * n)
        top, right = height - 20, 20 + 12 * 45
        ops.append(b"0.3 w")
        rule = b"20 %.1f m %.1f %.1f l S"
        ops += [rule % (top - 10 * r, right, top - 10 * r) for r in range(n + 1)]
        ops += [
            b"%.1f %.1f m %.1f %.1f l S" % (20 + 45 * c, top, 20 + 45 * c, top - 10 * n)
            for c in range(13)
        ]
        ops += _grid(
            n, 12, lambda r, c: (22 + 45 * c, top - 8 - 10 * r), 7,
            lambda r, c: str(rng.randint(0, 99999)),
        )  # fmt: skip
    elif kind == "stream":
        height = max(842.0, 40 + 11 * n)
        ops = _grid(
            n, 8, lambda r, c: (30 + 68 * c, height - 30 - 11 * r), 8,
            lambda r, c: str(rng.randint(0, 9999)) if c else rng.choice(_WORDS),
        )  # fmt: skip
    elif kind == "prose":
        height = max(842.0, 60 + 12 * n)
        ops = _grid(
            2, n, lambda col, r: (40 + 280 * col, height - 40 - 12 * r), 9,
            lambda col, r: " ".join(rng.choice(_WORDS) for _ in range(7)),
        )  # fmt: skip
    elif kind == "labels":
        ops = [
            _text(rng.uniform(10, 560), rng.uniform(10, 830), 6, rng.choice(_WORDS))
            for _ in range(n)
        ]
    else:
        raise ValueError(kind)
    return stream_pdf(b"\n".join(ops), height=math.ceil(height))


def measure(kind: str, n: int, runs: int, folder: Path) -> dict[str, object]:
    from docworker.engines import cpu
    from docworker.isolation import tasks

    path = folder / f"{kind}-{n}.pdf"
    path.write_bytes(page(kind, n))
    task = tasks.PageTask(doc=pdf_task(path), number=1, ocr="never")
    best: tuple[float, object] | None = None
    for _ in range(runs):
        start = time.process_time()
        result = cpu.read_page(task)
        spent = time.process_time() - start
        if best is None or spent < best[0]:
            best = (spent, result)
    assert best is not None
    spent, result = best
    return {
        "kind": kind,
        "items": n,
        "cpu_s": round(spent, 3),
        "stages_ms": {k: round(v) for k, v in result.timings_ms.items()},  # type: ignore[attr-defined]
        "tables": len(result.tables),  # type: ignore[attr-defined]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="*", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="folder for the JSON result")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds:
            for n in SIZES[kind]:
                rows.append(measure(kind, n, args.runs, Path(tmp)))
                print(rows[-1], flush=True)
    print("\n| page | items | CPU s | growth (last doubling) |\n|---|---:|---:|---:|")
    growth: dict[str, float] = {}
    for kind in args.kinds:
        mine = [r for r in rows if r["kind"] == kind]
        a, b = float(mine[-2]["cpu_s"]), float(mine[-1]["cpu_s"])  # type: ignore[arg-type]
        growth[kind] = round(math.log2(b / a), 2) if a > 0 and b > 0 else float("nan")
        for r in mine:
            last = f"{growth[kind]:.2f}" if r is mine[-1] else ""
            print(f"| {kind} | {r['items']} | {r['cpu_s']:.2f} | {last} |")
    result = {"machine": machine(), "load": load(), "rows": rows, "growth": growth}
    write_result("big_pages", result, args.out)


if __name__ == "__main__":
    main()
