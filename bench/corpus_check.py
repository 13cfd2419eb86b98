"""Run the worker over every non-hostile corpus document and validate each payload.

    python bench/corpus_check.py --corpus ../shared/corpus [--out out/corpus] [--only PATTERN]

For each MANIFEST.tsv row that is not hostile (kind has no bad_input,
decompression_bomb; encrypted rows run with their manifest password), the
pipeline runs once (the same ``Pipeline`` a worker builds) and the payload is
validated against ``schemas/output.schema.json``. Prints one line per file
(status, pages, seconds) and exits 1 if any payload is an error or fails
validation. Payloads are written to ``--out/<local_path>.json``.

Inputs: the corpus folder. Outputs: payload files, a summary on stdout.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import jsonschema

from docworker.config import Settings
from docworker.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ("bad_input", "decompression_bomb")


def rows(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "MANIFEST.tsv").open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--out", default=str(ROOT / "out" / "corpus"))
    parser.add_argument("--only", default="", help="substring of local_path to select")
    parser.add_argument("--engine", default="cpu")
    args = parser.parse_args()
    corpus, out = Path(args.corpus), Path(args.out)
    schema = json.loads((ROOT / "schemas" / "output.schema.json").read_text())
    pipeline = Pipeline.build(Settings(default_engine=args.engine), load_gpu=args.engine != "cpu")
    failures = 0
    total_pages = 0
    started = time.perf_counter()
    try:
        for row in rows(corpus):
            kinds = row["kind"].split(";")
            if any(k in HOSTILE for k in kinds) or args.only not in row["local_path"]:
                continue
            job = {"document_path": str(corpus / row["local_path"])}
            if row.get("password"):
                job["password"] = row["password"]
            t = time.perf_counter()
            payload = pipeline.run(job, job_id=row["local_path"])
            seconds = time.perf_counter() - t
            target = out / f"{row['local_path']}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(payload, ensure_ascii=False, indent=1))
            if "error" in payload:
                failures += 1
                err = payload["error"]
                print(f"FAIL  {row['local_path']}: {err['code']}: {err['message']}")
                continue
            try:
                jsonschema.validate(payload, schema)
            except jsonschema.ValidationError as e:
                failures += 1
                print(f"INVALID {row['local_path']}: {e.message[:200]}")
                continue
            meta = payload["metadata"]
            total_pages += meta["document"]["pages_processed"]
            pages = meta["document"]["pages_processed"]
            print(f"ok    {row['local_path']}: {meta['status']}, {pages} pages, {seconds:.1f} s")
    finally:
        pipeline.close()
    print(f"{failures} failure(s); {total_pages} pages in {time.perf_counter() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
