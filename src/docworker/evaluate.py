"""Quality evaluation: run the worker's pipeline over a corpus and score it.

``python -m docworker eval --corpus DIR [--out docs/QUALITY.md] [--only PATTERN]
[--ocr rapidocr|tesseract]`` reads ``DIR/MANIFEST.tsv``, runs ``Pipeline.run``
once per document that has usable ground truth (or a routing/orientation
check) with the CPU engine and the chosen OCR engine, and scores the output:

- **CER / WER**: Levenshtein distance over characters / words of the
  normalized text, divided by the reference length.
- **BoW F1**: F1 of the multiset of lower-cased words, blind to order; a
  high BoW F1 beside a high WER means an order problem, not a recognition one.
- **order**: of the word trigrams that occur exactly once in both texts, the
  share that appear in the same relative order (longest increasing
  subsequence); 1.0 is perfect reading order.
- **tables**: for each expected table (tabula JSON, camelot CSV) the best
  predicted table's cell accuracy (expected non-empty cells found at the same
  row/column after the best small row/column shift) and cell-bag F1.
- **checks**: page source (OCR vs text layer), detected rotation, presence.

Normalization is for comparison only: NFKC (ligatures such as "ﬁ" → "fi"),
typographic quotes and dashes folded to ASCII, soft hyphens dropped, markup
stripped from markdown / LaTeX / HTML references, whitespace collapsed.

Inputs: a corpus folder, a built ``Pipeline``. Outputs: a JSON report (one
entry per file, kept run to run so deltas show regressions) and a markdown
summary (``docs/QUALITY.md``) whose hand-written notes section is preserved.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import html
import json
import logging
import os
import platform
import re
import subprocess
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)

# ----------------------------------------------------------------- manifest


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
            ref.tables = _tabula_tables(corpus / f)
    if not ref.tables:
        for f in files:
            if f.endswith(".csv"):
                ref.tables = [_csv_table(corpus / f)]
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


def _tabula_tables(path: Path) -> list[list[list[str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    tables = data if isinstance(data, list) else [data]
    return [[[cell.get("text", "") for cell in row] for row in t.get("data", [])] for t in tables]


def _csv_table(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [list(row) for row in csv.reader(f)]


# ------------------------------------------------------------ normalization

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00ad": None,
        "\u200b": None,
        "\ufeff": None,
    }
)


def normalize(text: str) -> str:
    """Comparison form: NFKC, quotes/dashes folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> list[str]:
    return normalize(text).split(" ") if text.strip() else []


def bag(text: str) -> Counter[str]:
    """Lower-cased word tokens (letters/digits only) for order-blind comparison."""
    return Counter(re.findall(r"\w+", normalize(text).lower()))


def strip_markdown(text: str) -> str:
    """Markdown → plain text: front matter, markup, table rules and comments removed."""
    text = re.sub(r"\A---\n.*?\n---(\n|\Z)", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = strip_html(text)
    out = []
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("```"):
            continue
        if re.fullmatch(r"\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?", s):
            continue  # table rule
        s = re.sub(r"^#{1,6}\s+", "", s)
        s = re.sub(r"^[-*+]\s+", "", s)
        if s.startswith("|"):
            s = " ".join(cell.strip() for cell in s.strip("|").split("|"))
        s = s.replace("**", "").replace("__", "")
        s = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>])", r"\1", s)
        out.append(s)
    return "\n".join(out)


def strip_html(text: str) -> str:
    text = re.sub(r"<(script|style|head)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<br\s*/?>|</(p|div|tr|li|h\d)>", "\n", text, flags=re.I)
    text = re.sub(r"</t[dh]>", " ", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def strip_latex(text: str) -> str:
    """Approximate plain text of a LaTeX body (macros dropped, arguments kept)."""
    m = re.search(r"\\begin\{document\}(.*?)\\end\{document\}", text, flags=re.S)
    body = m.group(1) if m else text
    body = re.sub(r"(?<!\\)%.*", "", body)
    body = re.sub(r"\\(begin|end)\{[^}]*\}(\[[^\]]*\])?(\{[^}]*\})?", " ", body)
    body = re.sub(
        r"\\(label|ref|cite|includegraphics|usepackage|lipsum)(\[[^\]]*\])?\{[^}]*\}", " ", body
    )
    body = re.sub(r"\\\\", "\n", body)
    body = re.sub(r"\\([%&$#_{}])", r"\1", body)
    body = re.sub(r"\\[a-zA-Z]+\*?(\[[^\]]*\])?", " ", body)
    body = body.replace("{", "").replace("}", "").replace("~", " ")
    body = body.replace("``", '"').replace("''", '"').replace("---", "-").replace("--", "-")
    return body


def decolumnize(text: str) -> str:
    """Layout text with side-by-side columns → column-by-column text.

    Finds the character column where most lines have text on both sides and
    blanks around it; runs of lines split there are read left part first,
    then right part. Lines that cross the gutter end a run.
    """
    lines = text.split("\n")
    width = max((len(line) for line in lines), default=0)
    if width < 20:
        return text

    def blank_at(line: str, c: int) -> bool:
        return line[max(0, c - 1) : c + 2].strip() == ""

    best, best_score = None, 0
    for c in range(int(width * 0.3), int(width * 0.7)):
        score = sum(
            1
            for line in lines
            if len(line) > c + 2 and line[:c].strip() and line[c:].strip() and blank_at(line, c)
        )
        if score > best_score:
            best, best_score = c, score
    if best is None or best_score < 5:
        return text
    out: list[str] = []
    left: list[str] = []
    right: list[str] = []

    def flush() -> None:
        out.extend(left)
        out.extend(right)
        left.clear()
        right.clear()

    for line in lines:
        if len(line) <= best or blank_at(line, best):
            left.append(line[:best].rstrip())
            right.append(line[best:].strip())
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


# ------------------------------------------------------------------ metrics


def _lev(a: Any, b: Any) -> int:
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(a, b))


def cer(hyp: str, ref: str) -> float:
    h, r = normalize(hyp), normalize(ref)
    return _lev(h, r) / max(1, len(r))


def wer(hyp: str, ref: str) -> float:
    h, r = words(hyp), words(ref)
    return _lev(h, r) / max(1, len(r))


def bow_f1(hyp: str, ref: str) -> float:
    h, r = bag(hyp), bag(ref)
    if not h and not r:
        return 1.0
    common = sum((h & r).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(h.values()), common / sum(r.values())
    return 2 * precision * recall / (precision + recall)


def _trigrams(tokens: list[str]) -> list[tuple[str, str, str]]:
    return [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]  # type: ignore[misc]


def order_score(hyp: str, ref: str) -> float | None:
    """Share of unique shared word trigrams in reference order (LIS); ``None`` if too few."""
    h = _trigrams(re.findall(r"\w+", normalize(hyp).lower()))
    r = _trigrams(re.findall(r"\w+", normalize(ref).lower()))
    hc, rc = Counter(h), Counter(r)
    hpos = {g: i for i, g in enumerate(h) if hc[g] == 1}
    seq = [hpos[g] for g in r if rc[g] == 1 and g in hpos]
    if len(seq) < 5:
        return None
    return _lis(seq) / len(seq)


def _lis(seq: list[int]) -> int:
    import bisect

    tails: list[int] = []
    for x in seq:
        i = bisect.bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)


def crop_reference(hyp: str, ref: str, margin: int = 20) -> str:
    """The part of a longer reference that ``hyp`` covers (for partial references).

    Marks where ``hyp``'s word trigrams occur in the reference and keeps the
    window, as long as ``hyp`` (plus a quarter), that holds the most of them.
    """
    rw = normalize(ref).split(" ")
    keys = [re.sub(r"\W", "", w.lower()) for w in rw]
    hyp_words = [re.sub(r"\W", "", w.lower()) for w in normalize(hyp).split(" ")]
    hyp_tri = set(_trigrams([w for w in hyp_words if w]))
    positions = [i for i in range(len(keys) - 2) if tuple(keys[i : i + 3]) in hyp_tri]
    if len(positions) < 5:
        return ref
    size = int(len(hyp_words) * 1.25) + 1
    best_start, best_count = positions[0], 0
    k = 0
    for i, start in enumerate(positions):
        k = max(k, i)
        while k < len(positions) and positions[k] < start + size:
            k += 1
        if k - i > best_count:
            best_start, best_count = start, k - i
    return " ".join(rw[max(0, best_start - margin) : best_start + size + margin])


def _cell(text: str) -> str:
    return normalize(text or "")


def table_scores(expected: list[list[str]], predicted: list[list[str]]) -> dict[str, float]:
    """Cell accuracy (same position after the best shift) and cell-bag F1."""
    exp_cells = [
        (r, c, _cell(t)) for r, row in enumerate(expected) for c, t in enumerate(row) if _cell(t)
    ]
    pred = [[_cell(t) for t in row] for row in predicted]
    if not exp_cells:
        return {"cell_acc": 1.0, "cell_f1": 1.0}
    e_bag = Counter(t for _, _, t in exp_cells)
    p_bag = Counter(t for row in pred for t in row if t)
    common = sum((e_bag & p_bag).values())
    f1 = 0.0
    if common:
        p, r = common / sum(p_bag.values()), common / sum(e_bag.values())
        f1 = 2 * p * r / (p + r)
    best = 0
    for dr in range(-4, 5):
        for dc in range(-3, 4):
            hits = 0
            for r, c, t in exp_cells:
                rr, cc = r + dr, c + dc
                if 0 <= rr < len(pred) and 0 <= cc < len(pred[rr]) and pred[rr][cc] == t:
                    hits += 1
            best = max(best, hits)
    return {"cell_acc": best / len(exp_cells), "cell_f1": f1}


def grid_of(table: dict[str, Any]) -> list[list[str]]:
    """A contract ``Table`` (as a dict) → rows of cell texts (spans fill their first cell)."""
    grid = [["" for _ in range(table["n_cols"])] for _ in range(table["n_rows"])]
    for cell in table["cells"]:
        if cell["row"] < len(grid) and cell["col"] < len(grid[cell["row"]]):
            grid[cell["row"]][cell["col"]] = cell["text"]
    return grid


# ---------------------------------------------------------------- scoring


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def score_case(case: Case, ref: Reference, payload: dict[str, Any]) -> dict[str, Any]:
    """Metrics and checks for one pipeline payload."""
    over = OVERRIDES.get(case.path, {})
    out: dict[str, Any] = {"quality": ref.quality, "gt": ref.files}
    if "error" in payload:
        out["error"] = payload["error"]["code"]
        out["checks"] = {"runs": False}
        return out
    data, meta = payload["data"], payload["metadata"]
    pages = data["pages"]
    text = data.get("text") or ""
    if ref.markdown:
        # Like with like: markdown leaves page headers/footers out, as docling's does.
        text = strip_markdown(data.get("markdown") or "")
    out["compared"] = "markdown" if ref.markdown else "text"
    out["pages"] = len(pages)
    out["sources"] = dict(Counter(p["source"] for p in pages))
    out["rotations"] = [p.get("rotation", 0) for p in pages]
    out["status"] = meta["status"]
    out["ocr_ms"] = meta["timings_ms"].get("ocr", 0.0)
    checks: dict[str, bool] = {"runs": meta["status"] == "success"}
    if ref.text is not None:
        reference = ref.text
        if ref.quality == "partial":
            reference = crop_reference(text, reference)
        out["ref_chars"] = len(normalize(reference))
        out["hyp_chars"] = len(normalize(text))
        out["cer"] = _round(cer(text, reference))
        out["wer"] = _round(wer(text, reference))
        out["bow_f1"] = _round(bow_f1(text, reference))
        out["order"] = _round(order_score(text, reference))
    if ref.tables:
        predicted = [grid_of(t) for p in pages for t in (p.get("tables") or [])]
        per_table = []
        for expected in ref.tables:
            scores = [table_scores(expected, grid) for grid in predicted] or [
                {"cell_acc": 0.0, "cell_f1": 0.0}
            ]
            best = max(scores, key=lambda s: (s["cell_acc"], s["cell_f1"]))
            per_table.append({k: round(v, 4) for k, v in best.items()})
        out["tables"] = per_table
        out["tables_found"] = len(predicted)
        out["table_acc"] = round(sum(t["cell_acc"] for t in per_table) / len(per_table), 4)
    elif any("table" in k for k in case.kinds):
        out["tables_found"] = sum(len(p.get("tables") or []) for p in pages)
    if "source" in over:
        checks["source"] = all(p["source"] == over["source"] for p in pages if p["status"] == "ok")
    if "rotation" in over:
        checks["rotation"] = all(p.get("rotation", 0) == over["rotation"] for p in pages)
    norm = normalize(text)
    for s in over.get("present", []):
        checks[f"has '{s}'"] = normalize(s) in norm
    for s in over.get("absent", []):
        checks[f"lacks '{s}'"] = normalize(s) not in norm
    out["checks"] = checks
    return out


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


def run_corpus(
    corpus: Path, pipeline: Any, only: str | None = None, log: Any = print
) -> dict[str, Any]:
    """Run and score every selected case; returns the report dict."""
    results: dict[str, Any] = {}
    selected = select(read_manifest(corpus), corpus, only)
    ocr_engine = getattr(getattr(pipeline, "settings", None), "ocr_engine", None)
    for i, (case, ref) in enumerate(selected, 1):
        job: dict[str, Any] = {
            "document_path": str((corpus / case.path).resolve()),
            "engine": "cpu",
        }
        if case.password:
            job["password"] = case.password
        pages = OVERRIDES.get(case.path, {}).get("pages")
        if pages:
            job["pages"] = pages
        t = time.perf_counter()
        payload = pipeline.run(job, job_id=f"eval-{i}")
        seconds = round(time.perf_counter() - t, 2)
        entry = score_case(case, ref, payload)
        entry["category"] = category(case, ref)
        entry["kinds"] = case.kinds
        entry["seconds"] = seconds
        if ocr_engine and "ocr" in entry.get("sources", {}):
            entry["ocr_engine"] = ocr_engine
        if pages:
            entry["eval_pages"] = pages
        results[case.path] = entry
        log(f"[{i}/{len(selected)}] {case.path}: {_brief(entry)}")
    return {"files": results, "summary": summarize(results)}


def _brief(entry: dict[str, Any]) -> str:
    parts = []
    for key in ("cer", "wer", "bow_f1", "order", "table_acc"):
        if entry.get(key) is not None:
            parts.append(f"{key}={entry[key]:.3f}")
    if entry.get("error"):
        parts.append(f"error={entry['error']}")
    failed = [k for k, v in entry.get("checks", {}).items() if not v]
    if failed:
        parts.append("FAILED " + ", ".join(failed))
    parts.append(f"{entry.get('seconds', 0):.1f}s")
    return " ".join(parts)


GROUPS = (
    ("digital PDFs, exact text", lambda e: e["category"] == "digital" and e["quality"] == "exact"),
    (
        "digital PDFs, layout text",
        lambda e: e["category"] == "digital" and e["quality"] == "layout",
    ),
    (
        "digital PDFs, docling snapshots",
        lambda e: e["category"] == "digital" and e["quality"] == "snapshot",
    ),
    (
        "digital PDFs, LaTeX source",
        lambda e: e["category"] == "digital" and e["quality"] == "latex",
    ),
    (
        "digital PDFs, silver markdown",
        lambda e: e["category"] == "digital" and e["quality"] == "silver",
    ),
    ("scans, exact text", lambda e: e["category"] == "scan" and e["quality"] == "exact"),
    (
        "scans, snapshots/partial",
        lambda e: e["category"] == "scan" and e["quality"] in ("snapshot", "partial"),
    ),
    ("office", lambda e: e["category"] == "office"),
)


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, test in GROUPS:
        entries = [e for e in results.values() if test(e) and e.get("cer") is not None]
        if not entries:
            continue
        summary[name] = {
            "files": len(entries),
            "cer": round(sum(e["cer"] for e in entries) / len(entries), 4),
            "wer": round(sum(e["wer"] for e in entries) / len(entries), 4),
            "bow_f1": round(sum(e["bow_f1"] for e in entries) / len(entries), 4),
        }
    tables = [e["table_acc"] for e in results.values() if e.get("table_acc") is not None]
    if tables:
        summary["tables"] = {"files": len(tables), "cell_acc": round(sum(tables) / len(tables), 4)}
    checks = [v for e in results.values() for v in e.get("checks", {}).values()]
    summary["checks"] = {"passed": sum(checks), "total": len(checks)}
    return summary


# ------------------------------------------------------------------ report


def deltas(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Human-readable changes of the headline figures against a previous report."""
    lines = []
    before = previous.get("files", {})
    for path, entry in current["files"].items():
        old = before.get(path)
        if old is None:
            continue
        for key in ("cer", "wer", "bow_f1", "order", "table_acc"):
            a, b = old.get(key), entry.get(key)
            if a is not None and b is not None and abs(a - b) >= 0.001:
                better = (b < a) if key in ("cer", "wer") else (b > a)
                lines.append(
                    f"{path}: {key} {a:.4f} -> {b:.4f} ({'better' if better else 'WORSE'})"
                )
        old_failed = {k for k, v in old.get("checks", {}).items() if not v}
        new_failed = {k for k, v in entry.get("checks", {}).items() if not v}
        for k in sorted(new_failed - old_failed):
            lines.append(f"{path}: check '{k}' now FAILS")
        for k in sorted(old_failed - new_failed):
            lines.append(f"{path}: check '{k}' now passes")
    return lines


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores, {cpu}, {system}, Python {platform.python_version()}"


def git_revision(repo: Path) -> str:
    def git(*args: str) -> str:
        run = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10
        )
        return run.stdout.strip()

    try:
        rev = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}{' (uncommitted changes)' if dirty else ''}" if rev else "unknown"


NOTES_START = "<!-- notes:start -->"
NOTES_END = "<!-- notes:end -->"


def _fmt(value: Any, pct: bool = True) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and pct:
        return f"{value * 100:.1f}%"
    return str(value)


def render_markdown(report: dict[str, Any], previous_notes: str | None) -> str:
    meta = report["meta"]
    out = [
        "# Quality",
        "",
        "Figures from the evaluation harness (`src/docworker/evaluate.py`) on the shared corpus.",
        "Regenerate them with the command below; the section between the notes markers is",
        "hand-written and kept when the file is rewritten.",
        "",
        f"- command: `{meta['command']}`",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}",
        f"- revision: {meta['revision']}",
        f"- settings: {meta['settings']}",
        f"- wall time: {meta['seconds']:.0f} s for {len(report['files'])} files",
        *[f"- later partial run: `{u}`" for u in meta.get("partial_updates", [])],
        "",
        "## How it is measured",
        "",
        "- Every non-hostile manifest entry with usable ground truth (or a routing/orientation",
        "  check) goes through `Pipeline.run` with `engine: cpu` and default options.",
        "- Text is compared after normalization, for comparison only: Unicode NFKC (ligatures",
        "  such as ﬁ → fi), typographic quotes and dashes folded to ASCII, soft hyphens dropped,",
        "  all whitespace collapsed to one space. Markdown references lose their markup (headings,",
        "  emphasis, table pipes and rules, image comments, front matter); LaTeX references lose",
        "  macros (approximate); layout-text references with two columns side by side",
        "  (pypdf's multicolumn expectation) are split into columns first.",
        "- **CER/WER**: Levenshtein distance (rapidfuzz) over characters/words ÷ reference length.",
        "- **BoW F1**: F1 of the multiset of lower-cased words; order-blind, so BoW F1 near 100%",
        "  with a high WER points to reading order, not recognition.",
        "- **order**: share of word trigrams unique to both texts that appear in reference order.",
        "- **table cell acc.**: expected non-empty cells found at the same row/column of the best",
        "  matching predicted table (best shift of up to ±4 rows / ±3 columns); **cell F1** is the",
        "  order-blind F1 of cell texts.",
        "- Reference trust levels (`ref`): `exact` (human transcription or exact expected",
        "  text), `layout` (layout-preserving text), `snapshot` (another engine's regression",
        "  output: docling, tesseract), `latex` (source with macros stripped: approximate),",
        "  `silver` (model-generated), `partial` (the reference covers more than the file; the",
        "  covered span is located first), `engine` (an OCR engine's noisy output: not ground",
        "  truth). Markdown references are compared with the output's markdown (which leaves",
        "  page headers/footers out, as docling does); all others with the output's text.",
        "",
        "## Summary",
        "",
        "| group | files | CER | WER | BoW F1 |",
        "|---|---:|---:|---:|---:|",
    ]
    summary = report["summary"]
    for name, _ in GROUPS:
        if name in summary:
            s = summary[name]
            out.append(
                f"| {name} | {s['files']} | {_fmt(s['cer'])} | {_fmt(s['wer'])}"
                f" | {_fmt(s['bow_f1'])} |"
            )
    if "tables" in summary:
        out.append("")
        out.append(
            f"Tables: mean cell accuracy {_fmt(summary['tables']['cell_acc'])} over"
            f" {summary['tables']['files']} files with expected CSV/JSON."
        )
    c = summary["checks"]
    out.append(f"Checks: {c['passed']} of {c['total']} passed.")
    out += [
        "",
        "## Per file",
        "",
        "| file | ref | pages | source | rot. | CER | WER | BoW F1 | order"
        " | tables (acc/F1) | checks | s |",
        "|---|---|---:|---|---|---:|---:|---:|---:|---|---|---:|",
    ]
    for path, e in report["files"].items():
        sources = ", ".join(f"{k}×{v}" for k, v in e.get("sources", {}).items()) or e.get(
            "error", ""
        )
        rotations = sorted(set(e.get("rotations", []))) if e.get("rotations") else []
        rot = ",".join(str(r) for r in rotations) if rotations and rotations != [0] else "0"
        tables = ""
        if e.get("tables"):
            tables = " ".join(
                f"{t['cell_acc'] * 100:.0f}/{t['cell_f1'] * 100:.0f}" for t in e["tables"]
            )
            tables += f" (found {e.get('tables_found', 0)})"
        elif "tables_found" in e:
            tables = f"found {e['tables_found']}"
        failed = [k for k, v in e.get("checks", {}).items() if not v]
        checks = "ok" if not failed else "FAIL: " + "; ".join(failed)
        pages = str(e.get("pages", "–")) + (
            f" (p. {e['eval_pages']})" if e.get("eval_pages") else ""
        )
        out.append(
            f"| {path} | {e['quality']} | {pages} | {sources} | {rot} | {_fmt(e.get('cer'))} |"
            f" {_fmt(e.get('wer'))} | {_fmt(e.get('bow_f1'))} | {_fmt(e.get('order'))} | {tables} |"
            f" {checks} | {e.get('seconds', 0):.1f} |"
        )
    out += ["", "## Notes", "", NOTES_START]
    out.append(previous_notes.strip("\n") if previous_notes else "(analysis goes here)")
    out += [NOTES_END, ""]
    return "\n".join(out)


def existing_notes(markdown_path: Path) -> str | None:
    if not markdown_path.is_file():
        return None
    text = markdown_path.read_text(encoding="utf-8")
    m = re.search(re.escape(NOTES_START) + r"\n(.*?)" + re.escape(NOTES_END), text, flags=re.S)
    return m.group(1) if m else None


def write_report(report: dict[str, Any], markdown_path: Path | None, json_path: Path) -> list[str]:
    """Write the JSON (merged with the previous run's other files) and markdown; return deltas."""
    previous: dict[str, Any] = {}
    if json_path.is_file():
        try:
            previous = json.loads(json_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
    changes = deltas(previous, report)
    merged = dict(report)
    if report["meta"].get("only"):
        # A partial run updates its files and keeps the rest of the last full run.
        files = dict(previous.get("files", {}))
        files.update(report["files"])
        merged["files"] = files
        merged["summary"] = summarize(files)
        meta = dict(previous.get("meta") or report["meta"])
        updates = [*meta.get("partial_updates", [])]
        updates.append(f"{report['meta']['date']}: {report['meta']['command']}")
        meta["partial_updates"] = updates
        merged["meta"] = meta
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(
            render_markdown(merged, existing_notes(markdown_path)), encoding="utf-8"
        )
    return changes


def ocr_engine_of(report: dict[str, Any]) -> str:
    """The OCR engine a report was made with (reports before the setting: rapidocr)."""
    return str((report.get("meta") or {}).get("ocr_engine") or "rapidocr")


def main(
    corpus: Path,
    out: Path | None,
    json_out: Path | None,
    only: str | None,
    command: str,
    ocr: str = "rapidocr",
) -> int:
    """Build the pipeline once (with OCR engine ``ocr``), evaluate, write the reports."""
    from docworker import netguard
    from docworker.config import Settings
    from docworker.pipeline import Pipeline

    if not (corpus / "MANIFEST.tsv").is_file():
        print(f"no MANIFEST.tsv in {corpus}")
        return 2
    json_path = json_out or (out.with_name("quality.json") if out else Path("docs/quality.json"))
    if only and json_path.is_file():
        # A partial run merges into the previous report: never mix two engines' figures.
        try:
            previous = ocr_engine_of(json.loads(json_path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            previous = ocr
        if previous != ocr:
            print(f"{json_path} holds {previous} figures; write {ocr} figures elsewhere (--json)")
            return 2
    settings = Settings(default_engine="cpu", warmup=True, ocr_engine=ocr)
    netguard.set_offline_env()
    t = time.perf_counter()
    pipeline = Pipeline.build(settings, load_gpu=False)
    try:
        report = run_corpus(corpus, pipeline, only)
    finally:
        pipeline.close()
    report["meta"] = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "revision": git_revision(Path(__file__).resolve().parents[2]),
        "settings": (
            f"engine=cpu, ocr={settings.ocr_engine}, dpi={settings.render_dpi},"
            f" workers={pipeline.pool.size}"
        ),
        "ocr_engine": settings.ocr_engine,
        "seconds": round(time.perf_counter() - t, 1),
        "only": only,
    }
    changes = write_report(report, out, json_path)
    print(json.dumps(report["summary"], indent=1))
    if changes:
        print("changes against the previous report:")
        for line in changes:
            print("  " + line)
    else:
        print("no changes against the previous report")
    return 0
