"""The generation loop: one thread owns the GPU and keeps the decode batch full.

Every page of every job is ``submit``-ted here (its processor inputs already
computed by the caller, on the caller's thread) and gets a ``Future``. The
loop thread, between decode steps, prefills waiting pages into free rows of
the ``DecodeBatch``; a row that ends (stop token, token limit, repetition
loop) leaves at once and its result resolves its future. So pages from
several jobs share one batch, and the CPU work of the callers (rendering,
layout, preprocessing) overlaps generation.

Failures, each handled by type, never by message text:

- ``torch.cuda.OutOfMemoryError`` (caught, then handled outside the ``except``
  block so the traceback's frames and tensors are gone before memory is
  freed): during a prefill, the page goes back to the head of the queue and
  the batch admits no more rows than it holds now; during a step, the newest
  half of the rows go back to the queue (greedy decoding makes their rerun
  identical) and the row limit halves. The limit stays down for the rest of
  the process: the whole queue is split, not just the next chunk. A page that
  runs out of memory alone fails with ``engine_failed``.
- ``torch.AcceleratorError`` (an illegal address, a device-side assert: the
  CUDA context is poisoned): every waiting and running page, and every later
  one, fails with ``errors.GpuFatal`` (non-retryable, ``refresh_worker``).
- Anything else fails only the page being prefilled, or the rows of the step.

A cancelled future (its job ran out of time) is skipped if it waits, and its
row leaves at the next step if it runs.

Inputs: ``Task`` objects (processor inputs + limits). Outputs: ``VlmResult`` futures.
"""

from __future__ import annotations

import collections
import gc
import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from docworker import errors
from docworker.stages.vlm.batcher import DecodeBatch, penalise
from docworker.stages.vlm.loops import LoopTracker

_log = logging.getLogger(__name__)


@dataclass
class Task:
    """One page (or prompt) to generate for."""

    page: int
    inputs: Any  # BatchFeature for one sequence, on the CPU
    limit: int  # max new tokens
    guard: bool  # stop a repetition loop early
    ignore_eos: bool = False  # generate exactly ``limit`` tokens (benchmarks)
    future: Future = field(default_factory=Future)
    started: float = 0.0


@dataclass
class Finished:
    """What the loop hands back for a task: token ids and why it stopped."""

    task: Task
    tokens: list[int]
    looped: bool
    seconds: float


class Scheduler:
    """Owns the model on its thread; ``submit`` is thread-safe."""

    def __init__(
        self,
        model: Any,
        *,
        max_rows: int,
        stop_ids: list[int],
        device: str,
        dtype: Any,
        loop_options: dict[str, int],
        repetition_penalty: float = 1.0,
    ) -> None:
        self.model = model
        self.limit = max_rows
        self.stop_ids = set(stop_ids)
        self.device = device
        self.dtype = dtype
        self.loop_options = loop_options
        self.repetition_penalty = repetition_penalty
        self.oom_events = 0
        self.fatal: errors.GpuFatal | None = None
        self.peak_rows = 0
        self._queue: collections.deque[Task] = collections.deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._batch: DecodeBatch | None = None
        self._tracker: LoopTracker | None = None
        self._tasks: list[Task] = []  # parallel to the batch rows

    # ---------------------------------------------------------------- callers

    def submit(self, task: Task) -> Future:
        """Queue ``task``; its future resolves to a ``Finished`` (or an exception)."""
        with self._cond:
            if self.fatal is not None:
                task.future.set_exception(self.fatal)
                return task.future
            self._queue.append(task)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="vlm-batch", daemon=True)
                self._thread.start()
            self._cond.notify()
        return task.future

    # ------------------------------------------------------------------- loop

    def _loop(self) -> None:
        import torch

        with torch.inference_mode():
            while True:
                with self._cond:
                    while not self._queue and not self._tasks:
                        self._cond.wait()
                try:
                    self._admit()
                    if self._tasks:
                        self._step()
                except Exception as e:  # a bug here must not leave futures waiting forever
                    _log.exception("vlm: generation loop failed")
                    self._abandon(errors.EngineFailed(f"VLM loop failed ({type(e).__name__})"))
                    self._batch = None

    def _ensure_batch(self) -> DecodeBatch:
        if self._batch is None:
            self._batch = DecodeBatch(
                self.model, self.limit, repetition_penalty=self.repetition_penalty
            )
            self._tracker = LoopTracker(self.limit, self.device, **self.loop_options)
        return self._batch

    def _admit(self) -> None:
        batch = self._ensure_batch()
        while len(self._tasks) < self.limit:
            with self._cond:
                if not self._queue or self.fatal is not None:
                    return
                task = self._queue.popleft()
            if task.future.cancelled():  # its job gave up (time budget) before it started
                continue
            self._prefill(batch, task)

    def _prefill(self, batch: DecodeBatch, task: Task) -> None:
        import torch

        task.started = time.perf_counter()
        oom = False
        try:
            prefill, first, delta, seen = self._run_prefill(task)
        except torch.cuda.OutOfMemoryError:
            oom = True
        except torch.AcceleratorError as e:
            self._poison(e)
            return
        except Exception as e:  # one page's inputs must not fail the others
            _log.exception("vlm: prefill failed on page %d", task.page)
            self._fail(
                task,
                errors.EngineFailed(f"page {task.page}: VLM prefill failed ({type(e).__name__})"),
            )
            return
        if oom:
            self._out_of_memory_in_prefill(task)
            return
        stop = first in self.stop_ids and not task.ignore_eos
        if stop or task.limit <= 1:
            self._finish(task, [first], looped=False)
            return
        batch.join(task, prefill, first, delta, seen)
        del prefill
        self._tasks.append(task)
        self._tracker.add_row(first)
        self.peak_rows = max(self.peak_rows, len(self._tasks))

    def _run_prefill(self, task: Task):
        import torch
        from transformers import DynamicCache

        inputs = task.inputs.to(self.device)
        for key, value in list(inputs.items()):
            if torch.is_tensor(value) and value.is_floating_point():
                inputs[key] = value.to(self.dtype)
        cache = DynamicCache()
        out = self.model(**inputs, past_key_values=cache, use_cache=True, logits_to_keep=1)
        logits = out.logits[0, -1, :].float()
        del out
        seen = inputs["input_ids"][0]
        if self.repetition_penalty != 1.0:
            penalise(logits, seen, self.repetition_penalty)
        first = int(logits.argmax())
        inner = getattr(self.model, "model", None)
        deltas = getattr(inner, "rope_deltas", None)
        delta = int(deltas.reshape(-1)[0]) if deltas is not None else 0
        if inner is not None and deltas is not None:
            inner.rope_deltas = None  # ours, per row; never reused by the model
        return cache, first, delta, seen

    def _step(self) -> None:
        import torch

        batch = self._batch
        oom = False
        try:
            tokens = batch.step()
            looped = self._tracker.step(tokens) if any(t.guard for t in self._tasks) else None
        except torch.cuda.OutOfMemoryError:
            oom = True
        except torch.AcceleratorError as e:
            self._poison(e)
            return
        except Exception as e:  # a bug or a corrupt state: fail these rows, keep the queue
            _log.exception("vlm: decode step failed with %d rows", len(self._tasks))
            self._abandon(errors.EngineFailed(f"VLM decode step failed ({type(e).__name__})"))
            return
        if oom:
            self._out_of_memory_in_step()
            return
        flags = looped.tolist() if looped is not None else [False] * len(self._tasks)
        for i in reversed(range(len(self._tasks))):
            task, row = self._tasks[i], batch.rows[i]
            loop = flags[i] and task.guard
            stop = row.pending in self.stop_ids and not task.ignore_eos
            if stop or loop or len(row.tokens) >= task.limit or task.future.cancelled():
                self._retire(i)
                self._finish(task, row.tokens, looped=loop)

    def _retire(self, i: int) -> None:
        self._batch.leave(i)
        last = len(self._tasks) - 1
        if i != last:
            self._tasks[i] = self._tasks[last]
            self._tracker.move_row(last, i)
        self._tasks.pop()
        self._tracker.pop_row()

    def _finish(self, task: Task, tokens: list[int], *, looped: bool) -> None:
        seconds = time.perf_counter() - task.started
        if not task.future.done():  # a cancelled task (its job gave up) gets nothing
            task.future.set_result(Finished(task, list(tokens), looped, seconds))

    @staticmethod
    def _fail(task: Task, error: BaseException) -> None:
        if not task.future.done():
            task.future.set_exception(error)

    # ------------------------------------------------------------- failures

    def _free_memory(self) -> None:
        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _out_of_memory_in_prefill(self, task: Task) -> None:
        self.oom_events += 1
        self._free_memory()
        if not self._tasks:
            _log.warning("vlm: page %d runs out of GPU memory even alone", task.page)
            self._fail(
                task,
                errors.EngineFailed(f"page {task.page}: out of GPU memory in the VLM, even alone"),
            )
            return
        self.limit = max(1, len(self._tasks))
        _log.warning(
            "vlm: out of GPU memory prefilling page %d; at most %d pages decode at once from now",
            task.page,
            self.limit,
        )
        with self._cond:
            self._queue.appendleft(task)

    def _out_of_memory_in_step(self) -> None:
        self.oom_events += 1
        n = len(self._tasks)
        if n == 1:
            self._free_memory()
            task = self._tasks[0]
            self._retire(0)
            _log.warning("vlm: page %d runs out of GPU memory even alone", task.page)
            self._fail(
                task,
                errors.EngineFailed(f"page {task.page}: out of GPU memory in the VLM, even alone"),
            )
            return
        keep = max(1, n // 2)
        evicted = []
        while len(self._tasks) > keep:  # newest rows are last only until a retire: by start
            newest = max(range(len(self._tasks)), key=lambda i: self._tasks[i].started)
            evicted.append(self._tasks[newest])
            self._retire(newest)
        self.limit = keep
        self._free_memory()
        _log.warning(
            "vlm: out of GPU memory with %d pages decoding; %d go back to the queue,"
            " at most %d decode at once from now",
            n,
            len(evicted),
            keep,
        )
        with self._cond:
            for task in sorted(evicted, key=lambda t: t.started, reverse=True):
                self._queue.appendleft(task)

    def _abandon(self, error: errors.WorkerError, *, queue: bool = False) -> None:
        """Fail every row (and with ``queue`` every waiting task) without touching the GPU."""
        tasks, self._tasks = self._tasks, []
        if self._batch is not None:
            self._batch.rows.clear()
        if self._tracker is not None:
            self._tracker.count = 0
        if queue:
            with self._cond:
                tasks.extend(self._queue)
                self._queue.clear()
        for task in tasks:
            self._fail(task, error)

    def _poison(self, exc: BaseException) -> None:
        """A fatal device error: fail everything now and later; the worker must be replaced."""
        with self._cond:
            self.fatal = errors.GpuFatal(
                f"the GPU failed ({type(exc).__name__}); this worker cannot run more pages"
            )
        _log.error("vlm: fatal GPU error: %s", type(exc).__name__)
        self._abandon(self.fatal, queue=True)
        self._batch = None  # its buffers live in the poisoned context
