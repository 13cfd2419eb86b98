"""The licence: LICENSE is Apache-2.0, the README's table covers every runtime requirement,
no copyleft licence enters the runtime dependency closure unlisted, and the AGPL peers
stay bench-only.

The closure is read from the installed distributions' metadata, so these checks
describe the pinned environment the tests run in.
"""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LICENCE_SECTION = README.split("## Licence", 1)[-1].split("\n## ", 1)[0]
#: Weak-copyleft packages the README names, used unmodified as libraries.
LGPL_ALLOWED = {"paramiko", "python-bidi"}
AGPL_PEERS = ("pymupdf", "pymupdf4llm", "pymupdf-layout")


def requirements(path: Path) -> list[Requirement]:
    reqs = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            reqs.append(Requirement(line))
    return reqs


def closure() -> dict[str, md.Distribution]:
    installed = {canonicalize_name(d.metadata["Name"]): d for d in md.distributions()}
    seen: dict[str, md.Distribution] = {}
    stack = [canonicalize_name(r.name) for r in requirements(ROOT / "requirements.txt")]
    while stack:
        name = stack.pop()
        if name in seen or name not in installed:
            continue
        seen[name] = installed[name]
        for raw in installed[name].requires or []:
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(canonicalize_name(req.name))
    return seen


def licence_text(dist: md.Distribution) -> str:
    meta = dist.metadata
    classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License")]
    first_line = (meta.get("License") or "").strip().split("\n", 1)[0]
    return " ".join([meta.get("License-Expression") or "", first_line, *classifiers])


def test_licence_file_is_apache_2():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    assert "[Apache License 2.0](LICENSE)" in README


def test_readme_table_names_every_runtime_requirement_with_its_version():
    for req in requirements(ROOT / "requirements.txt"):
        row = next(
            (line for line in LICENCE_SECTION.splitlines() if re.search(rf"\b{req.name}\b", line)),
            None,
        )
        assert row is not None, f"README's licence table lacks {req.name}"
        pinned = [s.version for s in req.specifier if s.operator == "=="]
        if pinned:
            assert pinned[0] in row, f"{req.name}: README row lacks version {pinned[0]}"


def test_no_unlisted_copyleft_licence_in_the_runtime_closure():
    found = closure()
    assert len(found) > 50, "the pinned environment is not installed"
    for name, dist in found.items():
        text = licence_text(dist)
        if re.search(r"\bA?GPL|General Public License", text, re.I):
            lesser = re.search(r"LGPL|Lesser|Library", text)
            assert lesser and name in LGPL_ALLOWED, f"{name}: {text}"
            assert name in LICENCE_SECTION, f"README's licence section does not name {name}"


def test_agpl_peers_are_bench_only():
    bench = {canonicalize_name(r.name) for r in requirements(ROOT / "bench" / "requirements.txt")}
    runtime = {canonicalize_name(r.name) for r in requirements(ROOT / "requirements.txt")}
    assert {"pymupdf4llm", "pymupdf-layout"} <= bench
    assert not runtime & set(AGPL_PEERS)
    assert not set(AGPL_PEERS) & set(closure())
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"pymupdf|bench/requirements", dockerfile, re.I)
    for path in (ROOT / "src" / "docworker").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(pymupdf|fitz)\b", source, re.M), path
