"""builder/fetch_models.py: layout, manifest, all-or-nothing behaviour, revisions, links.

Runs against a local mirror of tiny fake model folders (a few bytes per file);
the hub path runs with the download function replaced and EasyOCR's downloads
read ``file://`` zips, so nothing leaves the machine.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from builder import fetch_models
from builder.fetch_models import MODELS, FetchError, fetch, main

from docworker import weights
from docworker.weights import verify_model_dir

REPO = Path(__file__).resolve().parent.parent
ALL = [spec.name for spec in MODELS]


def _make_mirror(root: Path) -> Path:
    """One folder per model with every required file, a nested file and hub litter."""
    for spec in MODELS:
        folder = root / spec.name
        folder.mkdir(parents=True)
        for pattern in spec.required:
            (folder / pattern.replace("*", "part1")).write_text(f"{spec.name}:{pattern}\n")
        (folder / "extra" / "nested.bin").parent.mkdir()
        (folder / "extra" / "nested.bin").write_bytes(bytes(range(256)))
        (folder / ".cache").mkdir()
        (folder / ".cache" / "junk.lock").write_text("hub metadata, must not be baked")
    return root


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    return _make_mirror(tmp_path / "mirror")


def _no_partials(parent: Path) -> bool:
    return not [p for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_fetch_from_mirror_writes_layout_manifest_and_links(mirror: Path, tmp_path: Path) -> None:
    target, cache = tmp_path / "out" / "models", tmp_path / "cache"
    easyocr_dir = tmp_path / "home" / ".EasyOCR" / "model"
    rc = main(
        [
            "fetch",
            "--source",
            str(mirror),
            "--model-dir",
            str(target),
            "--docstrange-cache",
            str(cache),
            "--easyocr-dir",
            str(easyocr_dir),
        ]
    )
    assert rc == 0
    assert sorted(p.name for p in target.iterdir()) == sorted([*ALL, "MANIFEST.json"])
    manifest = json.loads((target / "MANIFEST.json").read_text())
    for spec in MODELS:
        entry = manifest["models"][spec.name]
        assert entry["id"] == spec.repo_id and entry["revision"] == spec.revision
        assert entry["path"] == spec.name
        assert "extra/nested.bin" in entry["files"]
        assert not any(".cache" in rel for rel in entry["files"])
        assert entry["files"]["extra/nested.bin"]["size"] == 256
    assert verify_model_dir(target, ALL, full_hash=True) == []
    assert target.stat().st_mode & 0o777 == 0o755, "readable by a non-root worker"
    assert weights.verify_docstrange_cache(cache, target, ALL) == []
    nanonets = cache / "nanonets-ocr" / "Nanonets-OCR-ss" / "config.json"
    assert nanonets.read_text() == "nanonets-ocr-s:config.json\n"
    assert weights.verify_easyocr_dir(easyocr_dir, target) == []
    assert (easyocr_dir / "english_g2.pth").read_text() == "easyocr:english_g2.pth\n"
    assert _no_partials(target.parent)


def test_script_runs_standalone(mirror: Path, tmp_path: Path) -> None:
    """The Docker weights stage runs it without docworker on the path."""
    target = tmp_path / "models"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "builder" / "fetch_models.py"),
            "fetch",
            "--source",
            str(mirror),
            "--model-dir",
            str(target),
            "--models",
            "layout,tableformer",
            "--no-links",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads((target / "MANIFEST.json").read_text())["models"]) == [
        "layout",
        "tableformer",
    ]


def test_failure_halfway_leaves_no_folder(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[Path] = []
    real_copy = fetch_models._copy_file

    def flaky_copy(src: Path, dst: Path) -> None:
        if len(copied) == 5:
            raise OSError(5, "Input/output error (injected)")
        real_copy(src, dst)
        copied.append(dst)

    monkeypatch.setattr(fetch_models, "_copy_file", flaky_copy)
    target = tmp_path / "out" / "models"
    rc = main(["fetch", "--source", str(mirror), "--model-dir", str(target), "--no-links"])
    assert rc == 1
    assert len(copied) == 5
    assert not target.exists()
    assert _no_partials(target.parent)


def test_failure_keeps_the_previous_folder(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "models"
    fetch([MODELS[0]], str(mirror), target)
    before = (target / "MANIFEST.json").read_text()

    def broken_hash(path: Path) -> str:
        raise OSError(13, "Permission denied (injected)")

    monkeypatch.setattr(fetch_models, "sha256_file", broken_hash)
    with pytest.raises(OSError):
        fetch(list(MODELS), str(mirror), target, force=True)
    assert (target / "MANIFEST.json").read_text() == before
    assert verify_model_dir(target, [MODELS[0].name], full_hash=True) == []
    assert _no_partials(tmp_path)


def test_empty_mirror_folder_is_refused(
    mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in sorted((mirror / "got-ocr2").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    target = tmp_path / "models"
    assert main(["fetch", "--source", str(mirror), "--model-dir", str(target), "--no-links"]) == 1
    assert "got-ocr2: folder is empty" in capsys.readouterr().err
    assert not target.exists() and _no_partials(tmp_path)


def test_missing_or_empty_required_file_is_refused(mirror: Path, tmp_path: Path) -> None:
    (mirror / "layout" / "model.safetensors").unlink()
    (mirror / "tableformer" / "tm_config.json").write_bytes(b"")
    with pytest.raises(FetchError) as info:
        fetch(list(MODELS), str(mirror), tmp_path / "models")
    assert "layout: no file matches 'model.safetensors'" in str(info.value)
    assert "tableformer: tm_config.json is empty" in str(info.value)
    assert not (tmp_path / "models").exists()


def test_missing_mirror_folder_is_refused(mirror: Path, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="has no folder nanonets-ocr-s/"):
        fetch(
            [fetch_models.spec_by_name()["nanonets-ocr-s"]],
            str(mirror / "layout"),
            tmp_path / "models",
        )


def test_truncated_file_after_fetch_is_detected(mirror: Path, tmp_path: Path) -> None:
    target = tmp_path / "models"
    fetch(list(MODELS), str(mirror), target)
    with (target / "layout" / "model.safetensors").open("r+b") as fh:
        fh.truncate(3)
    (target / "got-ocr2" / "config.json").write_bytes(b"")
    problems = verify_model_dir(target, ALL)
    assert any(p.startswith("layout: file model.safetensors is 3 bytes") for p in problems)
    assert any(p.startswith("got-ocr2: file config.json is 0 bytes") for p in problems)
    assert len(problems) == 2


def test_existing_folder_needs_force(mirror: Path, tmp_path: Path) -> None:
    target = tmp_path / "models"
    fetch([MODELS[0]], str(mirror), target)
    with pytest.raises(FetchError, match="--force"):
        fetch([MODELS[0]], str(mirror), target)
    fetch(list(MODELS), str(mirror), target, force=True)
    assert verify_model_dir(target, ALL) == []
    assert _no_partials(tmp_path)


def test_stale_partial_folder_is_removed(mirror: Path, tmp_path: Path) -> None:
    stale = tmp_path / ".models.partial-dead"
    (stale / "layout").mkdir(parents=True)
    fetch([MODELS[0]], str(mirror), tmp_path / "models")
    assert not stale.exists()


def _fake_hub(calls: list, sha: str = "f" * 40):
    def fake_download(
        repo_id: str, revision: str, local_dir: Path, allow_patterns: list[str] | None
    ) -> str:
        calls.append((repo_id, revision, allow_patterns))
        root = local_dir / (allow_patterns[0][:-2] if allow_patterns else "")
        root.mkdir(parents=True, exist_ok=True)
        for name in (
            "config.json",
            "preprocessor_config.json",
            "tokenizer_config.json",
            "model.safetensors",
            "tm_config.json",
            "tableformer_accurate.safetensors",
        ):
            (root / name).write_text(name)
        (local_dir / ".cache" / "huggingface").mkdir(parents=True)
        (local_dir / ".cache" / "huggingface" / "x.metadata").write_text("meta")
        (local_dir / "README.md").write_text("outside the subfolder")
        return revision if fetch_models.is_pinned(revision) else sha

    return fake_download


def test_a_default_hub_build_resolves_every_revision_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No build argument, no refusal: `main` is resolved to a sha at build time."""
    calls: list = []
    monkeypatch.setattr(fetch_models, "_hub_download", _fake_hub(calls, sha="a" * 40))
    specs = [fetch_models.spec_by_name()[n] for n in ("nanonets-ocr-s", "got-ocr2")]
    assert all(not fetch_models.is_pinned(s.revision) for s in specs)
    manifest = fetch(specs, "hub", tmp_path / "models")
    assert [c[1] for c in calls] == ["main", "main"]
    for name in ("nanonets-ocr-s", "got-ocr2"):
        entry = manifest["models"][name]
        assert entry["revision"] == "a" * 40 and entry["requested_revision"] == "main"
        assert entry["pinned"] is False
    # The shas become a pin file that a later build reads back.
    assert main(["pins", "--model-dir", str(tmp_path / "models")]) == 0


def test_pins_make_the_hub_build_reproducible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first: list = []
    monkeypatch.setattr(fetch_models, "_hub_download", _fake_hub(first, sha="b" * 40))
    built = tmp_path / "first"
    models = ["--models", "nanonets-ocr-s,layout", "--no-links"]
    assert main(["fetch", "--source", "hub", "--model-dir", str(built), *models]) == 0
    capsys.readouterr()
    assert main(["pins", "--model-dir", str(built)]) == 0
    pin_file = tmp_path / "model-pins.txt"
    pin_file.write_text("# frozen\n" + capsys.readouterr().out)
    assert fetch_models.parse_pins(pin_file.read_text()) == {
        "layout": "b" * 40,
        "nanonets-ocr-s": "b" * 40,
    }
    again: list = []
    monkeypatch.setattr(fetch_models, "_hub_download", _fake_hub(again, sha="c" * 40))
    rebuilt = tmp_path / "again"
    pins = ["--pins", str(pin_file), "--pin", ""]
    rc = main(["fetch", "--source", "hub", "--model-dir", str(rebuilt), *models, *pins])
    assert rc == 0
    assert sorted(c[1] for c in again) == ["b" * 40, "b" * 40]  # the pins, not today's "c"
    manifest = json.loads((rebuilt / "MANIFEST.json").read_text())["models"]
    assert manifest["nanonets-ocr-s"]["pinned"] is True
    assert manifest["nanonets-ocr-s"]["revision"] == "b" * 40
    # The build argument form, and its mistakes.
    assert fetch_models.parse_pins("got-ocr2=" + "d" * 40 + ", layout=" + "e" * 40) == {
        "got-ocr2": "d" * 40,
        "layout": "e" * 40,
    }
    for bad, why in (
        ("nope=" + "d" * 40, "NAME one of"),
        ("got-ocr2=main", "not a 40-hex commit sha"),
        ("easyocr=" + "d" * 40, "fetched by URL"),
        ("got-ocr2", "want NAME=SHA"),
    ):
        with pytest.raises(FetchError, match=why):
            fetch_models.parse_pins(bad)


@pytest.mark.parametrize(
    ("revision", "pinned"),
    [
        ("0123456789abcdef0123456789abcdef01234567", True),
        ("v2.2.0", False),
        ("main", False),
        ("", False),
        ("refs/pr/1", False),
        ("0123abc", False),
    ],
)
def test_is_pinned(revision: str, pinned: bool) -> None:
    assert fetch_models.is_pinned(revision) is pinned


def test_hub_download_records_resolved_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list = []
    monkeypatch.setattr(fetch_models, "_hub_download", _fake_hub(calls))
    specs = [fetch_models.spec_by_name()[n] for n in ("layout", "tableformer")]
    manifest = fetch(specs, "hub", tmp_path / "models")
    assert calls == [
        ("ds4sd/docling-models", "v2.2.0", ["model_artifacts/layout/*"]),
        ("ds4sd/docling-models", "v2.2.0", ["model_artifacts/tableformer/accurate/*"]),
    ]
    layout = manifest["models"]["layout"]
    assert layout["revision"] == "f" * 40 and layout["requested_revision"] == "v2.2.0"
    assert {"config.json", "model.safetensors", "preprocessor_config.json"} <= set(layout["files"])
    assert not any("README" in rel or ".cache" in rel for rel in layout["files"])
    assert verify_model_dir(tmp_path / "models", ["layout", "tableformer"], full_hash=True) == []
    assert not (tmp_path / "models" / ".downloads").exists()


def _zip_with(path: Path, name: str, body: bytes) -> str:
    import hashlib
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(name, body)
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def test_easyocr_files_are_fetched_md5_checked_and_hashed(tmp_path: Path) -> None:
    import dataclasses
    import hashlib

    table = fetch_models.spec_by_name()["easyocr"]
    downloads = []
    for item in table.downloads:
        body = f"weights of {item.filename}".encode()
        md5 = _zip_with(tmp_path / f"{item.filename}.zip", item.filename, body)
        url = (tmp_path / f"{item.filename}.zip").as_uri()
        downloads.append(fetch_models.Download(item.filename, url, md5))
    spec = dataclasses.replace(table, downloads=tuple(downloads))
    manifest = fetch([spec], "hub", tmp_path / "models")
    entry = manifest["models"]["easyocr"]
    assert sorted(entry["files"]) == ["craft_mlt_25k.pth", "english_g2.pth"]
    body = b"weights of english_g2.pth"
    assert entry["files"]["english_g2.pth"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["urls"]["english_g2.pth"] == downloads[1].url
    assert verify_model_dir(tmp_path / "models", ["easyocr"], full_hash=True) == []

    wrong = dataclasses.replace(
        spec, downloads=(fetch_models.Download(downloads[0].filename, downloads[0].url, "0" * 32),)
    )
    with pytest.raises(FetchError, match=r"craft_mlt_25k\.pth md5"):
        fetch([wrong], "hub", tmp_path / "other")
    assert not (tmp_path / "other").exists()


def test_easyocr_table_is_what_the_installed_easyocr_checks() -> None:
    """The URLs and MD5 sums easyocr verifies at Reader() time (else it downloads again)."""
    from easyocr import config

    expected = {
        m["filename"]: (m["url"], m["md5sum"])
        for m in (config.detection_models["craft"], config.recognition_models["gen2"]["english_g2"])
    }
    table = {d.filename: (d.url, d.md5) for d in fetch_models.spec_by_name()["easyocr"].downloads}
    assert table == expected
    assert set(table) == set(weights.EASYOCR_FILES)


def test_unknown_model_name_lists_known(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="known: layout, tableformer"):
        fetch_models.select_models("layout,nope")
    assert [s.name for s in fetch_models.select_models("all")] == ALL


def test_link_refuses_a_real_folder_without_force(mirror: Path, tmp_path: Path) -> None:
    target, cache = tmp_path / "models", tmp_path / "cache"
    fetch(list(MODELS), str(mirror), target)
    stale = cache / "layout" / "model_artifacts" / "layout"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_text("old download")
    with pytest.raises(FetchError, match="--force"):
        fetch_models.link_docstrange_cache(target, cache)
    fetch_models.link_docstrange_cache(target, cache, force=True)
    assert weights.verify_docstrange_cache(cache, target, ALL) == []


def test_link_subcommand_needs_a_manifest(tmp_path: Path) -> None:
    assert (
        main(["link", "--model-dir", str(tmp_path), "--docstrange-cache", str(tmp_path / "c")]) == 1
    )


def test_builder_and_runtime_agree_on_layout() -> None:
    assert fetch_models.DOCSTRANGE_LINKS == weights.DOCSTRANGE_LINKS
    assert fetch_models.MANIFEST_NAME == weights.MANIFEST_NAME
    assert fetch_models.EASYOCR_FOLDER == weights.EASYOCR
    assert set(weights.DOCSTRANGE_LINKS.values()) <= set(ALL)
    assert set(weights.DOCSTRANGE_MODELS) <= set(ALL)


def test_build_requires_what_the_startup_check_requires() -> None:
    """A folder the build accepts must pass gpu_checks at start-up too."""
    from docworker.checks import gpu as gpu_checks

    for spec in MODELS:
        runtime = set(gpu_checks.REQUIRED_FILES.get(spec.name, ()))
        assert runtime <= set(spec.required), (spec.name, runtime - set(spec.required))


def test_docstrange_still_looks_where_we_link() -> None:
    """Read (not import) docstrange's source: a new version that moves its cache fails here."""
    spec = importlib.util.find_spec("docstrange")
    assert spec is not None and spec.submodule_search_locations
    pipeline = Path(next(iter(spec.submodule_search_locations))) / "pipeline"
    downloader = (pipeline / "model_downloader.py").read_text()
    neural = (pipeline / "neural_document_processor.py").read_text()
    nanonets = (pipeline / "nanonets_processor.py").read_text()
    assert '".cache" / "docstrange" / "models"' in downloader
    for folder in ("layout", "tableformer", "nanonets-ocr"):
        assert f'"cache_folder": "{folder}"' in downloader
    assert '"model_artifacts" / "layout"' in neural
    assert '"model_artifacts" / "tableformer" / "accurate"' in neural
    assert '"Nanonets-OCR-ss"' in nanonets
    assert '"revision": "v2.2.0"' in downloader  # the tag MODELS pins for docling's models
