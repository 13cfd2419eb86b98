"""The corpus side of the quality harness: manifest rows, references, selection.

``read_manifest(corpus)`` reads ``corpus/MANIFEST.tsv`` into ``Case`` rows;
``load_reference(case, corpus)`` finds what a case is scored against (plain
text, markdown, HTML or LaTeX ground truth, expected tables from tabula JSON
or camelot CSV); ``select`` keeps the non-hostile cases that have a reference
or a check; ``category`` groups them (digital, scan, office).

Inputs: a corpus folder. Outputs: ``Case`` and ``Reference`` objects.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.quality.metrics import decolumnize, strip_html, strip_latex, strip_markdown

_log = logging.getLogger(__name__)


@dataclass
class Case:
    """One manifest row."""

    path: str
    kinds: list[str]
    lang: str
    ground_truth: list[str]
    gt_type: str
    password: str | None
    expected: str
    notes: str


def read_manifest(corpus: Path) -> list[Case]:
    cases = []
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            cases.append(
                Case(
                    path=row["local_path"],
                    kinds=[k for k in row.get("kind", "").split(";") if k],
                    lang=row.get("lang", ""),
                    ground_truth=[g for g in row.get("ground_truth", "").split(";") if g],
                    gt_type=row.get("gt_type", ""),
                    password=row.get("password") or None,
                    expected=row.get("expected_behaviour", ""),
                    notes=row.get("notes", ""),
                )
            )
    return cases


# Corpus knowledge the manifest cannot express, keyed by local_path.
#   pages: the pages the reference covers
#   gt: the reference file to use instead of the manifest's
#   quality: override of the reference's trust level
#   source: expected page source ("ocr" / "text_layer") on every page
#   rotation: expected detected rotation on every page
#   present / absent: strings that must / must not appear in the text
OVERRIDES: dict[str, dict[str, Any]] = {
    # pypdf's expected text covers page 1 only, as layout text (columns side by side).
    "sample-files/multicolumn.pdf": {
        "pages": "1",
        "gt": "sample-files/multicolumn-lorem-ipsum.txt",
    },
    "sample-files/pdflatex-forms.pdf": {"gt": "sample-files/010-pdflatex-forms.txt"},
    # Page 3 of the DocLayNet paper: the reference is the whole paper's markdown.
    "docling/bad/2206.01062_pg3.pdf": {"gt": "docling/image/2206.01062.md", "quality": "partial"},
    "docling/pdf/invisible_text_layer.pdf": {
        "present": ["Visible heading line"],
        "absent": ["Invisible OCR text layer"],
    },
    "pypdf/Seige_of_Vicksburg_Sample_OCR.pdf": {"source": "ocr", "present": ["VICKSBURG"]},
    "docling/ocr/ocr_test.pdf": {"source": "ocr", "rotation": 0},
    "docling/ocr/ocr_test_rotated_90.pdf": {"source": "ocr"},
    "docling/ocr/ocr_test_rotated_180.pdf": {"source": "ocr"},
    "docling/ocr/ocr_test_rotated_270.pdf": {"source": "ocr"},
    "docling/ocr/sample_with_rotation_mismatch.pdf": {"source": "ocr"},
    "tesseract/phototest-rotated-180.png": {"rotation": 180},
    "tesseract/phototest.tif": {"rotation": 0},
    "camelot/bad/image.pdf": {"source": "ocr"},
    "pikepdf/scanned/congress.pdf": {"source": "ocr"},
    "pikepdf/scanned/jbig2.pdf": {"source": "ocr"},
    "pikepdf/scanned/ccitt-endofline-true.pdf": {"source": "ocr"},
    "sample-files/imagemagick-CCITTFaxDecode.pdf": {"source": "ocr"},
    "unstructured/bad/password.pdf": {"present": ["File with password"]},
}

HOSTILE_KINDS = {"bad_input", "decompression_bomb", "zip_bomb"}
OFFICE_KINDS = {"docx", "pptx", "xlsx", "odt"}


@dataclass
class Reference:
    """What a case is scored against."""

    quality: str  # exact | layout | snapshot | silver | latex | partial | engine | none
    text: str | None = None
    tables: list[list[list[str]]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    markdown: bool = False  # a markdown reference is compared with the output's markdown


def _quality(case: Case, gt_file: str) -> str:
    t = case.gt_type.lower()
    if "engine output snapshot" in t:
        return "engine"
    if "partial" in t:
        return "partial"
    if "silver" in t:
        return "silver"
    if gt_file.endswith(".tex"):
        return "latex"
    if "snapshot" in t or "regression" in t:
        return "snapshot"
    if gt_file.endswith(".txt") and ("layout" in t or "multicolumn" in case.kinds):
        return "layout"
    if gt_file.endswith((".txt",)) or "exact" in t or "same" in t or "text equals" in t:
        return "exact"
    return "snapshot"


def load_reference(case: Case, corpus: Path) -> Reference:
    """The reference text and tables for a case (``quality='none'`` if it has none)."""
    over = OVERRIDES.get(case.path, {})
    files = [over["gt"]] if "gt" in over else list(case.ground_truth)
    files = [f for f in files if (corpus / f).is_file()]
    ref = Reference(quality="none", files=files)
    for f in files:
        if f.endswith(".json") and f.startswith("tabula/"):
            ref.tables = tabula_tables(corpus / f)
    if not ref.tables:
        for f in files:
            if f.endswith(".csv"):
                ref.tables = [csv_table(corpus / f)]
    # The text reference: plain text first, then markdown, HTML, LaTeX.
    text_files = [f for f in files if f.endswith((".txt", ".md", ".html", ".tex"))]
    text_files = [f for f in text_files if not f.endswith("README.md") and "doctags" not in f]
    text_files.sort(key=lambda f: [".txt", ".md", ".html", ".tex"].index(Path(f).suffix))
    if text_files:
        f = text_files[0]
        raw = (corpus / f).read_text(encoding="utf-8", errors="replace")
        quality = over.get("quality") or _quality(case, f)
        if f.endswith(".md"):
            text = strip_markdown(raw)
            ref.markdown = True
        elif f.endswith(".html"):
            text = strip_html(raw)
        elif f.endswith(".tex"):
            if re.search(r"\\(blindtext|Blindtext|lipsum|input|include)\b", raw):
                return ref  # generated or included text: no usable reference
            text = strip_latex(raw)
        elif quality == "layout" and "multicolumn" in case.kinds:
            text = decolumnize(raw)
        else:
            text = raw
        ref.text, ref.quality = text, quality
    elif ref.tables:
        ref.quality = "tables"
    return ref


def tabula_tables(path: Path) -> list[list[list[str]]]:
    """A tabula-java JSON file → its tables as rows of cell texts."""
    data = json.loads(path.read_text(encoding="utf-8"))
    tables = data if isinstance(data, list) else [data]
    return [[[cell.get("text", "") for cell in row] for row in t.get("data", [])] for t in tables]


def csv_table(path: Path) -> list[list[str]]:
    """A camelot expected-table CSV → rows of cell texts."""
    with path.open(encoding="utf-8", newline="") as f:
        return [list(row) for row in csv.reader(f)]


def select(cases: list[Case], corpus: Path, only: str | None) -> list[tuple[Case, Reference]]:
    """Non-hostile cases with a reference or a check, filtered by ``only`` (glob or substring)."""
    chosen = []
    for case in cases:
        if only and not (fnmatch.fnmatch(case.path, only) or only in case.path):
            continue
        if HOSTILE_KINDS & set(case.kinds):
            continue
        if not (corpus / case.path).is_file():
            continue
        ref = load_reference(case, corpus)
        if ref.quality == "none" and case.path not in OVERRIDES:
            continue
        chosen.append((case, ref))
    return chosen


def category(case: Case, ref: Reference) -> str:
    kinds = set(case.kinds)
    if kinds & OFFICE_KINDS:
        return "office"
    if "digital_pdf" in kinds or ("encrypted" in kinds and "scanned_pdf" not in kinds):
        return "digital"
    if kinds & {"scanned_pdf", "image"}:
        return "scan"
    return "other"


#: Files of a corpus's ``checks/`` folder that a combined corpus concatenates.
_MERGED_CHECKS = ("checks.jsonl", "README.md")


def combine(corpora: list[Path], into: Path) -> Path:
    """One corpus folder made of several: the first is the main one, the others add to it.

    The shared corpus is read-only, so the documents and checks this project adds
    live in its own ``corpus/`` folder with the same layout (``MANIFEST.tsv``,
    ``checks/checks.jsonl``, the checks README's document table). ``into`` gets a
    link to every document folder of each corpus, the manifests' rows under one
    header, the checks one after the other, and the checks README of the main
    corpus with the other corpora's document rows appended to its table (the
    scorer reads which documents are new from it). The main corpus's other
    ``checks/`` files (its reference scorer) are linked. Two corpora may not hold
    the same top-level folder.
    """
    if len(corpora) == 1:
        return corpora[0]
    if into.exists():
        import shutil

        shutil.rmtree(into)
    (into / "checks").mkdir(parents=True)
    header: list[str] | None = None
    rows: list[str] = []
    checks: list[str] = []
    readme = ""
    for n, corpus in enumerate(corpora):
        corpus = corpus.resolve()
        for entry in sorted(corpus.iterdir()):
            if entry.name in ("MANIFEST.tsv", "README.md", "checks") or entry.name.startswith("."):
                continue
            link = into / entry.name
            if link.exists():
                raise ValueError(f"{entry.name} is in more than one corpus")
            link.symlink_to(entry)
        lines = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
        if header is None:
            header = lines[:1]
        elif lines[:1] != header:
            raise ValueError(f"{corpus}/MANIFEST.tsv has another header")
        rows += [line for line in lines[1:] if line.strip()]
        folder = corpus / "checks"
        if (folder / "checks.jsonl").is_file():
            checks += [ln for ln in (folder / "checks.jsonl").read_text().splitlines() if ln]
        text = (folder / "README.md").read_text() if (folder / "README.md").is_file() else ""
        if n == 0:
            readme = text
            for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
                if entry.name not in _MERGED_CHECKS:
                    (into / "checks" / entry.name).symlink_to(entry)
        else:
            readme += "\n" + "\n".join(re.findall(r"^\| \S+ \| (?:yes)? \|.*$", text, flags=re.M))
    (into / "MANIFEST.tsv").write_text("\n".join([*(header or []), *rows]) + "\n", encoding="utf-8")
    (into / "checks" / "checks.jsonl").write_text("\n".join(checks) + "\n", encoding="utf-8")
    (into / "checks" / "README.md").write_text(readme, encoding="utf-8")
    return into
