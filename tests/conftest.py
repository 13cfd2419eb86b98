"""Shared pytest fixtures.

Server fixtures (HTTP on 127.0.0.1, moto S3) live in tests/servers.py. The
``cpu_pipeline`` fixture builds one real pipeline (page processes, RapidOCR
warm-up) for the whole session; tests that need other settings build their own.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.servers", "tests.tinymodels"]


@pytest.fixture(scope="session")
def cpu_pipeline():
    from docworker.config import Settings
    from docworker.pipeline import Pipeline

    pipeline = Pipeline.build(Settings(default_engine="cpu", workers=2), load_gpu=False)
    yield pipeline
    pipeline.close()
