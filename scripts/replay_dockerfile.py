"""Replay the Dockerfile's Python steps in a clean local venv, then run the CPU smoke jobs.

There is no Docker engine on the development machines, so this script reads
the Dockerfile itself and replays what can run outside a container; because
it parses the file, the two cannot drift apart. Steps, in Dockerfile order:

- ``FROM`` / base image: noted, not replayed (this machine's Python 3.11 stands in).
- ``ARG`` / ``ENV`` / ``WORKDIR`` / ``COPY``: recorded; container paths are mapped
  onto the repository (``COPY src/ ./src/`` makes ``/opt/docworker/src`` mean
  ``<repo>/src``), ``/models`` onto ``<work>/models`` and ``/root`` onto ``<work>/home``.
- ``RUN``: each must be one of the kinds in ``RUN_KINDS`` or the replay stops:
  ``apt`` (skipped with a note; missing Debian packages are listed),
  ``pip`` (run with the venv's pip; skipped when the venv is up to date),
  ``fetch`` (builder/fetch_models.py, with ``MODEL_SOURCE`` pointed at a tiny
  fake mirror, or ``--mirror DIR``), ``check`` (python -c / compileall, run).
- ``CMD``: the smoke jobs run it with ``--test_input`` for every job in
  ``.runpod/tests.json`` that does not ask for the GPU engine, with the
  GPU-only settings relaxed (``DOCWORKER_REQUIRE=``), then the jobs of
  ``SMOKE_ERROR_JOBS``. Jobs named ``error_*`` must fail with an error payload;
  the others must succeed.

Usage::

    python scripts/replay_dockerfile.py --dry-run      # print the plan, run nothing
    python scripts/replay_dockerfile.py                # about 5 min the first time
    python scripts/replay_dockerfile.py --only text_pdf --skip-install
    python scripts/replay_dockerfile.py --docker docworker:ci   # CI: jobs in the built image

Exit status: 0 when every step and smoke job passed, 1 otherwise, 2 bad usage.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORK = REPO / "build" / "replay"

#: RUN kinds, tried in order; the first pattern found in the command wins.
RUN_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("apt", re.compile(r"install_system_deps\.sh|\bapt-get\b")),
    ("fetch", re.compile(r"\bfetch_models\.py\b")),
    ("pip", re.compile(r"^(python3? -m )?pip install\b")),
    ("check", re.compile(r"^python3? (-c|-m compileall)\b")),
)

#: ENV names dropped in the replay, with the reason printed.
REPLAY_DROPPED_ENV = {
    "NVIDIA_VISIBLE_DEVICES": "GPU-only (NVIDIA container toolkit)",
    "NVIDIA_DRIVER_CAPABILITIES": "GPU-only (NVIDIA container toolkit)",
    "PIP_NO_CACHE_DIR": "the local pip cache is kept so a second replay is fast",
}
#: ENV overridden for the smoke jobs on a CPU machine, with the reason printed.
SMOKE_ENV_OVERRIDES = {
    "DOCWORKER_REQUIRE": ("", "GPU checks relaxed: no GPU and no real weights here"),
    "DOCWORKER_DEFAULT_ENGINE": ("cpu", "jobs that name no engine use the CPU engine"),
}
#: Smoke jobs that must fail with an error payload. They are not in tests.json: the
#: Hub counts a test as passed only when the endpoint answers 200, and it does not
#: say whether a FAILED job does (docs/DEPLOY.md).
SMOKE_ERROR_JOBS = {
    "error_not_a_document": {
        "document_base64": "VGhpcyBpcyBwbGFpbiB0ZXh0LCBub3QgYSBQREYuCg==",  # plain text
        "filename": "broken.pdf",
        "outputs": ["text"],
    },
}
#: ARG values the replay forces.
REPLAY_ARGS = {"MODEL_SOURCE": "/mirror"}


class ReplayError(RuntimeError):
    """The Dockerfile holds a step this script cannot replay, or a step failed."""


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its continuation lines joined."""

    lineno: int
    keyword: str
    value: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order; comments, parser directives and blank lines dropped."""
    instructions: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buffer and line.lstrip().startswith("#"):
            continue  # comment lines inside a continuation are ignored by Docker too
        if not buffer:
            start = lineno
        if line.endswith("\\"):
            buffer.append(line[:-1].strip())
            continue
        buffer.append(line.strip())
        joined = " ".join(part for part in buffer if part)
        keyword, _, value = joined.partition(" ")
        instructions.append(Instruction(start, keyword.upper(), value.strip()))
        buffer = []
    if buffer:
        raise ReplayError(f"Dockerfile ends inside a continuation (from line {start})")
    return instructions


def split_flags(value: str) -> tuple[list[str], str]:
    """``--flag=...`` options at the start of a RUN/COPY value, and the rest."""
    flags: list[str] = []
    rest = value
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        flags.append(flag)
        rest = rest.lstrip()
    return flags, rest


def classify_run(command: str) -> str:
    """The ``RUN_KINDS`` name of a RUN command (flags already removed)."""
    for kind, pattern in RUN_KINDS:
        if pattern.search(command):
            return kind
    raise ReplayError(
        f"RUN {command[:80]!r} is none of {', '.join(k for k, _ in RUN_KINDS)}; "
        "teach scripts/replay_dockerfile.py how to replay it"
    )


def parse_env(value: str) -> dict[str, str]:
    """``ENV A=1 B="x y"`` (or the legacy ``ENV A 1``) as a dict."""
    tokens = shlex.split(value)
    if tokens and "=" not in tokens[0]:
        return {tokens[0]: " ".join(tokens[1:])}
    pairs: dict[str, str] = {}
    for token in tokens:
        key, sep, val = token.partition("=")
        if not sep:
            raise ReplayError(f"ENV {value!r}: {token!r} is not KEY=VALUE")
        pairs[key] = val
    return pairs


@dataclass
class Step:
    """One instruction, with the stage it belongs to and the replay kind."""

    index: int
    stage: str
    instruction: Instruction
    kind: str
    command: str = ""
    flags: list[str] = field(default_factory=list)


def plan(instructions: list[Instruction]) -> list[Step]:
    """Classify every instruction; raises ``ReplayError`` for one the replay cannot handle."""
    steps: list[Step] = []
    stage = "<global>"
    known = {"FROM", "ARG", "ENV", "WORKDIR", "COPY", "RUN", "CMD", "LABEL", "EXPOSE", "USER"}
    for index, ins in enumerate(instructions):
        if ins.keyword not in known:
            raise ReplayError(f"line {ins.lineno}: {ins.keyword} is not replayable")
        if ins.keyword == "FROM":
            words = ins.value.split()
            stage = words[2] if len(words) >= 3 and words[1].lower() == "as" else words[0]
            steps.append(Step(index, stage, ins, "base"))
        elif ins.keyword == "RUN":
            flags, command = split_flags(ins.value)
            steps.append(Step(index, stage, ins, classify_run(command), command, flags))
        elif ins.keyword == "COPY":
            flags, rest = split_flags(ins.value)
            steps.append(Step(index, stage, ins, "copy", rest, flags))
        else:
            steps.append(Step(index, stage, ins, ins.keyword.lower(), ins.value))
    return steps


def run_steps(steps: list[Step]) -> list[Step]:
    """The RUN steps of a plan."""
    return [s for s in steps if s.instruction.keyword == "RUN"]


# --------------------------------------------------------------------------- replay


def _load_fetch_models():
    spec = importlib.util.spec_from_file_location("_fetch_models", REPO / "builder/fetch_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


def write_fake_mirror(dest: Path) -> Path:
    """A mirror folder with one placeholder file per required pattern of every model.

    Enough for fetch_models.py's checks and for the CPU smoke jobs; no model loads from it.
    """
    fetch_models = _load_fetch_models()
    for spec in fetch_models.MODELS:
        folder = dest / spec.name
        folder.mkdir(parents=True, exist_ok=True)
        for pattern in spec.required:
            name = pattern.replace("*", "placeholder")
            body = {"placeholder": True, "model": spec.repo_id, "note": "not a real model"}
            (folder / name).write_text(json.dumps(body) + "\n", encoding="utf-8")
    return dest


def src_is_dir(src: str) -> bool:
    """Whether a COPY source names a folder of the repository."""
    return src.endswith("/") or (REPO / src).is_dir()


def _missing_debian_packages(script: Path) -> list[str]:
    """Packages listed in the apt script's PACKAGES=( ... ) that dpkg does not know."""
    match = re.search(r"PACKAGES=\((.*?)\)", script.read_text(encoding="utf-8"), re.S)
    if not match or shutil.which("dpkg-query") is None:
        return []
    missing = []
    for pkg in match.group(1).split():
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in result.stdout:
            missing.append(pkg)
    return missing


class Replay:
    """Walks a plan, keeping the path map, ARGs and ENV of the current stage."""

    def __init__(
        self,
        steps: list[Step],
        work: Path,
        venv: Path,
        mirror: Path | None,
        *,
        dry_run: bool,
        skip_install: bool,
        fresh: bool,
        build_args: dict[str, str],
        python: str,
    ) -> None:
        self.steps = steps
        self.work = work
        self.venv = venv
        self.mirror = mirror or work / "fake-mirror"
        self.write_mirror = mirror is None
        self.dry_run = dry_run
        self.skip_install = skip_install
        self.fresh = fresh
        self.python = python
        self.build_args = {**build_args, **REPLAY_ARGS}
        self.path_map: dict[str, Path] = {"/models": work / "models", "/root": work / "home"}
        self.args: dict[str, str] = {}
        self.env: dict[str, str] = {}
        self.workdir = REPO
        self.workdir_container = "/"
        self.cmd: list[str] = []
        self.failures: list[str] = []

    # -- helpers -------------------------------------------------------------
    def say(self, text: str) -> None:
        print(text, flush=True)

    def map_paths(self, text: str) -> str:
        for container in sorted(self.path_map, key=len, reverse=True):
            pattern = rf"(?<![\w./-]){re.escape(container)}(?=$|[\s/\"'=:;,)])"
            text = re.sub(pattern, lambda _m, c=container: str(self.path_map[c]), text)
        return text

    def expand(self, value: str) -> str:
        scope = {**self.args, **self.env}

        def sub(match: re.Match[str]) -> str:
            return scope.get(match.group(1) or match.group(2), "")

        return re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, value)

    def process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
        env.update({key: self.map_paths(value) for key, value in self.args.items()})
        for key, value in self.env.items():
            if key in REPLAY_DROPPED_ENV:
                continue
            env[key] = self.map_paths(value)
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return env

    def install_stamp(self) -> str:
        digest = hashlib.sha256(self.python.encode())
        for step in run_steps(self.steps):
            if step.kind != "pip":
                continue
            digest.update(step.command.encode())
            for token in re.findall(r"[\w./-]+\.txt", step.command):
                name = Path(token).name
                for candidate in (REPO / name, REPO / "builder" / name):
                    if candidate.is_file():
                        digest.update(candidate.read_bytes())
        return digest.hexdigest()

    def venv_current(self) -> bool:
        stamp = self.venv / ".replay-stamp"
        return stamp.is_file() and stamp.read_text().strip() == self.install_stamp()

    def shell(self, command: str, label: str) -> bool:
        mapped = self.map_paths(command)
        self.say(f"    $ {mapped}")
        if self.dry_run:
            return True
        started = time.monotonic()
        result = subprocess.run(
            ["bash", "-c", mapped], cwd=self.workdir, env=self.process_env(), check=False
        )
        self.say(f"    -> exit {result.returncode} in {time.monotonic() - started:.1f} s")
        if result.returncode != 0:
            self.failures.append(f"{label}: exit {result.returncode}")
            return False
        return True

    # -- steps -----------------------------------------------------------------
    def prepare(self) -> None:
        if self.dry_run:
            self.say(f"venv: {self.venv} (dry run: not created)")
            return
        if self.fresh and self.venv.exists():
            shutil.rmtree(self.venv)
        version = subprocess.run(
            [self.python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if version != "3.11":
            raise ReplayError(
                f"{self.python} is Python {version}; the image uses 3.11 "
                "(pass --python /path/to/python3.11)"
            )
        if not (self.venv / "bin" / "python").exists():
            self.say(f"creating venv {self.venv} with {self.python}")
            subprocess.run([self.python, "-m", "venv", str(self.venv)], check=True)
        if self.write_mirror:
            shutil.rmtree(self.mirror, ignore_errors=True)
            write_fake_mirror(self.mirror)
            self.say(f"fake model mirror: {self.mirror}")

    def run(self) -> bool:
        self.prepare()
        cached = not self.dry_run and not self.fresh and self.venv_current()
        total = len(self.steps)
        for step in self.steps:
            ins = step.instruction
            self.say(
                f"[{step.index + 1}/{total}] {step.stage}: {ins.keyword} "
                f"(Dockerfile:{ins.lineno}) {step.kind}"
            )
            ok = getattr(self, f"do_{step.kind}")(step, cached)
            if ok is False:
                self.say("    FAILED; stopping the replay")
                return False
        if not self.dry_run:
            (self.venv / ".replay-stamp").write_text(self.install_stamp() + "\n")
        return True

    def do_base(self, step: Step, cached: bool) -> None:
        self.env = {}
        self.args = {}
        self.workdir = REPO
        self.workdir_container = "/"
        if step.instruction.value.split()[0] == "scratch":
            self.say("    note: empty stage (a placeholder for a named build context)")
            return
        self.say(
            f"    note: base image {step.instruction.value!r} not replayed; "
            f"the venv's Python 3.11 ({self.python}) stands in"
        )

    def do_arg(self, step: Step, cached: bool) -> None:
        name, _, default = step.command.partition("=")
        value = self.build_args.get(name, default.strip('"'))
        if name in REPLAY_ARGS:
            self.say(f"    note: ARG {name}={value} (replay: tiny model mirror)")
        self.args[name] = value

    def do_env(self, step: Step, cached: bool) -> None:
        for key, value in parse_env(step.command).items():
            self.env[key] = self.expand(value)
            if key in REPLAY_DROPPED_ENV:
                self.say(f"    note: ENV {key} not replayed ({REPLAY_DROPPED_ENV[key]})")

    def do_workdir(self, step: Step, cached: bool) -> None:
        container = step.command
        self.path_map.setdefault(container, REPO)
        if self.path_map[container] != REPO:
            raise ReplayError(
                f"WORKDIR {container} is mapped to {self.path_map[container]}, "
                "expected the repository root"
            )
        self.workdir = REPO
        self.workdir_container = container
        self.say(f"    note: {container} -> {REPO}")

    def do_copy(self, step: Step, cached: bool) -> None:
        parts = shlex.split(step.command)
        sources, dest = parts[:-1], parts[-1]
        if any(flag.startswith("--from=") for flag in step.flags):
            self.say(
                f"    note: {step.command} comes from another stage; already in place in the replay"
            )
            return
        if not dest.startswith("/"):
            dest = f"{self.workdir_container.rstrip('/')}/{dest.removeprefix('./')}"
        into_folder = dest.endswith("/") and (len(sources) > 1 or not src_is_dir(sources[0]))
        for src in sources:
            local = REPO / src.rstrip("/")
            if not local.exists():
                raise ReplayError(f"COPY source {src} missing from the repository")
            target = dest.rstrip("/")
            if into_folder:
                target = f"{target}/{Path(src).name}"
            self.path_map[target] = local
            self.say(f"    note: {target} -> {local.relative_to(REPO)}")

    def do_apt(self, step: Step, cached: bool) -> None:
        self.say("    note: system packages are not replayed (no root changes here)")
        script = re.search(r"[\w./-]+\.sh", step.command)
        if script:
            local = Path(self.map_paths(script.group(0)))
            missing = _missing_debian_packages(local) if local.is_file() else []
            if missing:
                self.say(
                    f"    warning: not installed here: {' '.join(missing)} "
                    "(apt-get install them for a faithful run)"
                )

    def do_pip(self, step: Step, cached: bool) -> bool:
        if self.skip_install or cached:
            why = "--skip-install" if self.skip_install else "venv up to date"
            self.say(f"    skipped ({why}): {step.command}")
            return True
        return self.shell(step.command, f"line {step.instruction.lineno} pip")

    def do_check(self, step: Step, cached: bool) -> bool:
        return self.shell(step.command, f"line {step.instruction.lineno} check")

    def do_fetch(self, step: Step, cached: bool) -> bool:
        for flag in step.flags:
            mount = dict(
                part.partition("=")[::2] for part in flag.removeprefix("--mount=").split(",")
            )
            if mount.get("from") == "model-mirror":
                self.path_map[mount["target"]] = self.mirror
                self.say(f"    note: mount {mount['target']} -> {self.mirror}")
        if not self.dry_run:
            if " fetch " in f" {step.command} ":
                shutil.rmtree(self.path_map["/models"], ignore_errors=True)
            if " link " in f" {step.command} " or "--docstrange-cache" in step.command:
                home = self.path_map["/root"]
                shutil.rmtree(home / ".cache" / "docstrange", ignore_errors=True)
                shutil.rmtree(home / ".EasyOCR", ignore_errors=True)
        # ${MODEL_SOURCE} and the other ARGs are exported, so bash expands them as in Docker.
        return self.shell(step.command, f"line {step.instruction.lineno} fetch")

    def do_cmd(self, step: Step, cached: bool) -> None:
        self.cmd = json.loads(step.command)
        self.say(f"    note: CMD {self.cmd} is run by the smoke jobs below")

    def do_label(self, step: Step, cached: bool) -> None:
        return None

    do_expose = do_label
    do_user = do_label

    # -- smoke -----------------------------------------------------------------
    def smoke(self, tests: list[dict], only: set[str], docker_image: str | None = None) -> bool:
        """Run ``python -m docworker check`` and the CPU jobs of tests.json with the image's CMD.

        Locally they run in the venv with the final stage's ENV; with
        ``docker_image`` they run in that image (``docker run --rm``).
        """
        if not self.cmd:
            raise ReplayError("the Dockerfile has no CMD to smoke-test")
        for key, (value, why) in SMOKE_ENV_OVERRIDES.items():
            self.say(f"note: smoke env {key}={value!r} ({why})")
        jobs = [("check", [self.cmd[0], "-u", "-m", "docworker", "check"], False, 300.0)]
        for test in tests:
            if test["input"].get("engine") == "gpu":
                self.say(f"smoke {test['name']}: skipped (asks for the GPU engine)")
                continue
            payload = json.dumps({"input": test["input"]}, ensure_ascii=False)
            timeout = test.get("timeout", 300_000) / 1000 + 120  # + worker start-up
            argv = [*self.cmd, "--test_input", payload]
            jobs.append((test["name"], argv, test["name"].startswith("error_"), timeout))
        for name, job_input in SMOKE_ERROR_JOBS.items():
            payload = json.dumps({"input": job_input}, ensure_ascii=False)
            jobs.append((name, [*self.cmd, "--test_input", payload], True, 240.0))
        if only:
            jobs = [job for job in jobs if job[0] in only]
        for name, argv, expect_error, timeout in jobs:
            if docker_image:
                overrides = [f"--env={k}={v}" for k, (v, _why) in SMOKE_ENV_OVERRIDES.items()]
                argv = ["docker", "run", "--rm", *overrides, docker_image, *argv]
            shown = " ".join(shlex.quote(a) if len(a) < 80 else "'<job json>'" for a in argv)
            self.say(f"smoke {name}: $ {shown}")
            if not self.dry_run:
                self.run_smoke(name, argv, expect_error, timeout, docker=bool(docker_image))
        return not self.failures

    def smoke_env(self) -> dict[str, str]:
        env = self.process_env()
        env.update({key: value for key, (value, _why) in SMOKE_ENV_OVERRIDES.items()})
        env["HOME"] = str(self.path_map["/root"])  # docstrange's cache links live here
        env.pop("RUNPOD_WEBHOOK_GET_JOB", None)
        return env

    def run_smoke(
        self, name: str, argv: list[str], expect_error: bool, timeout: float, *, docker: bool
    ) -> None:
        if docker:
            env, cwd = None, REPO
        else:
            env, cwd = self.smoke_env(), self.workdir
            python = str(self.venv / "bin" / "python")
            argv = [python if a == "python" else a for a in argv]
        started = time.monotonic()
        try:
            result = subprocess.run(
                argv,
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            self.failures.append(f"smoke {name}: timed out after {timeout:.0f} s")
            self.say(f"    FAILED: timed out after {timeout:.0f} s")
            return
        output = result.stdout + result.stderr
        elapsed = time.monotonic() - started
        if name == "check":
            ok = result.returncode == 0
        elif expect_error:
            ok = result.returncode == 1 and "failed with error" in output
        else:
            ok = result.returncode == 0 and "completed successfully" in output
        verdict = "ok" if ok else "FAILED"
        expected = " (an error was expected)" if expect_error else ""
        self.say(f"    {verdict}: exit {result.returncode} in {elapsed:.1f} s{expected}")
        if not ok:
            self.failures.append(f"smoke {name}: exit {result.returncode}")
            tail = output.strip().splitlines()[-25:]
            self.say("    last output:\n" + "\n".join("      " + line for line in tail))


def cmd_of(steps: list[Step]) -> list[str]:
    """The final CMD of a plan, as an exec-form list."""
    cmds = [s for s in steps if s.kind == "cmd"]
    if not cmds:
        raise ReplayError("the Dockerfile has no CMD")
    return json.loads(cmds[-1].command)


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", type=Path, default=REPO / "Dockerfile")
    parser.add_argument("--tests", type=Path, default=REPO / ".runpod" / "tests.json")
    parser.add_argument(
        "--work",
        type=Path,
        default=DEFAULT_WORK,
        help="folder for the venv, models and fake HOME (default build/replay)",
    )
    parser.add_argument(
        "--mirror",
        type=Path,
        default=None,
        help="model mirror with <name>/ folders (default: placeholder files)",
    )
    parser.add_argument(
        "--python", default=sys.executable, help="Python 3.11 interpreter for the venv"
    )
    parser.add_argument("--build-arg", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only these smoke jobs ('check' or a tests.json name)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    parser.add_argument("--skip-install", action="store_true", help="do not run pip steps")
    parser.add_argument("--fresh", action="store_true", help="recreate the venv")
    parser.add_argument("--no-smoke", action="store_true", help="replay the build steps only")
    parser.add_argument(
        "--docker",
        metavar="IMAGE",
        help="skip the build replay; run the smoke jobs in this built image",
    )
    parser.add_argument(
        "--write-fake-mirror",
        type=Path,
        metavar="DIR",
        help="only write a placeholder model mirror to DIR and exit",
    )
    args = parser.parse_args(argv)

    if args.write_fake_mirror:
        write_fake_mirror(args.write_fake_mirror)
        print(f"placeholder model mirror written to {args.write_fake_mirror}")
        return 0
    try:
        steps = plan(parse_dockerfile(args.dockerfile.read_text(encoding="utf-8")))
        build_args = dict(item.partition("=")[::2] for item in args.build_arg)
        work = args.work.resolve()
        replay = Replay(
            steps,
            work,
            work / "venv",
            args.mirror.resolve() if args.mirror else None,
            dry_run=args.dry_run,
            skip_install=args.skip_install,
            fresh=args.fresh,
            build_args=build_args,
            python=args.python,
        )
        if args.docker:
            replay.cmd = cmd_of(steps)
            ok = True
        else:
            ok = replay.run()
        if ok and not args.no_smoke:
            tests = json.loads(args.tests.read_text(encoding="utf-8"))["tests"]
            ok = replay.smoke(tests, set(args.only), docker_image=args.docker)
    except ReplayError as e:
        print(f"replay_dockerfile: error: {e}", file=sys.stderr)
        return 1
    if replay.failures:
        print("replay_dockerfile: failed: " + "; ".join(replay.failures), file=sys.stderr)
        return 1
    print("replay_dockerfile: dry run complete" if args.dry_run else "replay_dockerfile: all ok")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
