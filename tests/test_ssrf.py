"""The SSRF guard: schemes, blocked address classes, redirect hops, DNS rebinding, TLS pinning."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest
from pydantic import ValidationError

from docworker import decode, errors, fetch
from docworker.contract import JobInput
from docworker.fetch import http as fetch_http
from docworker.fetch import ssrf
from tests.servers import TLS_HOSTNAME, HttpServer, build_settings

PUBLIC_IP = "93.184.215.14"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "job"


@pytest.fixture
def no_connect(monkeypatch):
    """Fail the test if fetch opens a connection pool at all."""

    def boom(*args, **kwargs):
        raise AssertionError("fetch tried to connect to a blocked address")

    monkeypatch.setattr(fetch_http, "_pool", boom)


def _job(url: str) -> JobInput:
    return JobInput(document_url=url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/doc.pdf", "private"),
        ("http://172.16.5.4/doc.pdf", "private"),
        ("http://192.168.1.1/doc.pdf", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://100.64.0.1/doc.pdf", "carrier-grade NAT"),
        ("http://224.0.0.1/doc.pdf", "multicast"),
        ("http://0.0.0.0/doc.pdf", "unspecified"),
        ("http://240.0.0.1/doc.pdf", "reserved"),
        ("http://[::1]/doc.pdf", "loopback"),
        ("http://[::]/doc.pdf", "unspecified"),
        ("http://[::ffff:127.0.0.1]/doc.pdf", "loopback"),
        ("http://[::ffff:169.254.169.254]/doc.pdf", "link-local"),
        ("http://[fe80::1]/doc.pdf", "link-local"),
        ("http://[fc00::1]/doc.pdf", "private"),
        ("http://[fd12:3456::1]/doc.pdf", "private"),
        ("http://[ff02::1]/doc.pdf", "multicast"),
        ("http://[64:ff9b::a00:1]/doc.pdf", "private"),  # NAT64 of 10.0.0.1
        ("http://[2002:7f00:1::1]/doc.pdf", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_blocked_address_classes(url, reason, workdir, no_connect):
    with pytest.raises(errors.UrlBlocked) as info:
        fetch.fetch_document(_job(url), build_settings(), workdir)
    assert info.value.code == "url_blocked"
    assert info.value.retryable is False
    assert f"a {reason} address" in info.value.message
    assert not workdir.exists() or list(workdir.iterdir()) == []


def test_loopback_blocked_without_the_allow_list(http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.serve("/doc.pdf", tiny_pdf)
    with pytest.raises(errors.UrlBlocked, match="loopback"):
        fetch.fetch_document(_job(url), build_settings(), workdir)
    assert http_server.hits["/doc.pdf"] == 0


def test_hostname_resolving_to_loopback_is_blocked(http_server: HttpServer, workdir, tiny_pdf):
    http_server.serve("/doc.pdf", tiny_pdf)
    url = http_server.url("/doc.pdf", host="localhost")
    with pytest.raises(errors.UrlBlocked, match="loopback"):
        fetch.fetch_document(_job(url), build_settings(), workdir)
    assert http_server.hits["/doc.pdf"] == 0


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001"])
def test_odd_ipv4_spellings_never_connect(host, http_server: HttpServer, workdir, tiny_pdf):
    # The resolver turns these into 127.0.0.1 (glibc); whatever it does, nothing is fetched.
    http_server.serve("/doc.pdf", tiny_pdf)
    url = http_server.url("/doc.pdf", host=host)
    with pytest.raises(errors.FetchFailed):
        fetch.fetch_document(_job(url), build_settings(), workdir)
    assert http_server.hits["/doc.pdf"] == 0


@pytest.mark.parametrize(
    ("allow", "host", "ok"),
    [
        (["127.0.0.1"], "127.0.0.1", True),
        (["127.0.0.0/8"], "127.0.0.1", True),
        (["localhost"], "localhost", True),
        (["localhost"], "127.0.0.1", False),
        (["10.0.0.0/8"], "127.0.0.1", False),
    ],
)
def test_allow_list(allow, host, ok, http_server: HttpServer, workdir, tiny_pdf):
    url = http_server.serve("/doc.pdf", tiny_pdf)
    url = http_server.url("/doc.pdf", host=host)
    settings = build_settings(allow_private_hosts=allow)
    if ok:
        assert fetch.fetch_document(_job(url), settings, workdir).mime == decode.PDF
    else:
        with pytest.raises(errors.UrlBlocked):
            fetch.fetch_document(_job(url), settings, workdir)


def test_allow_list_for_one_address_does_not_open_others(workdir, no_connect):
    settings = build_settings(allow_private_hosts=["127.0.0.1"])
    with pytest.raises(errors.UrlBlocked):
        fetch.fetch_document(_job("http://10.0.0.1/doc.pdf"), settings, workdir)


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://10.0.0.1/internal.pdf",
        "http://[::1]:8080/doc.pdf",
        "file:///etc/passwd",
        "ftp://example.com/doc.pdf",
        "gopher://127.0.0.1:25/",
    ],
)
def test_redirect_to_a_blocked_target_is_refused(
    location, http_server: HttpServer, workdir, tiny_pdf
):
    url = http_server.redirect("/start", location)
    settings = build_settings(allow_private_hosts=["127.0.0.1"])
    with pytest.raises(errors.UrlBlocked) as info:
        fetch.fetch_document(_job(url), settings, workdir)
    assert info.value.retryable is False
    assert http_server.hits["/start"] == 1


def test_redirect_back_to_loopback_needs_the_allow_list(
    http_server: HttpServer, workdir, tiny_pdf, monkeypatch
):
    # A "public" host redirects to 127.0.0.1; the hop is checked like the first URL.
    http_server.serve("/secret.pdf", tiny_pdf)
    http_server.redirect("/start", http_server.url("/secret.pdf"))
    monkeypatch.setattr(ssrf, "_resolve", lambda host, port: ["127.0.0.1"])
    settings = build_settings(allow_private_hosts=["public.example.test"])
    url = f"http://public.example.test:{http_server.port}/start"
    with pytest.raises(errors.UrlBlocked, match="loopback"):
        fetch.fetch_document(_job(url), settings, workdir)
    assert http_server.hits["/start"] == 1
    assert http_server.hits["/secret.pdf"] == 0


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.pdf", "gopher://x/", "//example.com/a"]
)
def test_non_http_schemes(url):
    with pytest.raises(ValidationError):
        JobInput(document_url=url)
    with pytest.raises(errors.UrlBlocked):
        ssrf.check_url(url, build_settings())


def test_dns_rebinding_connects_to_the_first_answer_only(
    http_server: HttpServer, workdir, tiny_pdf, monkeypatch
):
    http_server.serve("/doc.pdf", tiny_pdf)
    answers = [[PUBLIC_IP], ["127.0.0.1"]]
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return answers[min(len(lookups) - 1, 1)]

    connects: list[object] = []
    real_connect = socket.socket.connect

    def recording_connect(sock, address):
        connects.append(address[0])
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError("test: no network beyond loopback")
        return real_connect(sock, address)

    monkeypatch.setattr(ssrf, "_resolve", resolver)
    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    # Even with 127.0.0.1 admitted, a second lookup must never be used.
    settings = build_settings(allow_private_hosts=["127.0.0.1"], fetch_retries=1)
    url = f"http://rebind.example.test:{http_server.port}/doc.pdf"
    with pytest.raises(errors.FetchFailed, match="cannot connect"):
        fetch.fetch_document(_job(url), settings, workdir)
    assert lookups == ["rebind.example.test"]
    assert connects == [PUBLIC_IP, PUBLIC_IP]  # two attempts, both to the pinned address
    assert http_server.hits["/doc.pdf"] == 0


def test_every_resolved_address_must_pass(workdir, monkeypatch, no_connect):
    monkeypatch.setattr(ssrf, "_resolve", lambda host, port: [PUBLIC_IP, "10.1.2.3"])
    with pytest.raises(errors.UrlBlocked, match=r"10\.1\.2\.3"):
        fetch.fetch_document(_job("http://mixed.example.test/doc.pdf"), build_settings(), workdir)


def test_pinned_connection_keeps_host_header_and_tls_name(
    https_server: HttpServer, workdir, tiny_pdf, monkeypatch
):
    https_server.serve("/doc.pdf", tiny_pdf)
    monkeypatch.setattr(ssrf, "_resolve", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(fetch_http, "_ca_bundle", lambda: str(https_server.ca_file))
    settings = build_settings(allow_private_hosts=["127.0.0.1"])
    url = f"https://{TLS_HOSTNAME}:{https_server.port}/doc.pdf?X-Amz-Signature=abc"
    doc = fetch.fetch_document(_job(url), settings, workdir)
    assert doc.mime == decode.PDF
    ((_path, headers),) = https_server.requests
    assert headers["Host"] == f"{TLS_HOSTNAME}:{https_server.port}"


@pytest.mark.parametrize("host", ["wrong.example.test", "127.0.0.1"])
def test_certificate_is_checked_against_the_url_host(
    host, https_server: HttpServer, workdir, tiny_pdf, monkeypatch
):
    https_server.serve("/doc.pdf", tiny_pdf)
    monkeypatch.setattr(ssrf, "_resolve", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(fetch_http, "_ca_bundle", lambda: str(https_server.ca_file))
    settings = build_settings(allow_private_hosts=["127.0.0.1"], fetch_retries=2)
    url = f"https://{host}:{https_server.port}/doc.pdf"
    with pytest.raises(errors.FetchFailed, match="TLS verification failed") as info:
        fetch.fetch_document(_job(url), settings, workdir)
    assert info.value.retryable is False
    assert https_server.hits["/doc.pdf"] == 0


def test_job_supplied_s3_endpoint_is_refused_unless_listed(workdir, no_connect):
    job = JobInput(s3_uri="s3://bucket-name/doc.pdf", s3_endpoint_url="http://169.254.169.254/")
    with pytest.raises(errors.UrlBlocked, match="DOCWORKER_S3_ENDPOINTS"):
        fetch.fetch_document(job, build_settings(), workdir)
    with pytest.raises(errors.UrlBlocked, match="DOCWORKER_S3_ENDPOINTS"):
        fetch.fetch_document(
            job, build_settings(s3_endpoints=["http://169.254.169.254:8080"]), workdir
        )


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "2606:4700:4700::1111"]
)
def test_public_addresses_pass(address):
    assert ssrf.blocked_reason(ipaddress.ip_address(address)) is None
