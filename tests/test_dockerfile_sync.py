"""The Dockerfile, requirements, Settings and scripts/replay_dockerfile.py stay in step.

No Docker here: these tests read the Dockerfile the way the replay script
does, so a step the replay cannot classify, an unpinned pip install, a torch
pin that differs from requirements.txt or an ENV name that Settings does not
know fails CI before an image is built.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from docworker.config import Settings

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"

#: Non-docworker ENV names the image may set, and why.
THIRD_PARTY_ENV = {
    "PYTHONUNBUFFERED": "logs reach RunPod unbuffered",
    "PYTHONPATH": "the code runs from /opt/docworker/src without an install",
    "PIP_NO_CACHE_DIR": "no pip cache in the image",
    "PIP_DISABLE_PIP_VERSION_CHECK": "quiet, offline-friendly pip",
    "NVIDIA_VISIBLE_DEVICES": "NVIDIA container toolkit: expose the GPUs",
    "NVIDIA_DRIVER_CAPABILITIES": "NVIDIA container toolkit: mount the compute driver",
    "HF_HUB_OFFLINE": "no hub access at run time",
    "TRANSFORMERS_OFFLINE": "no hub access at run time",
    "HF_HUB_DISABLE_TELEMETRY": "no hub telemetry",
    "RUNPOD_LOG_LEVEL": "the SDK's DEBUG default prints job inputs (secrets) and outputs",
}


def _load_replay() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "replay_dockerfile", REPO / "scripts" / "replay_dockerfile.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


replay = _load_replay()


@pytest.fixture(scope="module")
def steps() -> list:
    return replay.plan(replay.parse_dockerfile(DOCKERFILE.read_text()))


def _requirement_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[_norm(name.split("[")[0])] = version.strip()
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _stage_env(steps: list, stage: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for step in steps:
        if step.stage == stage and step.kind == "env":
            env.update(replay.parse_env(step.command))
    return env


def test_every_run_is_a_step_the_replay_knows(steps: list) -> None:
    raw_runs = re.findall(r"^RUN\s", DOCKERFILE.read_text(), flags=re.M)
    runs = replay.run_steps(steps)
    assert len(runs) == len(raw_runs)
    assert {s.kind for s in runs} == {"apt", "pip", "fetch", "check"}


def test_an_unknown_run_stops_the_replay() -> None:
    with pytest.raises(replay.ReplayError, match=r"teach scripts/replay_dockerfile\.py"):
        replay.plan(replay.parse_dockerfile("FROM python:3.11\nRUN make install\n"))
    with pytest.raises(replay.ReplayError, match="ONBUILD"):
        replay.plan(replay.parse_dockerfile("FROM python:3.11\nONBUILD RUN true\n"))


def test_parser_joins_continuations_and_skips_comments() -> None:
    text = '# c\nFROM x AS y\nENV A=1 \\\n    # inside\n    B="two words"\nRUN echo \\\n  hi\n'
    ins = replay.parse_dockerfile(text)
    assert [(i.lineno, i.keyword) for i in ins] == [(2, "FROM"), (3, "ENV"), (6, "RUN")]
    assert replay.parse_env(ins[1].value) == {"A": "1", "B": "two words"}
    assert ins[2].value == "echo hi"


def test_pip_installs_use_requirements_pins(steps: list) -> None:
    pins = _requirement_pins(REPO / "requirements.txt")
    allowed_files = {"requirements.txt", "requirements-fetch.txt"}
    for step in replay.run_steps(steps):
        if step.kind != "pip":
            continue
        for command in step.command.split("&&"):
            tokens = shlex.split(command)
            if tokens[:2] != ["pip", "install"]:
                assert tokens[:2] == ["pip", "check"], command
                continue
            args = iter(tokens[2:])
            for token in args:
                if token == "-r":
                    assert Path(next(args)).name in allowed_files
                elif token.startswith(("-", "$")):
                    continue  # options, and ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
                else:
                    name, sep, version = token.partition("==")
                    assert sep, f"unpinned pip install {token!r} in the Dockerfile"
                    assert pins.get(_norm(name)) == version, (
                        f"Dockerfile installs {token}, requirements.txt pins "
                        f"{name}=={pins.get(_norm(name))}"
                    )


def test_torch_pair_matches_requirements() -> None:
    pins = _requirement_pins(REPO / "requirements.txt")
    text = DOCKERFILE.read_text()
    for package in ("torch", "torchvision"):
        found = re.findall(rf"\b{package}==([\w.+]+)", text)
        assert found and set(found) == {pins[package]}, (package, found, pins[package])


def test_fetch_stage_pins_match_the_runtime_environment() -> None:
    """builder/requirements-fetch.txt uses the versions requirements.txt resolves to."""
    for name, version in _requirement_pins(REPO / "builder" / "requirements-fetch.txt").items():
        assert importlib.metadata.version(name) == version, name


def test_env_names_are_settings_or_known(steps: list) -> None:
    fields = {f"DOCWORKER_{name.upper()}" for name in Settings.model_fields}
    for stage in {s.stage for s in steps}:
        for key in _stage_env(steps, stage):
            if key.startswith("DOCWORKER_"):
                assert key in fields, f"ENV {key} is not a Settings field"
            else:
                assert key in THIRD_PARTY_ENV, f"ENV {key}: add it to THIRD_PARTY_ENV with a reason"


def test_runtime_env_builds_valid_settings(steps: list, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _stage_env(steps, "runtime")
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["DOCWORKER_MODEL_DIR"] == "/models"
    assert env["DOCWORKER_REQUIRE"] == "torch,gpu,layout,vlm,docstrange"
    for key in list(Settings.model_fields):
        monkeypatch.delenv(f"DOCWORKER_{key.upper()}", raising=False)
    for key, value in env.items():
        if key.startswith("DOCWORKER_"):
            monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.require == ["torch", "gpu", "layout", "vlm", "docstrange"]
    assert str(settings.model_dir) == "/models"


def test_cmd_and_workdir(steps: list) -> None:
    (cmd,) = [s for s in steps if s.kind == "cmd"]
    assert cmd.command == '["python", "-u", "handler.py"]'
    assert cmd.stage == "runtime" and steps[-1] is cmd


def test_layers_cached_from_least_to_most_changed(steps: list) -> None:
    runtime = [s for s in steps if s.stage == "runtime"]

    def position(predicate) -> int:
        return next(i for i, s in enumerate(runtime) if predicate(s))

    apt = position(lambda s: s.kind == "apt")
    torch = position(lambda s: s.kind == "pip" and "torch==" in s.command)
    reqs = position(lambda s: s.kind == "pip" and "requirements.txt" in s.command)
    weights = position(lambda s: s.kind == "copy" and "--from=weights" in s.flags)
    code = position(lambda s: s.kind == "copy" and s.command.startswith("src"))
    # Weights first: the 9.5 GB layer is not re-pushed when packages or code change.
    assert weights == 1, "the weights are the runtime stage's first layer"
    assert weights < apt < torch < reqs < code
    copied = [s.command.split()[0] for s in runtime if "--from=weights" in s.flags]
    assert copied == ["/models", "/root/.cache/docstrange", "/root/.EasyOCR"]
    fetch = [s for s in steps if s.kind == "fetch"]
    assert [s.stage for s in fetch] == ["weights"], "weights (and links) come from their stage"
    assert "--easyocr-dir /root/.EasyOCR/model" in fetch[0].command
    assert "--docstrange-cache /root/.cache/docstrange/models" in fetch[0].command


def test_default_build_needs_no_build_argument(steps: list) -> None:
    """No ARG default makes a step refuse: revisions are resolved, pins are optional."""
    text = DOCKERFILE.read_text()
    assert "--allow-unpinned" not in text
    args = dict(
        s.command.partition("=")[::2] for s in steps if s.kind == "arg" and "=" in s.command
    )
    assert args["MODEL_SOURCE"] == "hub" and args["MODEL_PINS"] == ""
    (fetch,) = [s for s in steps if s.kind == "fetch"]
    assert '--pin "${MODEL_PINS}"' in fetch.command
    assert "--pins /opt/builder/model-pins.txt" in fetch.command
    from builder import fetch_models

    pins = (REPO / "builder" / "model-pins.txt").read_text()
    fetch_models.parse_pins(pins)  # the committed pin file parses (empty is fine)
    labels = " ".join(s.command for s in steps if s.kind == "label")
    assert "ai.docworker.model-pins" in labels and "MANIFEST.json" in labels


def test_copy_sources_exist_and_are_not_dockerignored(steps: list) -> None:
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for step in steps:
        if step.kind != "copy" or step.flags:
            continue
        for src in shlex.split(step.command)[:-1]:
            src = src.rstrip("/")
            assert (REPO / src).exists(), f"COPY {src}: not in the repository"
            for pattern in ignored:
                bare = pattern.removeprefix("**/")
                assert not (fnmatch.fnmatch(src, pattern) or fnmatch.fnmatch(src, bare)), (
                    f"COPY {src} is excluded by .dockerignore pattern {pattern!r}"
                )
    for heavy in (".venv", ".git", "build", "tests"):
        assert heavy in ignored


def test_path_mapping_respects_boundaries(tmp_path: Path) -> None:
    r = replay.Replay(
        [],
        tmp_path,
        tmp_path / "venv",
        None,
        dry_run=True,
        skip_install=False,
        fresh=False,
        build_args={},
        python=sys.executable,
    )
    mapped = r.map_paths("--model-dir /models --x /models2 /root/.cache/a DIR=/models")
    assert mapped == (
        f"--model-dir {tmp_path}/models --x /models2 {tmp_path}/home/.cache/a DIR={tmp_path}/models"
    )


def test_fake_mirror_satisfies_the_builder(tmp_path: Path) -> None:
    from builder import fetch_models

    replay.write_fake_mirror(tmp_path / "mirror")
    manifest = fetch_models.fetch(
        list(fetch_models.MODELS), str(tmp_path / "mirror"), tmp_path / "models"
    )
    assert sorted(manifest["models"]) == sorted(s.name for s in fetch_models.MODELS)


def test_dry_run_prints_every_step_and_smoke_job() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "replay_dockerfile.py"), "--dry-run"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "dry run complete" in out
    assert out.count("(Dockerfile:") == len(replay.parse_dockerfile(DOCKERFILE.read_text()))
    assert "fetch_models.py fetch --source" in out and "build/replay/models" in out
    assert "skipped (asks for the GPU engine)" in out
    assert "smoke check: $ python -u -m docworker check" in out
