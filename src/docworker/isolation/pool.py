"""Page processes: parsing, rendering and OCR run in child processes with limits.

A hostile PDF can make pdfium allocate gigabytes or loop for minutes. Every
call that touches document bytes therefore runs in a child process with an
address-space limit (``RLIMIT_AS``) and a wall-clock budget; a child that
overruns is killed and replaced, and the task it held becomes a typed
``WorkerError`` instead of taking the worker down. The same pool gives the CPU
engine its parallelism: one child per core, results handed back in task
order so output is deterministic.

Every exit from a run (all tasks done, an error, or the consumer closing the
generator mid-flight: a streaming callback or a GPU flush that raised) leaves
the pool clean: a child still holding a task of that run is killed and
replaced, so no late answer can be read as a page of the next job.

Connections a page process refused (``netguard.block_all``) travel back with
each answer and are recorded in the job's network guard
(``netguard.record_elsewhere``), so they reach ``network.blocked_outbound``.

A stopped job (RunPod's per-job stop cancels the handler's task; the service
then sets the job's stop event, installed here with ``stop_scope``) ends its
run within a page: the run checks the event between pages and at least every
``STOP_POLL_S`` while pages are in flight, kills and replaces the children
holding its pages, starts no other page and raises ``JobStopped``. A job
stopped while waiting for another job's run never takes the pool.

Inputs: picklable task objects and the dotted name of a module-level function
to run on each. Outputs: ``(task, result)`` or ``(task, WorkerError)`` pairs.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from docworker import errors

_log = logging.getLogger(__name__)

#: Thread counts inside each child: the pool supplies the parallelism, so
#: onnxruntime, OpenMP and BLAS must not each start one thread per core.
CHILD_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENCV_FOR_THREADS_NUM": "1",
}

_ERROR_CLASSES = {cls.code: cls for cls in errors.all_error_classes()}

#: How often a run with pages in flight looks at its job's stop event (seconds).
STOP_POLL_S = 0.1

_stop: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "docworker_job_stop", default=None
)


class JobStopped(Exception):
    """The job was stopped (RunPod's per-job stop): its page work ended early.

    Not a ``WorkerError``: it has no error code, because nobody receives the
    stopped job's result.
    """


@contextlib.contextmanager
def stop_scope(event: threading.Event) -> Iterator[None]:
    """Runs started in this context (this thread) end when ``event`` is set."""
    token = _stop.set(event)
    try:
        yield
    finally:
        _stop.reset(token)


def raise_if_stopped() -> None:
    """Raise ``JobStopped`` when the current job's stop event is set."""
    event = _stop.get()
    if event is not None and event.is_set():
        raise JobStopped("the job was stopped")


def _resolve(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _refused_here() -> tuple[int, list[str]]:
    """Connections this process refused since the last answer (``netguard.block_all``)."""
    netguard = sys.modules.get("docworker.isolation.netguard")
    if netguard is None:
        return 0, []
    return netguard.take_blocked_everywhere()


def _child_main(conn: Connection, memory_mb: int, initializer: str | None) -> None:
    """Child loop: receive ``(function, task)``, answer ``(status, value, refused)``.

    ``status`` is ``"ok"`` (``value`` is the result) or ``"err"`` (``value`` is an
    error dict); ``refused`` is ``(count, targets)`` of connections refused meanwhile.
    """
    import resource

    os.environ.update(CHILD_THREAD_ENV)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if initializer:
        _resolve(initializer)()
    functions: dict[str, Any] = {}
    heap = HeapTrimmer()
    while True:
        heap.maybe_trim()
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        dotted, task = message
        try:
            fn = functions.get(dotted) or functions.setdefault(dotted, _resolve(dotted))
            answer: tuple[str, Any] = ("ok", fn(task))
        except errors.WorkerError as e:
            answer = ("err", e.to_dict())
        except MemoryError:
            answer = (
                "err",
                errors.LimitExceeded(f"page process exceeded {memory_mb} MiB").to_dict(),
            )
        except Exception as e:  # translated here: the child must answer, whatever failed
            _log.warning("page task failed: %s", type(e).__name__)
            answer = (
                "err",
                errors.EngineFailed(f"page task failed ({type(e).__name__})").to_dict(),
            )
        conn.send((*answer, _refused_here()))
        del answer


class HeapTrimmer:
    """Give freed heap memory back to the OS after a page that grew the process.

    OCR allocates a few hundred MB per page and frees it; glibc keeps most of
    it, so without this a page process's RSS creeps up page after page (from
    about 180 to 600 MiB over a long scanned document, measured in
    docs/BENCHMARKS.md). ``malloc_trim`` costs milliseconds, so it runs only
    when RSS rose more than ``slack_mb`` since the last trim: after OCR
    pages, not after text-layer pages. A no-op where libc has no
    ``malloc_trim`` (musl) or ``/proc`` is missing.
    """

    def __init__(self, slack_mb: int = 64) -> None:
        import ctypes

        try:
            self._trim = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):
            self._trim = None
        self._slack = slack_mb * 1024 * 1024
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._floor = self._rss()

    def _rss(self) -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * self._page
        except (OSError, ValueError, IndexError):
            return 0

    def maybe_trim(self) -> None:
        if self._trim is None:
            return
        if self._rss() > self._floor + self._slack:
            self._trim(0)
            self._floor = self._rss()


def _exit_reason(code: int | None) -> str:
    """``exit code 3``, or ``exit code -6, SIGABRT`` (pdfium aborts when an allocation fails)."""
    if code is not None and code < 0:
        try:
            return f"exit code {code}, {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"exit code {code}"


def _record_refused(count: int, targets: list[str]) -> None:
    """Connections a page process refused, counted in the guards of the running job."""
    from docworker.isolation import netguard

    netguard.record_elsewhere(count, targets)


def error_from_dict(payload: dict[str, Any]) -> errors.WorkerError:
    """Rebuild the typed error a child sent."""
    cls = _ERROR_CLASSES.get(payload.get("code", ""), errors.WorkerError)
    return cls(payload.get("message", ""), details=payload.get("details"))


@dataclass
class _Child:
    process: Any
    conn: Connection
    started: float = 0.0
    slot: int | None = None
    budget_s: float = 0.0


@dataclass
class PoolStats:
    """Counters a benchmark or a health check can read."""

    tasks: int = 0
    killed: int = 0
    crashed: int = 0
    respawned: int = field(default=0)


class PagePool:
    """A fixed set of limited child processes that run page tasks in order.

    One job at a time drives the pool (``run`` holds a lock); concurrent jobs
    queue on it, which keeps children and their memory bounded.
    """

    def __init__(self, workers: int, memory_mb: int, initializer: str | None = None) -> None:
        self._ctx = mp.get_context("spawn")
        self._workers = max(1, workers)
        self._memory_mb = memory_mb
        self._initializer = initializer
        self._children: list[_Child] = []
        self._lock = threading.Lock()
        self.stats = PoolStats()

    @property
    def size(self) -> int:
        return self._workers

    def _spawn(self) -> _Child:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_child_main,
            args=(child, self._memory_mb, self._initializer),
            daemon=True,
            name="docworker-page",
        )
        process.start()
        child.close()
        return _Child(process=process, conn=parent)

    def start(self) -> None:
        """Start the children now rather than on the first task."""
        with self._lock:
            self._fill()

    def _fill(self) -> None:
        while len(self._children) < self._workers:
            self._children.append(self._spawn())

    def _replace(self, child: _Child) -> None:
        if child.process.is_alive():
            child.process.kill()
        child.process.join(timeout=5)
        child.conn.close()
        self._children.remove(child)
        self._children.append(self._spawn())
        self.stats.respawned += 1

    def close(self) -> None:
        with self._lock:
            for child in self._children:
                try:
                    child.conn.send(None)
                except OSError:
                    pass
            for child in self._children:
                child.process.join(timeout=2)
                if child.process.is_alive():
                    child.process.kill()
                child.conn.close()
            self._children.clear()

    def run(
        self,
        function: str,
        tasks: Iterable[Any],
        *,
        timeout_s: float,
        deadline: float | None = None,
        window: int | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """Run ``function`` (a dotted name) on each task; yield ``(task, result)`` in task order.

        ``result`` is the function's return value or a ``WorkerError``. A task is
        pulled from ``tasks`` when a child is free for it, and at most ``window``
        tasks are in flight or waiting to be yielded, so a caller whose results are
        large (rendered pages) never holds a long document's whole. Tasks still unstarted at
        ``deadline`` (a ``time.monotonic()`` value) fail with ``timeout``.
        When the job's stop event (``stop_scope``) is set, the run raises
        ``JobStopped`` within ``STOP_POLL_S`` and its pages in flight are killed.
        """
        window = max(window or self._workers, self._workers)
        stop = _stop.get()
        self._acquire(stop)
        try:
            self._fill()
            try:
                yield from self._run_locked(
                    function, iter(tasks), timeout_s, deadline, window, stop
                )
            finally:
                self._abandon_busy()
        finally:
            self._lock.release()

    def _acquire(self, stop: threading.Event | None) -> None:
        """Take the pool; a job stopped while it waits for another job's run never does."""
        if stop is None:
            self._lock.acquire()
            return
        while not self._lock.acquire(timeout=STOP_POLL_S):
            if stop.is_set():
                raise JobStopped("the job was stopped before its pages started")
        if stop.is_set():
            self._lock.release()
            raise JobStopped("the job was stopped before its pages started")

    def _abandon_busy(self) -> None:
        """Kill and replace every child still holding a task of the run that just ended.

        Its answer, whenever it came, would be read by the next run as one of
        its own slots. Nothing to do after a run that finished every task.
        """
        for child in [c for c in self._children if c.slot is not None]:
            _log.warning("a page run ended with a task in flight; replacing its process")
            child.slot = None
            self._replace(child)

    def _run_locked(
        self,
        function: str,
        tasks: Iterator[Any],
        timeout_s: float,
        deadline: float | None,
        window: int,
        stop: threading.Event | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        pending: dict[int, Any] = {}  # slot -> task, not yet finished
        done: dict[int, Any] = {}  # slot -> result, finished but not yet yielded
        queue: deque[int] = deque()  # slots not yet started
        next_slot = 0
        next_yield = 0
        exhausted = False

        while True:
            if stop is not None and stop.is_set():
                _log.info("job stopped after %d task(s) of this run", next_yield)
                raise JobStopped("the job was stopped")
            # Pull new tasks for the idle children, no further than the window ahead of
            # the oldest result not yet yielded.
            idle = sum(1 for c in self._children if c.slot is None)
            while not exhausted and len(queue) < idle and next_slot - next_yield < window:
                try:
                    pending[next_slot] = next(tasks)
                except StopIteration:
                    exhausted = True
                    break
                queue.append(next_slot)
                next_slot += 1

            # Start queued tasks on idle children.
            now = time.monotonic()
            for child in self._children:
                if child.slot is None and queue:
                    slot = queue.popleft()
                    if deadline is not None and now >= deadline:
                        done[slot] = errors.TimeLimitExceeded(
                            "job time budget spent before this page"
                        )
                        continue
                    budget = timeout_s if deadline is None else min(timeout_s, deadline - now)
                    try:
                        child.conn.send((function, pending[slot]))
                    except (OSError, BrokenPipeError):
                        queue.appendleft(slot)
                        self._replace(child)
                        break
                    child.slot, child.started, child.budget_s = slot, now, budget
                    self.stats.tasks += 1

            # Yield what is finished, in order.
            while next_yield in done:
                result = done.pop(next_yield)
                yield pending.pop(next_yield), result
                next_yield += 1
            if exhausted and next_yield == next_slot:
                return

            busy = [c for c in self._children if c.slot is not None]
            if not busy:
                continue
            soonest = min(c.started + c.budget_s for c in busy)
            timeout = max(0.0, soonest - time.monotonic())
            if stop is not None:
                timeout = min(timeout, STOP_POLL_S)
            ready = wait([c.conn for c in busy], timeout=timeout)
            for child in list(busy):
                slot = child.slot
                assert slot is not None
                if child.conn in ready:
                    try:
                        status, value, (refused, targets) = child.conn.recv()
                    except (EOFError, OSError):
                        code = child.process.exitcode
                        child.process.join(timeout=5)
                        code = child.process.exitcode if code is None else code
                        self.stats.crashed += 1
                        how = _exit_reason(code)
                        _log.warning("page process died (%s); replacing it", how)
                        done[slot] = errors.EngineFailed(
                            f"page process died ({how}); likely out of memory"
                            " or a crash in the PDF library"
                        )
                        child.slot = None
                        self._replace(child)
                        continue
                    if refused:
                        _record_refused(refused, targets)
                    done[slot] = value if status == "ok" else error_from_dict(value)
                    child.slot = None
                elif time.monotonic() >= child.started + child.budget_s:
                    self.stats.killed += 1
                    _log.warning("page task ran past %.1f s; killing its process", child.budget_s)
                    done[slot] = errors.TimeLimitExceeded(
                        f"page took longer than {child.budget_s:.0f} s"
                    )
                    child.slot = None
                    self._replace(child)
