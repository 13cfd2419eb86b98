"""The worker's public contract: ``JobInput`` in, ``ExtractionResponse`` out.

Both are pydantic v2 models; their JSON Schemas are committed under
``schemas/`` (``python -m docworker schema --write schemas``) and a test keeps
the files in sync with the models. ``SCHEMA_VERSION`` follows semver: a new
optional field bumps the minor version, anything a strict client could trip
on bumps the major version.

Coordinates: every ``bbox`` is ``[x0, y0, x1, y1]`` in the original page's
space with the origin at the top-left corner and y growing downwards, in the
page's ``unit`` (``pt`` for PDF pages, 1/72 inch; ``px`` for image pages).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from docworker.plaintext import plain_descriptions

SCHEMA_VERSION = "1.2.0"

Output = Literal["markdown", "text", "blocks", "tables"]
ALL_OUTPUTS: tuple[Output, ...] = ("markdown", "text", "blocks", "tables")
EngineName = Literal["auto", "cpu", "gpu", "docstrange"]
ImagesMode = Literal["none", "figures", "pages", "both"]

_PAGES_RE = re.compile(r"^\s*\d+\s*(-\s*\d*\s*)?(,\s*\d+\s*(-\s*\d*\s*)?)*$")
_S3_RE = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(?P<key>.+)$")


def _page_parts(spec: str) -> list[tuple[int, int | None]]:
    """Syntax of a page spec: ``[(first, last or None for open-ended), ...]``."""
    if not _PAGES_RE.match(spec):
        raise ValueError(f"invalid page range {spec!r}; use a form like '1-3,7,9-'")
    parts: list[tuple[int, int | None]] = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo_s, hi_s = (x.strip() for x in part.split("-", 1))
            lo, hi = int(lo_s), (int(hi_s) if hi_s else None)
        else:
            lo = hi = int(part)
        if lo < 1 or (hi is not None and hi < lo):
            raise ValueError(f"invalid page range {part!r}: pages start at 1, ranges go up")
        parts.append((lo, hi))
    return parts


def parse_page_ranges(spec: str | None, page_count: int) -> list[int]:
    """Turn ``"1-3,7,9-"`` into sorted, unique 1-based page numbers within ``page_count``.

    ``None`` or an empty string selects every page. A range's open end runs to
    the last page. Numbers beyond the document are dropped; the caller reports
    an error if nothing is left.
    """
    if spec is None or not spec.strip():
        return list(range(1, page_count + 1))
    chosen: set[int] = set()
    for lo, hi in _page_parts(spec):
        last = page_count if hi is None else min(hi, page_count)
        chosen.update(range(lo, last + 1))
    return sorted(chosen)


class JobInput(BaseModel):
    """What a job's ``input`` holds. Exactly one document source must be given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    document_url: str | None = Field(
        None, description="http(s) URL of the document; presigned S3 URLs included."
    )
    s3_uri: str | None = Field(
        None, description="s3://bucket/key, read with boto3 and the standard AWS credential chain."
    )
    s3_endpoint_url: str | None = Field(
        None, description="Endpoint for s3_uri (MinIO, R2...). Defaults to the worker's setting."
    )
    document_base64: str | None = Field(
        None, description="The document's bytes, base64-encoded. Needs `filename`."
    )
    filename: str | None = Field(
        None, max_length=255, description="Name of a base64 document (used in metadata only)."
    )
    document_path: str | None = Field(
        None,
        description="Local file path. Refused when running on RunPod; for local runs only.",
    )
    pages: str | None = Field(
        None,
        max_length=1000,
        description="Pages to process, 1-based, e.g. '1-3,7,9-'. Default: all.",
    )
    password: SecretStr | None = Field(
        None, max_length=1024, description="Password of an encrypted PDF (at most 1024 characters)."
    )
    outputs: list[Output] = Field(
        default_factory=lambda: list(ALL_OUTPUTS),
        min_length=1,
        description="Parts of `data` to fill: markdown, text, blocks (with boxes), tables.",
    )
    engine: EngineName | None = Field(
        None,
        description=(
            "`cpu`: text layer + RapidOCR. `gpu`: RT-DETR layout + VLM (fails with "
            "engine_unavailable where there is no GPU). `docstrange`: docstrange's local GPU "
            "extractor (Nanonets-OCR-s), where the worker loads it. `auto`: gpu where "
            "available, else cpu. Default: the worker's DOCWORKER_DEFAULT_ENGINE."
        ),
    )
    ocr: Literal["auto", "always", "never"] = Field(
        "auto",
        description="auto: OCR only pages whose text layer is unusable; always; never.",
    )
    languages: list[str] = Field(
        default_factory=lambda: ["es", "en"],
        max_length=8,
        description="Expected languages (ISO 639-1), a hint for OCR and VLM prompts.",
    )
    dpi: int | None = Field(
        None, gt=0, le=600, description="Render DPI; capped by the worker's limits."
    )
    json_schema: dict[str, Any] | None = Field(
        None, description="GPU engine: fill this JSON Schema from the document (structured mode)."
    )
    stream: bool = Field(False, description="Stream page results as they finish (RunPod /stream).")
    images: ImagesMode = Field(
        "none",
        description=(
            "PNG images to return with each page: `figures` (crops of the pictures drawn on"
            " the page), `pages` (the whole page rendered), `both`, or `none`. Inline base64"
            " up to DOCWORKER_MAX_INLINE_IMAGE_BYTES, else a presigned URL where the worker"
            " has a result bucket. CPU and GPU engines (not office or docstrange). Since 1.2.0."
        ),
    )
    images_dpi: int | None = Field(
        None,
        ge=36,
        le=300,
        description=(
            "Resolution of the returned images, 36-300. Default: the worker's DOCWORKER_IMAGES_DPI."
        ),
    )

    @field_validator("pages")
    @classmethod
    def _check_pages(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            _page_parts(value)
        return value

    @field_validator("s3_uri")
    @classmethod
    def _check_s3(cls, value: str | None) -> str | None:
        if value is not None and not _S3_RE.match(value):
            raise ValueError("s3_uri must look like s3://bucket/key")
        return value

    @field_validator("document_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value, re.IGNORECASE):
            raise ValueError("document_url must be an http:// or https:// URL")
        return value

    @field_validator("document_base64")
    @classmethod
    def _check_base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError) as e:
                raise ValueError("document_base64 is not valid base64") from e
        return value

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: list[str]) -> list[str]:
        for lang in value:
            if not re.fullmatch(r"[a-z]{2,3}", lang):
                raise ValueError(f"language {lang!r} is not an ISO 639 code like 'es'")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> JobInput:
        given = [
            name
            for name in ("document_url", "s3_uri", "document_base64", "document_path")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of document_url, s3_uri, document_base64, document_path"
                f" (got {len(given)})"
            )
        if self.document_base64 is not None and not self.filename:
            raise ValueError("document_base64 needs filename")
        return self

    def s3_location(self) -> tuple[str, str]:
        """``(bucket, key)`` of ``s3_uri``."""
        assert self.s3_uri is not None
        match = _S3_RE.match(self.s3_uri)
        assert match is not None
        return match["bucket"], match["key"]


# --------------------------------------------------------------------------- output


class ErrorInfo(BaseModel):
    """An error attached to a page or to the document."""

    code: str = Field(description="Stable error code; see the README's table.")
    message: str
    retryable: bool = False
    page: int | None = Field(None, description="1-based page number, if the error is a page's.")


class Block(BaseModel):
    """A piece of a page's content with its box."""

    type: Literal[
        "line",
        "paragraph",
        "heading",
        "title",
        "list_item",
        "table",
        "caption",
        "footnote",
        "formula",
        "picture",
        "page_header",
        "page_footer",
        "code",
        "other",
    ]
    text: str
    bbox: tuple[float, float, float, float] = Field(
        description="[x0, y0, x1, y1], page's unit, origin top-left."
    )
    confidence: float | None = Field(None, ge=0, le=1, description="OCR/layout score, if any.")
    source: Literal["text_layer", "ocr", "layout", "vlm", "office"]
    level: int | None = Field(
        None,
        ge=1,
        le=6,
        description="Heading level (1 = `#`), for `heading` blocks that know it. Since 1.1.0.",
    )


class TableCell(BaseModel):
    row: int = Field(ge=0)
    col: int = Field(ge=0)
    text: str
    row_span: int = Field(1, ge=1)
    col_span: int = Field(1, ge=1)
    header: bool = False


class Table(BaseModel):
    bbox: tuple[float, float, float, float] | None = None
    n_rows: int = Field(ge=0)
    n_cols: int = Field(ge=0)
    cells: list[TableCell]
    markdown: str
    html: str


class PageImage(BaseModel):
    """A PNG of a figure on a page, or of the whole page (job option `images`). Since 1.2.0."""

    kind: Literal["figure", "page"]
    name: str = Field(
        description=(
            "Stable file name, unique in the document: page-003-figure-01.png, page-003.png."
            " The page's markdown links figures by this name."
        )
    )
    page: int = Field(ge=1, description="1-based page number.")
    bbox: tuple[float, float, float, float] = Field(
        description="[x0, y0, x1, y1] of the region shown, page's unit, origin top-left."
    )
    width: int = Field(ge=1, description="Image width in pixels.")
    height: int = Field(ge=1, description="Image height in pixels.")
    mime: Literal["image/png"] = "image/png"
    bytes: int = Field(ge=0, description="Size of the PNG file.")
    data: str | None = Field(None, description="The PNG, base64-encoded, when sent inline.")
    url: str | None = Field(None, description="Presigned GET URL of the PNG, when stored.")


PageSource = Literal["text_layer", "ocr", "vlm", "office", "none"]
PageStatus = Literal["ok", "failed"]


class PageResult(BaseModel):
    number: int = Field(ge=1, description="1-based page number in the document.")
    width: float = Field(ge=0)
    height: float = Field(ge=0)
    unit: Literal["pt", "px"]
    rotation: int = Field(0, description="Orientation detected and corrected (0/90/180/270).")
    source: PageSource
    status: PageStatus
    text: str | None = None
    markdown: str | None = None
    blocks: list[Block] | None = None
    tables: list[Table] | None = None
    images: list[PageImage] | None = Field(
        None, description="Figure crops and page renders (job option `images`). Since 1.2.0."
    )
    error: ErrorInfo | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)


class DocumentData(BaseModel):
    markdown: str | None = None
    text: str | None = None
    pages: list[PageResult]
    structured: dict[str, Any] | None = Field(
        None, description="The filled `json_schema`, when one was asked for."
    )


class ModelInfo(BaseModel):
    role: str = Field(description="ocr_det, ocr_rec, layout, vlm, ...")
    id: str
    version: str
    runtime: str = Field(description="onnxruntime, torch, pdfium, ...")


class EngineInfo(BaseModel):
    name: Literal["cpu", "gpu", "office", "docstrange"]
    requested: str
    reason: str = Field(description="Why this engine ran.")
    device: str
    models: list[ModelInfo] = Field(default_factory=list)


class DocumentInfo(BaseModel):
    sha256: str
    mime: str
    bytes: int = Field(ge=0)
    filename: str | None = None
    page_count: int = Field(ge=0)
    pages_processed: int = Field(ge=0)


class NetworkInfo(BaseModel):
    blocked_outbound: int = Field(
        0, ge=0, description="Outbound connections refused during extraction; 0 when healthy."
    )


class Metadata(BaseModel):
    schema_version: str = SCHEMA_VERSION
    job_id: str | None = None
    status: Literal["success", "partial", "failed"] = Field(
        description="success only when every processed page is ok."
    )
    document: DocumentInfo
    engine: EngineInfo
    timings_ms: dict[str, float] = Field(description="Per stage, summed over pages, plus total.")
    warnings: list[str] = Field(default_factory=list)
    errors: list[ErrorInfo] = Field(default_factory=list)
    network: NetworkInfo = Field(default_factory=NetworkInfo)
    worker_version: str


class ExtractionResponse(BaseModel):
    """What a successful (or partially successful) job returns."""

    data: DocumentData
    metadata: Metadata


class StoredResult(BaseModel):
    """Returned instead of ``data`` when the payload was too large to send inline."""

    url: str = Field(description="Presigned GET URL of the full JSON payload.")
    bytes: int
    sha256: str
    expires_in_s: int


class StoredResponse(BaseModel):
    result: StoredResult
    metadata: Metadata


class ErrorPayload(BaseModel):
    """What a failed job returns: RunPod marks a job with an ``error`` key FAILED."""

    error: dict[str, Any]


def json_schemas() -> dict[str, dict[str, Any]]:
    """The published schemas, keyed by file name."""
    schemas = {
        "input.schema.json": JobInput.model_json_schema(),
        "output.schema.json": ExtractionResponse.model_json_schema(),
        "stored-output.schema.json": StoredResponse.model_json_schema(),
    }
    for name, schema in schemas.items():
        plain_descriptions(schema)  # docstrings' reST literals print as `code`
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://docworker.invalid/schemas/{SCHEMA_VERSION}/{name}"
        schema["x-schema-version"] = SCHEMA_VERSION
    return schemas
