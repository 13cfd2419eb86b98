"""The CER harness: run the worker's pipeline over a corpus and score each document.

``main(corpus, out, json_out, only, command, ocr)`` reads ``corpus/MANIFEST.tsv``,
runs ``Pipeline.run`` once per document that has usable ground truth (or a
routing/orientation check) with the CPU engine and the chosen OCR engine, and
scores the output with ``bench.quality.metrics`` (CER, WER, BoW F1, order,
table cell accuracy) plus the page-source / rotation / presence checks of
``corpus.OVERRIDES``.

Inputs: a corpus folder, a built ``Pipeline``. Outputs: a JSON report (one
entry per file, kept run to run so deltas show regressions) and the markdown
summary written by ``bench.quality.report``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.quality.corpus import OVERRIDES, Case, Reference, category, read_manifest, select
from bench.quality.metrics import (
    bow_f1,
    cer,
    crop_reference,
    grid_of,
    normalize,
    order_score,
    strip_markdown,
    table_scores,
    wer,
)
from bench.quality.report import git_revision, machine, summarize, write_report

_log = logging.getLogger(__name__)


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


def ocr_engine_of(report: dict[str, Any]) -> str:
    """The OCR engine a report was made with (reports before the setting: rapidocr)."""
    return str((report.get("meta") or {}).get("ocr_engine") or "rapidocr")


def build_pipeline(ocr: str) -> tuple[Any, str]:
    """docworker's pipeline as a CPU worker builds it (offline), and a line describing it."""
    from docworker.config import Settings
    from docworker.isolation import netguard
    from docworker.pipeline import Pipeline

    settings = Settings(default_engine="cpu", warmup=True, ocr_engine=ocr)
    netguard.set_offline_env()
    pipeline = Pipeline.build(settings, load_gpu=False)
    described = (
        f"engine=cpu, ocr={settings.ocr_engine}, dpi={settings.render_dpi},"
        f" workers={pipeline.pool.size}"
    )
    return pipeline, described


def main(
    corpus: Path,
    out: Path | None,
    json_out: Path | None,
    only: str | None,
    command: str,
    ocr: str = "rapidocr",
) -> int:
    """Build the pipeline once (with OCR engine ``ocr``), evaluate, write the reports."""
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
    t = time.perf_counter()
    pipeline, described = build_pipeline(ocr)
    try:
        report = run_corpus(corpus, pipeline, only)
    finally:
        pipeline.close()
    report["meta"] = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "revision": git_revision(Path(__file__).resolve().parents[2]),
        "settings": described,
        "ocr_engine": ocr,
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
