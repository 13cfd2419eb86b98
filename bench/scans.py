"""Scans, page by page: docworker's CPU engine against Tesseract alone (CER, order, s/page).

Pages:
- the generated magazine scans of ``bench.scanpages`` (two and three columns,
  narrow gutters, drop caps, hyphenated line ends; exact references);
- the corpus's scans: exact references where the manifest has them, a silver
  one where it has another engine's reading (``linn.txt`` is Tesseract's own,
  Vicksburg's hidden OCR layer), and the corpus checks (present / order /
  absent / table) for every scanned document that has some.

docworker runs its pipeline with ``ocr: always``; "Tesseract alone" is
tesserocr's ``GetUTF8Text`` with automatic page segmentation on the same
image (PDF pages rendered at 300 dpi), in the same languages. CER and order
use the quality harness's metrics (``bench.quality.metrics``): docworker's
page markdown (stripped) against the reference with words whole; docworker's
page ``text`` and Tesseract's text, which keep the printed lines and their
line-end hyphens, against the reference as printed where there is one (the
generated pages), else the same reference. s/page is docworker's page
timings (render + OCR + tables + assembly) and Tesseract's recognition time.

Usage::

    python -m bench.scans --corpus ../shared/corpus --json /tmp/scans.json [--only two-col]
        [--ocr rapidocr|tesseract] [--no-tesseract]

Output: a markdown table on stdout and the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from bench.quality.checks import load_checks, run_check
from bench.quality.metrics import cer, crop_reference, order_score, strip_markdown

_log = logging.getLogger(__name__)

TESS = {"en": "eng", "es": "spa", "fr": "fra", "de": "deu", "it": "ita", "pt": "por"}


@dataclass
class Case:
    """One document: its path, languages, per-page references and their kind."""

    path: Path
    label: str
    languages: list[str]
    refs: list[str | None] = field(default_factory=list)  # per page; None: no reference
    ref_kind: str = "exact"  # exact | partial | silver | none
    checks: list[dict[str, Any]] = field(default_factory=list)
    printed: list[str | None] = field(default_factory=list)  # per page, lines as printed


def corpus_cases(corpus: Path) -> list[Case]:
    """The corpus's scans with a reference or checks (see the module docstring)."""
    checks = load_checks(corpus / "checks" / "checks.jsonl") if (corpus / "checks").is_dir() else []

    def of(rel: str) -> list[dict[str, Any]]:
        return [c for c in checks if c["pdf"] == rel]

    def text(rel: str) -> str:
        raw = (corpus / rel).read_text(encoding="utf-8", errors="replace")
        return strip_markdown(raw) if rel.endswith(".md") else raw

    out = [
        Case(
            corpus / "tesseract/phototest.tif",
            "tesseract/phototest.tif",
            ["en"],
            [text("tesseract/phototest.gold.txt")],
        ),
        Case(
            corpus / "tesseract/eurotext.tif",
            "tesseract/eurotext.tif",
            ["en", "de", "fr", "it", "es", "pt"],
            [text("tesseract/eurotext.txt")],
            checks=of("tesseract/eurotext.tif"),
        ),
        Case(
            corpus / "docling/ocr/ocr_test.pdf",
            "docling/ocr/ocr_test.pdf",
            ["en"],
            [text("docling/ocr/ocr_test.tesseract.full_page.md")],
        ),
        Case(
            corpus / "docling/image/2206.01062.tif",
            "docling/image/2206.01062.tif",
            ["en"],
            [text("docling/image/2206.01062.md")] * 2,
            "partial",
            of("docling/image/2206.01062.tif"),
        ),
        Case(
            corpus / "ocrmypdf/linn.pdf",
            "ocrmypdf/linn.pdf",
            ["en"],
            [text("ocrmypdf/linn.txt")],
            "silver",
            of("ocrmypdf/linn.pdf"),
        ),
    ]
    for rel in (
        "docling/ocr/old_newspaper.png",
        "pikepdf/scanned/congress.pdf",
        "ocrmypdf/c02-22.pdf",
        "camelot/bad/image.pdf",
    ):
        out.append(Case(corpus / rel, rel, ["en"], [], "none", of(rel)))
    rel = "pypdf/Seige_of_Vicksburg_Sample_OCR.pdf"
    out.append(Case(corpus / rel, rel, ["en"], _text_layer(corpus / rel), "silver", of(rel)))
    return [c for c in out if c.path.is_file()]


def generated_cases(folder: Path) -> list[Case]:
    from bench.scanpages import SPECS, write_pages

    return [
        Case(
            path,
            f"generated/{page.spec.name}",
            [page.spec.lang],
            [page.reference],
            printed=[page.printed],
        )
        for path, page in write_pages(folder, SPECS)
    ]


def _text_layer(path: Path) -> list[str | None]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def page_images(path: Path, dpi: int = 300) -> list[Image.Image]:
    """Every page of ``path`` as an image (PDF pages rendered at ``dpi``)."""
    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(path))
        try:
            out = []
            for i in range(len(doc)):
                image = doc[i].render(scale=dpi / 72).to_pil().convert("RGB")
                image.info["dpi"] = (dpi, dpi)
                out.append(image)
            return out
        finally:
            doc.close()
    with Image.open(path) as im:
        frames = []
        for k in range(getattr(im, "n_frames", 1)):
            im.seek(k)
            frame = im.convert("RGB")
            frame.info["dpi"] = im.info.get("dpi")
            frames.append(frame)
        return frames


def tesseract_pages(case: Case) -> list[tuple[str, float]]:
    """Tesseract alone: (text, seconds) per page."""
    import tesserocr

    from docworker.stages.ocr.tesseract import find_tessdata

    found = find_tessdata()
    if found is None:
        raise SystemExit("no Tesseract language data")
    folder = found[0]
    langs = [
        TESS[x]
        for x in case.languages
        if x in TESS and (folder / f"{TESS[x]}.traineddata").is_file()
    ]
    out = []
    with tesserocr.PyTessBaseAPI(path=str(folder), lang="+".join(langs or ["eng"])) as api:
        for image in page_images(case.path):
            t = time.perf_counter()
            api.SetImage(image)
            dpi = image.info.get("dpi")
            if dpi and dpi[0]:
                api.SetSourceResolution(round(float(dpi[0])))
            text = api.GetUTF8Text()
            out.append((text, time.perf_counter() - t))
    return out


def docworker_pages(
    pipeline: Any, case: Case, outputs: Path | None = None
) -> tuple[list[tuple[str, str, float]], str]:
    """docworker with ``ocr: always``: (markdown, text, seconds) per page, and the markdown.

    With ``outputs``, the payload is also written to ``outputs/<corpus path>.json``
    (the layout ``checks/score_checks.py`` reads).
    """
    job = {
        "document_path": str(case.path.resolve()),
        "engine": "cpu",
        "ocr": "always",
        "languages": case.languages,
    }
    payload = pipeline.run(job, job_id=f"scans-{case.label}")
    if "error" in payload:
        raise RuntimeError(f"{case.label}: {payload['error']}")
    if outputs is not None:
        target = outputs / f"{case.label}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    pages = []
    for page in payload["data"]["pages"]:
        timings = page.get("timings_ms") or {}
        seconds = sum(v for k, v in timings.items() if k != "text_layer") / 1000
        markdown = strip_markdown(page.get("markdown") or "")
        pages.append((markdown, page.get("text") or "", seconds))
    return pages, payload["data"].get("markdown") or ""


def _score(text: str, ref: str | None, kind: str) -> dict[str, Any]:
    if ref is None:
        return {}
    if kind == "partial":
        ref = crop_reference(text, ref)
    order = order_score(text, ref)
    return {"cer": round(cer(text, ref), 4), "order": None if order is None else round(order, 4)}


def _checks(checks: list[dict[str, Any]], content: str) -> tuple[int, int]:
    scored = [c for c in checks if not (c["type"] == "baseline" and c.get("max_length"))]
    return sum(run_check(c, content).passed for c in scored), len(scored)


def run(
    cases: list[Case],
    ocr: str,
    with_tesseract: bool,
    log: Any = print,
    outputs: Path | None = None,
) -> list[dict[str, Any]]:
    from bench.quality.harness import build_pipeline

    pipeline, described = build_pipeline(ocr)
    log(f"docworker: {described}")
    rows: list[dict[str, Any]] = []
    try:
        for case in cases:
            dw, markdown = docworker_pages(pipeline, case, outputs)
            ts = tesseract_pages(case) if with_tesseract else [("", 0.0)] * len(dw)
            dw_all = "\n\n".join(t for _, t, _ in dw)
            ts_all = "\n\n".join(t for t, _ in ts)
            for n, ((dmd, dtext, dsec), (ttext, tsec)) in enumerate(zip(dw, ts, strict=False), 1):
                ref = case.refs[n - 1] if n - 1 < len(case.refs) else None
                printed = case.printed[n - 1] if n - 1 < len(case.printed) else ref
                text_score = _score(dtext, printed, case.ref_kind)
                row = {
                    "file": case.label,
                    "page": n,
                    "ref": case.ref_kind if ref else "none",
                    "docworker": {
                        **_score(dmd, ref, case.ref_kind),
                        "text_cer": text_score.get("cer"),
                        "s": round(dsec, 2),
                    },
                    "tesseract": {**_score(ttext, printed, case.ref_kind), "s": round(tsec, 2)},
                }
                rows.append(row)
                log(json.dumps(row))
            if case.checks:
                rows.append(
                    {
                        "file": case.label,
                        "checks": {
                            "docworker": _checks(case.checks, markdown),
                            "tesseract": _checks(case.checks, ts_all) if with_tesseract else None,
                            "docworker_text": _checks(case.checks, dw_all),
                        },
                    }
                )
                log(json.dumps(rows[-1]))
    finally:
        pipeline.close()
    return rows


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def _checks_text(c: dict[str, Any] | None, who: str) -> str:
    return f"{c[who][0]}/{c[who][1]}" if c and c.get(who) else "–"


def table(rows: list[dict[str, Any]], before: list[dict[str, Any]] | None = None) -> str:
    """The per-page rows as a markdown table (CER and order in %, s/page).

    With ``before`` (an earlier run's rows), docworker's figures read
    "before → after".
    """
    old = {(r["file"], r.get("page")): r for r in before or []}
    checks = {r["file"]: r["checks"] for r in rows if "checks" in r}
    head = "| page | ref | CER docworker | CER docworker `text` | CER Tesseract | order docworker"
    head += " | order Tesseract | s/page docworker | s/page Tesseract | checks docworker"
    head += " | checks Tesseract |"
    out = [head, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def pair(new: str, then: str | None) -> str:
        return new if then is None or then == new else f"{then} → {new}"

    for r in rows:
        if "checks" in r:
            continue
        d, t = r["docworker"], r["tesseract"]
        was = old.get((r["file"], r["page"]), {}).get("docworker")
        c = checks.get(r["file"]) if r["page"] == 1 else None
        was_c = old.get((r["file"], None), {}).get("checks") if c else None
        cells = [
            f"{r['file']} p{r['page']}",
            r["ref"],
            pair(_pct(d.get("cer")), _pct(was.get("cer")) if was else None),
            pair(_pct(d.get("text_cer")), _pct(was.get("text_cer")) if was else None),
            _pct(t.get("cer")),
            pair(_pct(d.get("order")), _pct(was.get("order")) if was else None),
            _pct(t.get("order")),
            pair(f"{d['s']:.1f}", f"{was['s']:.1f}" if was else None),
            f"{t['s']:.1f}",
            pair(_checks_text(c, "docworker"), _checks_text(was_c, "docworker") if was_c else None)
            if c
            else "",
            _checks_text(c, "tesseract") if c else "",
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=None, help="folder holding MANIFEST.tsv")
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    parser.add_argument("--only", default=None, help="substring of the page labels to run")
    parser.add_argument("--ocr", default="rapidocr", choices=["rapidocr", "tesseract"])
    parser.add_argument("--no-tesseract", action="store_true", help="skip Tesseract alone")
    parser.add_argument("--no-generated", action="store_true")
    parser.add_argument("--outputs", type=Path, default=None, help="write docworker's payloads")
    parser.add_argument("--table", type=Path, default=None, help="only print this JSON's table")
    parser.add_argument("--before", type=Path, default=None, help="an earlier run's JSON")
    args = parser.parse_args(argv)
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else None
    if args.table:
        print(table(json.loads(args.table.read_text(encoding="utf-8")), before))
        return 0
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        cases = [] if args.no_generated else generated_cases(Path(tmp))
        if args.corpus:
            cases += corpus_cases(args.corpus)
        if args.only:
            cases = [c for c in cases if args.only in c.label]
        rows = run(cases, args.ocr, not args.no_tesseract, outputs=args.outputs)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print(table(rows, before))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
