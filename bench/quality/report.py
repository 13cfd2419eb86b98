"""Report writing of the quality harness: summary groups, deltas, QUALITY.md, quality.json.

``write_report(report, markdown_path, json_path)`` writes the JSON figures
(a partial ``--only`` run merges into the last full run) and the markdown
summary, keeping the hand-written notes section and the checks section (which
``bench.quality.checkrun`` writes) as they are; it returns the changes against
the previous report.

Inputs: report dicts. Outputs: files, lists of human-readable changes.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

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
    """Cores, CPU model, OS, Python and load average of this machine, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    line = f"{os.cpu_count()} cores, {cpu}, {system}, Python {platform.python_version()}"
    try:  # other work on the machine slows the figures in seconds: say how busy it was
        one, _, fifteen = os.getloadavg()
        line += f"; load average {one:.1f} (1 min), {fifteen:.1f} (15 min) when written"
    except OSError:
        pass
    return line


def git_revision(repo: Path) -> str:
    """The short HEAD revision of ``repo``, marked when the work tree has changes."""

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
CHECKS_START = "<!-- checks:start -->"
CHECKS_END = "<!-- checks:end -->"
#: Keys of quality.json that other runs write (the checks run); a CER run keeps them.
KEPT_KEYS = ("checks",)


def _fmt(value: Any, pct: bool = True) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and pct:
        return f"{value * 100:.1f}%"
    return str(value)


def render_markdown(
    report: dict[str, Any], previous_notes: str | None, checks_section: str | None = None
) -> str:
    """QUALITY.md from a CER report, with the notes and checks sections given."""
    meta = report["meta"]
    out = [
        "# Quality",
        "",
        "Figures from the evaluation harness (`bench/quality/`) on the shared corpus.",
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
        "  matching predicted table (best shift of up to ±6 rows / ±3 columns); **cell F1** is the",
        "  order-blind F1 of cell texts. Cells are compared normalized, white space between two",
        "  Chinese or Japanese characters left out (a reference's line break inside a cell).",
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
    if checks_section:
        out += ["", CHECKS_START, checks_section.strip("\n"), CHECKS_END]
    out += ["", "## Notes", "", NOTES_START]
    out.append(previous_notes.strip("\n") if previous_notes else "(analysis goes here)")
    out += [NOTES_END, ""]
    return "\n".join(out)


def _section(markdown_path: Path, start: str, end: str) -> str | None:
    if not markdown_path.is_file():
        return None
    text = markdown_path.read_text(encoding="utf-8")
    m = re.search(re.escape(start) + r"\n(.*?)" + re.escape(end), text, flags=re.S)
    return m.group(1) if m else None


def existing_notes(markdown_path: Path) -> str | None:
    """The hand-written notes section of an existing QUALITY.md, if any."""
    return _section(markdown_path, NOTES_START, NOTES_END)


def existing_checks(markdown_path: Path) -> str | None:
    """The checks section of an existing QUALITY.md, if any."""
    return _section(markdown_path, CHECKS_START, CHECKS_END)


def replace_checks_section(markdown_path: Path, section: str) -> None:
    """Write ``section`` between the checks markers of QUALITY.md, leaving the rest.

    Without markers the section goes before ``## Notes`` (or at the end).
    """
    text = markdown_path.read_text(encoding="utf-8") if markdown_path.is_file() else "# Quality\n"
    block = f"{CHECKS_START}\n{section.strip(chr(10))}\n{CHECKS_END}"
    pattern = re.escape(CHECKS_START) + r".*?" + re.escape(CHECKS_END)
    if re.search(pattern, text, flags=re.S):
        text = re.sub(pattern, lambda _: block, text, count=1, flags=re.S)
    elif "\n## Notes\n" in text:
        text = text.replace("\n## Notes\n", f"\n{block}\n\n## Notes\n", 1)
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(text, encoding="utf-8")


def read_json(json_path: Path) -> dict[str, Any]:
    """A previous quality.json, or ``{}`` when there is none or it is unreadable."""
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_report(report: dict[str, Any], markdown_path: Path | None, json_path: Path) -> list[str]:
    """Write the JSON (merged with the previous run's other files) and markdown; return deltas."""
    previous = read_json(json_path)
    changes = deltas(previous, report)
    merged = dict(report)
    for key in KEPT_KEYS:
        if key in previous and key not in merged:
            merged[key] = previous[key]
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
            render_markdown(merged, existing_notes(markdown_path), existing_checks(markdown_path)),
            encoding="utf-8",
        )
    return changes
