"""Command line: ``python -m docworker {extract,check,schema,eval}``.

- ``extract INPUT... --out DIR``: run the worker's pipeline on local files and
  write ``DIR/<input file name>.json`` per input, holding exactly the payload
  the handler returns (the error payload for a failed input). Exit 1 if any
  input failed.
- ``check``: run the startup checks, print the report as JSON, exit 1 if a
  required check failed.
- ``schema [--write DIR]``: print or write the published JSON Schemas.
- ``eval --corpus DIR [--out docs/QUALITY.md] [--only PATTERN] [--ocr ENGINE]``:
  score the CPU engine, with RapidOCR (default) or Tesseract, against the
  corpus's ground truth (``docworker.evaluate``).

Inputs: argv and the DOCWORKER_ environment. Outputs: files, stdout, exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from docworker.contract import ALL_OUTPUTS, json_schemas


def _cmd_schema(args: argparse.Namespace) -> int:
    schemas = json_schemas()
    if args.write:
        out = Path(args.write)
        out.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            (out / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {len(schemas)} schemas to {out}")
    else:
        print(json.dumps(schemas, indent=2, ensure_ascii=False))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from docworker.checks import startup
    from docworker.isolation import netguard
    from docworker.logs import setup_logging
    from docworker.service import engine_probes, load_settings

    settings = load_settings()
    if settings is None:
        return 1
    setup_logging(settings.log_level)
    netguard.set_offline_env()
    report = startup.run_checks(settings, engine_probes())
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    if not report.ok:
        print(f"docworker: required check failed: {report.reason()}", file=sys.stderr)
        return 1
    return 0


def _cmd_extract(args: argparse.Namespace) -> int:
    from docworker.isolation import netguard
    from docworker.logs import setup_logging
    from docworker.pipeline import Pipeline
    from docworker.service import load_settings

    settings = load_settings()
    if settings is None:
        return 1
    setup_logging(settings.log_level)
    netguard.set_offline_env()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline.build(settings, load_gpu=args.engine in ("gpu", "auto", None))
    failed = 0
    try:
        for name in args.inputs:
            path = Path(name)
            job: dict = {"document_path": str(path.resolve())}
            for key in ("pages", "password", "engine", "ocr"):
                value = getattr(args, key)
                if value is not None:
                    job[key] = value
            if args.outputs:
                job["outputs"] = args.outputs.split(",")
            payload = pipeline.run(job, job_id=f"cli-{path.name}")
            if "error" in payload:
                failed += 1
            target = out / f"{path.name}.json"
            target.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
            status = payload.get("error", {}).get("code") or payload["metadata"]["status"]
            print(f"{path} -> {target} ({status})")
    finally:
        pipeline.close()
    return 1 if failed else 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from docworker import evaluate
    from docworker.logs import setup_logging

    setup_logging("WARNING")
    argv = sys.argv[1:] if sys.argv[1:2] == ["eval"] else ["eval"]
    command = "python -m docworker " + " ".join(argv)
    return evaluate.main(
        Path(args.corpus),
        Path(args.out) if args.out else None,
        Path(args.json) if args.json else None,
        args.only,
        command,
        ocr=args.ocr,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m docworker", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    extract = sub.add_parser("extract", help="extract local files to JSON payloads")
    extract.add_argument("inputs", nargs="+", help="document files")
    extract.add_argument("--out", required=True, help="folder for <name>.json payloads")
    extract.add_argument("--pages", help="page ranges, e.g. 1-3,7")
    extract.add_argument("--password", help="password of encrypted PDFs")
    extract.add_argument("--engine", choices=["auto", "cpu", "gpu"])
    extract.add_argument("--ocr", choices=["auto", "always", "never"])
    extract.add_argument("--outputs", help=f"comma-separated subset of {','.join(ALL_OUTPUTS)}")
    extract.set_defaults(func=_cmd_extract)

    check = sub.add_parser("check", help="run the startup checks and print the report")
    check.set_defaults(func=_cmd_check)

    ev = sub.add_parser("eval", help="score the CPU engine against a corpus's ground truth")
    ev.add_argument("--corpus", required=True, help="folder holding MANIFEST.tsv")
    ev.add_argument("--out", help="markdown summary to write, e.g. docs/QUALITY.md")
    ev.add_argument("--json", help="JSON figures (default: quality.json beside --out)")
    ev.add_argument("--only", help="evaluate only paths matching this glob or substring")
    ev.add_argument(
        "--ocr",
        choices=["rapidocr", "tesseract"],
        default="rapidocr",
        help="OCR engine of the CPU engine (DOCWORKER_OCR_ENGINE); default rapidocr",
    )
    ev.set_defaults(func=_cmd_eval)

    schema = sub.add_parser("schema", help="print or write the JSON Schemas")
    schema.add_argument("--write", metavar="DIR", help="write <name>.schema.json files into DIR")
    schema.set_defaults(func=_cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
