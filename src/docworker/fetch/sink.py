"""The partial download and the retry loop that every fetch source writes through.

``Sink`` is the one file a download writes into, inside the job's work folder:
it counts, hashes and bounds the bytes (``max_bytes`` → ``TooLarge``, the
job's deadline → ``TimeLimitExceeded``) and is reset at each attempt.
``with_retries`` runs one attempt after another: an attempt that raises
``Retry`` is tried again after ``fetch_backoff_s`` doubling, at most
``fetch_retries`` more times and never past the deadline; then the wrapped
``WorkerError`` is raised, its message saying how many attempts were made.

Inputs: ``Settings`` and an attempt function. Outputs: the bytes on disk
(``Sink.path``, ``Sink.size``, ``Sink.sha256``) and ``Stats.attempts``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from docworker import errors
from docworker.config import Settings

_log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024

T = TypeVar("T")


@dataclass
class Stats:
    """Counts kept across a fetch's hops and attempts."""

    attempts: int = 0


class Sink:
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


def failed(message: str, *, retryable: bool) -> errors.FetchFailed:
    """A ``FetchFailed`` with its ``retryable`` flag set for this failure."""
    err = errors.FetchFailed(message)
    err.retryable = retryable
    return err


class Retry(Exception):
    """An attempt failed in a way worth another try; ``error`` is raised when tries run out."""

    def __init__(self, error: errors.WorkerError) -> None:
        super().__init__(error.message)
        self.error = error


def with_retries(settings: Settings, sink: Sink, stats: Stats, once: Callable[[], T]) -> T:
    """Run ``once`` until it succeeds, fails for good, or the retries run out."""
    tries = 0
    while True:
        tries += 1
        stats.attempts += 1
        sink.reset()
        try:
            return once()
        except Retry as r:
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
