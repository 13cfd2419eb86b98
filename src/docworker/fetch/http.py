"""http and https downloads with urllib3, pinned to the addresses the SSRF guard passed.

``fetch_url(url, settings, sink, stats)`` follows redirects by hand (at most
``settings.max_redirects``); every hop passes ``ssrf.check_url`` and connects
only to the addresses it returned, through a one-connection urllib3 pool per
address (the host name still goes into the Host header, TLS SNI and the
certificate check). That pinning is why this is urllib3 (the transport under
``requests``) directly. Credentials in the URL (``user:pass@``) are sent as
HTTP Basic auth to the original origin only. The download's own connections
are let through any ``netguard.guard`` active around the call
(``netguard.permit``).

Per attempt: ``connect_timeout_s`` and ``read_timeout_s``, each cut to the
time left before the job's deadline; a ``watchdog.Watchdog`` ends the
connection at that deadline whatever the server does (a server that drips
bytes included), or when the body's average rate falls below
``fetch_min_bytes_per_s`` after ``fetch_grace_s`` (``timeout``, not retried).
The body is read as it arrives (``read1``), not in whole chunks. Response
headers over ``max_header_bytes`` fail; a body longer than ``max_bytes`` is
cut by the sink; a body shorter than its Content-Length is retried. Connection errors,
a body cut short and 5xx are retried (``sink.Retry``); a read timeout is not
(retrying multiplies the wait) but its error is ``retryable``; a 4xx fails at
once, ``retryable`` only for 408 and 429. urllib3's exceptions are translated
here (``_translate``), each with ``raise ... from e``.

Inputs: a URL, ``Settings``, the job's ``Sink``. Output: the bytes in the sink
and a display file name (Content-Disposition, else the URL path's last part).
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import certifi
import urllib3
from urllib3 import exceptions as u3

from docworker import errors
from docworker.config import Settings
from docworker.fetch.sink import CHUNK_BYTES, Retry, Sink, Stats, failed, with_retries
from docworker.fetch.ssrf import Target, check_url, shown_url
from docworker.fetch.watchdog import Watchdog, time_left
from docworker.isolation import netguard

USER_AGENT = "docworker-fetch/1"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class _Reply:
    location: str | None = None
    filename: str | None = None


def _ca_bundle() -> str:
    """CA certificates for https (tests point this at their own CA)."""
    return certifi.where()


def _pool(target: Target, ip: str, settings: Settings, sink: Sink) -> urllib3.HTTPConnectionPool:
    """A one-connection pool that connects to ``ip`` whatever DNS says now."""
    timeout = urllib3.Timeout(
        connect=time_left(sink, settings.connect_timeout_s),
        read=time_left(sink, settings.read_timeout_s),
    )
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


def fetch_url(url: str, settings: Settings, sink: Sink, stats: Stats) -> str | None:
    """Download ``url`` into ``sink``, hop by hop; return its display file name."""
    parts = urlsplit(url)
    auth: dict[str, str] = {}
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        auth = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    origin: tuple[str, str, int] | None = None
    current = url
    for _hop in range(settings.max_redirects + 1):
        target = check_url(current, settings)
        origin = origin or target.origin
        headers = {
            "Host": target.host_header,
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "Accept-Encoding": "identity",
        }
        if auth and target.origin == origin:
            headers.update(auth)
        shown = shown_url(current)
        reply = with_retries(
            settings,
            sink,
            stats,
            functools.partial(_request, target, headers, shown, settings, sink),
        )
        if reply.location is None:
            return reply.filename or PurePosixPath(unquote(urlsplit(current).path)).name
        current = urljoin(current, reply.location)
    raise failed(
        f"{shown_url(url)} redirected more than {settings.max_redirects} times",
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
    target: Target, headers: dict[str, str], shown: str, settings: Settings, sink: Sink
) -> _Reply:
    """One attempt at one hop. Raises ``Retry`` for failures worth another try."""
    with Watchdog(sink, settings, shown) as clock:
        try:
            reply = _attempt(target, headers, shown, settings, sink, clock)
        except (Retry, errors.WorkerError) as e:
            late = clock.error()
            if late is not None:  # the clock closed the connection: that is the failure
                raise late from e
            raise
        # A connection shut mid-headers can also end "cleanly" (the headers seem
        # complete, the body empty): only the clock knows it was cut.
        late = clock.error()
        if late is not None:
            raise late
        return reply


def _attempt(
    target: Target,
    headers: dict[str, str],
    shown: str,
    settings: Settings,
    sink: Sink,
    clock: Watchdog,
) -> _Reply:
    pools: list[urllib3.HTTPConnectionPool] = []
    response = None
    try:
        with netguard.permit([(ip, target.port) for ip in target.ips]):
            response = _send(target, headers, shown, settings, sink, pools)
            clock.body_started()
            status = response.status
            if _header_bytes(response) > settings.max_header_bytes:
                raise failed(
                    f"the response headers from {shown} exceed {settings.max_header_bytes} bytes",
                    retryable=False,
                )
            if status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise failed(f"HTTP {status} from {shown} without a Location", retryable=False)
                return _Reply(location=location)
            if status >= 500:
                raise Retry(failed(f"HTTP {status} from {shown}", retryable=True))
            if status >= 400:
                raise failed(f"HTTP {status} from {shown}", retryable=status in (408, 429))
            if not 200 <= status < 300:
                raise failed(f"unexpected HTTP {status} from {shown}", retryable=False)
            length = _content_length(response)
            sink.check_length(length)
            try:
                while chunk := response.read1(CHUNK_BYTES):
                    sink.write(chunk)
            except u3.HTTPError as e:
                raise _translate(e, shown, settings, started=True) from e
            encoded = response.headers.get("Content-Encoding", "identity").lower()
            if length is not None and encoded == "identity" and sink.size != length:
                raise Retry(
                    failed(
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
    target: Target,
    headers: dict[str, str],
    shown: str,
    settings: Settings,
    sink: Sink,
    pools: list[urllib3.HTTPConnectionPool],
) -> urllib3.BaseHTTPResponse:
    """Send the request to the checked addresses in turn until one takes the connection."""
    for index, ip in enumerate(target.ips):
        pool = _pool(target, ip, settings, sink)
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
    """urllib3's error → ``Retry`` (connection trouble) or a final ``WorkerError``."""
    if isinstance(e, u3.ReadTimeoutError):
        return failed(
            f"{shown} sent nothing for {settings.read_timeout_s:g} s (read timeout)",
            retryable=True,
        )
    if isinstance(e, u3.SSLError):
        return failed(f"TLS verification failed for {shown}", retryable=False)
    if isinstance(e, u3.ConnectTimeoutError | u3.NewConnectionError):
        # NewConnectionError is a ConnectTimeoutError subclass: refused, unreachable, timed out.
        return Retry(failed(f"cannot connect to {shown}", retryable=True))
    if isinstance(e, u3.ProtocolError):
        inner = e.args[1] if len(e.args) > 1 else None
        if isinstance(inner, u3.IncompleteRead):
            return Retry(
                failed(f"the body from {shown} is shorter than its Content-Length", retryable=True)
            )
        if started:
            return Retry(failed(f"the connection to {shown} broke mid-body", retryable=True))
        if inner is not None and type(inner).__name__ in ("LineTooLong", "HTTPException"):
            return failed(f"the response headers from {shown} are too large", retryable=False)
        return Retry(failed(f"the connection to {shown} broke", retryable=True))
    if isinstance(e, u3.DecodeError):
        return failed(f"the body from {shown} cannot be decoded", retryable=False)
    return failed(f"the request to {shown} failed ({type(e).__name__})", retryable=False)
