"""``python -m docworker extract`` as a user runs it: on a terminal, piped, and its help.

The terminal run happens under a pseudo-terminal (stderr is a TTY): the
progress bar must show pages done/total, the JSON log lines must not, and two
inputs with one file name must both keep their output. The piped run must
print one JSON payload per line on stdout and nothing but summary lines on
stderr. ``--help`` and ``schema`` print no reST markup.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import jsonschema
import pytest

from docworker.__main__ import build_parser, main
from docworker.cli_extract import output_names
from tests.pdfgen import TextPage, build_pdf

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())
REST = re.compile(r"``|:(?:class|func|meth|mod|attr|data|obj|exc):`|`_\b")


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCWORKER_", "RUNPOD_", "BUCKET_"))
    }
    env.update({"DOCWORKER_WORKERS": "1", **extra})
    return env


def report(folder: Path, word: str, pages: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "informe.pdf"
    lines = [
        TextPage(lines=[(72, 100, 12, f"Página {i} del informe {word}.")])
        for i in range(1, pages + 1)
    ]
    path.write_bytes(build_pdf(lines))
    return path


def run_on_a_terminal(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal; return (status, stdout, terminal text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "docworker", *argv],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:  # read while it runs, or a full pty buffer blocks the child
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    stdout, _ = proc.communicate(timeout=300)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, stdout, b"".join(chunks).decode("utf-8", "replace")


def test_terminal_run_shows_progress_and_keeps_both_same_named_inputs(tmp_path):
    first = report(tmp_path / "a", "primero")
    second = report(tmp_path / "b", "segundo")
    out = tmp_path / "out"
    argv = ["extract", str(first), str(second), "--out", str(out), "--format", "both"]
    status, stdout, terminal = run_on_a_terminal([*argv, "--engine", "cpu"])
    assert status == 0, terminal[-2000:]
    assert sorted(p.name for p in out.iterdir()) == [
        "informe-2.md",
        "informe-2.pdf.json",
        "informe.md",
        "informe.pdf.json",
    ]
    assert "informe primero" in json.loads((out / "informe.pdf.json").read_text())["data"]["text"]
    assert "informe segundo" in json.loads((out / "informe-2.pdf.json").read_text())["data"]["text"]
    markdown = (out / "informe-2.md").read_text(encoding="utf-8")
    assert "Página 4 del informe segundo." in markdown and not markdown.startswith("{")
    # The bar: each input numbered, pages done / total, redrawn in place.
    assert "[1/2] informe.pdf" in terminal and "[2/2] informe.pdf" in terminal
    assert "4/4 pages" in terminal and "\r\x1b[K" in terminal
    assert '"level": "INFO"' not in terminal  # the bar replaces the INFO log lines
    lines = stdout.splitlines()
    assert len(lines) == 2 and lines[1].endswith("informe-2.md (success)")


def test_piped_run_prints_json_lines_without_a_bar(tmp_path):
    good = report(tmp_path, "canalizado", pages=2)
    bad = tmp_path / "roto.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    proc = subprocess.run(
        [sys.executable, "-m", "docworker", "extract", str(good), str(bad), "--out", "-"],
        cwd=ROOT,
        env=clean_env(DOCWORKER_DEFAULT_ENGINE="cpu"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1  # one input failed
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    jsonschema.validate(first, OUTPUT_SCHEMA)
    assert "Página 2 del informe canalizado." in first["data"]["text"]
    assert second["error"]["code"] == "corrupt_document"
    assert "\x1b[K" not in proc.stderr and not re.search(r"\d+/\d+ pages", proc.stderr)
    assert f"{good} -> stdout (success)" in proc.stderr
    assert f"{bad} -> stdout (corrupt_document)" in proc.stderr


def test_impossible_combinations_are_refused_before_loading(capsys):
    for argv in (
        ["extract", "x.pdf", "--out", "-", "--format", "both"],
        ["extract", "x.pdf", "--out", "o", "--format", "md", "--outputs", "text"],
    ):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    assert "--out - prints one format" in capsys.readouterr().err


def test_names_never_collide():
    paths = [Path(p) for p in ("a/x.pdf", "b/x.pdf", "X.PDF", "x-2.pdf", "y.docx", "y.pdf")]
    assert output_names(paths, "json") == [
        "x.pdf.json",
        "x-3.pdf.json",  # x-2.pdf.json is the fourth input's own name
        "X-4.PDF.json",  # case-insensitive clash; -2 and -3 are taken
        "x-2.pdf.json",
        "y.docx.json",
        "y.pdf.json",
    ]
    assert output_names(paths, "md") == ["x.md", "x-3.md", "X-4.md", "x-2.md", "y.md", "y-2.md"]


def test_help_and_schema_print_plain_text(capsys):
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for argv in (["--help"], *([name, "--help"] for name in commands)):
        with pytest.raises(SystemExit):
            main(argv)
        text = capsys.readouterr().out
        assert text and not REST.search(text), (argv, REST.search(text))
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    descriptions = re.findall(r'"description": "((?:[^"\\]|\\.)*)"', printed)
    assert descriptions and not [d for d in descriptions if REST.search(d)]
    assert "What a job's `input` holds." in printed
