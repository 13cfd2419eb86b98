"""Office readers before/after: docstrange's converter markdown vs docworker's own readers.

For every DOCX/PPTX/XLSX/HTML file in the corpus's MANIFEST.tsv with a ground
truth, prints per file: tables found, cell accuracy against the reference's
pipe tables, reading order (``bench.quality.order_score``: share of the
reference's word trigrams in reference order) and CER, first for docstrange's
markdown parsed by ``office.markdown.parse`` (the path before the readers),
then for ``office.docx`` / ``pptx`` / ``xlsx`` / ``htmldoc``.

Cell accuracy is ``bench.quality.table_scores`` (same position after the best
shift) with each reference table matched to its best predicted table. The
references (docling's markdown) repeat a merged cell's text in every position
it covers, while the readers return one cell with spans; ``spans filled``
repeats the text the same way before scoring, ``as given`` does not.

Usage: ``python bench/office_order.py [--corpus ../shared/corpus]``.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.quality import cer, grid_of, order_score, strip_markdown, table_scores  # noqa: E402
from docworker import decode  # noqa: E402
from docworker.engines.office.build import read_in_order  # noqa: E402
from docworker.engines.office.docstrange import office_to_markdown  # noqa: E402
from docworker.engines.office.markdown import parse  # noqa: E402

MIMES = {".docx": decode.DOCX, ".pptx": decode.PPTX, ".xlsx": decode.XLSX, ".html": decode.HTML}


def reference_tables(markdown: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in [*markdown.splitlines(), ""]:
        s = line.strip()
        if s.startswith("|"):
            if not re.fullmatch(r"\|[\s:|-]*-[\s:|-]*\|", s):  # a rule, not empty cells
                current.append([c.strip() for c in s.strip("|").split("|")])
        elif current:
            tables.append(current)
            current = []
    return tables


def filled(table: dict[str, Any]) -> list[list[str]]:
    """A table's grid with a spanned cell's text in every position it covers."""
    grid = [["" for _ in range(table["n_cols"])] for _ in range(table["n_rows"])]
    for cell in table["cells"]:
        for r in range(cell["row"], min(cell["row"] + cell["row_span"], table["n_rows"])):
            for c in range(cell["col"], min(cell["col"] + cell["col_span"], table["n_cols"])):
                grid[r][c] = cell["text"]
    return grid


def score(content: Any, reference: str) -> dict[str, Any]:
    tables = [t.model_dump() for t in content.tables]
    expected = reference_tables(reference)
    row: dict[str, Any] = {"tables": len(tables), "ref_tables": len(expected)}
    for name, view in (("as given", grid_of), ("spans filled", filled)):
        predicted = [view(t) for t in tables]
        accs = [
            max((table_scores(e, p)["cell_acc"] for p in predicted), default=0.0) for e in expected
        ]
        row[name] = sum(accs) / len(accs) if accs else None
    ref_text = strip_markdown(reference)
    row["order"] = order_score(strip_markdown(content.markdown), ref_text)
    row["cer"] = cer(strip_markdown(content.markdown), ref_text)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    print("| file | path | tables (ref) | cells as given | cells spans filled | order | CER |")
    print("|---|---|---|---|---|---|---|")
    for entry in rows:
        path = corpus / entry["local_path"]
        if path.suffix not in MIMES or not entry["ground_truth"]:
            continue
        reference = (corpus / entry["ground_truth"].split(";")[0]).read_text(encoding="utf-8")
        mime = MIMES[path.suffix]
        for label, content in (
            ("docstrange", parse(office_to_markdown(path, mime), mime)),
            ("reader", read_in_order(path, mime)[0]),
        ):
            r = score(content, reference)

            def pct(x: float | None) -> str:
                return "–" if x is None else f"{100 * x:.1f}%"

            print(
                f"| {entry['local_path']} | {label} | {r['tables']} ({r['ref_tables']}) |"
                f" {pct(r['as given'])} | {pct(r['spans filled'])} | {pct(r['order'])} |"
                f" {pct(r['cer'])} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
