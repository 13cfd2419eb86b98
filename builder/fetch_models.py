"""Bake model weights into a folder, all or nothing, with a MANIFEST.json of commit shas.

Run at image build time (see the Dockerfile)::

    python builder/fetch_models.py fetch --source hub --model-dir /models --no-links \
        --pins builder/model-pins.txt --pin "$MODEL_PINS"
    python builder/fetch_models.py link --model-dir /models \
        --docstrange-cache /root/.cache/docstrange/models --easyocr-dir /root/.EasyOCR/model

``--source hub`` downloads each model of ``MODELS``: Hugging Face repositories
at a revision resolved to its commit sha at build time (the pin given for the
model, else the table's tag or branch), and EasyOCR's two files from its
GitHub releases, checked against the MD5 sums easyocr itself verifies.
``--source DIR`` copies ``DIR/<name>/`` from a local mirror (an air-gapped
copy, a previous model folder, or tiny test models).

Revisions: a default build never refuses. It resolves every revision to a
commit sha and records both (``revision``, ``requested_revision``, ``pinned``)
in MANIFEST.json; ``pins --model-dir DIR`` prints those shas as a pin file, and
a build given that file (``--pins``) or the same pairs (``--pin NAME=SHA``,
the Dockerfile's ``MODEL_PINS`` build argument) downloads exactly those commits.

Output layout (read back by ``docworker.weights.verify_model_dir``)::

    <model_dir>/MANIFEST.json   {"models": {"<name>": {"id", "revision", "requested_revision",
                                 "pinned", "path", "files": {"<relpath>": {"size", "sha256"}}}}}
    <model_dir>/layout/         docling RT-DETR layout model (HF format)
    <model_dir>/tableformer/    docling TableFormer, "accurate" variant
    <model_dir>/nanonets-ocr-s/ Nanonets-OCR-s (Qwen2.5-VL based)
    <model_dir>/got-ocr2/       GOT-OCR 2.0, transformers format
    <model_dir>/easyocr/        craft_mlt_25k.pth, english_g2.pth (docstrange's EasyOCR reader)

All or nothing: files land in a hidden ``.<model_dir>.partial-*`` folder beside
the target, are checked (folders not empty, required files present and not
empty, copies the size of their source), MANIFEST.json is written last, and
only then is the folder renamed onto the target. A failure at any point
removes the partial folder, so a half-downloaded folder never sits where the
worker looks, and one left by a killed run has no manifest and a hidden name.

``link`` points docstrange's cache (``~/.cache/docstrange/models``) and
EasyOCR's model folder (``~/.EasyOCR/model``) at the baked folders, in the
places docstrange 1.1.8 and easyocr 1.7.2 look (``DOCSTRANGE_LINKS``).

Exit status: 0 done, 1 refused or failed (one line on stderr), 2 bad usage.
Needs only the standard library, plus ``huggingface_hub`` for ``--source hub``.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger(__name__)

MANIFEST_NAME = "MANIFEST.json"
_CHUNK = 1 << 20
_SKIP_NAMES = frozenset({".cache", ".git", ".gitattributes", ".huggingface", MANIFEST_NAME})


@dataclass(frozen=True)
class Download:
    """A file fetched by URL (a zip holding ``filename``), checked by its loader's MD5."""

    filename: str
    url: str
    md5: str


@dataclass(frozen=True)
class ModelSpec:
    """One model to bake: where it comes from and what a complete copy holds."""

    name: str
    repo_id: str
    revision: str
    subfolder: str = ""
    required: tuple[str, ...] = ()
    note: str = ""
    downloads: tuple[Download, ...] = ()  # set: fetched by URL, not from the hub


# The one table of model ids and revisions. Hub revisions may be tags or
# branches: each is resolved to a commit sha at build time and MANIFEST.json
# records the sha; a pin (``--pins``/``--pin``) replaces the table's revision
# with a sha for a reproducible build.
# - ds4sd/docling-models @ v2.2.0: the tag docstrange 1.1.8's own downloader uses
#   (docstrange/pipeline/model_downloader.py); model_artifacts/layout and
#   .../tableformer/accurate are the folders docstrange and docling-ibm-models 3.15 load.
# - nanonets/Nanonets-OCR-s and stepfun-ai/GOT-OCR-2.0-hf @ main: resolved at build time.
# - EasyOCR: the URLs and MD5 sums of easyocr 1.7.2's config.py (tests/test_builder.py
#   compares them with the installed easyocr); easyocr re-downloads a file whose MD5 differs.
MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="layout",
        repo_id="ds4sd/docling-models",
        revision="v2.2.0",
        subfolder="model_artifacts/layout",
        required=("config.json", "preprocessor_config.json", "model.safetensors"),
        note="docling RT-DETR layout model; docstrange 1.1.8 pins the same tag",
    ),
    ModelSpec(
        name="tableformer",
        repo_id="ds4sd/docling-models",
        revision="v2.2.0",
        subfolder="model_artifacts/tableformer/accurate",
        required=("tm_config.json", "tableformer_*.safetensors"),
        note="docling TableFormer (accurate); docling-ibm-models globs tableformer_*.safetensors",
    ),
    ModelSpec(
        name="nanonets-ocr-s",
        repo_id="nanonets/Nanonets-OCR-s",
        revision="main",
        required=(
            "config.json",
            "preprocessor_config.json",
            "tokenizer_config.json",
            "*.safetensors",
        ),
        note="Qwen2.5-VL based OCR VLM; docstrange GPU mode and DOCWORKER_VLM_MODEL=nanonets",
    ),
    ModelSpec(
        name="got-ocr2",
        repo_id="stepfun-ai/GOT-OCR-2.0-hf",
        revision="main",
        required=(
            "config.json",
            "preprocessor_config.json",
            "tokenizer_config.json",
            "*.safetensors",
        ),
        note="GOT-OCR 2.0 in transformers format; DOCWORKER_VLM_MODEL=got-ocr2",
    ),
    ModelSpec(
        name="easyocr",
        repo_id="JaidedAI/EasyOCR",
        revision="easyocr-1.7.2",
        required=("craft_mlt_25k.pth", "english_g2.pth"),
        note="EasyOCR detector + English recogniser; docstrange's constructor loads them",
        downloads=(
            Download(
                "craft_mlt_25k.pth",
                "https://github.com/JaidedAI/EasyOCR/releases/download/pre-v1.1.6/craft_mlt_25k.zip",
                "2f8227d2def4037cdb3b34389dcf9ec1",
            ),
            Download(
                "english_g2.pth",
                "https://github.com/JaidedAI/EasyOCR/releases/download/v1.3/english_g2.zip",
                "5864788e1821be9e454ec108d61b887d",
            ),
        ),
    ),
)

#: docstrange 1.1.8 cache layout -> model folder (kept equal to docworker.weights.DOCSTRANGE_LINKS
#: by tests/test_builder.py; this script must not import docworker).
DOCSTRANGE_LINKS: dict[str, str] = {
    "layout/model_artifacts/layout": "layout",
    "tableformer/model_artifacts/tableformer/accurate": "tableformer",
    "nanonets-ocr/Nanonets-OCR-ss": "nanonets-ocr-s",
}
#: The model folder EasyOCR's model directory (``~/.EasyOCR/model``) is linked to.
EASYOCR_FOLDER = "easyocr"

_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


class FetchError(RuntimeError):
    """A fetch was refused or failed; the message is the one line shown to the operator."""


def spec_by_name() -> dict[str, ModelSpec]:
    """``MODELS`` keyed by name."""
    return {spec.name: spec for spec in MODELS}


def is_pinned(revision: str) -> bool:
    """A full commit sha; tags and branches can move, so they are resolved, not trusted."""
    return bool(_SHA_RE.match(revision))


def select_models(names: str) -> list[ModelSpec]:
    """Parse ``--models`` (comma-separated names, or ``all``) against the table."""
    table = spec_by_name()
    if names.strip() in ("", "all"):
        return list(MODELS)
    chosen: list[ModelSpec] = []
    for name in (part.strip() for part in names.split(",")):
        if not name:
            continue
        if name not in table:
            raise FetchError(f"unknown model {name!r}; known: {', '.join(table)}")
        if table[name] not in chosen:
            chosen.append(table[name])
    return chosen


def parse_pins(text: str) -> dict[str, str]:
    """``name=sha`` pairs (one per line or comma-separated, ``#`` comments) for hub models."""
    table = spec_by_name()
    pins: dict[str, str] = {}
    items = [i for line in text.splitlines() for i in line.split("#", 1)[0].split(",")]
    for item in (i.strip() for i in items):
        if not item:
            continue
        name, sep, sha = (part.strip() for part in item.partition("="))
        if not sep or name not in table:
            raise FetchError(f"bad pin {item!r}: want NAME=SHA, NAME one of {', '.join(table)}")
        if table[name].downloads:
            raise FetchError(f"bad pin {item!r}: {name} is fetched by URL and checked by MD5")
        if not is_pinned(sha):
            raise FetchError(f"bad pin {item!r}: {sha!r} is not a 40-hex commit sha")
        pins[name] = sha
    return pins


# --------------------------------------------------------------------------- sources


def _hub_download(
    repo_id: str, revision: str, local_dir: Path, allow_patterns: list[str] | None
) -> str:
    """Download one repo snapshot into ``local_dir``; return the commit sha it came from.

    The revision is resolved to a commit first and the snapshot is taken at that
    commit, so the files and the recorded sha cannot disagree.
    """
    try:
        from huggingface_hub import HfApi, snapshot_download
    except ImportError as e:
        raise FetchError("--source hub needs huggingface_hub (pip install huggingface_hub)") from e
    try:
        sha = HfApi().model_info(repo_id, revision=revision).sha
        if not sha:
            raise FetchError(f"{repo_id}@{revision}: the hub returned no commit sha")
        snapshot_download(
            repo_id=repo_id, revision=sha, local_dir=str(local_dir), allow_patterns=allow_patterns
        )
    except FetchError:
        raise
    except Exception as e:  # huggingface_hub/requests/xet errors: one line for the build log
        raise FetchError(f"{repo_id}@{revision}: download failed: {e}") from e
    return sha


def _md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _url_download(spec: ModelSpec, dest: Path, downloads: Path) -> None:
    """Each of ``spec.downloads``: fetch the zip, extract its one file, check the MD5."""
    import urllib.request
    import zipfile

    dest.mkdir(parents=True, exist_ok=True)
    downloads.mkdir(parents=True, exist_ok=True)
    for item in spec.downloads:
        archive = downloads / f"{item.filename}.zip"
        _log.info("downloading %s", item.url)
        try:
            with urllib.request.urlopen(item.url, timeout=120) as response:
                with archive.open("wb") as fh:
                    shutil.copyfileobj(response, fh, _CHUNK)
            with zipfile.ZipFile(archive) as zf:
                zf.extract(item.filename, dest)
        except (OSError, zipfile.BadZipFile, KeyError) as e:
            raise FetchError(f"{item.url}: download failed: {e}") from e
        finally:
            archive.unlink(missing_ok=True)
        md5 = _md5_file(dest / item.filename)
        if md5 != item.md5:
            raise FetchError(f"{spec.name}: {item.filename} md5 {md5}, expected {item.md5}")


def _copy_file(src: Path, dst: Path) -> None:
    """Copy one file's bytes (following links) and check the copy's size."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    if dst.stat().st_size != src.stat().st_size:
        raise FetchError(
            f"copy of {src} is {dst.stat().st_size} bytes, source has {src.stat().st_size}"
        )


def _iter_files(root: Path) -> Iterable[Path]:
    """Files under ``root`` (following directory links), skipping VCS and hub metadata."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_NAMES)
        for filename in sorted(filenames):
            if filename not in _SKIP_NAMES:
                yield Path(dirpath) / filename


def _copy_tree(src_root: Path, dest: Path, *, move: bool = False) -> None:
    """Copy (or, for a fresh download on the same disk, move) every file under ``src_root``."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in list(_iter_files(src_root)):
        target = dest / path.relative_to(src_root)
        if move and not path.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        else:
            _copy_file(path, target)


def _mirror_revision(mirror: Path, spec: ModelSpec) -> tuple[str, str]:
    """Id and revision for a mirrored model: the mirror's own manifest, else the table's."""
    manifest = mirror / MANIFEST_NAME
    if manifest.is_file():
        try:
            entry = json.loads(manifest.read_text(encoding="utf-8"))["models"][spec.name]
            return str(entry["id"]), str(entry["revision"])
        except (KeyError, TypeError, ValueError) as e:
            _log.warning("mirror manifest has no usable entry for %s (%r)", spec.name, e)
    return spec.repo_id, spec.revision


def fetch_one(
    spec: ModelSpec, source: str, dest: Path, downloads: Path, pin: str | None = None
) -> dict[str, object]:
    """Put one model's files into ``dest``; return its manifest origin fields."""
    if source != "hub":
        mirror = Path(source)
        root = mirror / spec.name
        if not root.is_dir():
            raise FetchError(f"mirror {mirror} has no folder {spec.name}/")
        _log.info("copying %s from mirror %s", spec.name, root)
        _copy_tree(root, dest)
        repo_id, revision = _mirror_revision(mirror, spec)
        return {
            "id": repo_id,
            "revision": revision,
            "pinned": is_pinned(revision),
            "source": f"mirror:{spec.name}",
        }
    if spec.downloads:
        _url_download(spec, dest, downloads / spec.name)
        return {
            "id": spec.repo_id,
            "revision": spec.revision,
            "pinned": True,  # each file is checked against the MD5 its loader expects
            "urls": {d.filename: d.url for d in spec.downloads},
        }
    requested = pin or spec.revision
    local = downloads / spec.name
    patterns = [f"{spec.subfolder}/*"] if spec.subfolder else None
    where = f" ({spec.subfolder})" if spec.subfolder else ""
    _log.info("downloading %s@%s%s", spec.repo_id, requested, where)
    sha = _hub_download(spec.repo_id, requested, local, patterns)
    if pin is None and not is_pinned(spec.revision):
        _log.warning(
            "%s: %s@%s is not pinned; resolved to %s at build time (recorded in %s;"
            " `fetch_models.py pins` turns it into a pin)",
            spec.name,
            spec.repo_id,
            spec.revision,
            sha,
            MANIFEST_NAME,
        )
    if pin is not None and sha != pin:
        raise FetchError(f"{spec.repo_id}: pinned {pin} but the hub served {sha}")
    root = local / spec.subfolder if spec.subfolder else local
    if not root.is_dir():
        raise FetchError(f"{spec.repo_id}@{sha} has no folder {spec.subfolder!r}")
    _copy_tree(root, dest, move=True)  # the download sits in the staging folder already
    shutil.rmtree(local, ignore_errors=True)
    return {
        "id": spec.repo_id,
        "revision": sha,
        "requested_revision": requested,
        "pinned": pin is not None or is_pinned(spec.revision),
    }


# --------------------------------------------------------------------------- checks


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_model_folder(spec: ModelSpec, folder: Path) -> list[str]:
    """Problems that make a freshly fetched folder unusable; ``[]`` when it looks complete."""
    if not folder.is_dir():
        return [f"{spec.name}: folder missing"]
    files = [p for p in folder.rglob("*") if p.is_file()]
    if not files:
        return [f"{spec.name}: folder is empty"]
    problems: list[str] = []
    rel_names = [p.relative_to(folder).as_posix() for p in files]
    for pattern in spec.required:
        matches = [
            p for p, rel in zip(files, rel_names, strict=True) if fnmatch.fnmatch(rel, pattern)
        ]
        if not matches:
            problems.append(f"{spec.name}: no file matches {pattern!r}")
        problems.extend(
            f"{spec.name}: {p.relative_to(folder)} is empty"
            for p in matches
            if p.stat().st_size == 0
        )
    return problems


def manifest_entry(folder: Path, fields: dict[str, object], name: str) -> dict[str, object]:
    """One MANIFEST.json entry: origin fields plus size and SHA-256 of every file."""
    files = {
        p.relative_to(folder).as_posix(): {"size": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    return {**fields, "path": name, "files": files}


def _write_json_atomic(path: Path, payload: object) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# --------------------------------------------------------------------------- fetch


def _remove_stale_partials(target: Path) -> None:
    for stale in target.parent.glob(f".{target.name}.partial-*"):
        _log.warning("removing %s left by an interrupted run", stale)
        shutil.rmtree(stale, ignore_errors=True)


def fetch(
    specs: list[ModelSpec],
    source: str,
    model_dir: Path,
    *,
    pins: dict[str, str] | None = None,
    force: bool = False,
) -> dict[str, object]:
    """Fetch ``specs`` into ``model_dir`` all or nothing; return the manifest written.

    ``pins`` maps a model name to the commit sha to download instead of the
    table's revision. Raises ``FetchError`` (and leaves ``model_dir`` as it was)
    on failure.
    """
    pins = dict(pins or {})
    unknown = sorted(set(pins) - {s.name for s in specs})
    if unknown:
        _log.warning("pins for models not fetched now, ignored: %s", ", ".join(unknown))
    if source != "hub" and not Path(source).is_dir():
        raise FetchError(f"--source must be 'hub' or a mirror folder; {source} is neither")
    model_dir = Path(model_dir).absolute()
    if model_dir.exists() and not force and (not model_dir.is_dir() or any(model_dir.iterdir())):
        raise FetchError(f"{model_dir} already exists; pass --force to replace it")
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(model_dir)

    staging = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.partial-", dir=model_dir.parent))
    try:
        downloads = staging / ".downloads"
        origins: dict[str, dict[str, object]] = {}
        for spec in specs:
            origins[spec.name] = fetch_one(
                spec, source, staging / spec.name, downloads, pins.get(spec.name)
            )
        shutil.rmtree(downloads, ignore_errors=True)
        problems = [p for spec in specs for p in check_model_folder(spec, staging / spec.name)]
        if problems:
            raise FetchError("; ".join(problems))
        manifest = {
            "models": {
                spec.name: manifest_entry(staging / spec.name, origins[spec.name], spec.name)
                for spec in specs
            }
        }
        _write_json_atomic(staging / MANIFEST_NAME, manifest)  # last: marks the folder complete
        os.chmod(staging, 0o755)  # mkdtemp made it 0700; the worker may not run as root
        _swap_into_place(staging, model_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for name, entry in manifest["models"].items():
        _log.info(
            "baked %s: %s@%s, %d files", name, entry["id"], entry["revision"], len(entry["files"])
        )
    return manifest


def _swap_into_place(staging: Path, model_dir: Path) -> None:
    """Rename the complete staging folder onto ``model_dir`` (replacing an old one)."""
    old: Path | None = None
    if model_dir.exists() or model_dir.is_symlink():
        old = model_dir.with_name(f".{model_dir.name}.old-{os.getpid()}")
        os.rename(model_dir, old)
    os.rename(staging, model_dir)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()


# --------------------------------------------------------------------------- docstrange links


def _link(link: Path, target: Path, *, force: bool) -> None:
    """Make ``link`` a symlink to ``target``; a real folder there is replaced only if ``force``."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        if not force:
            raise FetchError(
                f"{link} is a real folder (an old download?);"
                " pass --force to replace it with a link"
            )
        shutil.rmtree(link)
    link.symlink_to(target, target_is_directory=True)
    _log.info("linked %s -> %s", link, target)


def link_docstrange_cache(
    model_dir: Path, cache_dir: Path, *, easyocr_dir: Path | None = None, force: bool = False
) -> list[Path]:
    """Point docstrange's cache (and EasyOCR's model folder) at the baked folders.

    Only models present in ``model_dir`` are linked; returns the links made.
    """
    model_dir = Path(model_dir).absolute()
    pairs = [(Path(cache_dir) / rel, model_dir / name) for rel, name in DOCSTRANGE_LINKS.items()]
    if easyocr_dir is not None:
        pairs.append((Path(easyocr_dir), model_dir / EASYOCR_FOLDER))
    made: list[Path] = []
    for link, target in pairs:
        if target.is_dir():
            _link(link, target, force=force)
            made.append(link)
    return made


# --------------------------------------------------------------------------- CLI


def _resolve(specs: list[ModelSpec]) -> int:
    """Print, as a pin file, the commit sha each hub revision resolves to today (needs the hub)."""
    from huggingface_hub import HfApi

    api = HfApi()
    for spec in specs:
        if spec.downloads:
            continue
        sha = api.model_info(spec.repo_id, revision=spec.revision).sha
        print(f"{spec.name}={sha}  # {spec.repo_id}@{spec.revision}")
    return 0


def _pins_of(model_dir: Path) -> int:
    """Print the commit shas a baked folder was built from, as a pin file."""
    try:
        manifest = json.loads((Path(model_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
        models = manifest["models"]
    except (OSError, ValueError, KeyError) as e:
        raise FetchError(f"{model_dir}/{MANIFEST_NAME} unreadable: {e}") from e
    table = spec_by_name()
    for name, entry in sorted(models.items()):
        if name in table and not table[name].downloads and is_pinned(str(entry.get("revision"))):
            print(f"{name}={entry['revision']}  # {entry.get('id')}")
    return 0


def _default_cache() -> Path:
    return Path.home() / ".cache" / "docstrange" / "models"


def _default_easyocr_dir() -> Path:
    """easyocr's own rule: ``$EASYOCR_MODULE_PATH`` (or ``$MODULE_PATH``) or ``~/.EasyOCR``."""
    root = os.environ.get("EASYOCR_MODULE_PATH") or os.environ.get("MODULE_PATH")
    return Path(root or Path.home() / ".EasyOCR") / "model"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fetch_models.py", description="Bake model weights into a folder."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p_fetch = sub.add_parser("fetch", help="download or copy the models, all or nothing")
    p_fetch.add_argument(
        "--source",
        required=True,
        help="'hub' (Hugging Face + EasyOCR releases) or a mirror folder with <name>/ subfolders",
    )
    p_fetch.add_argument("--model-dir", type=Path, required=True, help="folder to create")
    p_fetch.add_argument(
        "--models",
        default="all",
        help=f"comma-separated names or 'all' ({', '.join(spec_by_name())})",
    )
    p_fetch.add_argument(
        "--pins", type=Path, default=None, help="pin file: NAME=SHA lines (`pins` writes one)"
    )
    p_fetch.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="NAME=SHA[,NAME=SHA]",
        help="pin a hub model to a commit sha (repeatable; empty is ignored)",
    )
    p_fetch.add_argument("--force", action="store_true", help="replace an existing model folder")
    p_fetch.add_argument("--docstrange-cache", type=Path, default=None)
    p_fetch.add_argument("--easyocr-dir", type=Path, default=None)
    p_fetch.add_argument(
        "--no-links", action="store_true", help="do not link the caches (later with `link`)"
    )

    p_link = sub.add_parser("link", help="link docstrange's and EasyOCR's folders to the models")
    p_link.add_argument("--model-dir", type=Path, required=True)
    p_link.add_argument(
        "--docstrange-cache", type=Path, default=None, help="default ~/.cache/docstrange/models"
    )
    p_link.add_argument(
        "--easyocr-dir", type=Path, default=None, help="default $EASYOCR_MODULE_PATH/model"
    )
    p_link.add_argument("--force", action="store_true")

    sub.add_parser("list", help="print the model table")
    p_resolve = sub.add_parser("resolve", help="print today's commit shas as a pin file")
    p_resolve.add_argument("--models", default="all")
    p_pins = sub.add_parser("pins", help="print the shas a baked folder holds, as a pin file")
    p_pins.add_argument("--model-dir", type=Path, required=True)
    return parser


def _pins_from(args: argparse.Namespace) -> dict[str, str]:
    text = args.pins.read_text(encoding="utf-8") if args.pins else ""
    return parse_pins("\n".join([text, *args.pin]))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="fetch_models: %(levelname)s %(message)s", stream=sys.stderr
    )
    try:
        if args.command == "list":
            for spec in MODELS:
                how = "by URL, MD5-checked" if spec.downloads else "resolved at build time"
                if is_pinned(spec.revision):
                    how = "pinned"
                where = f"/{spec.subfolder}" if spec.subfolder else ""
                print(f"{spec.name:16} {spec.repo_id}{where}@{spec.revision} [{how}] {spec.note}")
            return 0
        if args.command == "resolve":
            return _resolve(select_models(args.models))
        if args.command == "pins":
            return _pins_of(args.model_dir)
        cache = args.docstrange_cache or _default_cache()
        easyocr_dir = args.easyocr_dir or _default_easyocr_dir()
        if args.command == "fetch":
            fetch(
                select_models(args.models),
                args.source,
                args.model_dir,
                pins=_pins_from(args),
                force=args.force,
            )
            if not args.no_links:
                link_docstrange_cache(
                    args.model_dir, cache, easyocr_dir=easyocr_dir, force=args.force
                )
            return 0
        if args.command == "link":
            if not (args.model_dir / MANIFEST_NAME).is_file():
                raise FetchError(f"{args.model_dir} has no {MANIFEST_NAME}; fetch first")
            link_docstrange_cache(args.model_dir, cache, easyocr_dir=easyocr_dir, force=args.force)
            return 0
    except FetchError as e:
        print(f"fetch_models: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"fetch_models: error: {e}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
