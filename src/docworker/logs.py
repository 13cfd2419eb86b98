"""JSON-lines logging with the job id, and redaction of URLs and secrets.

``setup_logging(level)`` installs one handler on the root logger that writes a
JSON object per record to stderr. ``job_context(job_id)`` tags every record
logged inside it with that job id. ``redact_url`` strips what must never reach
a log: query strings (presigned signatures), user info, and fragments.

Inputs: log records. Outputs: JSON lines on stderr.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)


def redact_url(url: str) -> str:
    """``scheme://host[:port]/path`` with credentials, query and fragment removed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = "<redacted>" if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, job_id, exception type."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        job_id = getattr(record, "job_id", None) or _job_id.get()
        if job_id:
            payload["job_id"] = job_id
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: exception messages from parsers can quote document content.
            payload["exc_type"] = record.exc_info[0].__name__
        extra = getattr(record, "data", None)
        if isinstance(extra, dict):
            payload["data"] = extra
        return json.dumps(payload, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", stream=None) -> None:
    """Route all logging through one JSON handler (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_docworker", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._docworker = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Third-party loggers that echo URLs (with signatures) or document text at INFO.
    for noisy in ("urllib3", "botocore", "boto3", "s3transfer", "RapidOCR", "docstrange"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextlib.contextmanager
def job_context(job_id: str | None) -> Iterator[None]:
    """Tag log records emitted inside the block with ``job_id``."""
    token = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(token)
