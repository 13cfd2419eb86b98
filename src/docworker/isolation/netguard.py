"""The no-cloud guarantee: refuse and count outbound connections while a job is extracted.

``install()`` patches ``socket.socket.connect`` and ``connect_ex`` once for the
whole process (``socket.create_connection``, ``requests``, ``urllib3``,
``http.client``, ``ssl`` and asyncio's ``sock_connect`` all go through them).
The patch is inert until a guard is active, so installing it changes nothing
for code that runs outside a guard.

``guard(allow=...)`` is a context manager. While it is active, every IPv4/IPv6
``connect`` made *in its context* to an address that is not in ``allow`` is
refused with ``BlockedConnection`` and counted; it yields a ``GuardReport``
with ``.blocked`` (the count) and ``.targets`` (``ip:port`` strings, never a
URL or a path). The pipeline puts ``report.blocked`` into the metadata
(``network.blocked_outbound``) and may turn a non-zero count into
``report.error()`` (an ``errors.NetworkBlocked``).

Scope, and why: a guard is tracked in a ``contextvars.ContextVar``, not
process-wide. RunPod's SDK keeps talking to RunPod (heartbeats, job results)
from its own threads while a handler runs, and with ``concurrency > 1``
another job may be downloading its document; a process-wide switch would cut
both. Code that runs in the guarded context is covered: the same thread,
asyncio tasks (which copy the context), and threads *started* from the
guarded context, because ``install()`` also wraps ``threading.Thread.start``
to run the new thread in a copy of the starter's context when a guard is
active there. Not covered: threads that already existed before the guard
(for example a long-lived thread pool created at import time) and raw
``_socket`` objects; page processes are covered by ``block_all()`` instead.
Non-IP sockets (``AF_UNIX``, socket pairs, pipes) are never touched.

Why ``BlockedConnection`` is a ``ConnectionRefusedError`` and not a
``WorkerError``: a library under a guard must fail the way it would with the
network down, through its ordinary error path, not crash on an exception type
it has never seen. Whatever the library does with the refusal (retry, fall
back, swallow it), the attempt is counted, and the count is what the metadata
reports.

``permit(targets)`` lets connections to exactly those ``(ip, port)`` pairs
through every guard active in its context; ``fetch`` uses it for the job's own
document download, so a download works inside a guard too.

``block_all()`` is for page child processes, which never need the network: it
installs the patch and refuses every IP connection in the process from then on.

``set_offline_env()`` sets ``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``,
``HF_DATASETS_OFFLINE`` and ``HF_HUB_DISABLE_TELEMETRY`` to ``1`` in
``os.environ``. It is the one place besides ``config.py`` that touches the
environment, and it only writes: nothing here reads the environment.

Inputs: the addresses passed to ``connect``. Outputs: ``BlockedConnection``
for refused connects, counts in ``GuardReport`` objects.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from docworker import errors

_log = logging.getLogger(__name__)

#: Environment variables that keep Hugging Face libraries off the network.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}

#: A guard keeps at most this many target strings; the count keeps going.
MAX_TARGETS = 100

_IP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class BlockedConnection(ConnectionRefusedError):
    """An outbound connection refused by the network guard."""

    def __init__(self, target: str) -> None:
        super().__init__(
            errno.ECONNREFUSED, f"outbound connection to {target} blocked by docworker"
        )
        self.target = target


def _norm_host(host: str) -> str:
    """An IP in canonical form (scope id dropped), or a lower-case host name."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare).compressed
    except ValueError:
        return host.lower().rstrip(".")


def _target_of(address: Any) -> tuple[str, int] | None:
    """``(host, port)`` of an AF_INET/AF_INET6 ``connect`` address, else ``None``."""
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if isinstance(host, str) and isinstance(port, int):
            return _norm_host(host), port
    return None


def _show(target: tuple[str, int]) -> str:
    host, port = target
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _matches(rules: frozenset[tuple[str, int | None]], target: tuple[str, int]) -> bool:
    host, port = target
    return (host, port) in rules or (host, None) in rules


def _rules(pairs: Iterable[tuple[str, int | None]]) -> frozenset[tuple[str, int | None]]:
    """Normalised ``(host, port)`` pairs; a port of ``None`` or 0 means any port."""
    return frozenset((_norm_host(host), port or None) for host, port in pairs)


@dataclass
class GuardReport:
    """What one ``guard()`` saw: refused connection attempts."""

    allow: frozenset[tuple[str, int | None]] = frozenset()
    blocked: int = 0
    targets: list[str] = field(default_factory=list)
    active: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _record(self, target: str) -> None:
        with self._lock:
            self.blocked += 1
            if len(self.targets) < MAX_TARGETS:
                self.targets.append(target)

    def error(self) -> errors.NetworkBlocked:
        """The worker error for a non-zero count (targets as ``ip:port`` only)."""
        return errors.NetworkBlocked(
            f"{self.blocked} outbound connection attempt(s) were blocked during extraction",
            details=sorted(set(self.targets)),
        )


@dataclass
class _Permit:
    rules: frozenset[tuple[str, int | None]]
    active: bool = True


_frames: contextvars.ContextVar[tuple[GuardReport | _Permit, ...]] = contextvars.ContextVar(
    "docworker_netguard", default=()
)
_install_lock = threading.Lock()
_installed = False
_block_everything = False
_blocked_everything_count = 0
_orig_connect: Any = None
_orig_connect_ex: Any = None
_orig_thread_start: Any = None


def _refusal(sock: socket.socket, address: Any) -> BlockedConnection | None:
    """The exception to raise for this connect, or ``None`` to let it through."""
    global _blocked_everything_count
    if sock.family not in _IP_FAMILIES:
        return None
    target = _target_of(address)
    if target is None:
        return None
    if _block_everything:
        _blocked_everything_count += 1
        return BlockedConnection(_show(target))
    frames = _frames.get()
    if not frames:
        return None
    guards = [f for f in frames if isinstance(f, GuardReport) and f.active]
    if not guards:
        return None
    for frame in frames:
        if isinstance(frame, _Permit) and frame.active and _matches(frame.rules, target):
            return None
    if all(_matches(g.allow, target) for g in guards):
        return None
    shown = _show(target)
    for g in guards:
        g._record(shown)
    _log.warning("blocked outbound connection to %s", shown)
    return BlockedConnection(shown)


def _guarded_connect(self: socket.socket, address: Any) -> None:
    refusal = _refusal(self, address)
    if refusal is not None:
        raise refusal
    return _orig_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if _refusal(self, address) is not None:
        return errno.ECONNREFUSED
    return _orig_connect_ex(self, address)


def _guarded_thread_start(self: threading.Thread) -> None:
    # A thread started inside a guard runs in a copy of the starter's context,
    # so the guard (and the job id for logs) follows it.
    if any(isinstance(f, GuardReport) and f.active for f in _frames.get()):
        ctx = contextvars.copy_context()
        run = self.run
        self.run = lambda: ctx.run(run)  # type: ignore[method-assign]
    _orig_thread_start(self)


def install() -> None:
    """Patch socket connects and ``Thread.start`` once for the process (idempotent)."""
    global _installed, _orig_connect, _orig_connect_ex, _orig_thread_start
    with _install_lock:
        if _installed:
            return
        _orig_connect = socket.socket.connect
        _orig_connect_ex = socket.socket.connect_ex
        _orig_thread_start = threading.Thread.start
        socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
        threading.Thread.start = _guarded_thread_start  # type: ignore[method-assign]
        _installed = True


def installed() -> bool:
    """Whether ``install()`` has run in this process."""
    return _installed


@contextlib.contextmanager
def guard(allow: Iterable[tuple[str, int | None]] = ()) -> Iterator[GuardReport]:
    """Refuse and count IP connections in this context, except to ``allow``.

    ``allow`` holds ``(host, port)`` pairs matched against the address given
    to ``connect`` (normally an IP; a port of ``None`` or 0 means any port).
    Guards nest: a connection must be allowed by every active guard, and a
    refused one is counted by each of them.
    """
    install()
    report = GuardReport(allow=_rules(allow))
    token = _frames.set((*_frames.get(), report))
    try:
        yield report
    finally:
        report.active = False
        _frames.reset(token)


@contextlib.contextmanager
def permit(targets: Iterable[tuple[str, int | None]]) -> Iterator[None]:
    """Let connections to exactly ``targets`` through the guards of this context."""
    frame = _Permit(rules=_rules(targets))
    token = _frames.set((*_frames.get(), frame))
    try:
        yield
    finally:
        frame.active = False
        _frames.reset(token)


def block_all() -> None:
    """Install the patch and refuse every IP connection in this process, for good.

    Meant as the initializer of page child processes (``sandbox``), which
    never need the network.
    """
    global _block_everything
    install()
    _block_everything = True


def blocked_everywhere() -> int:
    """Connections refused in this process since ``block_all()``."""
    return _blocked_everything_count


def set_offline_env() -> None:
    """Tell Hugging Face libraries to stay offline (writes ``os.environ``; reads nothing)."""
    os.environ.update(OFFLINE_ENV)
