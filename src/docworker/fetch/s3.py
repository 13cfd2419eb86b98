"""``s3://bucket/key`` downloads with boto3.

``fetch_s3(job, settings, sink, stats)`` reads the object with the
operator's ``DOCWORKER_S3_ACCESS_KEY_ID``/``DOCWORKER_S3_SECRET_ACCESS_KEY`` and
``DOCWORKER_S3_REGION`` when set (else the standard AWS credential chain),
against ``job.s3_endpoint_url`` or else
``settings.s3_endpoint_url`` (path-style addressing when an endpoint is
given), with botocore's own retries off (``sink.with_retries`` decides).

Endpoints are the operator's choice, never the caller's: every request is
signed with the worker's credentials, and SigV4 sends the access key id (and
a session token, if any) to whatever host it is given. So the operator's
``settings.s3_endpoint_url`` is trusted, and an endpoint sent *in the job* is
used only when it names the same endpoint as one in ``settings.s3_endpoints``
(scheme, host and port compared; ``allowed_endpoint``), else the job fails
with ``UrlBlocked`` before any connection is made. Endpoints in that list are
trusted like the operator's own (not SSRF-checked).

Each attempt runs under a ``watchdog.Watchdog``: the job's deadline ends the
connection in any phase, and the body's rate floor applies once
``get_object`` has answered. Connect and read timeouts are cut to the time left.

botocore's exceptions are translated here, each with ``raise ... from e``:
NoSuchKey, NoSuchBucket and AccessDenied fail at once and are not retryable;
5xx and broken connections are retried; a read timeout is not retried but is
``retryable``; missing credentials fail at once.

Inputs: a ``JobInput`` with ``s3_uri``, ``Settings``, the job's ``Sink``.
Output: the bytes in the sink and the key's last part as display file name.
"""

from __future__ import annotations

import functools
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from urllib3 import exceptions as u3

from docworker import errors
from docworker.config import Settings
from docworker.contract import JobInput
from docworker.fetch.sink import CHUNK_BYTES, Retry, Sink, Stats, failed, with_retries
from docworker.fetch.ssrf import DEFAULT_PORTS, shown_url
from docworker.fetch.watchdog import Watchdog, time_left

_S3_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
_S3_DENIED = frozenset(
    {"AccessDenied", "403", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
)


@functools.cache
def _botocore_loader():  # -> botocore.loaders.Loader
    """One model loader for every job: parsing botocore's JSON models costs ~0.5 s."""
    from botocore.loaders import create_loader

    return create_loader()


def _origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an endpoint URL, lower-case, default port filled in."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or DEFAULT_PORTS[scheme]


def allowed_endpoint(endpoint: str, settings: Settings) -> bool:
    """Whether a job may send its S3 request (and the worker's key id) to ``endpoint``."""
    origin = _origin(endpoint)
    trusted = [*settings.s3_endpoints, settings.s3_endpoint_url or ""]
    return origin is not None and any(origin == _origin(t) for t in trusted if t)


def _s3_client(
    endpoint: str | None, settings: Settings, sink: Sink | None = None
):  # -> botocore S3 client
    """A fresh client per job (credentials come from the standard chain each time).

    With ``sink``, the connect and read timeouts are cut to the job's time left.
    """
    import boto3
    import botocore.session
    from botocore.config import Config

    config = Config(
        connect_timeout=time_left(sink, settings.connect_timeout_s)
        if sink
        else settings.connect_timeout_s,
        read_timeout=time_left(sink, settings.read_timeout_s) if sink else settings.read_timeout_s,
        retries={"total_max_attempts": 1, "mode": "standard"},
        s3={"addressing_style": "path"} if endpoint else None,
    )
    core = botocore.session.Session()
    core.register_component("data_loader", _botocore_loader())
    session = boto3.session.Session(botocore_session=core)
    return session.client("s3", endpoint_url=endpoint, config=config, **_credentials(settings))


def _credentials(settings: Settings) -> dict[str, str]:
    """The operator's DOCWORKER_S3_* key pair and region; empty: the standard chain decides."""
    out: dict[str, str] = {}
    if settings.s3_access_key_id is not None and settings.s3_secret_access_key is not None:
        out["aws_access_key_id"] = settings.s3_access_key_id.get_secret_value()
        out["aws_secret_access_key"] = settings.s3_secret_access_key.get_secret_value()
    if settings.s3_region:
        out["region_name"] = settings.s3_region
    return out


def fetch_s3(job: JobInput, settings: Settings, sink: Sink, stats: Stats) -> str | None:
    """Download the job's S3 object into ``sink``; return its display file name."""
    bucket, key = job.s3_location()
    shown = f"s3://{bucket}/{key}"
    endpoint = job.s3_endpoint_url or settings.s3_endpoint_url
    if job.s3_endpoint_url is not None and not allowed_endpoint(job.s3_endpoint_url, settings):
        raise errors.UrlBlocked(
            f"the job's s3_endpoint_url {shown_url(job.s3_endpoint_url)} is not one of the"
            " worker's S3 endpoints (DOCWORKER_S3_ENDPOINTS); the worker's credentials go only"
            " to endpoints its operator lists"
        )
    try:
        client = _s3_client(endpoint, settings, sink)
    except Exception as e:  # botocore raises ValueError for a malformed endpoint
        raise errors.InvalidInput(
            f"cannot build an S3 client for {shown} ({type(e).__name__})"
        ) from e

    def once() -> None:
        with Watchdog(sink, settings, shown) as clock:
            try:
                _s3_get(client, bucket, key, shown, settings, sink, clock)
            except (Retry, errors.WorkerError) as e:
                late = clock.error()
                if late is not None:
                    raise late from e
                raise
            late = clock.error()  # a connection cut by the clock can also end "cleanly"
            if late is not None:
                raise late

    with_retries(settings, sink, stats, once)
    return PurePosixPath(key).name


def _s3_get(
    client, bucket: str, key: str, shown: str, settings: Settings, sink: Sink, clock: Watchdog
) -> None:
    from botocore import exceptions as bx

    try:
        response = client.get_object(Bucket=bucket, Key=key)
        clock.body_started()
        sink.check_length(response.get("ContentLength"))
        body = response["Body"]
        try:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                sink.write(chunk)
        finally:
            body.close()
    except bx.ClientError as e:
        error = e.response.get("Error", {})
        code = str(error.get("Code", "unknown"))
        status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _S3_MISSING:
            raise failed(f"{shown} does not exist ({code})", retryable=False) from e
        if code in _S3_DENIED:
            raise failed(f"access to {shown} was denied ({code})", retryable=False) from e
        if status >= 500:
            raise Retry(failed(f"S3 error {code} for {shown}", retryable=True)) from e
        raise failed(f"S3 error {code} for {shown}", retryable=status in (408, 429)) from e
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as e:
        raise failed(f"no AWS credentials are available to read {shown}", retryable=False) from e
    except bx.ReadTimeoutError as e:
        raise failed(
            f"S3 sent nothing for {settings.read_timeout_s:g} s while reading {shown}",
            retryable=True,
        ) from e
    except (
        bx.EndpointConnectionError,
        bx.ConnectTimeoutError,
        bx.ConnectionClosedError,
        bx.IncompleteReadError,
        bx.ResponseStreamingError,
        u3.HTTPError,
    ) as e:
        raise Retry(
            failed(f"the connection to S3 broke while reading {shown}", retryable=True)
        ) from e
    except bx.BotoCoreError as e:
        raise failed(f"S3 request for {shown} failed ({type(e).__name__})", retryable=False) from e
