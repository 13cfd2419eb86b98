"""The no-cloud guard: a stage reaching for the network is refused and counted."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from docworker.isolation import netguard
from tests.servers import HttpServer

ROOT = Path(__file__).resolve().parents[1]


class ChattyStage:
    """Stands in for a library that quietly calls a cloud API and swallows the failure."""

    name = "chatty"

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, page: int) -> str:
        try:
            return requests.get(self.url, timeout=2).text
        except requests.ConnectionError:
            return ""  # a silent fallback: the guard still counts the attempt


@pytest.fixture
def url(http_server: HttpServer) -> str:
    return http_server.serve("/api", b"cloud says hi", content_type="text/plain")


def test_stage_inside_the_guard_is_blocked_and_counted(http_server: HttpServer, url):
    stage = ChattyStage(url)
    assert stage(1) == "cloud says hi"  # before: the network works
    with netguard.guard() as report:
        assert stage(1) == ""
        assert stage(2) == ""
    assert report.blocked == 2
    assert report.targets == [f"127.0.0.1:{http_server.port}"] * 2
    assert http_server.hits["/api"] == 1
    assert stage(3) == "cloud says hi"  # after: it works again


def test_blocked_connection_looks_like_a_refused_connection(http_server: HttpServer):
    with netguard.guard() as report, socket.socket() as s:
        with pytest.raises(ConnectionRefusedError) as info:
            s.connect(("127.0.0.1", http_server.port))
        assert isinstance(info.value, netguard.BlockedConnection)
        assert info.value.errno == errno.ECONNREFUSED
        with socket.socket() as s2:
            assert s2.connect_ex(("127.0.0.1", http_server.port)) == errno.ECONNREFUSED
    assert report.blocked == 2


def test_allow_list(http_server: HttpServer, url):
    with netguard.guard(allow=[("127.0.0.1", http_server.port)]) as report:
        assert requests.get(url, timeout=2).text == "cloud says hi"
    assert report.blocked == 0
    with netguard.guard(allow=[("127.0.0.1", None)]) as report:
        assert requests.get(url, timeout=2).ok
    with netguard.guard(allow=[("127.0.0.1", http_server.port + 1)]) as report:
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)
    assert report.blocked == 1


def test_create_connection_is_covered(http_server: HttpServer):
    with netguard.guard() as report:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", http_server.port), timeout=2)
    assert report.blocked == 1


def test_guards_nest_and_permit_opens_one_target(http_server: HttpServer, url):
    with netguard.guard() as outer:
        with netguard.guard(allow=[("127.0.0.1", http_server.port)]) as inner:
            with pytest.raises(requests.ConnectionError):
                requests.get(url, timeout=2)  # the outer guard still refuses it
        with netguard.permit([("127.0.0.1", http_server.port)]):
            assert requests.get(url, timeout=2).ok  # the job's own download
    assert outer.blocked == 1
    assert inner.blocked == 1


def test_threads_started_inside_the_guard_are_covered(url):
    stage = ChattyStage(url)
    with netguard.guard() as report:
        results: list[str] = []
        worker = threading.Thread(target=lambda: results.append(stage(1)))
        worker.start()
        worker.join(timeout=10)
        with ThreadPoolExecutor(max_workers=2) as pool:
            results.extend(pool.map(stage, [2, 3]))
    assert results == ["", "", ""]
    assert report.blocked == 3


def test_threads_outside_the_guard_keep_their_network(url):
    # Like RunPod's heartbeat: a thread that already runs is not the job's code.
    go, done = threading.Event(), threading.Event()
    seen: list[str] = []

    def heartbeat() -> None:
        go.wait(timeout=10)
        seen.append(requests.get(url, timeout=2).text)
        done.set()

    thread = threading.Thread(target=heartbeat)
    thread.start()
    with netguard.guard() as report:
        go.set()
        done.wait(timeout=10)
    thread.join(timeout=10)
    assert seen == ["cloud says hi"]
    assert report.blocked == 0


def test_asyncio_connections_are_covered(http_server: HttpServer):
    async def reach() -> None:
        await asyncio.open_connection("127.0.0.1", http_server.port)

    with netguard.guard() as report:
        with pytest.raises(ConnectionRefusedError):
            asyncio.run(reach())
    assert report.blocked >= 1


def test_local_sockets_are_untouched():
    with netguard.guard() as report:
        a, b = socket.socketpair()
        with a, b:
            a.sendall(b"ping")
            assert b.recv(4) == b"ping"
    assert report.blocked == 0


def test_install_is_idempotent():
    netguard.install()
    patched = socket.socket.connect
    netguard.install()
    assert socket.socket.connect is patched
    assert netguard.installed()


def test_block_all_in_a_child_process(http_server: HttpServer):
    code = (
        "import socket\n"
        "from docworker.isolation import netguard\n"
        "netguard.block_all()\n"
        "s = socket.socket()\n"
        "try:\n"
        f"    s.connect(('127.0.0.1', {http_server.port}))\n"
        "except ConnectionRefusedError:\n"
        "    print('refused', netguard.blocked_everywhere())\n"
        "a, b = socket.socketpair()\n"
        "a.sendall(b'x'); print('pair', b.recv(1).decode())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["refused 1", "pair x"]
    assert http_server.hits == {}


def test_set_offline_env(monkeypatch):
    for name in netguard.OFFLINE_ENV:
        monkeypatch.setenv(name, "0")  # restored after the test
    netguard.set_offline_env()
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        assert os.environ[name] == "1"


class ReachingEngine:
    """An engine whose page task tries to reach the network from its page process."""

    name = "cpu"
    device = "cpu"

    def __init__(self, port: int) -> None:
        self.port = port

    def models(self, mime):
        return []

    def pages(self, run):
        from docworker.contract import PageResult

        run.page_count = run.selected = 1
        for _, result in run.pool.run(
            "tests.sandbox_targets.connect_out", [self.port], timeout_s=20
        ):
            yield PageResult(
                number=1, width=1, height=1, unit="pt", source="ocr", status="ok", text=result
            )


def test_page_process_refusals_reach_the_job_metadata(http_server: HttpServer, tiny_pdf, tmp_path):
    """Issue 13: refusals in page processes were never counted in network.blocked_outbound."""
    from docworker.config import Settings
    from docworker.isolation.pool import PagePool
    from docworker.pipeline import Pipeline

    pool = PagePool(1, 1024, initializer="docworker.isolation.tasks.init_child")
    settings = Settings(default_engine="cpu", workers=1)
    pipeline = Pipeline(settings, pool, {"cpu": ReachingEngine(http_server.port)})
    try:
        path = tmp_path / "doc.pdf"
        path.write_bytes(tiny_pdf)
        payload = pipeline.run({"document_path": str(path), "engine": "cpu"}, job_id="reach")
    finally:
        pipeline.close()
    assert payload["data"]["pages"][0]["text"] == "refused"
    assert payload["metadata"]["network"]["blocked_outbound"] == 1
    assert any("blocked" in w for w in payload["metadata"]["warnings"])
    assert http_server.hits == {}
