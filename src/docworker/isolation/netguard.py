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
(``network.blocked_outbound``) and a warning; a refused attempt never fails
the job by itself (the library that tried sees a refused connection and goes
its own way).

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
The page pool reads ``take_blocked_everywhere()`` after each task and hands the
count to ``record_elsewhere`` in the job's context, so those refusals reach the
job's ``GuardReport`` (and ``network.blocked_outbound``) like its own.

``track()`` keeps a duplicate of every IP socket connected in its context
(``SocketTracker``); ``SocketTracker.shutdown_all()`` then ends those
connections from any thread, which unblocks a read stuck on a server that
drips bytes. ``fetch`` uses it to hold a download to the job's deadline.

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


@dataclass
class _Permit:
    rules: frozenset[tuple[str, int | None]]
    active: bool = True


@dataclass
class SocketTracker:
    """Duplicates of the IP sockets connected in a ``track()`` context, to end them from afar."""

    sockets: list[socket.socket] = field(default_factory=list)
    active: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _add(self, sock: socket.socket) -> None:
        try:
            dup = sock.dup()  # the same connection; survives the original being wrapped in TLS
        except OSError:
            return
        with self._lock:
            if self.active:
                self.sockets.append(dup)
                return
        dup.close()

    def shutdown_all(self) -> None:
        """Shut every tracked connection down; a read blocked on one of them returns at once."""
        with self._lock:
            sockets = list(self.sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _close(self) -> None:
        with self._lock:
            self.active = False
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            sock.close()


_Frame = GuardReport | _Permit | SocketTracker
_frames: contextvars.ContextVar[tuple[_Frame, ...]] = contextvars.ContextVar(
    "docworker_netguard", default=()
)
_install_lock = threading.Lock()
_installed = False
_block_everything = False
_blocked_everything_count = 0
_blocked_everything_targets: list[str] = []
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
        if len(_blocked_everything_targets) < MAX_TARGETS:
            _blocked_everything_targets.append(_show(target))
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


def _connected(sock: socket.socket) -> None:
    """Hand a newly connected IP socket to the trackers of this context."""
    if sock.family not in _IP_FAMILIES:
        return
    for frame in _frames.get():
        if isinstance(frame, SocketTracker) and frame.active:
            frame._add(sock)


def _guarded_connect(self: socket.socket, address: Any) -> None:
    refusal = _refusal(self, address)
    if refusal is not None:
        raise refusal
    _orig_connect(self, address)
    _connected(self)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if _refusal(self, address) is not None:
        return errno.ECONNREFUSED
    code = _orig_connect_ex(self, address)
    if code == 0:
        _connected(self)
    return code


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


@contextlib.contextmanager
def track() -> Iterator[SocketTracker]:
    """Keep the IP sockets connected in this context, until the block ends."""
    install()
    tracker = SocketTracker()
    token = _frames.set((*_frames.get(), tracker))
    try:
        yield tracker
    finally:
        tracker._close()
        _frames.reset(token)


def block_all() -> None:
    """Install the patch and refuse every IP connection in this process, for good.

    Meant as the initializer of page child processes (``isolation.tasks.init_child``),
    which never need the network.
    """
    global _block_everything
    install()
    _block_everything = True


def blocked_everywhere() -> int:
    """Connections refused in this process since ``block_all()``."""
    return _blocked_everything_count


def take_blocked_everywhere() -> tuple[int, list[str]]:
    """``(count, targets)`` refused since ``block_all()`` or the last call; resets both."""
    global _blocked_everything_count
    count, targets = _blocked_everything_count, list(_blocked_everything_targets)
    _blocked_everything_count = 0
    _blocked_everything_targets.clear()
    return count, targets


def record_elsewhere(count: int, targets: Iterable[str] = ()) -> int:
    """Count ``count`` refusals made on this context's behalf elsewhere (a page process).

    Every guard active in this context records them; returns how many guards did.
    """
    guards = [f for f in _frames.get() if isinstance(f, GuardReport) and f.active]
    shown = list(targets)
    for g in guards:
        with g._lock:
            g.blocked += count
            room = MAX_TARGETS - len(g.targets)
            g.targets.extend(shown[: max(0, room)])
    if count:
        _log.warning(
            "a page process refused %d outbound connection(s) to %s",
            count,
            ", ".join(shown[:5]) or "?",
        )
    return len(guards)


def set_offline_env() -> None:
    """Tell Hugging Face libraries to stay offline (writes ``os.environ``; reads nothing)."""
    os.environ.update(OFFLINE_ENV)
