"""Job input → one document file inside the job's work folder, with limits and an SSRF guard.

``fetch_document(job, settings, workdir)`` takes the job's single document
source and writes its bytes to ``workdir`` (which the pipeline creates and
removes; nothing is written outside it, and a failed download removes its
partial file). It returns a ``FetchedDocument``: the file's path, SHA-256,
size, MIME type, a display file name and the number of attempts made.

Sources, one module each:

- ``document_url``: http or https, presigned S3 URLs included (``fetch.http``:
  urllib3, redirects followed by hand, every hop through the SSRF guard).
- ``s3_uri``: boto3 (``fetch.s3``); an endpoint sent in the job must be one
  the operator lists in ``s3_endpoints``.
- ``document_base64`` with ``filename`` (here).
- ``document_path``: a local file, copied in; refused with ``InvalidInput``
  when ``settings.on_runpod`` is set (here).

The SSRF guard (``fetch.ssrf``) admits only http and https to public
addresses, resolves each host once and pins the connection to the addresses
that passed (no DNS rebinding); ``settings.allow_private_hosts`` lifts it for
named hosts or ranges.

Limits: ``max_bytes`` (checked against Content-Length first, then counted
while streaming) → ``TooLarge``; ``connect_timeout_s`` and ``read_timeout_s``
per attempt; ``max_header_bytes`` for response headers; the whole download
must end within ``job_timeout_s`` → ``TimeLimitExceeded``, enforced on the
connection itself by ``watchdog.Watchdog`` (a server dripping bytes cannot
hold it longer), which also ends a body slower than ``fetch_min_bytes_per_s``
once ``fetch_grace_s`` has passed. A body shorter
than its Content-Length → ``FetchFailed``. Every source writes through one
``sink.Sink``, which enforces the byte and time limits.

Retries (``sink.with_retries``): ``fetch_retries`` more attempts,
``fetch_backoff_s`` doubling, on connection errors (refused, reset, connect
timeout, a body cut short) and 5xx only. A read timeout is not retried here
(the server is up but too slow, and retrying multiplies the wait) but the
error is ``retryable``. A 4xx fails at once, ``retryable`` only for 408 and
429. S3's NoSuchKey, NoSuchBucket and AccessDenied fail at once and are not
retryable. urllib3's and botocore's exceptions are translated into
``docworker.errors`` in ``fetch.http`` and ``fetch.s3``, with ``raise ... from e``.

After the download the type is sniffed from magic bytes
(``decode.sniff_type``), never from the extension or Content-Type: a type
outside ``decode.SUPPORTED_TYPES`` → ``UnsupportedType``; an empty file →
``CorruptDocument("empty document")`` (whatever the source, an empty file is
not a document). The file is then named ``document<ext>`` for its sniffed
type, so tools that dispatch on extensions see the right one.

Never logged or put in an error: query strings, URL credentials, AWS access
or secret keys, document bytes. URLs pass through ``ssrf.shown_url``
(redacted, at most 200 characters); an ``s3://bucket/key`` path may appear.
One INFO line per download gives the redacted source, bytes, type,
milliseconds and attempts.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import stat
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from docworker import decode, errors
from docworker.config import Settings
from docworker.contract import JobInput
from docworker.fetch.http import fetch_url
from docworker.fetch.s3 import fetch_s3
from docworker.fetch.sink import CHUNK_BYTES, Sink, Stats
from docworker.fetch.ssrf import shown_url

_log = logging.getLogger(__name__)

_EXTENSIONS = {
    decode.PDF: ".pdf",
    decode.PNG: ".png",
    decode.JPEG: ".jpg",
    decode.TIFF: ".tiff",
    decode.WEBP: ".webp",
    decode.BMP: ".bmp",
    decode.DOCX: ".docx",
    decode.PPTX: ".pptx",
    decode.XLSX: ".xlsx",
    decode.HTML: ".html",
}


@dataclass(frozen=True)
class FetchedDocument:
    """A downloaded document on disk, inside the job's work folder."""

    path: Path
    sha256: str
    size: int
    mime: str
    filename: str | None
    attempts: int = 1


# ----------------------------------------------------------------------------- entry


def fetch_document(job: JobInput, settings: Settings, workdir: Path) -> FetchedDocument:
    """Write the job's document into ``workdir`` and describe it; see the module docstring."""
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    sink = Sink(workdir, settings.max_bytes, started + settings.job_timeout_s)
    stats = Stats()
    shown = _describe(job)
    try:
        if job.document_url is not None:
            filename = fetch_url(job.document_url, settings, sink, stats)
        elif job.s3_uri is not None:
            filename = fetch_s3(job, settings, sink, stats)
        elif job.document_base64 is not None:
            filename = _fetch_base64(job.document_base64, job.filename, sink)
        elif job.document_path is not None:
            filename = _fetch_path(job.document_path, settings, sink)
        else:  # JobInput's validator makes this unreachable
            raise errors.InvalidInput("the job has no document source")
        sink.close()
        fetched = _finish(sink, workdir, filename, max(1, stats.attempts))
    except BaseException as e:
        sink.discard()
        code = e.code if isinstance(e, errors.WorkerError) else type(e).__name__
        _log.warning(
            "fetch of %s failed after %d attempt(s) in %.0f ms: %s",
            shown,
            stats.attempts,
            (time.monotonic() - started) * 1000,
            code,
        )
        raise
    _log.info(
        "fetched %s: %d bytes, %s, %.0f ms, %d attempt(s)",
        shown,
        fetched.size,
        fetched.mime,
        (time.monotonic() - started) * 1000,
        fetched.attempts,
    )
    return fetched


def _describe(job: JobInput) -> str:
    """How a log line names the source: never a query string, credentials or content."""
    if job.document_url is not None:
        return shown_url(job.document_url)
    if job.s3_uri is not None:
        return job.s3_uri
    if job.document_base64 is not None:
        return "base64 document"
    return "local file"


def _finish(sink: Sink, workdir: Path, filename: str | None, attempts: int) -> FetchedDocument:
    if sink.size == 0:
        raise errors.CorruptDocument("empty document")
    mime = decode.sniff_type(sink.path)
    if mime not in decode.SUPPORTED_TYPES:
        raise errors.UnsupportedType(
            f"unsupported document type {mime} (detected from the file's bytes)"
        )
    final = workdir / f"document{_EXTENSIONS.get(mime, '.bin')}"
    os.replace(sink.path, final)
    sink.path = final
    return FetchedDocument(
        path=final,
        sha256=sink.sha256,
        size=sink.size,
        mime=mime,
        filename=_clean_filename(filename),
        attempts=attempts,
    )


def _clean_filename(name: str | None) -> str | None:
    """A display name: the last path part, printable, at most 255 characters."""
    if not name:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or None


# ------------------------------------------------------------------- base64, local


def _fetch_base64(data: str, filename: str | None, sink: Sink) -> str | None:
    sink.check_length(len(data) * 3 // 4 - 2)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise errors.InvalidInput("document_base64 is not valid base64") from e
    sink.reset()
    sink.write(raw)
    return filename


def _fetch_path(path: str, settings: Settings, sink: Sink) -> str | None:
    if settings.on_runpod:
        raise errors.InvalidInput(
            "document_path is refused on RunPod; send document_url, s3_uri or document_base64"
        )
    source = Path(path)
    try:
        info = source.stat()
    except OSError as e:
        raise errors.InvalidInput(f"document_path cannot be read ({e.strerror})") from e
    if not stat.S_ISREG(info.st_mode):
        raise errors.InvalidInput("document_path is not a regular file")
    sink.check_length(info.st_size)
    sink.reset()
    try:
        with source.open("rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                sink.write(chunk)
    except OSError as e:
        raise errors.InvalidInput(f"document_path cannot be read ({e.strerror})") from e
    return source.name
