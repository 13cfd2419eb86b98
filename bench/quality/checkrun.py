"""The checks run: docworker and its peers over the checked documents, scored side by side.

``main(corpus, out, json_path, command, peers, outputs, timeout)``:

1. runs docworker's public pipeline (``Pipeline.run``, CPU engine, default
   options) over the 31 documents of ``corpus/checks/checks.jsonl`` and every
   digital PDF of the manifest, writing each response to
   ``OUTPUTS/docworker/<document>.json``;
2. runs each installed peer (``bench.quality.peers``) over the checked
   documents into ``OUTPUTS/<peer>/<document>.md``; a peer that is not
   installed is reported as such;
3. times every engine per document (seconds, and pages for the cost per page);
4. scores every engine with ``bench.quality.checks`` and, when the reference
   scorer can run, reports the per-check agreement with it (``bench.quality.agree``);
5. measures word recall against each digital PDF's own text layer and the
   control characters in docworker's text and markdown (``bench.quality.textlayer``);
6. writes ``quality.json["checks"]`` and the checks section of QUALITY.md
   (``bench.quality.checkreport``), leaving the rest of both files alone.

Inputs: a corpus folder with ``checks/``. Outputs: output folders, the reports.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.quality import peers as peer_mod
from bench.quality.agree import compare, reference_scorer
from bench.quality.checkreport import compact, render_section, summarize_engine
from bench.quality.checks import CheckResult, load_checks, normalize_text, score_outputs
from bench.quality.corpus import HOSTILE_KINDS, read_manifest
from bench.quality.outputs import find_output, page_count, read_output
from bench.quality.report import git_revision, machine, read_json, replace_checks_section
from bench.quality.textlayer import document_figures

_log = logging.getLogger(__name__)

Log = Callable[[str], None]


def new_documents(corpus: Path) -> set[str]:
    """The documents the checks README marks as added with the checks (``new`` = yes)."""
    readme = corpus / "checks" / "README.md"
    if not readme.is_file():
        return set()
    text = readme.read_text(encoding="utf-8")
    return set(re.findall(r"^\| (\S+) \| yes \|", text, flags=re.M))


def digital_pdfs(corpus: Path) -> dict[str, str | None]:
    """``{path: password}`` of the manifest's non-hostile digital PDFs that exist.

    Documents of kind ``long`` (a 417-page book kept for the speed benchmark) are
    left out: their words would outweigh every other file's in the recall figure.
    """
    out: dict[str, str | None] = {}
    for case in read_manifest(corpus):
        kinds = set(case.kinds)
        if "long" in kinds or kinds & HOSTILE_KINDS or "digital_pdf" not in kinds:
            continue
        if (corpus / case.path).is_file():
            out[case.path] = case.password
    return out


def _target(outdir: Path, rel: str, ext: str) -> Path:
    path = outdir / f"{rel}{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def run_docworker(
    docs: dict[str, str | None], corpus: Path, outdir: Path, log: Log, ocr: str = "rapidocr"
) -> dict[str, Any]:
    """docworker's pipeline (OCR engine ``ocr``) over ``docs``; writes each response,
    returns timings and pages."""
    from bench.quality.harness import build_pipeline

    pipeline, settings = build_pipeline(ocr)
    info: dict[str, Any] = {"mode": settings, "seconds": {}, "pages": {}, "errors": {}}
    try:
        for i, (rel, password) in enumerate(sorted(docs.items()), 1):
            job: dict[str, Any] = {"document_path": str((corpus / rel).resolve()), "engine": "cpu"}
            if password:
                job["password"] = password
            t = time.perf_counter()
            payload = pipeline.run(job, job_id=f"checks-{i}")
            seconds = round(time.perf_counter() - t, 2)
            _target(outdir, rel, ".json").write_text(
                json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            info["seconds"][rel] = seconds
            if "error" in payload:
                info["errors"][rel] = payload["error"].get("code", "error")
                info["pages"][rel] = 0
            else:
                info["pages"][rel] = payload["metadata"]["document"]["pages_processed"]
            log(f"  docworker [{i}/{len(docs)}] {rel}: {seconds:.1f}s")
    finally:
        pipeline.close()
    return info


def run_peer(
    name: str, docs: list[str], corpus: Path, outdir: Path, timeout: int, log: Log
) -> dict[str, Any]:
    """One peer over ``docs``; a failed or timed-out conversion writes an empty output."""
    reason = peer_mod.unavailable(name)
    if reason:
        log(f"  {name}: {reason}")
        return {"status": reason}
    try:
        convert = peer_mod.convert(name)
    except ImportError as e:
        return {"status": f"not installed ({e})"}
    info: dict[str, Any] = {
        "status": "ok",
        "mode": peer_mod.mode(name),
        "seconds": {},
        "pages": {},
        "errors": {},
    }
    for i, rel in enumerate(docs, 1):
        text = ""
        t = time.perf_counter()
        try:
            with peer_mod.time_limit(timeout):
                text = convert(corpus / rel)
        except peer_mod.Timeout:
            info["errors"][rel] = f"timeout ({timeout} s)"
        except Exception as e:  # a peer's failure is its empty output, as in baselines.py
            info["errors"][rel] = f"{type(e).__name__}: {str(e)[:120]}"
        seconds = round(time.perf_counter() - t, 2)
        _target(outdir, rel, ".md").write_text(text, encoding="utf-8")
        info["seconds"][rel] = seconds
        info["pages"][rel] = page_count(corpus / rel) or 0
        log(f"  {name} [{i}/{len(docs)}] {rel}: {seconds:.1f}s {len(text)} chars")
    return info


def _around(hay: str, start: int, length: int, margin: int = 70) -> str:
    a, b = max(0, start - margin), min(len(hay), start + length + margin)
    return ("…" if a else "") + hay[a:b] + ("…" if b < len(hay) else "")


def _locate(needle: str, hay: str) -> str:
    """The output around the longest head or tail of ``needle`` that it contains."""
    if not needle:
        return ""
    i = hay.find(needle)
    if i >= 0:
        return _around(hay, i, len(needle))
    words = needle.split()
    for n in range(len(words) - 1, 0, -1):
        for part in (" ".join(words[:n]), " ".join(words[-n:])):
            if len(part) >= 4 and (i := hay.find(part)) >= 0:
                return f"[{n}/{len(words)} words] " + _around(hay, i, len(part))
    return "(no part of it in the output)"


def snippet(check: dict[str, Any], content: str) -> str:
    """What the output holds where a failed check looked (for the fidelity engineers)."""
    hay = normalize_text(content)
    kind = check["type"]
    if kind in ("present", "absent"):
        return _locate(normalize_text(check["text"]), hay)
    if kind == "order":
        b, a = normalize_text(check["before"]), normalize_text(check["after"])
        return f"before: {_locate(b, hay)} || after: {_locate(a, hay)}"
    if kind == "table":
        cell = normalize_text(check["cell"])
        lines = [ln for ln in content.split("\n") if cell and cell in normalize_text(ln)]
        return " / ".join(ln.strip()[:160] for ln in lines[:2]) or _locate(cell, hay)
    if kind == "math":
        return _locate(normalize_text(check["math"]), hay)
    return _around(hay, 0, 0, 120)


def failures(
    results: list[CheckResult], checks: list[dict[str, Any]], outdir: Path
) -> list[dict[str, Any]]:
    """docworker's failed checks with the output around what each looked for."""
    by_id = {c["id"]: c for c in checks}
    texts: dict[str, str] = {}
    out = []
    for r in results:
        if r.passed or r.skipped:
            continue
        if r.pdf not in texts:
            found = find_output(outdir, r.pdf)
            texts[r.pdf] = read_output(found, None).text if found else ""
        out.append({**r.to_dict(), "snippet": snippet(by_id[r.id], texts[r.pdf])})
    return out


def main(
    corpus: Path,
    out: Path | None,
    json_path: Path,
    command: str,
    peers: list[str],
    outputs: Path,
    timeout: int = 300,
    log: Log = print,
    ocr: str = "rapidocr",
) -> int:
    """Run, score and report the checks (docworker on OCR engine ``ocr``); 2 when the
    corpus has no checks."""
    checks_file = corpus / "checks" / "checks.jsonl"
    if not checks_file.is_file():
        print(f"no checks/checks.jsonl in {corpus}")
        return 2
    from docworker.isolation import netguard

    netguard.set_offline_env()
    checks = load_checks(checks_file)
    checked = sorted({c["pdf"] for c in checks})
    digital = digital_pdfs(corpus)
    passwords = {c.path: c.password for c in read_manifest(corpus)}
    docs = {rel: passwords.get(rel) for rel in checked} | digital
    started = time.perf_counter()
    engines: dict[str, dict[str, Any]] = {}
    log(f"docworker over {len(docs)} documents ({len(checked)} checked, {len(digital)} digital)")
    info = run_docworker(docs, corpus, outputs / "docworker", log, ocr)
    engines["docworker"] = {"status": "ok", **info}
    for name in peers:
        log(f"{name} over {len(checked)} checked documents")
        engines[name] = run_peer(name, checked, corpus, outputs / name, timeout, log)

    new = new_documents(corpus)
    reference = reference_scorer(corpus)
    results: dict[str, list[CheckResult]] = {}
    agreement: dict[str, Any] = {}
    for name, info in engines.items():
        if info.get("status") != "ok":
            continue
        results[name] = score_outputs(outputs / name, checks, corpus)
        info.update(summarize_engine(results[name], info, checked, new))
        if not isinstance(reference, str):
            agreement[name] = compare(outputs / name, checks, corpus, reference, results[name])
    recall = {
        rel: document_figures(
            corpus / rel, pw, json.loads((outputs / "docworker" / f"{rel}.json").read_text())
        )
        for rel, pw in sorted(digital.items())
    }
    cases = {c.path: c for c in read_manifest(corpus)}
    report = {
        "meta": {
            "command": command,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "revision": git_revision(Path(__file__).resolve().parents[2]),
            "seconds": round(time.perf_counter() - started, 1),
            "outputs": str(outputs),
            "documents": len(checked),
            "checks": len(checks),
            "new_documents": sorted(new),
        },
        "engines": engines,
        "agreement": agreement if not isinstance(reference, str) else {"status": reference},
        "results": {n: compact(rs) for n, rs in results.items()},
        "failures": failures(results["docworker"], checks, outputs / "docworker"),
        "word_recall": {
            "documents": recall,
            "kinds": {k: cases[k].kinds if k in cases else [] for k in recall},
            # Files whose text layer holds text that must not surface.
            "dropped": sorted(
                k for k in recall if k in cases and "not surface" in cases[k].expected
            ),
        },
    }
    data = read_json(json_path)
    data["checks"] = report
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    section = render_section(report)
    if out is not None:
        replace_checks_section(out, section)
    print(section)
    return 0
