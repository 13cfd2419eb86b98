"""Text metrics of the quality harness: normalisation, CER/WER, BoW F1, order, tables.

- ``normalize``: the comparison form (NFKC, quotes and dashes folded to ASCII,
  soft hyphens dropped, whitespace collapsed).
- ``strip_markdown`` / ``strip_html`` / ``strip_latex`` / ``decolumnize``: a
  reference's plain text.
- ``cer`` / ``wer``: Levenshtein distance (rapidfuzz) ÷ reference length.
- ``bow_f1``: F1 of the multiset of lower-cased words (order-blind).
- ``order_score``: share of unique shared word trigrams in reference order.
- ``crop_reference``: the span of a longer reference that a text covers.
- ``table_scores`` / ``grid_of``: cell accuracy and cell-bag F1 of tables.

Inputs: strings and cell grids. Outputs: floats in [0, 1] (CER/WER may exceed 1).
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections import Counter
from typing import Any

from docworker.geometry import CJK

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
    """The normalized text's words."""
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
    """HTML → plain text: tags dropped, line breaks at block ends, entities decoded."""
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
    """Character error rate of ``hyp`` against ``ref`` (normalized)."""
    h, r = normalize(hyp), normalize(ref)
    return _lev(h, r) / max(1, len(r))


def wer(hyp: str, ref: str) -> float:
    """Word error rate of ``hyp`` against ``ref`` (normalized)."""
    h, r = words(hyp), words(ref)
    return _lev(h, r) / max(1, len(r))


def bow_f1(hyp: str, ref: str) -> float:
    """F1 of the two texts' multisets of lower-cased words."""
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


#: White space between two characters of Chinese or Japanese, which set no spaces: a
#: reference's line break inside a Japanese cell ("持分法の適用範囲\rの変動") is no space.
_CJK_GAP = re.compile(rf"(?<={CJK.pattern})\s+(?={CJK.pattern})")


def _cell(text: str) -> str:
    return _CJK_GAP.sub("", normalize(text or ""))


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
    for dr in range(-6, 7):  # a reference may split a header over several rows
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
