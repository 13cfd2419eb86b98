"""The office engine: DOCX, PPTX, XLSX, HTML and ODT documents as one page.

Parent side, ``OfficeEngine``: sends the document to ``convert`` in a page
process and turns the result into one ``PageResult``. It is chosen for every
Office document, whatever engine the job asked for: the conversion needs
neither a GPU nor OCR.

Child side, ``convert``: refuses zip bombs (``check_zip``), converts with
docstrange's local processors (``office.docstrange``; ODT with ``office.odt``)
and parses the converter's markdown into text, blocks and tables
(``office.markdown``). No cloud-mode docstrange extractor is ever built.

Inputs: a ``JobRun`` (parent) or an ``OfficeTask`` (child). Output: one
``PageResult`` with no geometry (width and height 0, block boxes ``[0, 0, 0, 0]``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from docworker import __version__, decode, errors
from docworker.contract import ModelInfo, PageResult
from docworker.engines import JobRun, dist_version
from docworker.engines.office.markdown import OfficeContent, parse

if TYPE_CHECKING:
    from docworker.config import Settings
    from docworker.isolation.pool import PagePool


class OfficeEngine:
    """Office documents converted locally in a page process."""

    name = "office"
    device = "cpu"

    @classmethod
    def available(cls, settings: Settings) -> str | None:
        return None

    @classmethod
    def from_settings(cls, settings: Settings, pool: PagePool) -> OfficeEngine:
        return cls()

    def models(self, mime: str) -> list[ModelInfo]:
        if mime == decode.ODT:
            return [
                ModelInfo(role="office", id="docworker-odt", version=__version__, runtime="python")
            ]
        return [
            ModelInfo(
                role="office",
                id="docstrange-local-processors",
                version=dist_version("docstrange"),
                runtime="python",
            )
        ]

    @staticmethod
    def reader(mime: str) -> str:
        if mime == decode.ODT:
            return "docworker's OpenDocument reader"
        return "docstrange local processors"

    def pages(self, run: JobRun) -> Iterator[PageResult]:
        s = run.settings
        task = OfficeTask(
            path=str(run.document.path),
            mime=run.document.mime,
            max_uncompressed=s.max_zip_uncompressed_bytes,
            max_ratio=s.max_zip_ratio,
        )
        run.page_count = run.selected = 1
        t = time.perf_counter()
        for _, result in run.pool.run(
            "docworker.engines.office.convert",
            [task],
            timeout_s=s.page_timeout_s,
            deadline=run.deadline,
        ):
            if isinstance(result, errors.WorkerError):
                raise result
            run.time("office", t)
            run.warnings.extend(result.notes)
            yield PageResult(
                number=1,
                width=0,
                height=0,
                unit="px",
                source="office",
                status="ok",
                text=result.text,
                markdown=result.markdown,
                blocks=result.blocks,
                tables=result.tables,
            )
            return
        raise errors.WorkerError("office conversion returned nothing")


# ------------------------------------------------------------ page process side


@dataclass(frozen=True)
class OfficeTask:
    path: str
    mime: str
    max_uncompressed: int
    max_ratio: float


def convert(task: OfficeTask) -> OfficeContent:
    """An Office/HTML document as ``markdown_doc.OfficeContent`` (markdown, text, blocks, tables).

    The markdown comes from docstrange's local processors (the ODT reader for
    ODT) and is parsed here, in the page process, like any other document content.
    """
    path = Path(task.path)
    if task.mime != decode.HTML:
        check_zip(path, task.max_uncompressed, task.max_ratio)
    if task.mime == decode.ODT:
        from docworker.engines.office.odt import odt_to_markdown

        return parse(odt_to_markdown(path), task.mime)
    try:
        from docworker.engines.office.docstrange import office_to_markdown
    except ImportError as e:
        raise errors.EngineUnavailable("docstrange is not installed: pip install docstrange") from e
    return parse(office_to_markdown(path, task.mime), task.mime)


def check_zip(path: Path, max_uncompressed: int, max_ratio: float) -> None:
    """Refuse zip bombs before any Office parser touches the file.

    In order: the member count and directory size from the end record (before
    the directory is parsed), the total declared size, the whole file's
    ratio, and each member's own ratio (a bomb padded with incompressible
    members passes the whole-file ratio). Python's zipfile never inflates a
    member past its declared size, so the declared sizes bound what parsers get.
    """
    import zipfile

    try:
        directory = decode.zip_directory(path)
        if directory is None:
            raise zipfile.BadZipFile("no end of central directory record")
        if directory[0] > decode.MAX_ZIP_ENTRIES or directory[1] > decode.MAX_ZIP_DIRECTORY_BYTES:
            raise errors.LimitExceeded(
                f"the Office file has {directory[0]} members in a {directory[1]}-byte directory;"
                f" the limits are {decode.MAX_ZIP_ENTRIES} and {decode.MAX_ZIP_DIRECTORY_BYTES}"
            )
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
        total = sum(info.file_size for info in members)
        packed = max(1, os.path.getsize(path))
    except decode.ZIP_ERRORS as e:
        raise errors.CorruptDocument("the Office file is not a valid zip container") from e
    for info in members:
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > 1024 * 1024 and ratio > max_ratio:
            raise errors.LimitExceeded(
                f"an Office file member inflates {ratio:.0f}:1; the limit is {max_ratio:.0f}:1"
            )
    if total > max_uncompressed:
        raise errors.LimitExceeded(
            f"the Office file unpacks to {total} bytes; the limit is {max_uncompressed}"
        )
    if total / packed > max_ratio:
        raise errors.LimitExceeded(
            f"the Office file's compression ratio is {total / packed:.0f}:1; the limit is"
            f" {max_ratio:.0f}:1"
        )
