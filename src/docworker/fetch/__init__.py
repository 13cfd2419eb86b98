"""Job input → one document file inside the job's work folder, with limits and an SSRF guard.

``fetch_document(job, settings, workdir)`` takes the job's single document
source and writes its bytes to ``workdir`` (which the pipeline creates and
removes; nothing is written outside it, and a failed download removes its
partial file). It returns a ``FetchedDocument``: the file's path, SHA-256,
size, MIME type, a display file name and the number of attempts made.

Sources:

- ``document_url``: http or https, presigned S3 URLs included. Redirects are
  followed by hand (at most ``max_redirects``), and every hop passes the SSRF
  guard below. Credentials in the URL (``user:pass@``) are sent as HTTP Basic
  auth to the original origin only.
- ``s3_uri``: boto3 with the standard AWS credential chain, against
  ``job.s3_endpoint_url`` or else ``settings.s3_endpoint_url`` (path-style
  addressing when an endpoint is given). The operator's
  ``settings.s3_endpoint_url`` is trusted and not SSRF-checked. An endpoint
  sent *in the job* is caller input: it passes the same guard as a URL, and the
  connection is pinned to the address that passed, through ``netguard``.
- ``document_base64`` with ``filename``.
- ``document_path``: a local file, copied in; refused with ``InvalidInput``
  when ``settings.on_runpod`` is set.

Limits: ``max_bytes`` (checked against Content-Length first, then counted
while streaming) → ``TooLarge``; ``connect_timeout_s`` and ``read_timeout_s``
per attempt; ``max_header_bytes`` for response headers; the whole download
must end within ``job_timeout_s`` → ``TimeLimitExceeded``. A body shorter
than its Content-Length → ``FetchFailed``.

Retries: ``fetch_retries`` more attempts, ``fetch_backoff_s`` doubling, on
connection errors (refused, reset, connect timeout, a body cut short) and 5xx
only. A read timeout is not retried here (the server is up but too slow, and
retrying multiplies the wait) but the error is ``retryable``. A 4xx fails at
once, ``retryable`` only for 408 and 429. S3's NoSuchKey, NoSuchBucket and
AccessDenied fail at once and are not retryable.

SSRF guard: only http and https. The host is resolved once; every address it
resolves to must be public, else ``UrlBlocked``: loopback, RFC 1918 private,
link-local (169.254.169.254 included), CGNAT 100.64.0.0/10, multicast,
unspecified, reserved, and their IPv6 forms (::1, fc00::/7, fe80::/10,
IPv4-mapped, 6to4 and NAT64 embeddings of a blocked IPv4). The connection then
goes to the addresses that passed, in resolver order (the URL's host name is
kept for the Host header, TLS SNI and certificate verification), so a DNS
answer that changes later (DNS rebinding) is never used. This is why HTTP goes
through urllib3 (the transport under ``requests``) directly: a one-connection
pool per address is the simplest way to pin it. ``settings.allow_private_hosts``
(host names, IPs or CIDR ranges) admits non-public targets, for tests and
on-premise S3. The download's own connections are let through any
``netguard.guard`` active around the call (``netguard.permit``).

After the download the type is sniffed from magic bytes
(``decode.sniff_type``), never from the extension or Content-Type: a type
outside ``decode.SUPPORTED_TYPES`` → ``UnsupportedType``; an empty file →
``CorruptDocument("empty document")`` (whatever the source, an empty file is
not a document). The file is then named ``document<ext>`` for its sniffed
type, so tools that dispatch on extensions see the right one.

Never logged or put in an error: query strings, URL credentials, AWS access
or secret keys, document bytes. URLs pass through ``logs.redact_url``; an
``s3://bucket/key`` path may appear. One INFO line per download gives the
redacted source, bytes, type, milliseconds and attempts.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import ipaddress
import logging
import os
import socket
import stat
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path, PurePosixPath
from typing import IO, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

import certifi
import urllib3
from urllib3 import exceptions as u3

from docworker import decode, errors
from docworker.config import Settings
from docworker.contract import JobInput
from docworker.isolation import netguard
from docworker.logs import redact_url

_log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
#: At most this many of a host's checked addresses are tried, in resolver order.
MAX_ADDRESSES = 4
USER_AGENT = "docworker-fetch/1"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_EXTENSIONS = {
    decode.PDF: ".pdf",
    decode.PNG: ".png",
    decode.JPEG: ".jpg",
    decode.TIFF: ".tiff",
    decode.WEBP: ".webp",
    decode.BMP: ".bmp",
    decode.DOCX: ".docx",
    decode.PPTX: ".pptx",
    decode.XLSX: ".xlsx",
    decode.HTML: ".html",
}

_S3_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
_S3_DENIED = frozenset(
    {"AccessDenied", "403", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
)

T = TypeVar("T")


@dataclass(frozen=True)
class FetchedDocument:
    """A downloaded document on disk, inside the job's work folder."""

    path: Path
    sha256: str
    size: int
    mime: str
    filename: str | None
    attempts: int = 1


# ----------------------------------------------------------------------------- entry


def fetch_document(job: JobInput, settings: Settings, workdir: Path) -> FetchedDocument:
    """Write the job's document into ``workdir`` and describe it; see the module docstring."""
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    sink = _Sink(workdir, settings.max_bytes, started + settings.job_timeout_s)
    stats = _Stats()
    shown = _describe(job)
    try:
        if job.document_url is not None:
            filename = _fetch_url(job.document_url, settings, sink, stats)
        elif job.s3_uri is not None:
            filename = _fetch_s3(job, settings, sink, stats)
        elif job.document_base64 is not None:
            filename = _fetch_base64(job.document_base64, job.filename, sink)
        elif job.document_path is not None:
            filename = _fetch_path(job.document_path, settings, sink)
        else:  # JobInput's validator makes this unreachable
            raise errors.InvalidInput("the job has no document source")
        sink.close()
        fetched = _finish(sink, workdir, filename, max(1, stats.attempts))
    except BaseException as e:
        sink.discard()
        code = e.code if isinstance(e, errors.WorkerError) else type(e).__name__
        _log.warning(
            "fetch of %s failed after %d attempt(s) in %.0f ms: %s",
            shown,
            stats.attempts,
            (time.monotonic() - started) * 1000,
            code,
        )
        raise
    _log.info(
        "fetched %s: %d bytes, %s, %.0f ms, %d attempt(s)",
        shown,
        fetched.size,
        fetched.mime,
        (time.monotonic() - started) * 1000,
        fetched.attempts,
    )
    return fetched


def _describe(job: JobInput) -> str:
    """How a log line names the source: never a query string, credentials or content."""
    if job.document_url is not None:
        return redact_url(job.document_url)
    if job.s3_uri is not None:
        return job.s3_uri
    if job.document_base64 is not None:
        return "base64 document"
    return "local file"


def _finish(sink: _Sink, workdir: Path, filename: str | None, attempts: int) -> FetchedDocument:
    if sink.size == 0:
        raise errors.CorruptDocument("empty document")
    mime = decode.sniff_type(sink.path)
    if mime not in decode.SUPPORTED_TYPES:
        raise errors.UnsupportedType(
            f"unsupported document type {mime} (detected from the file's bytes)"
        )
    final = workdir / f"document{_EXTENSIONS.get(mime, '.bin')}"
    os.replace(sink.path, final)
    sink.path = final
    return FetchedDocument(
        path=final,
        sha256=sink.sha256,
        size=sink.size,
        mime=mime,
        filename=_clean_filename(filename),
        attempts=attempts,
    )


def _clean_filename(name: str | None) -> str | None:
    """A display name: the last path part, printable, at most 255 characters."""
    if not name:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or None


@dataclass
class _Stats:
    attempts: int = 0


class _Sink:
    """The partial download: counts, hashes and bounds what is written."""

    def __init__(self, workdir: Path, max_bytes: int, deadline: float) -> None:
        fd, name = tempfile.mkstemp(dir=workdir, prefix=".fetch-", suffix=".part")
        os.close(fd)
        self.path = Path(name)
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.size = 0
        self._hash = hashlib.sha256()
        self._file: IO[bytes] | None = None

    def reset(self) -> None:
        """Start over (a new attempt): truncate the file and the counters."""
        self.close()
        self._file = self.path.open("wb")
        self.size = 0
        self._hash = hashlib.sha256()

    def check_length(self, length: int | None) -> None:
        if length is not None and length > self.max_bytes:
            raise errors.TooLarge(
                f"the document is {length} bytes; the limit is {self.max_bytes} bytes"
            )

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            self.reset()
        assert self._file is not None
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise errors.TooLarge(f"the document is larger than the {self.max_bytes}-byte limit")
        if time.monotonic() > self.deadline:
            raise errors.TimeLimitExceeded("the download ran past the job's time budget")
        self._hash.update(chunk)
        try:
            self._file.write(chunk)
        except OSError as e:
            raise errors.WorkerError(f"cannot write the download to disk ({e.strerror})") from e

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _failed(message: str, *, retryable: bool) -> errors.FetchFailed:
    err = errors.FetchFailed(message)
    err.retryable = retryable
    return err


class _Retry(Exception):
    """An attempt failed in a way worth another try; ``error`` is raised when tries run out."""

    def __init__(self, error: errors.WorkerError) -> None:
        super().__init__(error.message)
        self.error = error


def _with_retries(settings: Settings, sink: _Sink, stats: _Stats, once: Callable[[], T]) -> T:
    """Run ``once`` until it succeeds, fails for good, or the retries run out."""
    tries = 0
    while True:
        tries += 1
        stats.attempts += 1
        sink.reset()
        try:
            return once()
        except _Retry as r:
            delay = settings.fetch_backoff_s * 2 ** (tries - 1)
            if tries > settings.fetch_retries or time.monotonic() + delay > sink.deadline:
                r.error.message = f"{r.error.message} ({tries} attempt(s))"
                r.error.args = (r.error.message,)
                raise r.error from r.__cause__
            _log.warning(
                "%s; retry %d of %d in %.2f s",
                r.error.message,
                tries,
                settings.fetch_retries,
                delay,
            )
            time.sleep(delay)


# ------------------------------------------------------------------------ SSRF guard


@dataclass(frozen=True)
class _Target:
    """One hop: where to connect (``ips``) and what to ask for (``host``, ``path``)."""

    scheme: str
    host: str  # ASCII host name or IP literal, no brackets
    port: int
    ips: tuple[str, ...]  # the checked addresses, tried in this order
    path: str  # path and query, never logged

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != _DEFAULT_PORTS[self.scheme]:
            host = f"{host}:{self.port}"
        return host

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def _resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in resolver order (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _allowed_private(
    host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, settings: Settings
) -> bool:
    """Whether ``settings.allow_private_hosts`` admits this host or address."""
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    for entry in settings.allow_private_hosts:
        try:
            network = ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            if entry.lower().rstrip(".") == host:
                return True
            continue
        if any(c.version == network.version and c in network for c in candidates):
            return True
    return False


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(ip.packed[-4:])
    return None


def blocked_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why downloads may not reach ``ip`` (``"loopback"``, ``"private"``...), or ``None``."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = blocked_reason(inner)
            if reason is not None:
                return reason
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "carrier-grade NAT"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


def _check_url(url: str, settings: Settings) -> _Target:
    """Validate one hop and pin it to an address that passed the guard."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise errors.UrlBlocked(f"the URL {redact_url(url)} cannot be parsed") from e
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise errors.UrlBlocked(
            f"only http and https URLs are fetched, not {scheme or 'a URL without a scheme'}"
        )
    raw_host = (parts.hostname or "").rstrip(".")
    if not raw_host:
        raise errors.UrlBlocked(f"the URL {redact_url(url)} has no host")
    try:
        host = raw_host.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise errors.UrlBlocked("the URL's host name is not a valid host name") from e
    port = port or _DEFAULT_PORTS[scheme]
    ips = _pin_addresses(host, port, settings)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(scheme=scheme, host=host, port=port, ips=ips, path=path)


def _pin_addresses(host: str, port: int, settings: Settings) -> tuple[str, ...]:
    """Resolve ``host`` once; every address must pass; return those to connect to."""
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
        addresses = [literal.compressed]
    except ValueError:
        try:
            addresses = _resolve(host, port)
        except (socket.gaierror, UnicodeError) as e:
            transient = isinstance(e, socket.gaierror) and e.errno == socket.EAI_AGAIN
            raise _failed(f"cannot resolve the host {host}", retryable=transient) from e
    if not addresses:
        raise _failed(f"cannot resolve the host {host}", retryable=False)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        reason = blocked_reason(ip)
        if reason is not None and not _allowed_private(host, ip, settings):
            raise errors.UrlBlocked(
                f"{host} resolves to {ip.compressed}, a {reason} address; downloads from"
                " non-public addresses are refused (see DOCWORKER_ALLOW_PRIVATE_HOSTS)"
            )
    unique = dict.fromkeys(address.split("%", 1)[0] for address in addresses)
    return tuple(unique)[:MAX_ADDRESSES]


# ----------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class _Reply:
    location: str | None = None
    filename: str | None = None


def _ca_bundle() -> str:
    """CA certificates for https (tests point this at their own CA)."""
    return certifi.where()


def _pool(target: _Target, ip: str, settings: Settings) -> urllib3.HTTPConnectionPool:
    """A one-connection pool that connects to ``ip`` whatever DNS says now."""
    timeout = urllib3.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            ip,
            target.port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=_ca_bundle(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(ip, target.port, timeout=timeout, maxsize=1, retries=False)


def _fetch_url(url: str, settings: Settings, sink: _Sink, stats: _Stats) -> str | None:
    parts = urlsplit(url)
    auth: dict[str, str] = {}
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        auth = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    origin: tuple[str, str, int] | None = None
    current = url
    for _hop in range(settings.max_redirects + 1):
        target = _check_url(current, settings)
        origin = origin or target.origin
        headers = {
            "Host": target.host_header,
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "Accept-Encoding": "identity",
        }
        if auth and target.origin == origin:
            headers.update(auth)
        shown = redact_url(current)
        reply = _with_retries(
            settings,
            sink,
            stats,
            functools.partial(_request, target, headers, shown, settings, sink),
        )
        if reply.location is None:
            return reply.filename or PurePosixPath(unquote(urlsplit(current).path)).name
        current = urljoin(current, reply.location)
    raise _failed(
        f"{redact_url(url)} redirected more than {settings.max_redirects} times",
        retryable=False,
    )


def _header_bytes(response: urllib3.BaseHTTPResponse) -> int:
    return sum(len(k) + len(v) + 4 for k, v in response.headers.items())


def _content_length(response: urllib3.BaseHTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    try:
        return int(value.split(",")[0].strip())
    except ValueError:
        return None


def _filename_from(response: urllib3.BaseHTTPResponse) -> str | None:
    value = response.headers.get("Content-Disposition")
    if not value:
        return None
    msg = Message()
    msg["Content-Disposition"] = value
    name = msg.get_filename()
    return name if isinstance(name, str) else None


def _request(
    target: _Target, headers: dict[str, str], shown: str, settings: Settings, sink: _Sink
) -> _Reply:
    """One attempt at one hop. Raises ``_Retry`` for failures worth another try."""
    pools: list[urllib3.HTTPConnectionPool] = []
    response = None
    try:
        with netguard.permit([(ip, target.port) for ip in target.ips]):
            response = _send(target, headers, shown, settings, pools)
            status = response.status
            if _header_bytes(response) > settings.max_header_bytes:
                raise _failed(
                    f"the response headers from {shown} exceed {settings.max_header_bytes} bytes",
                    retryable=False,
                )
            if status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise _failed(f"HTTP {status} from {shown} without a Location", retryable=False)
                return _Reply(location=location)
            if status >= 500:
                raise _Retry(_failed(f"HTTP {status} from {shown}", retryable=True))
            if status >= 400:
                raise _failed(f"HTTP {status} from {shown}", retryable=status in (408, 429))
            if not 200 <= status < 300:
                raise _failed(f"unexpected HTTP {status} from {shown}", retryable=False)
            length = _content_length(response)
            sink.check_length(length)
            try:
                for chunk in response.stream(CHUNK_BYTES):
                    sink.write(chunk)
            except u3.HTTPError as e:
                raise _translate(e, shown, settings, started=True) from e
            encoded = response.headers.get("Content-Encoding", "identity").lower()
            if length is not None and encoded == "identity" and sink.size != length:
                raise _Retry(
                    _failed(
                        f"the body from {shown} ended after {sink.size} of {length} bytes",
                        retryable=True,
                    )
                )
            return _Reply(filename=_filename_from(response))
    finally:
        if response is not None:
            response.release_conn()
            response.close()
        for pool in pools:
            pool.close()


def _send(
    target: _Target,
    headers: dict[str, str],
    shown: str,
    settings: Settings,
    pools: list[urllib3.HTTPConnectionPool],
) -> urllib3.BaseHTTPResponse:
    """Send the request to the checked addresses in turn until one takes the connection."""
    for index, ip in enumerate(target.ips):
        pool = _pool(target, ip, settings)
        pools.append(pool)
        try:
            return pool.urlopen(
                "GET",
                target.path,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=True,
                assert_same_host=False,
            )
        except u3.ConnectTimeoutError as e:  # NewConnectionError included
            if index + 1 < len(target.ips):
                continue
            raise _translate(e, shown, settings, started=False) from e
        except u3.HTTPError as e:
            raise _translate(e, shown, settings, started=False) from e
    raise AssertionError("a checked target has at least one address")


def _translate(e: u3.HTTPError, shown: str, settings: Settings, *, started: bool) -> Exception:
    """urllib3's error → ``_Retry`` (connection trouble) or a final ``WorkerError``."""
    if isinstance(e, u3.ReadTimeoutError):
        return _failed(
            f"{shown} sent nothing for {settings.read_timeout_s:g} s (read timeout)",
            retryable=True,
        )
    if isinstance(e, u3.SSLError):
        return _failed(f"TLS verification failed for {shown}", retryable=False)
    if isinstance(e, u3.ConnectTimeoutError | u3.NewConnectionError):
        # NewConnectionError is a ConnectTimeoutError subclass: refused, unreachable, timed out.
        return _Retry(_failed(f"cannot connect to {shown}", retryable=True))
    if isinstance(e, u3.ProtocolError):
        inner = e.args[1] if len(e.args) > 1 else None
        if isinstance(inner, u3.IncompleteRead):
            return _Retry(
                _failed(f"the body from {shown} is shorter than its Content-Length", retryable=True)
            )
        if started:
            return _Retry(_failed(f"the connection to {shown} broke mid-body", retryable=True))
        if inner is not None and type(inner).__name__ in ("LineTooLong", "HTTPException"):
            return _failed(f"the response headers from {shown} are too large", retryable=False)
        return _Retry(_failed(f"the connection to {shown} broke", retryable=True))
    if isinstance(e, u3.DecodeError):
        return _failed(f"the body from {shown} cannot be decoded", retryable=False)
    return _failed(f"the request to {shown} failed ({type(e).__name__})", retryable=False)


# ------------------------------------------------------------------------------- S3


@functools.cache
def _botocore_loader():  # -> botocore.loaders.Loader
    """One model loader for every job: parsing botocore's JSON models costs ~0.5 s."""
    from botocore.loaders import create_loader

    return create_loader()


def _s3_client(endpoint: str | None, settings: Settings):  # -> botocore S3 client
    """A fresh client per job (credentials come from the standard chain each time)."""
    import boto3
    import botocore.session
    from botocore.config import Config

    config = Config(
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        retries={"total_max_attempts": 1, "mode": "standard"},
        s3={"addressing_style": "path"} if endpoint else None,
    )
    core = botocore.session.Session()
    core.register_component("data_loader", _botocore_loader())
    session = boto3.session.Session(botocore_session=core)
    return session.client("s3", endpoint_url=endpoint, config=config)


def _fetch_s3(job: JobInput, settings: Settings, sink: _Sink, stats: _Stats) -> str | None:
    bucket, key = job.s3_location()
    shown = f"s3://{bucket}/{key}"
    endpoint = job.s3_endpoint_url or settings.s3_endpoint_url
    pin: list[tuple[str, int | None]] | None = None
    if job.s3_endpoint_url is not None:
        target = _check_url(job.s3_endpoint_url, settings)
        pin = [(ip, target.port) for ip in target.ips]
    try:
        client = _s3_client(endpoint, settings)
    except Exception as e:  # botocore raises ValueError for a malformed endpoint
        raise errors.InvalidInput(
            f"cannot build an S3 client for {shown} ({type(e).__name__})"
        ) from e

    def once() -> None:
        with contextlib.ExitStack() as stack:
            report = None
            if pin is not None:
                report = stack.enter_context(netguard.guard(allow=pin))
                stack.enter_context(netguard.permit(pin))
            try:
                _s3_get(client, bucket, key, shown, settings, sink)
            except _Retry as r:
                if report is not None and report.blocked:
                    raise errors.UrlBlocked(
                        f"the S3 endpoint for {shown} resolved to another address on connect"
                    ) from r.__cause__
                raise

    _with_retries(settings, sink, stats, once)
    return PurePosixPath(key).name


def _s3_get(client, bucket: str, key: str, shown: str, settings: Settings, sink: _Sink) -> None:
    from botocore import exceptions as bx

    try:
        response = client.get_object(Bucket=bucket, Key=key)
        sink.check_length(response.get("ContentLength"))
        body = response["Body"]
        try:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                sink.write(chunk)
        finally:
            body.close()
    except bx.ClientError as e:
        error = e.response.get("Error", {})
        code = str(error.get("Code", "unknown"))
        status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _S3_MISSING:
            raise _failed(f"{shown} does not exist ({code})", retryable=False) from e
        if code in _S3_DENIED:
            raise _failed(f"access to {shown} was denied ({code})", retryable=False) from e
        if status >= 500:
            raise _Retry(_failed(f"S3 error {code} for {shown}", retryable=True)) from e
        raise _failed(f"S3 error {code} for {shown}", retryable=status in (408, 429)) from e
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as e:
        raise _failed(f"no AWS credentials are available to read {shown}", retryable=False) from e
    except bx.ReadTimeoutError as e:
        raise _failed(
            f"S3 sent nothing for {settings.read_timeout_s:g} s while reading {shown}",
            retryable=True,
        ) from e
    except (
        bx.EndpointConnectionError,
        bx.ConnectTimeoutError,
        bx.ConnectionClosedError,
        bx.IncompleteReadError,
        bx.ResponseStreamingError,
        u3.HTTPError,
    ) as e:
        raise _Retry(
            _failed(f"the connection to S3 broke while reading {shown}", retryable=True)
        ) from e
    except bx.BotoCoreError as e:
        raise _failed(f"S3 request for {shown} failed ({type(e).__name__})", retryable=False) from e


# ------------------------------------------------------------------- base64, local


def _fetch_base64(data: str, filename: str | None, sink: _Sink) -> str | None:
    sink.check_length(len(data) * 3 // 4 - 2)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise errors.InvalidInput("document_base64 is not valid base64") from e
    sink.reset()
    sink.write(raw)
    return filename


def _fetch_path(path: str, settings: Settings, sink: _Sink) -> str | None:
    if settings.on_runpod:
        raise errors.InvalidInput(
            "document_path is refused on RunPod; send document_url, s3_uri or document_base64"
        )
    source = Path(path)
    try:
        info = source.stat()
    except OSError as e:
        raise errors.InvalidInput(f"document_path cannot be read ({e.strerror})") from e
    if not stat.S_ISREG(info.st_mode):
        raise errors.InvalidInput("document_path is not a regular file")
    sink.check_length(info.st_size)
    sink.reset()
    try:
        with source.open("rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                sink.write(chunk)
    except OSError as e:
        raise errors.InvalidInput(f"document_path cannot be read ({e.strerror})") from e
    return source.name
