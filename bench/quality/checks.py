"""docworker's own scorer for olmOCR-bench-style checks (``corpus/checks/checks.jsonl``).

A check asks one question of a document's extracted markdown (the semantics
of ``corpus/checks/README.md``, implemented here independently):

- ``present`` / ``absent``: ``text`` occurs / does not occur (``case_sensitive``).
- ``order``: ``before`` and ``after`` occur and some ``before`` starts before
  some ``after``.
- ``table``: some cell of some pipe or HTML table equals ``cell`` and its
  ``up``/``down``/``left``/``right`` neighbours and ``top_heading``/``left_heading``
  equal the given texts (``bench.quality.tablegrid``).
- ``baseline``: with ``max_length``, that page's output has at most that many
  alphanumeric characters (skipped when the page's own output is unknown);
  without it, the output has alphanumeric text, does not end in more than 30
  back-to-back repeats of its last 1-5 words, and has no CJK or emoji.
- ``math``: the LaTeX ``math`` occurs inside ``$…$``, ``$$…$$``, ``\\(…\\)`` or
  ``\\[…\\]``, compared without whitespace, braces, ``\\left``/``\\right`` and
  spacing commands.

Strings are compared after ``normalize_text`` (olmOCR's normalisation: markup
and ``<br>`` removed, whitespace collapsed, NFC, quotes and dashes folded);
``max_diffs`` allows that many edits (all checks in the corpus use 0: exact).

Outputs are read from ``OUTDIR`` as the README says (``bench.quality.outputs``):
``<stem>.md`` (pages split at form feeds) or ``<stem>.json`` (the worker's
response). Inputs: checks (dicts), output folders. Outputs:
``CheckResult`` rows and summaries by type and document.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.quality.outputs import Output, find_output, page_count, read_output
from bench.quality.tablegrid import Cell, Grid, tables_in

_log = logging.getLogger(__name__)

CHECK_TYPES = ("present", "absent", "order", "table", "baseline", "math")

# ------------------------------------------------------------ normalisation

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\uff3f": "_",
        "\u00b5": "\u03bc",
    }
)
_ALNUM = r"[^\W_]"


def normalize_text(text: str) -> str:
    """olmOCR-style comparison form of an output or a check string."""
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = re.sub(r"</?(?:b|i|strong|em)>", "", text, flags=re.I)
    text = re.sub(r"\*\*(.*?)\*\*", r"\1", text, flags=re.S)
    text = re.sub(rf"(?<!{_ALNUM})__(.*?)__(?!{_ALNUM})", r"\1", text, flags=re.S)
    text = re.sub(r"\*(.*?)\*", r"\1", text, flags=re.S)
    # An underscore inside a word (USER_NAME) is never an italic marker.
    text = re.sub(rf"(?<!{_ALNUM})_(.*?)_(?!{_ALNUM})", r"\1", text, flags=re.S)
    text = re.sub(r"\s+", " ", text)
    return unicodedata.normalize("NFC", text).translate(_FOLD).strip()


# -------------------------------------------------------------- matching


def _edit_end_positions(needle: str, hay: str, max_diffs: int) -> list[int]:
    """End offsets in ``hay`` where ``needle`` matches with at most ``max_diffs`` edits.

    Sellers' dynamic programme (a substring may start anywhere); O(len × len),
    used only when a check allows differences.
    """
    prev = list(range(len(needle) + 1))
    ends = []
    for j, ch in enumerate(hay, 1):
        cur = [0]
        for i, nc in enumerate(needle, 1):
            cur.append(min(prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + (nc != ch)))
        if cur[-1] <= max_diffs:
            ends.append(j)
        prev = cur
    return ends


def find_all(needle: str, hay: str, max_diffs: int = 0) -> list[int]:
    """Start offsets of ``needle`` in ``hay`` (approximate starts when edits are allowed)."""
    if not needle:
        return []
    if max_diffs <= 0:
        starts, i = [], hay.find(needle)
        while i >= 0:
            starts.append(i)
            i = hay.find(needle, i + 1)
        return starts
    return [max(0, end - len(needle)) for end in _edit_end_positions(needle, hay, max_diffs)]


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _same(a: str, b: str, max_diffs: int) -> bool:
    """Whole-string equality, allowing ``max_diffs`` edits."""
    if max_diffs <= 0 or abs(len(a) - len(b)) > max_diffs:
        return a == b
    return _distance(a, b) <= max_diffs


# ------------------------------------------------------------------ checks


@dataclass
class Verdict:
    """One check's outcome on one output."""

    passed: bool
    why: str


def _present_absent(check: dict[str, Any], content: str) -> Verdict:
    text, hay = normalize_text(check["text"]), normalize_text(content)
    if not check.get("case_sensitive", True):
        text, hay = text.lower(), hay.lower()
    found = bool(find_all(text, hay, int(check.get("max_diffs", 0))))
    if check["type"] == "present":
        return Verdict(found, "found" if found else f"not found: {text[:60]!r}")
    return Verdict(not found, "found (should be absent)" if found else "absent")


def _order(check: dict[str, Any], content: str) -> Verdict:
    hay = normalize_text(content)
    diffs = int(check.get("max_diffs", 0))
    before = find_all(normalize_text(check["before"]), hay, diffs)
    after = find_all(normalize_text(check["after"]), hay, diffs)
    if not before:
        return Verdict(False, "'before' not found")
    if not after:
        return Verdict(False, "'after' not found")
    ok = min(before) < max(after)
    return Verdict(ok, "in order" if ok else "'after' comes first")


_RELATIONS = {
    "up": lambda g, c: g.neighbours(c, "up"),
    "down": lambda g, c: g.neighbours(c, "down"),
    "left": lambda g, c: g.neighbours(c, "left"),
    "right": lambda g, c: g.neighbours(c, "right"),
    "top_heading": lambda g, c: g.heading(c, "top"),
    "left_heading": lambda g, c: g.heading(c, "left"),
}


def _cell_text(cell: Cell) -> str:
    return normalize_text(cell.text).strip()


def _table(check: dict[str, Any], content: str) -> Verdict:
    grids: list[Grid] = tables_in(content)
    if not grids:
        return Verdict(False, "no table in the output")
    diffs = int(check.get("max_diffs", 0))
    want = normalize_text(check["cell"]).strip()
    wanted = {k: normalize_text(check[k]).strip() for k in _RELATIONS if check.get(k)}
    matches = 0
    for grid in grids:
        for cell in grid.cells:
            if not _same(want, _cell_text(cell), diffs):
                continue
            matches += 1
            if all(
                any(_same(text, _cell_text(n), diffs) for n in _RELATIONS[rel](grid, cell))
                for rel, text in wanted.items()
            ):
                return Verdict(True, "cell and relations found")
    if not matches:
        return Verdict(False, f"cell {want!r} not in any table")
    return Verdict(False, f"cell {want!r} found {matches}x, relations differ")


_DISALLOWED = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    "\U0001f1e0-\U0001f1ff\U0001f300-\U0001f5ff\U0001f600-\U0001f64f\U0001f680-\U0001f6ff]"
)


def tail_repeats(text: str, longest: int = 5) -> int:
    """How many times the last 1..``longest`` words repeat back to back at the end (max)."""
    words = text.split()
    best = 0
    for n in range(1, longest + 1):
        if len(words) < n:
            break
        unit, count, i = words[-n:], 1, len(words) - 2 * n
        while i >= 0 and words[i : i + n] == unit:
            count += 1
            i -= n
        best = max(best, count)
    return best


def _baseline(check: dict[str, Any], content: str) -> Verdict:
    alnum = sum(ch.isalnum() for ch in content)
    if check.get("max_length") is not None:
        ok = alnum <= int(check["max_length"])
        return Verdict(ok, f"{alnum} alphanumeric characters (max {check['max_length']})")
    if not alnum:
        return Verdict(False, "no alphanumeric text")
    repeats = tail_repeats(normalize_text(content))
    if repeats > 30:
        return Verdict(False, f"ends in {repeats} repeats")
    bad = _DISALLOWED.search(content)
    if bad:
        return Verdict(False, f"disallowed character {bad.group()!r}")
    return Verdict(True, "has text")


_MATH_SPANS = (
    re.compile(r"\$\$(.+?)\$\$", re.S),
    re.compile(r"\\\[(.+?)\\\]", re.S),
    re.compile(r"\\\((.+?)\\\)", re.S),
    re.compile(r"(?<![$\\])\$(?!\$)(.+?)(?<![$\\])\$(?!\$)", re.S),
)


def canonical_math(latex: str) -> str:
    """LaTeX without whitespace, braces, ``\\left``/``\\right`` and spacing commands."""
    latex = re.sub(r"\\(?:left|right)(?![a-zA-Z])", "", latex)
    latex = re.sub(r"\\(?:qquad|quad)(?![a-zA-Z])|\\[,;:! ]", "", latex)
    return re.sub(r"[\s{}]", "", latex)


def _math(check: dict[str, Any], content: str) -> Verdict:
    want = canonical_math(check["math"])
    spans = [canonical_math(m.group(1)) for rx in _MATH_SPANS for m in rx.finditer(content)]
    if not spans:
        return Verdict(False, "no math in the output")
    ok = any(want and want in s for s in spans)
    return Verdict(ok, "equation found" if ok else f"not among {len(spans)} math spans")


RUNNERS: dict[str, Callable[[dict[str, Any], str], Verdict]] = {
    "present": _present_absent,
    "absent": _present_absent,
    "order": _order,
    "table": _table,
    "baseline": _baseline,
    "math": _math,
}


def run_check(check: dict[str, Any], content: str) -> Verdict:
    """One check against one output text (the page's text for blank-page checks)."""
    try:
        return RUNNERS[check["type"]](check, content)
    except KeyError as e:
        return Verdict(False, f"malformed check: missing {e}")


# ------------------------------------------------------------------ scoring


@dataclass
class CheckResult:
    """One check's result on one engine's outputs."""

    id: str
    type: str
    pdf: str
    passed: bool
    skipped: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_checks(path: Path) -> list[dict[str, Any]]:
    """The checks of a ``checks.jsonl`` file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def score_outputs(
    outdir: Path, checks: Iterable[dict[str, Any]], corpus: Path
) -> list[CheckResult]:
    """Every check against the outputs in ``outdir`` (a missing output fails its checks)."""
    cache: dict[str, Output | None] = {}
    counts: dict[str, int | None] = {}
    results = []
    for check in checks:
        pdf = check["pdf"]
        if pdf not in cache:
            counts[pdf] = page_count(corpus / pdf)
            found = find_output(outdir, pdf)
            cache[pdf] = read_output(found, counts[pdf]) if found else None
        output = cache[pdf]

        if output is None:
            results.append(
                CheckResult(check["id"], check["type"], pdf, False, False, "missing output")
            )
            continue
        content = output.text
        if check["type"] == "baseline" and check.get("max_length") is not None:
            if output.pages and check["page"] in output.pages:
                content = output.pages[check["page"]]
            elif output.pages is None and counts[pdf] == 1:
                content = output.text
            else:
                why = "skipped: no per-page output"
                results.append(CheckResult(check["id"], check["type"], pdf, False, True, why))
                continue
        verdict = run_check(check, content)
        results.append(
            CheckResult(check["id"], check["type"], pdf, verdict.passed, False, verdict.why)
        )
    return results


def tally(results: Iterable[CheckResult], key: Callable[[CheckResult], str]) -> dict[str, Any]:
    """``{group: {"passed", "total", "skipped"}}`` with skipped checks out of the totals."""
    out: dict[str, dict[str, int]] = {}
    for r in results:
        t = out.setdefault(key(r), {"passed": 0, "total": 0, "skipped": 0})
        if r.skipped:
            t["skipped"] += 1
        else:
            t["total"] += 1
            t["passed"] += int(r.passed)
    return out
