"""Real local servers and tiny documents for the tests (a pytest plugin, see conftest.py).

Fixtures:

- ``http_server``: a threaded HTTP/1.1 server on 127.0.0.1 with a route table.
  Register a route with one of the helpers (``serve``, ``slow``, ``truncated``,
  ``redirect``, ``redirect_chain``, ``flaky``, ``status``, ``oversized``,
  ``huge_headers``, ``drip``) or with ``route(path, handler)``; build URLs with
  ``url(path)``. ``hits[path]`` counts requests, ``requests`` keeps
  ``(path, headers)`` of each. Every handler ends within a few seconds, but
  ``drip``, which keeps going for the ``budget_s`` it is given.
- ``https_server``: the same over TLS, with a throw-away CA (``ca_file``) and
  a certificate for ``TLS_HOSTNAME`` only.
- ``moto_s3``: moto's S3 server on 127.0.0.1 (one per session), fake AWS
  credentials in the environment for the test, a fresh bucket, a boto3 client,
  and helpers ``put(key, body) -> s3 uri`` and ``presigned_url(key)``.
- ``make_settings``: ``build_settings(**overrides)``, a ``Settings`` with short
  timeouts and backoff; tests never set ``DOCWORKER_`` variables.
- ``tiny_pdf`` / ``tiny_png``: a one-page PDF made with pypdfium2, a small PNG
  made with Pillow. ``pdf_with_text(text)`` builds a PDF whose page shows
  ``text``.

Inputs: none. Outputs: fixtures; nothing here touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from docworker.config import Settings
from tests.pdfgen import pdf_from_objects

#: Longest any built-in handler keeps a connection open.
HANDLER_BUDGET_S = 4.0
#: The only name ``https_server``'s certificate is valid for.
TLS_HOSTNAME = "docs.example.test"
#: Fake AWS credentials put in the environment by ``moto_s3``; tests scan logs for them.
FAKE_ACCESS_KEY_ID = "AKIAFAKEDOCWORKER123"
FAKE_SECRET_ACCESS_KEY = "fakeSecretKeyDocworker/DoNotLog+0123456789"

Handler = Callable[[BaseHTTPRequestHandler], None]


# ------------------------------------------------------------------------- HTTP


def _send_head(
    h: BaseHTTPRequestHandler,
    status: int,
    headers: dict[str, str] | None = None,
    length: int | None = None,
    chunked: bool = False,
) -> None:
    h.send_response(status)
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    if chunked:
        h.send_header("Transfer-Encoding", "chunked")
    elif length is not None:
        h.send_header("Content-Length", str(length))
    h.send_header("Connection", "close")
    h.end_headers()


def _write_chunk(h: BaseHTTPRequestHandler, data: bytes, chunked: bool) -> None:
    if chunked:
        h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    else:
        h.wfile.write(data)
    h.wfile.flush()


def _end_chunks(h: BaseHTTPRequestHandler) -> None:
    h.wfile.write(b"0\r\n\r\n")
    h.wfile.flush()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = HANDLER_BUDGET_S
    server: _Server

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def do_GET(self) -> None:
        self.close_connection = True
        self.server.app._dispatch(self)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    app: HttpServer
    tls: ssl.SSLContext | None = None

    def get_request(self):  # type: ignore[override]
        sock, addr = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet
        pass


class HttpServer:
    """A route table served on 127.0.0.1; see the module docstring."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.app = self
        self._server.tls = tls
        self.scheme = "https" if tls else "http"
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        path = urlsplit(h.path).path
        with self._lock:
            self.hits[path] += 1
            self.requests.append((path, dict(h.headers.items())))
        handler = self.routes.get(path)
        try:
            if handler is None:
                _send_head(h, 404, {"Content-Type": "text/plain"}, length=9)
                h.wfile.write(b"not found")
            else:
                handler(h)
        except OSError:  # the client went away (a limit was hit): that is the point
            pass

    # ---- route helpers -------------------------------------------------------

    def route(self, path: str, handler: Handler) -> str:
        """Serve ``path`` with ``handler(request_handler)``; returns the URL."""
        self.routes[path] = handler
        return self.url(path)

    def serve(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/octet-stream",
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> str:
        """``body`` with a Content-Length, or chunked without one."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            extra = {"Content-Type": content_type, **(headers or {})}
            _send_head(h, 200, extra, length=len(body), chunked=chunked)
            if chunked:
                for i in range(0, len(body), 16 * 1024):
                    _write_chunk(h, body[i : i + 16 * 1024], True)
                _end_chunks(h)
            else:
                h.wfile.write(body)

        return self.route(path, handler)

    def slow(self, path: str, body: bytes, delay_s: float = 1.0, pieces: int = 4) -> str:
        """Headers at once, then ``body`` in ``pieces`` with ``delay_s`` before each."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            _send_head(h, 200, {"Content-Type": "application/octet-stream"}, length=len(body))
            step = max(1, -(-len(body) // pieces))
            deadline = time.monotonic() + HANDLER_BUDGET_S
            for i in range(0, len(body), step):
                if time.monotonic() + delay_s > deadline:
                    return
                time.sleep(delay_s)
                _write_chunk(h, body[i : i + step], False)

        return self.route(path, handler)

    def truncated(self, path: str, body: bytes, claimed: int) -> str:
        """Claims ``claimed`` bytes in Content-Length, sends ``body``, closes."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            _send_head(h, 200, {"Content-Type": "application/pdf"}, length=claimed)
            h.wfile.write(body)

        return self.route(path, handler)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answers ``status`` with ``Location: location`` (absolute or relative)."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            _send_head(h, status, {"Location": location}, length=0)

        return self.route(path, handler)

    def redirect_chain(self, prefix: str, hops: int, final: str) -> str:
        """``prefix/0`` → ``prefix/1`` → ... → ``final``: ``hops`` redirects in all."""
        for i in range(hops):
            target = f"{prefix}/{i + 1}" if i + 1 < hops else final
            self.redirect(f"{prefix}/{i}", target)
        return self.url(f"{prefix}/0" if hops else final)

    def flaky(self, path: str, body: bytes, failures: int, status: int = 503) -> str:
        """The first ``failures`` requests get ``status``, the next ones ``body``."""
        seen = Counter[str]()

        def handler(h: BaseHTTPRequestHandler) -> None:
            seen["n"] += 1
            if seen["n"] <= failures:
                _send_head(h, status, {"Content-Type": "text/plain"}, length=4)
                h.wfile.write(b"busy")
            else:
                _send_head(h, 200, {"Content-Type": "application/pdf"}, length=len(body))
                h.wfile.write(body)

        return self.route(path, handler)

    def status(self, path: str, code: int, body: bytes = b"") -> str:
        """Always answers ``code``."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            _send_head(h, code, {"Content-Type": "text/plain"}, length=len(body))
            h.wfile.write(body)

        return self.route(path, handler)

    def oversized(
        self, path: str, size: int, announce: bool = True, head: bytes = b"%PDF-1.7\n"
    ) -> str:
        """``size`` bytes starting with ``head``; with a Content-Length or chunked without."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            chunked = not announce
            _send_head(h, 200, {"Content-Type": "application/pdf"}, length=size, chunked=chunked)
            block = b"0" * (64 * 1024)
            sent = 0
            deadline = time.monotonic() + HANDLER_BUDGET_S
            first = head
            while sent < size and time.monotonic() < deadline:
                piece = (first + block)[: min(len(block), size - sent)]
                first = b""
                _write_chunk(h, piece, chunked)
                sent += len(piece)
            if chunked:
                _end_chunks(h)

        return self.route(path, handler)

    def drip(
        self,
        path: str,
        piece: int = 500,
        every_s: float = 0.3,
        size: int = 10 * 1024 * 1024,
        budget_s: float = 15.0,
        headers_too: bool = False,
    ) -> str:
        """A slow-loris server: ``piece`` bytes every ``every_s`` seconds, for ``budget_s``.

        The body claims ``size`` bytes (a PDF header first). With ``headers_too``
        the status line and headers drip as well, one byte per ``every_s``.
        """

        def handler(h: BaseHTTPRequestHandler) -> None:
            ends = time.monotonic() + budget_s
            if headers_too:
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
                    f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
                ).encode()
                for i in range(len(head)):
                    if time.monotonic() > ends:
                        return
                    h.wfile.write(head[i : i + 1])
                    h.wfile.flush()
                    time.sleep(every_s)
            else:
                _send_head(h, 200, {"Content-Type": "application/pdf"}, length=size)
                h.wfile.flush()
            block = (b"%PDF-1.7\n" + b"0" * piece)[:piece]
            while time.monotonic() < ends:
                _write_chunk(h, block, False)
                block = b"0" * piece
                time.sleep(every_s)

        return self.route(path, handler)

    def huge_headers(self, path: str, body: bytes, count: int = 40, size: int = 1000) -> str:
        """``body`` with ``count`` extra headers of ``size`` bytes each."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            extra = {f"X-Padding-{i}": "p" * size for i in range(count)}
            _send_head(h, 200, extra, length=len(body))
            h.wfile.write(body)

        return self.route(path, handler)


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    server = HttpServer().start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    server_context: ssl.SSLContext


def _make_tls(folder: Path, hostname: str) -> TlsFiles:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "docworker test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file = folder / "server.pem"
    cert_file.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file)
    return TlsFiles(ca_file=ca_file, server_context=context)


@pytest.fixture(scope="session")
def _tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    pytest.importorskip("cryptography")
    return _make_tls(tmp_path_factory.mktemp("tls"), TLS_HOSTNAME)


@pytest.fixture
def https_server(_tls_files: TlsFiles) -> Iterator[HttpServer]:
    """Like ``http_server`` over TLS; ``server.ca_file`` verifies ``TLS_HOSTNAME``."""
    server = HttpServer(tls=_tls_files.server_context).start()
    server.ca_file = _tls_files.ca_file  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


# -------------------------------------------------------------------------- S3


@dataclass(frozen=True)
class _Moto:
    endpoint_url: str
    client: Any


@pytest.fixture(scope="session")
def _moto() -> Iterator[_Moto]:
    import boto3
    from moto.server import ThreadedMotoServer

    # The test server's own access log prints full request lines (signatures included);
    # it is not the worker's log, and the secrets test must not read it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.session.Session(
        aws_access_key_id=FAKE_ACCESS_KEY_ID,
        aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        region_name="us-east-1",
    ).client("s3", endpoint_url=endpoint)
    try:
        yield _Moto(endpoint_url=endpoint, client=client)
    finally:
        server.stop()


@dataclass
class MotoS3:
    endpoint_url: str
    client: Any
    bucket: str

    def put(self, key: str, body: bytes, **extra: Any) -> str:
        """Store ``body`` under ``key`` in the test bucket; returns its ``s3://`` URI."""
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
        return f"s3://{self.bucket}/{key}"

    def presigned_url(self, key: str, expires_s: int = 300) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_s
        )


@pytest.fixture
def moto_s3(_moto: _Moto, monkeypatch: pytest.MonkeyPatch) -> MotoS3:
    """A fresh bucket on the session's moto server; the worker finds fake credentials in env."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/docworker-aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/docworker-aws-credentials")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"docworker-test-{uuid.uuid4().hex[:12]}"
    _moto.client.create_bucket(Bucket=bucket)
    return MotoS3(endpoint_url=_moto.endpoint_url, client=_moto.client, bucket=bucket)


# -------------------------------------------------------------------- settings


def build_settings(**overrides: Any) -> Settings:
    """``Settings`` with short timeouts and backoff, overridden by keyword."""
    values: dict[str, Any] = {
        "connect_timeout_s": 2.0,
        "read_timeout_s": 2.0,
        "fetch_retries": 2,
        "fetch_backoff_s": 0.01,
        "on_runpod": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    return build_settings


# ------------------------------------------------------------------- documents


def pdf_with_text(text: str) -> bytes:
    """A valid one-page PDF showing ``text`` (ASCII) in Helvetica."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 20 100 Td ({safe}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_from_objects(objects)


@pytest.fixture(scope="session")
def tiny_pdf() -> bytes:
    """A blank one-page PDF written by pypdfium2."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    try:
        pdf.new_page(200, 100)
        buffer = io.BytesIO()
        pdf.save(buffer)
    finally:
        pdf.close()
    return buffer.getvalue()


@pytest.fixture(scope="session")
def tiny_png() -> bytes:
    """A 16x8 RGB PNG written by Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
