"""Page processes: limits kill the child, not the worker, and the next task still runs."""

from __future__ import annotations

import time

import pytest

from docworker import errors
from docworker.isolation.pool import PagePool

T = "tests.sandbox_targets."


@pytest.fixture(scope="module")
def pool():
    pool = PagePool(workers=2, memory_mb=1024)
    pool.start()
    yield pool
    pool.close()


def run(pool, fn, tasks, **kw):
    kw.setdefault("timeout_s", 20)
    return [result for _, result in pool.run(T + fn, tasks, **kw)]


def test_results_come_back_in_task_order(pool):
    tasks = [(0.3, "a"), (0.0, "b"), (0.1, "c"), (0.0, "d"), (0.2, "e")]
    assert run(pool, "sleep_then", tasks) == ["a", "b", "c", "d", "e"]


def test_timeout_kills_the_child_and_the_pool_recovers(pool):
    killed = pool.stats.killed
    started = time.monotonic()
    results = run(pool, "sleep_then", [(30, "slow"), (0, "fast")], timeout_s=1.0)
    assert time.monotonic() - started < 10
    assert isinstance(results[0], errors.TimeLimitExceeded)
    assert results[1] == "fast"
    assert pool.stats.killed == killed + 1
    assert run(pool, "echo", [1, 2, 3]) == [1, 2, 3]


def test_crash_becomes_engine_failed(pool):
    results = run(pool, "crash", [None])
    assert isinstance(results[0], errors.EngineFailed)
    assert "exit code 3" in results[0].message
    assert run(pool, "echo", ["next job"]) == ["next job"]


def test_memory_limit_is_enforced(pool):
    (result,) = run(pool, "hog_memory", [4096])
    assert isinstance(result, errors.LimitExceeded | errors.EngineFailed)
    assert run(pool, "hog_memory", [16]) == [16 * 1024 * 1024]


def test_typed_errors_cross_the_process_boundary(pool):
    (result,) = run(pool, "typed_error", [None])
    assert isinstance(result, errors.CorruptDocument)
    assert result.message == "bad bytes"


def test_foreign_errors_are_reported_without_their_message(pool):
    (result,) = run(pool, "foreign_error", [None])
    assert isinstance(result, errors.EngineFailed)
    assert "secret" not in result.message
    assert "KeyError" in result.message


def test_job_deadline_fails_unstarted_tasks(pool):
    deadline = time.monotonic() + 0.5
    results = run(pool, "sleep_then", [(2, "x"), (2, "y"), (0, "z")], deadline=deadline)
    assert all(isinstance(r, errors.TimeLimitExceeded) for r in results)


def test_window_bounds_tasks_in_flight(pool):
    pulled = []

    def tasks():
        for i in range(20):
            pulled.append(i)
            yield (0.0, i)

    seen = []
    for _, result in pool.run(T + "sleep_then", tasks(), timeout_s=10, window=4):
        seen.append(result)
        # Never more than `window` tasks pulled ahead of what was yielded.
        assert len(pulled) - len(seen) <= 4
    assert seen == list(range(20))


def test_a_slow_first_task_leaves_the_other_child_working(pool, tmp_path):
    """Task 0 waits for a file that task 30 writes: the other child must reach task 30 while
    task 0 runs, results still coming back in order (a scanned cover before 400 text pages)."""
    flag = str(tmp_path / "flag")
    tasks = [("wait", flag)] + [("signal", str(tmp_path / str(i))) for i in range(1, 40)]
    tasks[30] = ("signal", flag)
    results = run(pool, "wait_or_signal", tasks, timeout_s=60, window=len(tasks))
    assert results == ["saw it"] + ["signalled"] * 39


def test_tasks_are_pulled_only_as_children_come_free(pool):
    pulled = []

    def tasks():
        for i in range(10):
            pulled.append(i)
            yield (0.2, i)

    results = pool.run(T + "sleep_then", tasks(), timeout_s=10, window=100)
    assert next(results)[1] == 0
    # The first round for each child and the next task of those that came free, not all ten.
    assert len(pulled) <= 2 * pool.size
    assert [r for _, r in results] == list(range(1, 10))


def test_a_run_closed_mid_flight_leaves_no_stale_answer_for_the_next(pool):
    """The consumer stops after one result (a streaming callback raised, say): the tasks still
    in flight must not answer the next run's slots."""
    first = pool.run(
        T + "sleep_then", [(0.0, "old-0"), (0.5, "old-1"), (0.6, "old-2")], timeout_s=20
    )
    assert next(first) == ((0.0, "old-0"), "old-0")
    first.close()  # old-1 and old-2 are still running in the children
    time.sleep(0.8)  # their answers would be waiting in the pipes by now
    results = run(pool, "echo", ["new-0", "new-1", "new-2", "new-3"])
    assert results == ["new-0", "new-1", "new-2", "new-3"]


def test_a_run_left_by_an_exception_leaves_the_pool_clean(pool):
    with pytest.raises(RuntimeError):
        for _task, _result in pool.run(T + "sleep_then", [(0.0, 1), (0.4, 2)], timeout_s=20):
            raise RuntimeError("the consumer failed")
    time.sleep(0.5)
    assert run(pool, "echo", ["a", "b"]) == ["a", "b"]


def test_refusals_in_page_processes_are_counted_in_the_jobs_guard(http_server):
    from docworker.isolation import netguard

    guarded = PagePool(
        workers=1, memory_mb=1024, initializer="docworker.isolation.tasks.init_child"
    )
    try:
        with netguard.guard() as report:
            out = [
                r for _, r in guarded.run(T + "connect_out", [http_server.port] * 2, timeout_s=20)
            ]
        assert out == ["refused", "refused"]
        assert report.blocked == 2
        assert report.targets == [f"127.0.0.1:{http_server.port}"] * 2
        assert http_server.hits == {}
    finally:
        guarded.close()


def test_page_processes_collect_young_objects_less_often():
    """A page process's first collector threshold is ``GC_YOUNG``, not Python's 700;
    the older generations keep theirs (the worker process is left as it is)."""
    import gc

    from docworker.isolation import tasks

    guarded = PagePool(
        workers=1, memory_mb=1024, initializer="docworker.isolation.tasks.init_child"
    )
    try:
        (threshold,) = [r for _, r in guarded.run(T + "gc_threshold", [None], timeout_s=20)]
    finally:
        guarded.close()
    assert tuple(threshold) == (tasks.GC_YOUNG, *gc.get_threshold()[1:])
    assert gc.get_threshold()[0] != tasks.GC_YOUNG
