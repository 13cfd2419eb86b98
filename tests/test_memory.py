"""Streaming pages keeps memory flat: a 300-page PDF peaks within 1.5x of a 10-page one.

Both documents are the same mix (digital pages, a full-page scan every 5th
page, OCR'd at 72 dpi to keep the run to a couple of minutes). Each job runs
in a fresh process through ``bench.memory``, which measures the worker and
its page processes together: the sampled peak of their summed RSS, and the
sum of each process's own peak (``VmHWM``), an upper bound.
"""

from __future__ import annotations

import pytest
from bench.memory import compare


@pytest.mark.slow
def test_300_pages_peak_within_1_5x_of_10_pages():
    result = compare([10, 300], runs=1, every=5, dpi=72, scan_lines=6)
    rows = result["rows"]
    assert rows[10]["status"] == ["success"] and rows[300]["status"] == ["success"]
    ratio = result["ratio_high_to_low"]
    assert ratio["job_peak_sampled_mb"] <= 1.5, result
    assert ratio["job_peak_hwm_sum_mb"] <= 1.5, result
