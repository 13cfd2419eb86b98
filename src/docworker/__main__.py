"""Command line: ``python -m docworker {extract,check,schema,eval,overlay}``.

- ``extract INPUT... --out DIR [--format json|md|both]``: run the worker's
  pipeline on local files and write ``DIR/<input file name>.json`` per input,
  holding exactly the payload the handler returns (the error payload for a
  failed input), and/or ``DIR/<stem>.md``; ``--out -`` prints them instead.
  ``--images figures|pages|both`` adds PNGs: base64 in the JSON, files in
  ``DIR/<stem>_images/`` linked from the markdown.
  Names never collide, a progress bar shows on a terminal
  (``docworker.cli_extract``). Exit 1 if any input failed.
- ``check``: run the startup checks, print the report as JSON, exit 1 if a
  required check failed.
- ``schema [--write DIR]``: print or write the published JSON Schemas.
- ``eval --corpus DIR [--corpus DIR2] [--out docs/QUALITY.md] [--only PATTERN]
  [--ocr ENGINE] [--checks | --checks-only] [--peers raw,markitdown,pymupdf4llm]``:
  score the CPU engine, with RapidOCR (default) or Tesseract, against the
  corpus's ground truth; with ``--checks``, also score it and its peers on the
  corpus's olmOCR-bench-style checks. A second ``--corpus`` (this repository's
  ``corpus/``) adds its documents and checks to the first
  (``bench.quality.corpus.combine``). The harness is ``bench.quality`` in a repository
  checkout (``pip install -r bench/requirements.txt``).
- ``overlay FILE [--pages 1-3] --out DIR``: draw the worker's blocks, their
  reading order and tables on the rendered pages (``docworker.overlay``).

Inputs: argv and the DOCWORKER_ environment. Outputs: files, stdout, exit code.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

from docworker import cli_extract
from docworker.contract import ALL_OUTPUTS, json_schemas
from docworker.plaintext import plain


class PlainHelpFormatter(argparse.HelpFormatter):
    """Help as plain text: reST inline markup from docstrings is dropped when printed."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return plain(super()._expand_help(action))


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
    return cli_extract.run(args)


def _quality() -> Any | None:
    """``bench.quality`` from this checkout, or ``None`` after one line saying what to install."""
    root = Path(__file__).resolve().parents[2]
    if (root / "bench" / "quality").is_dir() and str(root) not in sys.path:
        sys.path.append(str(root))
    try:
        import bench.quality as quality
    except ImportError as e:
        print(
            f"docworker eval needs the repository's bench/ and its extras ({e.name or e} is"
            " missing): run it from a checkout after `pip install -r bench/requirements.txt`",
            file=sys.stderr,
        )
        return None
    missing = quality.missing_requirements()
    if missing:
        print(
            f"docworker eval needs {', '.join(missing)}: pip install -r bench/requirements.txt",
            file=sys.stderr,
        )
        return None
    return quality


def _cmd_eval(args: argparse.Namespace) -> int:
    from docworker.logs import setup_logging

    quality = _quality()
    if quality is None:
        return 2
    setup_logging("WARNING")
    argv = sys.argv[1:] if sys.argv[1:2] == ["eval"] else ["eval"]
    command = "python -m docworker " + " ".join(argv)
    out = Path(args.out) if args.out else None
    from bench.quality.corpus import combine

    try:
        corpus = combine([Path(c) for c in args.corpus], Path(args.outputs) / "corpus")
    except (OSError, ValueError) as e:
        print(f"docworker eval: cannot combine {args.corpus}: {e}", file=sys.stderr)
        return 2
    code = 0
    if not args.checks_only:
        json_out = Path(args.json) if args.json else None
        code = quality.main(corpus, out, json_out, args.only, command, ocr=args.ocr)
    if code == 0 and (args.checks or args.checks_only):
        from bench.quality import checkrun

        json_path = Path(args.json) if args.json else None
        json_path = json_path or (out.with_name("quality.json") if out else None)
        code = checkrun.main(
            corpus,
            out,
            json_path or Path("docs/quality.json"),
            command,
            peers=[p for p in args.peers.split(",") if p],
            outputs=Path(args.outputs),
            timeout=args.peer_timeout,
            ocr=args.ocr,
        )
    return code


def _cmd_overlay(args: argparse.Namespace) -> int:
    from docworker import overlay
    from docworker.isolation import netguard
    from docworker.logs import setup_logging
    from docworker.pipeline import Pipeline
    from docworker.service import load_settings

    settings = load_settings()
    if settings is None:
        return 1
    setup_logging(settings.log_level)
    netguard.set_offline_env()
    path = Path(args.file)
    job: dict[str, Any] = {"document_path": str(path.resolve()), "pages": args.pages}
    if args.password:
        job["password"] = args.password
    if args.engine:
        job["engine"] = args.engine
    pipeline = Pipeline.build(settings, load_gpu=args.engine in ("gpu", "auto", None))
    try:
        payload = pipeline.run(job, job_id=f"overlay-{path.name}")
    finally:
        pipeline.close()
    if "error" in payload:
        print(f"{path}: {payload['error']['code']}: {payload['error']['message']}")
        return 1
    for target in overlay.write_overlays(path, payload, Path(args.out), args.dpi, args.password):
        print(target)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m docworker",
        description=__doc__.split("\n")[0],
        formatter_class=PlainHelpFormatter,
    )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        parser_class=functools.partial(argparse.ArgumentParser, formatter_class=PlainHelpFormatter),
    )

    extract = sub.add_parser(
        "extract",
        help="extract local files to JSON payloads and/or markdown",
        description=(
            "Run the worker's pipeline on local files. Writes OUT/<file name>.json (the"
            " payload the handler returns) and/or OUT/<stem>.md; a name two inputs share"
            " gets -2, -3, ... on the later ones. A progress bar shows when stderr is a"
            " terminal. Exit status 1 if any input failed."
        ),
    )
    extract.add_argument("inputs", nargs="+", help="document files")
    extract.add_argument(
        "--out",
        required=True,
        help="folder for the outputs, or - to print them on stdout (JSON Lines or markdown)",
    )
    extract.add_argument(
        "--format",
        choices=list(cli_extract.FORMATS),
        default="json",
        help="json: the payload (default); md: the document's markdown; both",
    )
    extract.add_argument("--no-progress", action="store_true", help="no progress bar")
    extract.add_argument("--pages", help="page ranges, e.g. 1-3,7")
    extract.add_argument("--password", help="password of encrypted PDFs")
    extract.add_argument("--engine", choices=["auto", "cpu", "gpu"])
    extract.add_argument("--ocr", choices=["auto", "always", "never"])
    extract.add_argument("--outputs", help=f"comma-separated subset of {','.join(ALL_OUTPUTS)}")
    extract.add_argument(
        "--images",
        choices=["none", "figures", "pages", "both"],
        help=(
            "PNG figure crops and/or page images: kept in the JSON as base64; with --format md"
            " or both, written to OUT/<stem>_images/ and linked from the markdown"
        ),
    )
    extract.add_argument(
        "--images-dpi", type=int, help="resolution of --images, 36-300 (default 144)"
    )
    extract.set_defaults(func=_cmd_extract, validate=cli_extract.check_args)

    check = sub.add_parser("check", help="run the startup checks and print the report")
    check.set_defaults(func=_cmd_check)

    ev = sub.add_parser("eval", help="score the CPU engine against a corpus's ground truth")
    ev.add_argument(
        "--corpus",
        required=True,
        action="append",
        help="folder holding MANIFEST.tsv; repeat it to add a second corpus to the first"
        " (this repository's corpus/ to ../shared/corpus)",
    )
    ev.add_argument("--out", help="markdown summary to write, e.g. docs/QUALITY.md")
    ev.add_argument("--json", help="JSON figures (default: quality.json beside --out)")
    ev.add_argument("--only", help="evaluate only paths matching this glob or substring")
    ev.add_argument(
        "--ocr",
        choices=["rapidocr", "rapidocr-small", "rapidocr-tiny", "tesseract"],
        default="rapidocr",
        help="OCR engine of the CPU engine (DOCWORKER_OCR_ENGINE); default rapidocr",
    )
    ev.add_argument("--checks", action="store_true", help="also score the checks with peers")
    ev.add_argument("--checks-only", action="store_true", help="only the checks run")
    ev.add_argument(
        "--peers",
        default="raw,markitdown,pymupdf4llm",
        help="comma-separated peers scored beside docworker ('' for none)",
    )
    ev.add_argument("--outputs", default="build/quality", help="folder for every engine's outputs")
    ev.add_argument("--peer-timeout", type=int, default=300, help="seconds per peer conversion")
    ev.set_defaults(func=_cmd_eval)

    ov = sub.add_parser("overlay", help="draw blocks, reading order and tables on the pages")
    ov.add_argument("file", help="a PDF or image")
    ov.add_argument("--pages", default="1-3", help="page ranges, e.g. 1-3,7 (default 1-3)")
    ov.add_argument("--out", required=True, help="folder for <stem>-p<n>.png")
    ov.add_argument("--dpi", type=int, default=100, help="rendering resolution (default 100)")
    ov.add_argument("--password", help="password of an encrypted PDF")
    ov.add_argument("--engine", choices=["auto", "cpu", "gpu"])
    ov.set_defaults(func=_cmd_overlay)

    schema = sub.add_parser("schema", help="print or write the JSON Schemas")
    schema.add_argument("--write", metavar="DIR", help="write <name>.schema.json files into DIR")
    schema.set_defaults(func=_cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    validate = getattr(args, "validate", None)
    if validate is not None:
        validate(args, parser)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
