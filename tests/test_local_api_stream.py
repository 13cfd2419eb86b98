"""``stream`` through RunPod's local API (``handler.py --rp_serve_api``) on 127.0.0.1.

- Default deployment (``DOCWORKER_STREAMING`` off, a plain handler): a job
  with ``"stream": true`` is refused up front, FAILED with ``invalid_input``
  naming the setting; the same job without ``stream`` completes with the
  payload object.
- ``DOCWORKER_STREAMING=true`` (a generator handler): ``/run`` then
  ``/stream/{id}`` gives one item per page, then the payload; ``/runsync``
  gives RunPod's aggregate, the list of items (a job without ``stream``: a
  list of one item, the payload). The local API reports a generator's error
  item as COMPLETED (runpod 1.12's simulation); RunPod's job loop reports it
  FAILED, tested in ``test_runpod_queue.py``.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.pdfgen import TextPage, build_pdf
from tests.runpod_fake import free_port, start_handler, stop_process, wait_for_port


def request(url: str, body: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as response:
        assert response.status == 200
        return json.loads(response.read())


def job(pages: int, token: str, **options: Any) -> dict[str, Any]:
    body = build_pdf(
        [
            TextPage(lines=[(72, 100, 12, f"{token}: página {n}, señal pública.")])
            for n in range(1, pages + 1)
        ]
    )
    return {
        "input": {
            "document_base64": base64.b64encode(body).decode("ascii"),
            "filename": f"{token.lower()}.pdf",
            "outputs": ["text"],
            **options,
        }
    }


def api(tmp_path_factory: pytest.TempPathFactory, **env: str) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("api") / "handler.log"
    process = start_handler(
        {
            "DOCWORKER_WORKERS": "1",
            "DOCWORKER_WARMUP": "false",
            "DOCWORKER_DEFAULT_ENGINE": "cpu",
            **env,
        },
        log,
        ["--rp_serve_api", "--rp_api_host", "127.0.0.1", "--rp_api_port", str(port)],
    )
    try:
        wait_for_port(port, process, log, timeout_s=180)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def default_api(tmp_path_factory):
    yield from api(tmp_path_factory)


@pytest.fixture(scope="module")
def streaming_api(tmp_path_factory):
    yield from api(tmp_path_factory, DOCWORKER_STREAMING="true")


def test_default_endpoint_refuses_stream_up_front(default_api):
    reply = request(f"{default_api}/runsync", job(2, "NOSTREAM", stream=True))
    assert reply["status"] == "FAILED" and "output" not in reply, reply
    error = json.loads(reply["error"])
    assert error["code"] == "invalid_input" and error["retryable"] is False
    assert "DOCWORKER_STREAMING" in error["message"]
    assert error["details"] == [
        {"loc": "stream", "msg": "DOCWORKER_STREAMING is off", "type": "setting"}
    ]


def test_default_endpoint_answers_a_plain_job_with_the_payload(default_api):
    reply = request(f"{default_api}/runsync", job(2, "PLAIN7710"))
    assert reply["status"] == "COMPLETED", reply
    output = reply["output"]
    assert output["metadata"]["status"] == "success" and output["metadata"]["warnings"] == []
    assert "PLAIN7710: página 2" in output["data"]["text"]


def test_streaming_endpoint_streams_pages_then_the_payload(streaming_api):
    started = request(f"{streaming_api}/run", job(3, "STREAM8820", stream=True))
    assert started["status"] == "IN_PROGRESS"
    reply = request(f"{streaming_api}/stream/{started['id']}", {})
    assert reply["status"] == "COMPLETED", reply
    *pages, payload = [item["output"] for item in reply["stream"]]
    assert [p["page"]["number"] for p in pages] == [1, 2, 3]
    assert [(p["pages_done"], p["pages_total"]) for p in pages] == [(1, 3), (2, 3), (3, 3)]
    assert "STREAM8820: página 3" in pages[2]["page"]["text"]
    assert payload["metadata"]["status"] == "success"
    assert [p["number"] for p in payload["data"]["pages"]] == [1, 2, 3]


def test_streaming_endpoint_runsync_is_runpods_aggregate(streaming_api):
    reply = request(f"{streaming_api}/runsync", job(2, "WHOLE9931"))
    assert reply["status"] == "COMPLETED", reply
    (payload,) = reply["output"]
    assert payload["metadata"]["status"] == "success"
    assert "WHOLE9931: página 1" in payload["data"]["text"]
    reply = request(f"{streaming_api}/runsync", job(2, "BOTH1042", stream=True))
    *pages, payload = reply["output"]
    assert [p["page"]["number"] for p in pages] == [1, 2]
    assert "BOTH1042: página 2" in payload["data"]["text"]


def test_stream_route_needs_the_streaming_endpoint(default_api):
    """The SDK answers ``/stream`` on a plain handler itself; documented in the README."""
    started = request(f"{default_api}/run", job(1, "ROUTE", stream=True))
    try:
        reply = request(f"{default_api}/stream/{started['id']}", {})
    except urllib.error.HTTPError as e:  # pragma: no cover - an SDK that changed its answer
        pytest.fail(f"/stream answered HTTP {e.code}")
    assert reply["status"] == "FAILED" and "generator" in reply["error"]
