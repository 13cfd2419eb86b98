"""``python -m docworker extract``: local files through the worker's pipeline, to files or stdout.

- ``output_names(paths, kind)``: one output file name per input that never
  collides: ``<file name>.json`` (kind ``json``) or ``<stem>.md`` (kind ``md``)
  when no other input of the run has it (names compared case-insensitively,
  as macOS and Windows do); on a clash the first input keeps it and the others
  get ``<stem>-2<suffix>.json`` / ``<stem>-2.md`` (then -3, ...).
- ``Progress``: a one-line progress bar (input i/n, pages done/total, seconds)
  redrawn on a terminal; it writes nothing when its stream is not a TTY.
- ``run(args)``: builds the pipeline once, runs every input, writes the
  payload (``--format json``), the markdown (``md``) or both, or prints them
  to stdout with ``--out -`` (JSON Lines: one payload per input, or the
  markdown). With ``--images``, the markdown's figures are written beside it,
  in ``<md stem>_images/``, and linked by relative path (``write_images``);
  the JSON keeps them as base64. One summary line per input goes to stdout,
  or to stderr when stdout carries the payloads. Exit status 1 if any input failed.

Inputs: parsed argparse arguments and the DOCWORKER_ environment. Outputs:
files, stdout/stderr, the exit status.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

#: What ``--format`` accepts and which output kinds each writes.
FORMATS = {"json": ("json",), "md": ("md",), "both": ("json", "md")}


# ------------------------------------------------------------------- names


def _plain_name(path: Path, kind: str) -> str:
    return f"{path.name}.json" if kind == "json" else f"{path.stem}.md"


def _numbered_name(path: Path, kind: str, n: int) -> str:
    if kind == "json":
        return f"{path.stem}-{n}{path.suffix}.json"
    return f"{path.stem}-{n}.md"


def output_names(paths: Sequence[Path], kind: str) -> list[str]:
    """One file name per input for output ``kind`` (``json`` or ``md``), all distinct."""
    names: list[str | None] = [None] * len(paths)
    used: set[str] = set()
    for i, path in enumerate(paths):  # the first input with a name keeps it
        plain = _plain_name(path, kind)
        if plain.casefold() not in used:
            names[i] = plain
            used.add(plain.casefold())
    for i, path in enumerate(paths):  # the others are numbered past every name in use
        if names[i] is None:
            n = 2
            while _numbered_name(path, kind, n).casefold() in used:
                n += 1
            names[i] = _numbered_name(path, kind, n)
            used.add(names[i].casefold())
    return [name for name in names if name is not None]


# ---------------------------------------------------------------- progress


class Progress:
    """``[i/n] name [#####-----] done/total pages 12s`` on a terminal; silent elsewhere.

    ``update`` is the pipeline's ``progress(done, total)`` callback. A
    background thread redraws twice a second so the elapsed time moves while
    a slow page is read.
    """

    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._label = ""
        self._done = 0
        self._total = 0
        self._waiting = ""
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def begin(self, label: str, waiting: str = "reading...") -> None:
        """A new input (or phase) starts; the bar resets and shows ``waiting`` until a page."""
        if not self.enabled:
            return
        with self._lock:
            self._label, self._done, self._total = label, 0, 0
            self._waiting = waiting
            self._start = time.monotonic()
        if self._thread is None:
            self._thread = threading.Thread(target=self._tick, daemon=True, name="progress")
            self._thread.start()
        self._draw()

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._done, self._total = done, total
        self._draw()

    def clear(self) -> None:
        """Erase the bar's line, so that a summary line can take its place."""
        if self.enabled:
            with self._lock:
                self._label = ""  # the ticker draws nothing until the next ``begin``
                self.stream.write("\r\x1b[K")
                self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.clear()
        self.enabled = False

    def line(self) -> str:
        """The bar as text, fitted to the terminal's width."""
        with self._lock:
            label, done, total, waiting = self._label, self._done, self._total, self._waiting
            elapsed = time.monotonic() - self._start
        width = shutil.get_terminal_size((80, 24)).columns
        if total:
            cells = 20
            filled = cells * done // total
            bar = f"[{'#' * filled}{'-' * (cells - filled)}] {done}/{total} pages"
        else:
            bar = waiting
        tail = f" {bar} {elapsed:.0f}s".replace("  ", " ")
        room = max(8, width - 1 - len(tail))
        if len(label) > room:
            label = "..." + label[-(room - 3) :]
        return (label + tail)[: width - 1]

    def _draw(self) -> None:
        text = self.line()
        with self._lock:
            if self.enabled:
                self.stream.write("\r\x1b[K" + text)
                self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            if self._label:
                self._draw()


# -------------------------------------------------------------------- run


def _job(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    job: dict[str, Any] = {"document_path": str(path.resolve())}
    for key in ("pages", "password", "engine", "ocr", "images", "images_dpi"):
        value = getattr(args, key, None)
        if value is not None:
            job[key] = value
    if args.outputs:
        job["outputs"] = args.outputs.split(",")
    return job


def check_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse option combinations that cannot work, before anything loads."""
    kinds = FORMATS[args.format]
    if "md" in kinds and args.outputs and "markdown" not in args.outputs.split(","):
        parser.error(f"--format {args.format} writes markdown: add markdown to --outputs")
    if args.out == "-" and len(kinds) > 1:
        parser.error("--out - prints one format: use --format json or --format md")


def run(args: argparse.Namespace) -> int:
    """The ``extract`` command. Returns the exit status."""
    from docworker.isolation import netguard
    from docworker.logs import setup_logging
    from docworker.pipeline import Pipeline
    from docworker.service import load_settings

    settings = load_settings()
    if settings is None:
        return 1
    progress = Progress(sys.stderr, enabled=False if args.no_progress else None)
    quiet_logs = progress.enabled and "log_level" not in settings.model_fields_set
    # On a terminal the bar replaces the INFO lines; DOCWORKER_LOG_LEVEL still wins.
    setup_logging("WARNING" if quiet_logs else settings.log_level)
    netguard.set_offline_env()
    # Every page reports progress (the handler's DOCWORKER_PROGRESS_EVERY is for RunPod).
    settings = settings.model_copy(update={"progress_every": 1})
    kinds = FORMATS[args.format]
    to_stdout = args.out == "-"
    out = None if to_stdout else Path(args.out)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    paths = [Path(name) for name in args.inputs]
    names = {kind: output_names(paths, kind) for kind in kinds}
    summary = sys.stderr if to_stdout else sys.stdout
    progress.begin("starting the engines...", waiting="")
    pipeline = Pipeline.build(settings, load_gpu=args.engine in ("gpu", "auto", None))
    failed = 0
    try:
        for i, path in enumerate(paths):
            label = f"[{i + 1}/{len(paths)}] {path.name}" if len(paths) > 1 else path.name
            progress.begin(label)
            payload = pipeline.run(
                _job(path, args), job_id=f"cli-{path.name}", progress=progress.update
            )
            progress.clear()
            failed += "error" in payload
            targets = _write(payload, kinds, {k: names[k][i] for k in kinds}, out)
            status = payload.get("error", {}).get("code") or payload["metadata"]["status"]
            print(f"{path} -> {', '.join(targets) or '(nothing written)'} ({status})", file=summary)
            summary.flush()
    finally:
        progress.close()
        pipeline.close()
    return 1 if failed else 0


def write_images(payload: dict[str, Any], folder: Path, markdown: str) -> str:
    """Write the payload's inline PNGs into ``folder``; ``markdown`` linking them there.

    The folder is made only when there are images. Figure links name the image
    (``](page-003-figure-01.png)``) and become ``](<folder>/page-003-figure-01.png)``.
    """
    for page in payload["data"].get("pages") or []:
        for image in page.get("images") or []:
            if not image.get("data"):
                continue  # stored in a bucket: the JSON has its URL
            folder.mkdir(parents=True, exist_ok=True)
            (folder / image["name"]).write_bytes(base64.b64decode(image["data"]))
            link = f"]({quote(folder.name)}/{image['name']})"
            markdown = markdown.replace(f"]({image['name']})", link)
    return markdown


def _write(
    payload: dict[str, Any], kinds: Sequence[str], names: dict[str, str], out: Path | None
) -> list[str]:
    """Write ``payload`` as each of ``kinds``; return where each went."""
    written = []
    for kind in kinds:
        if kind == "json":
            if out is None:
                sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
                written.append("stdout")
                continue
            target = out / names[kind]
            text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
            target.write_text(text, encoding="utf-8")
        else:
            if "error" in payload:
                continue  # a failed input has no markdown; its summary line says why
            markdown = (payload["data"].get("markdown") or "").rstrip("\n") + "\n"
            if out is None:
                sys.stdout.write(markdown)
                written.append("stdout")
                continue
            target = out / names[kind]
            folder = f"{Path(names[kind]).stem}_images"
            markdown = write_images(payload, out / folder, markdown)
            target.write_text(markdown, encoding="utf-8")
        written.append(str(target))
    sys.stdout.flush()
    return written
