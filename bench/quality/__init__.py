"""docworker's quality harness (bench-only; ``python -m docworker eval`` imports it).

Modules, in the order a run uses them:

- ``corpus``: manifest rows and references (text, markdown, LaTeX, tables).
- ``metrics``: normalisation, CER/WER, BoW F1, reading order, table cell scores.
- ``harness``: the CER run over the corpus (``main``); ``report`` writes
  QUALITY.md and quality.json.
- ``checks`` (+ ``tablegrid``): docworker's own scorer of the olmOCR-bench-style
  checks in ``corpus/checks/checks.jsonl``; ``agree`` compares it with the
  corpus's reference scorer.
- ``peers``: raw pypdfium2 text, markitdown, pymupdf4llm (comparison only).
- ``checkrun`` (+ ``checkreport``, ``textlayer``): docworker and the peers over
  the checked documents, word recall against the text layer, control characters.

``missing_requirements()`` names what a run lacks, so the CLI can say it in one
line. The names below are the public API the tests use.

Inputs: a corpus folder. Outputs: docs/QUALITY.md, docs/quality.json.
"""

from __future__ import annotations

import importlib.util

from bench.quality.corpus import (
    OVERRIDES,
    Case,
    Reference,
    category,
    csv_table,
    load_reference,
    read_manifest,
    select,
    tabula_tables,
)
from bench.quality.harness import main, ocr_engine_of, run_corpus, score_case
from bench.quality.metrics import (
    bow_f1,
    cer,
    crop_reference,
    decolumnize,
    grid_of,
    normalize,
    order_score,
    strip_html,
    strip_latex,
    strip_markdown,
    table_scores,
    wer,
    words,
)
from bench.quality.report import (
    NOTES_END,
    NOTES_START,
    deltas,
    render_markdown,
    summarize,
    write_report,
)

#: Modules every eval needs, and the distribution that provides each.
REQUIRED = {"rapidfuzz": "rapidfuzz", "pypdfium2": "pypdfium2", "PIL": "pillow"}


def missing_requirements() -> list[str]:
    """Distributions that ``eval`` needs and this environment lacks."""
    return [dist for module, dist in REQUIRED.items() if importlib.util.find_spec(module) is None]


__all__ = [
    "NOTES_END",
    "NOTES_START",
    "OVERRIDES",
    "REQUIRED",
    "Case",
    "Reference",
    "bow_f1",
    "category",
    "cer",
    "crop_reference",
    "csv_table",
    "decolumnize",
    "deltas",
    "grid_of",
    "load_reference",
    "main",
    "missing_requirements",
    "normalize",
    "ocr_engine_of",
    "order_score",
    "read_manifest",
    "render_markdown",
    "run_corpus",
    "score_case",
    "select",
    "strip_html",
    "strip_latex",
    "strip_markdown",
    "summarize",
    "table_scores",
    "tabula_tables",
    "wer",
    "words",
    "write_report",
]
