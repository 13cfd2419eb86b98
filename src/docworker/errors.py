"""The one error hierarchy of docworker.

Every failure the worker reports carries a stable ``code`` (a snake_case
string that backends may switch on) and a ``retryable`` flag (whether sending
the same job again may succeed). Third-party exceptions are translated into
these classes at the edges (fetch, decode, stages) with ``raise ... from e``;
``to_error_payload`` turns any exception into the single error shape the
handler returns::

    WorkerError                      internal
    ├── InvalidInput                 invalid_input
    ├── FetchFailed                  fetch_failed       (retryable)
    │   └── UrlBlocked               url_blocked
    ├── TooLarge                     too_large
    ├── UnsupportedType              unsupported_type
    ├── PasswordRequired             password_required
    ├── BadPassword                  bad_password
    ├── CorruptDocument              corrupt_document
    ├── LimitExceeded                limit_exceeded
    ├── TimeLimitExceeded            timeout            (retryable)
    ├── EngineUnavailable            engine_unavailable
    ├── EngineFailed                 engine_failed      (retryable)
    ├── GpuFatal                     gpu_fatal          (asks for a fresh worker)
    ├── SchemaValidationFailed       schema_validation_failed
    ├── UploadFailed                 upload_failed      (retryable)
    └── StartupCheckFailed           startup_failed

Messages never carry a file system path: ``to_dict`` replaces any absolute
path with ``<path>`` (``without_paths``), whatever raised. The README's error
table lists exactly these codes; ``tests/test_errors.py``
keeps the two equal. An outbound connection refused during a job is not an
error: it is counted in ``metadata.network.blocked_outbound`` with a warning
(see ``isolation.netguard``).
"""

from __future__ import annotations

import re
from typing import Any

# An absolute file system path of two or more parts. Not the path of a URL: the
# slash must not follow a host, a scheme's "//", a word or a dot.
_PATH = re.compile(r"(?<![\w.:/~-])/(?:[\w.+@%~-]+/)+[\w.+@%~-]*")


def without_paths(message: str) -> str:
    """``message`` with absolute file paths (temporary folders, say) replaced by ``<path>``."""
    return _PATH.sub("<path>", message)


class WorkerError(Exception):
    """Base class: an unexpected failure inside the worker."""

    code: str = "internal"
    retryable: bool = False

    def __init__(self, message: str, *, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[Any] = details or []

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready error object (no traceback, no document content, no file paths)."""
        out: dict[str, Any] = {
            "code": self.code,
            "message": without_paths(self.message),
            "retryable": self.retryable,
        }
        if self.details:
            out["details"] = self.details
        return out


class InvalidInput(WorkerError):
    """The job input does not match the input contract."""

    code = "invalid_input"


class FetchFailed(WorkerError):
    """The document could not be downloaded (network error, 4xx/5xx, truncated body)."""

    code = "fetch_failed"
    retryable = True


class UrlBlocked(FetchFailed):
    """The URL, or a redirect hop, points at a scheme or address the worker refuses."""

    code = "url_blocked"
    retryable = False


class TooLarge(WorkerError):
    """The document is larger than the configured byte limit."""

    code = "too_large"


class UnsupportedType(WorkerError):
    """The document's bytes are not a format the worker can decode."""

    code = "unsupported_type"


class PasswordRequired(WorkerError):
    """The document is encrypted and no password was given."""

    code = "password_required"


class BadPassword(WorkerError):
    """The document is encrypted and the given password does not open it."""

    code = "bad_password"


class CorruptDocument(WorkerError):
    """The document's bytes claim a supported format but cannot be parsed."""

    code = "corrupt_document"


class LimitExceeded(WorkerError):
    """The document exceeds a structural limit (page count, page size, zip ratio)."""

    code = "limit_exceeded"


class TimeLimitExceeded(WorkerError):
    """A page or the whole job ran past its time budget."""

    code = "timeout"
    retryable = True


class EngineUnavailable(WorkerError):
    """The requested engine cannot run on this worker (no CUDA, no weights, ...)."""

    code = "engine_unavailable"


class EngineFailed(WorkerError):
    """An engine raised while processing a page (including a crashed page process)."""

    code = "engine_failed"
    retryable = True


class GpuFatal(WorkerError):
    """The GPU failed in a way this process cannot recover from; RunPod should replace it."""

    code = "gpu_fatal"
    refresh_worker = True


class SchemaValidationFailed(WorkerError):
    """Structured extraction produced output that does not validate against ``json_schema``."""

    code = "schema_validation_failed"


class UploadFailed(WorkerError):
    """A large result could not be uploaded to the result bucket."""

    code = "upload_failed"
    retryable = True


class StartupCheckFailed(WorkerError):
    """A required startup check failed; the worker refuses to take jobs."""

    code = "startup_failed"


def all_error_classes() -> list[type[WorkerError]]:
    """Every class in the hierarchy, the base included, in definition order."""
    found: list[type[WorkerError]] = [WorkerError]
    stack = list(WorkerError.__subclasses__())
    while stack:
        cls = stack.pop(0)
        found.append(cls)
        stack[0:0] = cls.__subclasses__()
    return found


def to_error_payload(exc: BaseException) -> dict[str, Any]:
    """The handler's one error shape: ``{"error": {...}}``.

    A ``WorkerError`` keeps its code and message. Anything else is reported
    as ``internal`` with only the exception's type name, so that no document
    content or secret carried in a foreign message reaches the caller.
    """
    if isinstance(exc, WorkerError):
        payload: dict[str, Any] = {"error": exc.to_dict()}
        if getattr(exc, "refresh_worker", False):
            payload["refresh_worker"] = True  # RunPod replaces the worker after this job
        return payload
    return {
        "error": WorkerError(f"internal error ({type(exc).__name__})").to_dict(),
    }
