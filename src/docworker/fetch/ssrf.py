"""The SSRF guard: which hosts a download may reach, and the addresses it connects to.

Only http and https. ``check_url`` parses one hop and resolves its host once;
every address it resolves to must be public, else ``UrlBlocked``: loopback,
RFC 1918 private, link-local (169.254.169.254 included), CGNAT 100.64.0.0/10,
multicast, unspecified, reserved, and their IPv6 forms (::1, fc00::/7,
fe80::/10, IPv4-mapped, 6to4 and NAT64 embeddings of a blocked IPv4); see
``blocked_reason``. The hop is then pinned: it carries the addresses that
passed (at most ``MAX_ADDRESSES``, in resolver order), and the caller
connects to those, keeping the URL's host name for the Host header, TLS SNI
and certificate checks, so a DNS answer that changes later (DNS rebinding) is
never used. ``settings.allow_private_hosts`` (host names, IPs or CIDR ranges)
admits non-public targets, for tests and on-premise S3.

``shown_url`` is how a URL appears in logs and errors: no query string or
credentials (``logs.redact_url``), and at most ``MAX_SHOWN_URL`` characters.

Inputs: a URL and ``Settings``. Output: a ``Target`` (scheme, host, port,
checked addresses, path), or ``UrlBlocked`` / ``FetchFailed`` (the host does
not resolve).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from docworker import errors
from docworker.config import Settings
from docworker.fetch.sink import failed
from docworker.logs import redact_url

#: At most this many of a host's checked addresses are tried, in resolver order.
MAX_ADDRESSES = 4
#: A URL in a log line or an error message is cut to this many characters.
MAX_SHOWN_URL = 200

DEFAULT_PORTS = {"http": 80, "https": 443}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Target:
    """One hop: where to connect (``ips``) and what to ask for (``host``, ``path``)."""

    scheme: str
    host: str  # ASCII host name or IP literal, no brackets
    port: int
    ips: tuple[str, ...]  # the checked addresses, tried in this order
    path: str  # path and query, never logged

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != DEFAULT_PORTS[self.scheme]:
            host = f"{host}:{self.port}"
        return host

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def shown_url(url: str) -> str:
    """A URL as logs and errors show it: ``logs.redact_url``, cut to ``MAX_SHOWN_URL``."""
    shown = redact_url(url)
    if len(shown) > MAX_SHOWN_URL:
        return f"{shown[:MAX_SHOWN_URL]}... ({len(shown)} characters)"
    return shown


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


def check_url(url: str, settings: Settings) -> Target:
    """Validate one hop and pin it to an address that passed the guard."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise errors.UrlBlocked(f"the URL {shown_url(url)} cannot be parsed") from e
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise errors.UrlBlocked(
            f"only http and https URLs are fetched, not {scheme or 'a URL without a scheme'}"
        )
    raw_host = (parts.hostname or "").rstrip(".")
    if not raw_host:
        raise errors.UrlBlocked(f"the URL {shown_url(url)} has no host")
    try:
        host = raw_host.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise errors.UrlBlocked("the URL's host name is not a valid host name") from e
    port = port or DEFAULT_PORTS[scheme]
    ips = _pin_addresses(host, port, settings)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, ips=ips, path=path)


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
            raise failed(f"cannot resolve the host {host}", retryable=transient) from e
    if not addresses:
        raise failed(f"cannot resolve the host {host}", retryable=False)
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
