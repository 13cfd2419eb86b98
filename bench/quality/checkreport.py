"""Figures and markdown of the checks run (the "Checks (olmOCR-bench style)" section).

``summarize_engine(results, info, documents, new)`` turns one engine's check
results and timings into pass counts per type, per document, overall, and for
the older and the newly added documents, plus its cost per page.
``render_section(report)`` writes the QUALITY.md section: the command, date and
machine; a table per check type with docworker and every peer side by side;
old vs new documents; cost; agreement with the reference scorer; per document;
word recall and control characters; docworker's failing checks with snippets.

Inputs: ``CheckResult`` lists and the report dict of ``bench.quality.checkrun``.
Outputs: dicts, a markdown string.
"""

from __future__ import annotations

import logging
from typing import Any

from bench.quality.checks import CHECK_TYPES, CheckResult, tally

_log = logging.getLogger(__name__)

ORDER = ("docworker", "raw", "markitdown", "pymupdf4llm")


def summarize_engine(
    results: list[CheckResult], info: dict[str, Any], documents: list[str], new: set[str]
) -> dict[str, Any]:
    """Pass counts (by type, document, old/new, overall) and cost of one engine."""
    overall = tally(results, lambda r: "all")["all"]
    split = tally(results, lambda r: "new" if r.pdf in new else "old")
    seconds = sum(info["seconds"].get(d, 0.0) for d in documents)
    pages = sum(info["pages"].get(d, 0) for d in documents)
    return {
        "overall": overall,
        "by_type": tally(results, lambda r: r.type),
        "by_doc": tally(results, lambda r: r.pdf),
        "old": split.get("old", {"passed": 0, "total": 0, "skipped": 0}),
        "new": split.get("new", {"passed": 0, "total": 0, "skipped": 0}),
        "checked_seconds": round(seconds, 1),
        "checked_pages": pages,
        "s_per_page": round(seconds / pages, 3) if pages else None,
    }


def compact(results: list[CheckResult]) -> dict[str, str]:
    """``{check id: "pass" | "fail: why" | "skipped: why"}`` for quality.json."""
    out = {}
    for r in results:
        if r.skipped:
            out[r.id] = r.why if r.why.startswith("skipped") else f"skipped: {r.why}"
        else:
            out[r.id] = "pass" if r.passed else f"fail: {r.why}"
    return out


def _rate(t: dict[str, int] | None) -> str:
    if not t:
        return "–"
    if not t["total"]:
        return f"– ({t['skipped']} skipped)" if t.get("skipped") else "–"
    text = f"{t['passed']}/{t['total']} ({100 * t['passed'] / t['total']:.1f}%)"
    return text + (f", {t['skipped']} skipped" if t.get("skipped") else "")


def _engines(report: dict[str, Any]) -> list[str]:
    names = list(report["engines"])
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def _cell(report: dict[str, Any], name: str, pick: Any) -> str:
    info = report["engines"][name]
    if info.get("status") != "ok":
        return info.get("status", "not run").split(" (")[0]
    return _rate(pick(info))


def _short(text: str, limit: int = 220) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _recall_total(rows: list[tuple[str, dict[str, Any]]], key: str = "found") -> str:
    found = sum(v.get(key, v["found"]) for _, v in rows)
    total = sum(v["layer_words"] for _, v in rows)
    return f"**{100 * found / max(1, total):.1f}%** ({found} of {total} words, {len(rows)} files)"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _recall_lines(report: dict[str, Any]) -> list[str]:
    docs = report["word_recall"]["documents"]
    kinds = report["word_recall"].get("kinds", {})
    dropped = set(report["word_recall"].get("dropped", []))
    rows = [(k, v) for k, v in docs.items() if v.get("recall") is not None]
    plain = [(k, v) for k, v in rows if "rtl" not in kinds.get(k, []) and k not in dropped]
    ctrl_t = sum(v.get("control_text", 0) for v in docs.values())
    ctrl_m = sum(v.get("control_markdown", 0) for v in docs.values())
    under = [k for k, v in plain if v["recall"] < 0.97]
    under_md = [k for k, v in plain if v.get("recall_markdown", v["recall"]) < 0.97]
    out = [
        "### Word recall against the text layer, and control characters",
        "",
        f"Digital PDFs of the manifest: {len(docs)} ({len(rows)} with a text layer)."
        " Words of each PDF's own text layer (pypdfium2 `get_text_range`, NFC, soft-hyphen"
        " markers U+FFFE/U+0002 joined, U+21B5 between letters read as the `ff` ligature it"
        " stands for, split on whitespace; only tokens with a letter or a"
        " digit are words: a dot leader's dots or a lone dash are not) found in docworker's"
        " output, as multisets. The output is the markdown (as rendered: emphasis, `<br>`"
        " and a table's HTML tags removed, backslash escapes resolved, a superscript figure"
        " read as the text layer's figure; a marker leaked into the markdown leaves its"
        " word split) plus the page header and footer blocks, which the markdown leaves out"
        " by design (running heads, page numbers): **recall** counts a word wherever the"
        " output gives it, **markdown alone** only in the markdown. pdfium marks real"
        " compounds too, so a word joined at a marker also counts in its hyphenated form.",
        "",
        f"- recall over all of them: {_recall_total(rows)}; markdown alone:"
        f" {_recall_total(rows, 'found_markdown')}",
        f"- without right-to-left files (pdfium's order is not reading order there) and files"
        f" whose manifest expects text to be dropped: {_recall_total(plain)};"
        f" files under 97%: {len(under)} (markdown alone: {_recall_total(plain, 'found_markdown')};"
        f" under 97%: {len(under_md)})",
        f"- C0 control characters other than `\\n`/`\\t`: **{ctrl_t}** in `text`,"
        f" **{ctrl_m}** in `markdown`",
        "",
        "| document | layer words | recall | markdown alone | controls (text/md)"
        " | missing, most frequent |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for rel, v in sorted(docs.items(), key=lambda kv: (kv[1].get("recall") or 2, kv[0])):
        flag = " (rtl)" if "rtl" in kinds.get(rel, []) else ""
        if rel in dropped:
            flag += " (its text must not surface)"
        if v.get("error"):
            flag += f" ({v['error']})"
        missing = _short(" ".join(f"`{w}`" for w in v.get("missing", [])[:6]), 120)
        out.append(
            f"| {_short(rel + flag, 160)} | {v.get('layer_words', '–')} | {_pct(v.get('recall'))}"
            f" | {_pct(v.get('recall_markdown', v.get('recall')))} |"
            f" {v.get('control_text', 0)}/{v.get('control_markdown', 0)} | {missing} |"
        )
    return out


def render_section(report: dict[str, Any]) -> str:
    """The markdown of the checks section."""
    meta, names = report["meta"], _engines(report)
    new = set(meta.get("new_documents", []))
    head = " | ".join(names)
    out = [
        "## Checks (olmOCR-bench style)",
        "",
        f"{meta['checks']} checks on {meta['documents']} documents from the corpus's"
        " `checks/checks.jsonl` (each `--corpus` of the command: `../shared/corpus`, and this"
        " repository's `corpus/` where named), scored by docworker's own scorer",
        "(`bench/quality/checks.py`; semantics and normalisation of the checks README).",
        "docworker runs through `Pipeline.run` (CPU engine, default options); the peers are",
        "bench-only, for comparison. Rates leave out skipped checks (blank-page checks where",
        "an output has no per-page text).",
        "",
        f"- command: `{meta['command']}`",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}",
        f"- revision: {meta['revision']}",
        f"- wall time: {meta['seconds']:.0f} s; outputs kept in `{meta['outputs']}`",
    ]
    for name in names:
        info = report["engines"][name]
        out.append(f"- {name}: {info.get('mode') or info.get('status')}")
    out += [
        "",
        "### By check type",
        "",
        f"| type | checks | {head} |",
        "|---|---:|" + "---|" * len(names),
    ]
    first = next((report["engines"][n] for n in names if report["engines"][n].get("by_type")), {})
    for kind in CHECK_TYPES:
        n = first.get("by_type", {}).get(kind)
        if n is None:
            continue
        cells = [_cell(report, e, lambda i, k=kind: i["by_type"].get(k)) for e in names]
        out.append(f"| {kind} | {n['total'] + n['skipped']} | " + " | ".join(cells) + " |")
    rows = (
        ("**overall**", "overall"),
        (f"{len(set(first.get('by_doc', {})) - new)} older documents", "old"),
        (f"{len(new)} documents added with the checks", "new"),
    )
    for label, key in rows:
        t = first.get(key, {})
        cells = [_cell(report, e, lambda i, k=key: i[k]) for e in names]
        out.append(
            f"| {label} | {t.get('total', 0) + t.get('skipped', 0)} | " + " | ".join(cells) + " |"
        )
    out += [
        "",
        "### Cost on the checked documents",
        "",
        "| engine | pages | seconds | s/page |",
        "|---|---:|---:|---:|",
    ]
    for name in names:
        info = report["engines"][name]
        if info.get("status") == "ok":
            out.append(
                f"| {name} | {info['checked_pages']} | {info['checked_seconds']:.1f} |"
                f" {info['s_per_page'] if info['s_per_page'] is not None else '–'} |"
            )
        else:
            out.append(f"| {name} | – | – | {info.get('status')} |")
    out += ["", "### Agreement with the reference scorer", ""]
    agreement = report.get("agreement", {})
    if "status" in agreement:
        out.append(f"Not run: {agreement['status']}.")
    for name, a in agreement.items():
        if name == "status":
            continue
        out.append(
            f"- {name}: {a['agree']}/{a['checks']} check results agree with"
            " `checks/score_checks.py`"
        )
        for d in a["disagreements"]:
            out.append(
                f"  - {d['id']}: ours {d['mine']} ({d['mine_why']}),"
                f" reference {d['reference']} ({d['reference_why']})"
            )
    out += [
        "",
        "### Per document",
        "",
        f"| document | new | {head} | docworker s |",
        "|---|---|" + "---|" * len(names) + "---:|",
    ]
    docs = sorted(first.get("by_doc", {}))
    for doc in docs:
        cells = [_cell(report, e, lambda i, d=doc: i["by_doc"].get(d)) for e in names]
        secs = report["engines"]["docworker"]["seconds"].get(doc, 0.0)
        out.append(
            f"| {doc} | {'yes' if doc in new else ''} | " + " | ".join(cells) + f" | {secs:.1f} |"
        )
    out += ["", *_recall_lines(report), ""]
    fails = report.get("failures", [])
    out += [
        f"### docworker's failing checks ({len(fails)})",
        "",
        "What the output holds where each failed check looked (normalised text).",
        "",
        "<details><summary>show</summary>",
        "",
    ]
    for f in fails:
        out.append(f"- `{f['id']}` ({f['why']}): {_short(f['snippet'])}")
    out += ["", "</details>"]
    return "\n".join(out)
