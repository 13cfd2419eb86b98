"""The download's clock: the job's deadline and a minimum rate, enforced on the connection.

A socket read timeout restarts with every byte, and a buffered read waits for
a whole chunk, so a server that drips a few bytes at a time can hold a
download far past any per-read timeout. ``Watchdog`` wraps one attempt: every
IP connection the attempt opens is tracked (``netguard.track``), and a
thread checks the clock every ``TICK_S``. It shuts the connections down,
which ends whatever read is blocked on them, when:

- the job's deadline (``sink.deadline``) passes, in any phase: TLS
  handshake, response headers or body;
- or, once the body has started (``body_started``) and ``fetch_grace_s`` has
  passed, the body's average rate since it started is below
  ``fetch_min_bytes_per_s`` (0 turns this floor off).

The attempt's code then sees a broken connection; it asks ``error()`` first
and raises that ``TimeLimitExceeded`` (``timeout``, not retried) instead.
Connecting itself is bounded by ``connect_timeout_s`` cut to the time left
(``time_left``), since a socket that is not connected yet cannot be tracked.

Inputs: the attempt's ``Sink`` (deadline, bytes so far), ``Settings``, the
source as shown in messages. Output: ``error()``, ``None`` unless it fired.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType

from docworker import errors
from docworker.config import Settings
from docworker.fetch.sink import Sink
from docworker.isolation import netguard

_log = logging.getLogger(__name__)

#: How often the clock is read.
TICK_S = 0.1
#: The shortest timeout handed to a connect or a read near the deadline.
MIN_TIMEOUT_S = 0.05


def time_left(sink: Sink, limit_s: float) -> float:
    """``limit_s``, cut to the time left before the job's deadline."""
    return max(MIN_TIMEOUT_S, min(limit_s, sink.deadline - time.monotonic()))


class Watchdog:
    """Ends an attempt's connections at the deadline or when its body is too slow."""

    def __init__(self, sink: Sink, settings: Settings, shown: str) -> None:
        self.sink = sink
        self.shown = shown
        self.job_timeout_s = settings.job_timeout_s
        self.floor = settings.fetch_min_bytes_per_s
        self.grace_s = settings.fetch_grace_s
        self._error: errors.TimeLimitExceeded | None = None
        self._body_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tracking = netguard.track()
        self._sockets: netguard.SocketTracker | None = None

    def __enter__(self) -> Watchdog:
        self._sockets = self._tracking.__enter__()
        self._thread = threading.Thread(
            target=self._watch, name="docworker-fetch-clock", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._tracking.__exit__(exc_type, exc, tb)

    def body_started(self) -> None:
        """The response headers are in: the rate floor counts from now."""
        self._body_at = time.monotonic()

    def error(self) -> errors.TimeLimitExceeded | None:
        """Why the connections were shut down, or ``None`` when they were not."""
        return self._error

    def _watch(self) -> None:
        while not self._stop.wait(TICK_S):
            why = self._verdict(time.monotonic())
            if why is not None:
                self._error = why
                _log.warning("%s; closing the connection", why.message)
                assert self._sockets is not None
                self._sockets.shutdown_all()
                return

    def _verdict(self, now: float) -> errors.TimeLimitExceeded | None:
        if now >= self.sink.deadline:
            return errors.TimeLimitExceeded(
                f"the download of {self.shown} ran past the job's time budget"
                f" ({self.job_timeout_s:g} s)"
            )
        started = self._body_at
        if self.floor <= 0 or started is None or now - started < self.grace_s:
            return None
        elapsed = now - started
        if self.sink.size / elapsed < self.floor:
            return errors.TimeLimitExceeded(
                f"{self.shown} sent {self.sink.size} bytes in {elapsed:.0f} s, below the"
                f" minimum rate of {self.floor} bytes/s (DOCWORKER_FETCH_MIN_BYTES_PER_S)"
            )
        return None
