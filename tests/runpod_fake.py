"""A stand-in for RunPod's job queue on 127.0.0.1, and ``handler.py`` started against it.

runpod 1.12's worker loop (``JobScaler``) takes jobs from ``/job-take/``,
long-polls ``/job-stop/`` for the jobs to stop (and then cancels their tasks),
posts stream items to ``RUNPOD_WEBHOOK_POST_STREAM`` and results and progress
to ``RUNPOD_WEBHOOK_POST_OUTPUT``. ``FakeRunpod`` serves those four routes so
a test drives the SDK's real job loop, the one that runs on the platform,
which the local API (``--rp_serve_api``) does not: the local API has no stop
route, and it reports a generator handler's errors differently.

Also: ``start_handler`` (``handler.py`` in a subprocess with a scrubbed
environment) and ``stop_process``, shared with the local API tests.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeRunpod:
    """Job queue, stop channel and result sink, as RunPod's SDK talks to them."""

    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []
        self.stops: list[str] = []
        self.taken: list[str] = []
        self.done: dict[str, list[dict[str, Any]]] = {}  # job id -> posts (progress, result)
        self.streamed: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                kind = urlsplit(self.path).path.split("/")[1]
                if kind == "job-take":
                    with fake.lock:
                        job = fake.jobs.pop(0) if fake.jobs else None
                        if job is not None:
                            fake.taken.append(job["id"])
                    if job is not None:
                        return self._reply(200, job)
                    time.sleep(0.2)
                    return self._reply(204)
                if kind == "job-stop":
                    with fake.lock:
                        ids, fake.stops = fake.stops, []
                    if ids:
                        return self._reply(200, {"jobsToStop": ids})
                    time.sleep(0.3)
                    return self._reply(204)
                return self._reply(404)

            def do_POST(self) -> None:
                parts = urlsplit(self.path).path.split("/")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                item = json.loads(body or b"null")
                with fake.lock:
                    if parts[1] == "job-done":
                        fake.done.setdefault(parts[-1], []).append(item)
                    elif parts[1] == "job-stream":
                        fake.streamed.setdefault(parts[-1], []).append(item)
                self._reply(200, {})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self) -> dict[str, str]:
        base = f"http://127.0.0.1:{self.port}"
        return {
            "RUNPOD_POD_ID": "fake-worker",
            "RUNPOD_WEBHOOK_GET_JOB": f"{base}/job-take/$ID?gpu=none",
            "RUNPOD_WEBHOOK_POST_OUTPUT": f"{base}/job-done/$RUNPOD_POD_ID/$ID?gpu=none",
            "RUNPOD_WEBHOOK_POST_STREAM": f"{base}/job-stream/$RUNPOD_POD_ID/$ID?gpu=none",
            "RUNPOD_SKIP_AUTO_SYSTEM_CHECKS": "true",
            "RUNPOD_SKIP_GPU_CHECK": "true",
        }

    def submit(self, job_id: str, job_input: dict[str, Any]) -> None:
        with self.lock:
            self.jobs.append({"id": job_id, "input": job_input})

    def stop(self, job_id: str) -> None:
        with self.lock:
            self.stops.append(job_id)

    def result(self, job_id: str) -> dict[str, Any] | None:
        """The job's final post (not a progress update), if it came."""
        with self.lock:
            posts = [p for p in self.done.get(job_id, []) if p.get("status") != "IN_PROGRESS"]
        return posts[-1] if posts else None

    def progress(self, job_id: str) -> list[Any]:
        with self.lock:
            posts = self.done.get(job_id, [])
            return [p["output"] for p in posts if p.get("status") == "IN_PROGRESS"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_until(check: Callable[[], Any], timeout_s: float, what: str, log: Path) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout_s} s:\n{log.read_text(errors='replace')[-3000:]}")


def start_handler(
    env_extra: dict[str, str], log: Path, args: list[str] | None = None
) -> subprocess.Popen:
    """``handler.py`` with only ``env_extra`` of docworker's and RunPod's variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCWORKER_", "RUNPOD_", "BUCKET_"))
    }
    env.update(env_extra)
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "handler.py", *(args or [])],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"handler.py exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"handler.py did not listen within {timeout_s} s:\n{log.read_text()[-3000:]}")


def stop_process(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
