"""docworker.weights: MANIFEST.json checks that gate the worker's start-up."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from docworker import weights
from docworker.weights import ManifestError, read_manifest, verify_model_dir


def _bake(model_dir: Path, models: dict[str, dict[str, bytes]]) -> Path:
    """A model folder with a manifest, written the way fetch_models.py writes it."""
    manifest: dict[str, dict] = {"models": {}}
    for name, files in models.items():
        entries = {}
        for rel, body in files.items():
            path = model_dir / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            entries[rel] = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        manifest["models"][name] = {
            "id": f"org/{name}",
            "revision": "0" * 40,
            "path": name,
            "files": entries,
        }
    (model_dir / weights.MANIFEST_NAME).write_text(json.dumps(manifest))
    return model_dir


@pytest.fixture
def baked(tmp_path: Path) -> Path:
    return _bake(
        tmp_path / "models",
        {
            "layout": {"config.json": b'{"a": 1}', "model.safetensors": b"x" * 64},
            "nanonets-ocr-s": {"config.json": b"{}", "sub/tokenizer.json": b"tok" * 10},
        },
    )


def test_complete_folder_has_no_problems(baked: Path) -> None:
    assert verify_model_dir(baked, ["layout", "nanonets-ocr-s"]) == []
    assert verify_model_dir(baked, ["layout", "nanonets-ocr-s"], full_hash=True) == []
    assert verify_model_dir(baked, []) == []


def test_read_manifest_gives_ids_and_revisions(baked: Path) -> None:
    entries = read_manifest(baked)
    assert entries["layout"].id == "org/layout"
    assert entries["layout"].revision == "0" * 40
    assert entries["nanonets-ocr-s"].files["sub/tokenizer.json"].size == 30


def test_missing_manifest(tmp_path: Path) -> None:
    (tmp_path / "layout").mkdir()
    (tmp_path / "layout" / "config.json").write_text("{}")
    problems = verify_model_dir(tmp_path, ["layout"])
    assert len(problems) == 1 and "MANIFEST.json missing" in problems[0]


@pytest.mark.parametrize("body", ["not json", "[]", '{"models": 3}', '{"models": {"x": {}}}'])
def test_malformed_manifest(tmp_path: Path, body: str) -> None:
    (tmp_path / "MANIFEST.json").write_text(body)
    with pytest.raises(ManifestError):
        read_manifest(tmp_path)
    assert len(verify_model_dir(tmp_path, ["x"])) == 1


def test_model_not_in_manifest(baked: Path) -> None:
    (problem,) = verify_model_dir(baked, ["got-ocr2"])
    assert "'got-ocr2' not in MANIFEST.json" in problem and "layout" in problem


def test_missing_folder(baked: Path) -> None:
    for path in sorted((baked / "layout").rglob("*"), reverse=True):
        path.unlink()
    (baked / "layout").rmdir()
    (problem,) = verify_model_dir(baked, ["layout"])
    assert "folder" in problem and "missing" in problem


def test_empty_folder(baked: Path) -> None:
    for path in (baked / "layout").iterdir():
        path.unlink()
    (problem,) = verify_model_dir(baked, ["layout"])
    assert "is empty" in problem


def test_missing_file(baked: Path) -> None:
    (baked / "nanonets-ocr-s" / "sub" / "tokenizer.json").unlink()
    (problem,) = verify_model_dir(baked, ["nanonets-ocr-s"])
    assert problem == "nanonets-ocr-s: file sub/tokenizer.json missing"


def test_truncated_and_emptied_files(baked: Path) -> None:
    with (baked / "layout" / "model.safetensors").open("r+b") as fh:
        fh.truncate(10)
    (baked / "layout" / "config.json").write_bytes(b"")
    problems = verify_model_dir(baked, ["layout"])
    assert problems == [
        "layout: file config.json is 0 bytes, expected 8",
        "layout: file model.safetensors is 10 bytes, expected 64",
    ]


def test_same_size_corruption_needs_full_hash(baked: Path) -> None:
    (baked / "layout" / "model.safetensors").write_bytes(b"y" * 64)
    assert verify_model_dir(baked, ["layout"]) == []
    (problem,) = verify_model_dir(baked, ["layout"], full_hash=True)
    assert "layout: file model.safetensors sha256" in problem


def test_unsafe_manifest_path_is_a_problem(tmp_path: Path) -> None:
    model_dir = _bake(tmp_path, {"layout": {"config.json": b"{}"}})
    manifest = json.loads((model_dir / "MANIFEST.json").read_text())
    manifest["models"]["layout"]["files"]["../MANIFEST.json"] = {"size": 1, "sha256": "0"}
    (model_dir / "MANIFEST.json").write_text(json.dumps(manifest))
    (problem,) = verify_model_dir(model_dir, ["layout"])
    assert "unsafe path" in problem


def test_docstrange_cache_links(baked: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    problems = weights.verify_docstrange_cache(cache, baked, ["layout", "nanonets-ocr-s"])
    assert len(problems) == 2 and all("missing or dangling" in p for p in problems)
    for link_rel, name in weights.DOCSTRANGE_LINKS.items():
        link = cache / link_rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(baked / name)
    assert weights.verify_docstrange_cache(cache, baked, ["layout", "nanonets-ocr-s"]) == []
    # tableformer's link dangles (no such model here) but was not asked for
    assert weights.verify_docstrange_cache(cache, baked, ["tableformer"]) != []
