"""Large results: payloads over the inline limit go to the result bucket as JSON.

RunPod caps what a job may return (``/runsync`` results are kept for a minute,
and bodies over about 20 MB are refused), and a 300-page document with boxes
can pass that. ``ResultStore.maybe_store(payload, job_id)`` serialises the
payload once; when it is larger than ``DOCWORKER_RESULT_INLINE_MAX_BYTES`` it
uploads those exact bytes with boto3 to ``DOCWORKER_BUCKET_NAME`` on
``BUCKET_ENDPOINT_URL`` and returns a ``contract.StoredResponse`` instead:
``{"result": {"url", "bytes", "sha256", "expires_in_s"}, "metadata": ...}``,
where ``url`` is a presigned GET URL and ``sha256`` is the digest of the
stored bytes. A failed upload becomes the ``upload_failed`` error payload
(retryable); neither the URL's signature nor the credentials are ever logged.

Images (job option ``images``) come first: each PNG over
``DOCWORKER_MAX_INLINE_IMAGE_BYTES`` is uploaded on its own
(``results/<UTC date>/<job id>-<random>/page-003-figure-01.png``) and its
entry gets a presigned ``url`` in place of the base64 ``data``; then the
payload's size is judged as above.

Inputs: a response payload dict, ``Settings`` (bucket endpoint, keys, name).
Outputs: the same payload, a stored-response dict, or an error payload.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from docworker import errors
from docworker.config import Settings
from docworker.contract import StoredResponse
from docworker.logs import redact_url

_log = logging.getLogger(__name__)

_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def payload_bytes(payload: dict[str, Any]) -> bytes:
    """The JSON bytes a payload is stored as: compact, UTF-8, accents unescaped."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def region_of(endpoint_url: str) -> str | None:
    """The region named in an S3-style endpoint (``s3.<region>.``, Spaces), else ``None``."""
    host = urlsplit(endpoint_url).hostname or ""
    match = re.search(r"(?:^|\.)s3[.-]([a-z0-9-]+)\.amazonaws\.com$", host)
    if match and match.group(1) not in ("external-1",):
        return match.group(1)
    match = re.match(r"^(?:[^.]+\.)?([a-z0-9-]+)\.digitaloceanspaces\.com$", host)
    if match:
        return match.group(1)
    return None


def object_key(job_id: str | None, now: dt.datetime | None = None) -> str:
    """``results/<UTC date>/<job id>-<random>.json``: unique and not guessable from the id."""
    day = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d")
    stem = _UNSAFE_KEY_CHARS.sub("_", job_id or "job")[:100] or "job"
    return f"results/{day}/{stem}-{uuid.uuid4().hex[:12]}.json"


class ResultStore:
    """Uploads oversized payloads to the result bucket; built once per worker."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        inline_max_bytes: int,
        url_expiry_s: int,
        image_inline_max_bytes: int | None = None,
    ) -> None:
        self._client = client
        self.bucket = bucket
        self.inline_max_bytes = inline_max_bytes
        self.url_expiry_s = url_expiry_s
        self.image_inline_max_bytes = image_inline_max_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> ResultStore:
        """A boto3 S3 client for ``BUCKET_ENDPOINT_URL`` with the ``BUCKET_*`` keys."""
        import boto3
        from botocore.config import Config

        if not settings.bucket_endpoint_url:
            raise errors.UploadFailed("BUCKET_ENDPOINT_URL is not set")
        key_id = settings.bucket_access_key_id
        secret = settings.bucket_secret_access_key
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.bucket_endpoint_url,
            aws_access_key_id=key_id.get_secret_value() if key_id else None,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            region_name=region_of(settings.bucket_endpoint_url),
            config=Config(
                signature_version="s3v4",
                connect_timeout=settings.connect_timeout_s,
                read_timeout=settings.read_timeout_s,
                retries={"max_attempts": 3, "mode": "standard"},
                # S3-compatible stores (R2, Spaces, MinIO) reject boto3's default
                # flexible checksums; send them only where the API requires them.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        _log.info(
            "large results go to bucket %s at %s",
            settings.bucket_name,
            redact_url(settings.bucket_endpoint_url),
        )
        return cls(
            client,
            settings.bucket_name,
            inline_max_bytes=settings.result_inline_max_bytes,
            url_expiry_s=settings.result_url_expiry_s,
            image_inline_max_bytes=settings.max_inline_image_bytes,
        )

    def maybe_store(self, payload: dict[str, Any], job_id: str | None) -> dict[str, Any]:
        """``payload`` itself when small enough, else a stored response (or ``upload_failed``)."""
        if "error" in payload or "metadata" not in payload:
            return payload
        try:
            self.store_images(payload, job_id)
        except errors.UploadFailed as e:
            _log.warning("image upload failed: %s", e.message)
            return errors.to_error_payload(e)
        body = payload_bytes(payload)
        if len(body) <= self.inline_max_bytes:
            return payload
        try:
            return self.store(body, payload["metadata"], job_id)
        except errors.UploadFailed as e:
            _log.warning("result upload failed: %s", e.message)
            return errors.to_error_payload(e)

    def store_images(self, payload: dict[str, Any], job_id: str | None) -> int:
        """Upload each inline PNG over the image cap; its entry gets ``url`` for ``data``.

        Returns how many were uploaded; raises ``UploadFailed`` when the bucket refuses.
        """
        cap = self.image_inline_max_bytes
        data = payload.get("data")
        if cap is None or not isinstance(data, dict):
            return 0
        prefix = None
        count = 0
        for page in data.get("pages") or []:
            for image in page.get("images") or []:
                if not image.get("data") or image.get("bytes", 0) <= cap:
                    continue
                prefix = prefix or object_key(job_id).removesuffix(".json")
                key = f"{prefix}/{image['name']}"
                body = base64.b64decode(image["data"])
                image["url"] = self._put(key, body, "image/png", hashlib.sha256(body).hexdigest())
                image["data"] = None
                count += 1
        if count:
            _log.info("%d image(s) stored in the bucket under %s/", count, prefix)
        return count

    def _put(self, key: str, body: bytes, content_type: str, digest: str) -> str:
        """Upload ``body`` as ``key``; its presigned GET URL (``UploadFailed`` when refused)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                Metadata={"sha256": digest},
            )
            return self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=self.url_expiry_s,
            )
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "unknown")
            raise errors.UploadFailed(f"the result bucket refused the upload ({code})") from e
        except BotoCoreError as e:
            raise errors.UploadFailed(
                f"the result bucket could not be reached ({type(e).__name__})"
            ) from e

    def store(self, body: bytes, metadata: dict[str, Any], job_id: str | None) -> dict[str, Any]:
        """Upload ``body`` and describe it; raise ``UploadFailed`` when the bucket refuses."""
        digest = hashlib.sha256(body).hexdigest()
        key = object_key(job_id)
        url = self._put(key, body, "application/json; charset=utf-8", digest)
        _log.info("result of %d bytes stored in the bucket as %s", len(body), key)
        stored = StoredResponse.model_validate(
            {
                "result": {
                    "url": url,
                    "bytes": len(body),
                    "sha256": digest,
                    "expires_in_s": self.url_expiry_s,
                },
                "metadata": metadata,
            }
        )
        return stored.model_dump(mode="json")
