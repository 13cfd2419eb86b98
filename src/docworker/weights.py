"""Check the baked model folder against its MANIFEST.json before the worker takes jobs.

``builder/fetch_models.py`` writes, at image build time::

    <model_dir>/MANIFEST.json
        {"models": {"<name>": {"id": "<hub repo id>", "revision": "<commit sha or tag>",
                               "path": "<name>",
                               "files": {"<relpath>": {"size": int, "sha256": str}}}}}
    <model_dir>/<name>/...          one folder per model (layout, tableformer,
                                    nanonets-ocr-s, got-ocr2, easyocr)

and links docstrange's cache (``~/.cache/docstrange/models``) to those folders.

``verify_model_dir(model_dir, names)`` returns one line per problem it finds
(an empty list means the named models are complete); sizes are always
compared, SHA-256 only with ``full_hash=True`` because hashing several GB
costs seconds at every cold start. ``read_manifest`` gives the ids and
revisions for the response metadata; ``verify_docstrange_cache`` checks the
links docstrange loads through. The folder names themselves (``LAYOUT``,
``TABLEFORMER``, ``VLM_FOLDERS``) are defined here once, for the stages that
load the models and the checks that verify them.

Inputs: a folder on disk. Outputs: lists of one-line problems, or ``ModelEntry`` records.
No network, no third-party imports.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_log = logging.getLogger(__name__)

MANIFEST_NAME = "MANIFEST.json"

#: Model folder names under ``settings.model_dir`` (``builder/fetch_models.py`` writes them).
LAYOUT = "layout"
TABLEFORMER = "tableformer"
#: ``settings.vlm_model`` → its model folder.
VLM_FOLDERS: dict[str, str] = {"nanonets": "nanonets-ocr-s", "got-ocr2": "got-ocr2"}
#: EasyOCR's detector and English recogniser, which docstrange's constructor loads
#: (``easyocr.Reader(['en'])``); EasyOCR's model folder (``~/.EasyOCR/model``) links here.
EASYOCR = "easyocr"
EASYOCR_FILES = ("craft_mlt_25k.pth", "english_g2.pth")
#: The folders docstrange's local GPU extractor loads, directly or through its cache.
DOCSTRANGE_MODELS = (LAYOUT, TABLEFORMER, VLM_FOLDERS["nanonets"], EASYOCR)

#: Where docstrange 1.1.8 looks for each model under its cache folder
#: (``~/.cache/docstrange/models``), mapped to the model folder it must reach.
#: Read from docstrange/pipeline/model_downloader.py, neural_document_processor.py
#: and nanonets_processor.py: the layout and TableFormer paths are the ones its
#: own downloader produces (the full ds4sd/docling-models tree), and the
#: Nanonets processor loads ``nanonets-ocr/Nanonets-OCR-ss`` (sic, double "s").
DOCSTRANGE_LINKS: dict[str, str] = {
    "layout/model_artifacts/layout": LAYOUT,
    "tableformer/model_artifacts/tableformer/accurate": TABLEFORMER,
    "nanonets-ocr/Nanonets-OCR-ss": VLM_FOLDERS["nanonets"],
}

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    """One file of a model as recorded at build time."""

    size: int
    sha256: str


@dataclass(frozen=True)
class ModelEntry:
    """One model of the manifest: where it came from and what it holds."""

    name: str
    id: str
    revision: str
    path: str
    files: dict[str, FileEntry] = field(default_factory=dict)


class ManifestError(ValueError):
    """MANIFEST.json is missing, unreadable or malformed."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(model_dir: Path) -> dict[str, ModelEntry]:
    """Parse ``<model_dir>/MANIFEST.json`` into ``{name: ModelEntry}``.

    Raises ``ManifestError`` with a one-line reason when it is missing or malformed.
    """
    manifest_path = Path(model_dir) / MANIFEST_NAME
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ManifestError(f"{manifest_path} missing") from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(f"{manifest_path} unreadable: {e}") from e
    models = raw.get("models") if isinstance(raw, dict) else None
    if not isinstance(models, dict):
        raise ManifestError(f"{manifest_path} has no 'models' object")
    entries: dict[str, ModelEntry] = {}
    for name, info in models.items():
        try:
            files = {
                rel: FileEntry(size=int(meta["size"]), sha256=str(meta["sha256"]))
                for rel, meta in info["files"].items()
            }
            entries[name] = ModelEntry(
                name=name,
                id=str(info["id"]),
                revision=str(info["revision"]),
                path=str(info.get("path", name)),
                files=files,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ManifestError(f"{manifest_path}: entry {name!r} is malformed ({e!r})") from e
    return entries


def _safe_relpath(rel: str) -> bool:
    pure = PurePosixPath(rel)
    return bool(rel) and not pure.is_absolute() and ".." not in pure.parts


def verify_model_dir(model_dir: Path, names: list[str], *, full_hash: bool = False) -> list[str]:
    """Problems with the named models under ``model_dir``; ``[]`` when all are complete.

    Checks, per model: listed in MANIFEST.json, folder present and not empty,
    every recorded file present with its recorded size, and with ``full_hash``
    its SHA-256. Never raises for a bad folder: each problem is one line.
    """
    model_dir = Path(model_dir)
    try:
        manifest = read_manifest(model_dir)
    except ManifestError as e:
        return [str(e)]
    problems: list[str] = []
    for name in names:
        entry = manifest.get(name)
        if entry is None:
            known = ", ".join(sorted(manifest)) or "none"
            problems.append(f"model {name!r} not in {MANIFEST_NAME} (has: {known})")
            continue
        problems.extend(_verify_entry(model_dir, entry, full_hash=full_hash))
    if problems:
        _log.warning(
            "model folder %s: %d problem(s), first: %s", model_dir, len(problems), problems[0]
        )
    return problems


def _verify_entry(model_dir: Path, entry: ModelEntry, *, full_hash: bool) -> list[str]:
    folder = model_dir / entry.path
    if not folder.is_dir():
        return [f"{entry.name}: folder {folder} missing"]
    if not any(folder.iterdir()):
        return [f"{entry.name}: folder {folder} is empty"]
    if not entry.files:
        return [f"{entry.name}: {MANIFEST_NAME} lists no files"]
    problems: list[str] = []
    for rel, expected in sorted(entry.files.items()):
        if not _safe_relpath(rel):
            problems.append(f"{entry.name}: unsafe path {rel!r} in {MANIFEST_NAME}")
            continue
        path = folder / rel
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            problems.append(f"{entry.name}: file {rel} missing")
            continue
        except OSError as e:
            problems.append(f"{entry.name}: file {rel} unreadable ({e.strerror})")
            continue
        if size != expected.size:
            problems.append(f"{entry.name}: file {rel} is {size} bytes, expected {expected.size}")
            continue
        if full_hash:
            try:
                actual = sha256_file(path)
            except OSError as e:
                problems.append(f"{entry.name}: file {rel} unreadable ({e.strerror})")
                continue
            if actual != expected.sha256:
                problems.append(
                    f"{entry.name}: file {rel} sha256 {actual[:12]}…, expected "
                    f"{expected.sha256[:12]}…"
                )
    return problems


def verify_docstrange_cache(cache_dir: Path, model_dir: Path, names: list[str]) -> list[str]:
    """Problems with docstrange's cache links for the named models; ``[]`` when they resolve.

    ``cache_dir`` is docstrange's model cache (``~/.cache/docstrange/models``).
    Each link in ``DOCSTRANGE_LINKS`` whose target model is in ``names`` must
    resolve to ``<model_dir>/<name>``.
    """
    problems: list[str] = []
    for link_rel, name in DOCSTRANGE_LINKS.items():
        if name not in names:
            continue
        link = Path(cache_dir) / link_rel
        expected = (Path(model_dir) / name).resolve()
        if not link.exists():
            problems.append(f"docstrange cache: {link} missing or dangling (want -> {expected})")
        elif link.resolve() != expected:
            problems.append(
                f"docstrange cache: {link} resolves to {link.resolve()}, expected {expected}"
            )
    return problems


def verify_easyocr_dir(easyocr_dir: Path, model_dir: Path) -> list[str]:
    """Problems with EasyOCR's model folder: it must resolve to ``<model_dir>/easyocr``.

    ``easyocr_dir`` is where easyocr looks (``$EASYOCR_MODULE_PATH/model``, by
    default ``~/.EasyOCR/model``); a real folder there holding the same files
    is accepted too.
    """
    folder = Path(easyocr_dir)
    expected = (Path(model_dir) / EASYOCR).resolve()
    if folder.exists() and folder.resolve() == expected:
        return []
    missing = [name for name in EASYOCR_FILES if not (folder / name).is_file()]
    if missing:
        names = ", ".join(missing)
        return [f"EasyOCR folder {folder}: {names} missing (want a link -> {expected})"]
    return []
