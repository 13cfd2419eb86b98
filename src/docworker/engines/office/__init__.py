"""The office engine: DOCX, PPTX, XLSX, HTML and ODT documents as one page.

Parent side, ``OfficeEngine``: sends the document to ``convert`` in a page
process and turns the result into one ``PageResult``. It is chosen for every
Office document, whatever engine the job asked for: the conversion needs
neither a GPU nor OCR.

Child side, ``convert``: refuses zip bombs (``check_zip``) and oversized
workbooks (``check_sheet_cells``), reads DOCX, PPTX, XLSX and HTML in their
own order with python-docx, python-pptx, openpyxl and lxml (``office.docx``,
``office.pptx``, ``office.xlsx``, ``office.htmldoc``: tables whole, merged
cells as spans with their text once), and ODT with ``office.odt``, whose
markdown is parsed into text, blocks and tables (``office.markdown``).
docstrange's converters (``office.docstrange``) are kept for the
benchmark's before/after; no cloud-mode docstrange extractor is ever built.

What comes back to the worker process is bounded where it is made, in the
page process, with the caps of a PDF page: at most ``MAX_CHARS`` characters
of converter output (``decode.MAX_PAGE_CHARS``, a PDF page's text layer cap)
and ``MAX_TABLE_CELLS`` table cells (the cap of a table read from HTML).
Content past either is cut at a line boundary before it is parsed: the page
comes back ``ok`` with what fits, and a ``limit_exceeded`` error on page 1
makes the document ``partial``. The job's ``outputs`` are applied there too,
so a part the job did not ask for never crosses the process boundary. The
conversion itself runs under the page process's memory cap and time budget.

Inputs: a ``JobRun`` (parent) or an ``OfficeTask`` (child). Output: one
``PageResult`` with no geometry (width and height 0, block boxes ``[0, 0, 0, 0]``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from docworker import __version__, decode, errors
from docworker.contract import ALL_OUTPUTS, Block, ErrorInfo, ModelInfo, PageResult, Table
from docworker.engines import JobRun, dist_version
from docworker.engines.office.markdown import parse

#: Characters of converter output one Office document may return: a PDF page's cap.
MAX_CHARS = decode.MAX_PAGE_CHARS
#: Table cells one Office document may return: the grid cap of a table read from HTML.
MAX_TABLE_CELLS = 100_000
#: Cells a workbook may hold at all: twenty pages' worth. Converting costs about
#: 30 s a million cells on one core, so a bigger one fails at once
#: (``limit_exceeded``) instead of spending the page's budget on content that
#: would be cut anyway and ending in a retryable ``timeout``.
MAX_SHEET_CELLS = 20 * MAX_TABLE_CELLS
#: Formats read in their own order by docworker's readers: the reader's model id and
#: the library it reads with.
ORDERED_READERS = {
    decode.DOCX: ("docworker-docx", "python-docx"),
    decode.PPTX: ("docworker-pptx", "python-pptx"),
    decode.XLSX: ("docworker-xlsx", "openpyxl"),
    decode.HTML: ("docworker-html", "lxml"),
}

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
        if mime not in ORDERED_READERS:
            return []
        reader, library = ORDERED_READERS[mime]
        return [
            ModelInfo(
                role="office",
                id=reader,
                version=__version__,
                runtime=f"{library} {dist_version(library)}",
            )
        ]

    @staticmethod
    def reader(mime: str) -> str:
        if mime == decode.ODT:
            return "docworker's OpenDocument reader"
        return f"docworker's reader on {ORDERED_READERS[mime][1]}"

    def pages(self, run: JobRun) -> Iterator[PageResult]:
        s = run.settings
        task = OfficeTask(
            path=str(run.document.path),
            mime=run.document.mime,
            max_uncompressed=s.max_zip_uncompressed_bytes,
            max_ratio=s.max_zip_ratio,
            outputs=tuple(run.job.outputs),
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
            cut = None
            if result.cut is not None:
                cut = ErrorInfo(code="limit_exceeded", message=result.cut, page=1)
                run.errors.append(cut)
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
                error=cut,
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
    outputs: tuple[str, ...] = ALL_OUTPUTS
    max_chars: int = MAX_CHARS
    max_cells: int = MAX_TABLE_CELLS


@dataclass
class OfficePage:
    """What ``convert`` sends back: the requested page fields, within the caps."""

    markdown: str | None
    text: str | None
    blocks: list[Block] | None
    tables: list[Table] | None
    notes: list[str] = field(default_factory=list)
    #: Why content was left out (a cap was reached), or ``None``.
    cut: str | None = None


def convert(task: OfficeTask) -> OfficePage:
    """An Office/HTML document as the fields of its one page, capped, only those asked for.

    docworker's readers build the fields in the page process and stop at the
    caps; ODT's markdown is cut to the caps, then parsed here.
    """
    path = Path(task.path)
    if task.mime != decode.HTML:
        check_zip(path, task.max_uncompressed, task.max_ratio)
    if task.mime == decode.XLSX:
        check_sheet_cells(path, MAX_SHEET_CELLS)
    capped = 0
    content = None
    if task.mime in ORDERED_READERS:
        from docworker.engines.office.build import read_in_order

        library = ORDERED_READERS[task.mime][1]
        try:
            content, cut = read_in_order(path, task.mime, task.max_chars, task.max_cells)
        except (errors.WorkerError, MemoryError):
            raise
        except ImportError as e:
            raise errors.EngineUnavailable(
                f"{library} is not installed: pip install {library}"
            ) from e
        except Exception as e:  # python-docx/-pptx and lxml fail on broken parts in many ways
            # The same bytes fail the same way every time: not a retryable engine_failed.
            raise errors.CorruptDocument(
                f"{library} could not read the document ({type(e).__name__})"
            ) from e
    elif task.mime == decode.ODT:
        from docworker.engines.office.odt import MAX_REPEAT, MAX_SPACES, odt_to_markdown

        markdown, capped = odt_to_markdown(path, task.max_chars)
    else:
        raise errors.UnsupportedType(f"no Office reader for {task.mime}")
    if content is None:
        markdown, cut = cap_markdown(markdown, task.max_chars, task.max_cells)
        content = parse(markdown, task.mime)
        del markdown
    tables, dropped = _cap_tables(content.tables, task.max_cells)
    if dropped and cut is None:
        cut = f"{dropped} table(s) over the {task.max_cells}-cell limit were left out"
    if capped and cut is None:
        cut = (
            f"{capped} repeat count(s) of the OpenDocument file were cut to the limits"
            f" ({MAX_SPACES} spaces, {MAX_REPEAT} repeated cells)"
        )
    wanted = set(task.outputs)
    return OfficePage(
        markdown=content.markdown if "markdown" in wanted else None,
        text=content.text if "text" in wanted else None,
        blocks=content.blocks if "blocks" in wanted else None,
        tables=tables if "tables" in wanted else None,
        notes=content.notes,
        cut=cut,
    )


_PIPE = re.compile(r"\|")


def cap_markdown(markdown: str, max_chars: int, max_cells: int) -> tuple[str, str | None]:
    """``markdown`` cut at a line boundary to ``max_chars`` and about ``max_cells`` table
    cells (one per ``|``), and why it was cut (``None`` when it was not)."""
    end = len(markdown)
    if end > max_chars:
        end = markdown.rfind("\n", 0, max_chars + 1)
        end = end if end > 0 else max_chars
    if markdown.count("|", 0, end) > max_cells:
        pipes = _PIPE.finditer(markdown, 0, end)
        for _ in range(max_cells):
            next(pipes)
        end = max(0, markdown.rfind("\n", 0, next(pipes).start()))
    if end >= len(markdown):
        return markdown, None
    return markdown[:end], (
        f"the document's content was cut after {end} characters: one page returns at most"
        f" {max_chars} characters and {max_cells} table cells"
    )


def _cap_tables(tables: list[Table], max_cells: int) -> tuple[list[Table], int]:
    """The tables that fit in ``max_cells`` cells, in order, and how many were left out."""
    kept: list[Table] = []
    cells = 0
    for table in tables:
        cells += len(table.cells)
        if cells > max_cells:
            break
        kept.append(table)
    return kept, len(tables) - len(kept)


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


_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")


def check_sheet_cells(path: Path, max_cells: int) -> None:
    """Refuse a workbook whose worksheets hold more than ``max_cells`` cells.

    The worksheets' XML is streamed in 1 MiB pieces and its ``<c>`` elements
    counted, before any converter reads them (a few hundred ms for 500 MB).
    """
    import zipfile

    cells = 0
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = info.filename
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with zf.open(info) as member:
                    pending = b""
                    while True:
                        chunk = member.read(1 << 20)
                        data = pending + chunk
                        # A cell tag can span two pieces: count those starting before
                        # the last 16 bytes now, the rest with the next piece.
                        cut = len(data) - 16 if chunk else len(data)
                        cells += sum(1 for m in _CELL.finditer(data) if m.start() < cut)
                        if cells > max_cells:
                            raise errors.LimitExceeded(
                                f"the workbook holds more than {max_cells} cells; the limit is"
                                f" {max_cells} (one page returns at most {MAX_TABLE_CELLS})"
                            )
                        if not chunk:
                            break
                        pending = data[cut:]
    except decode.ZIP_ERRORS as e:
        raise errors.CorruptDocument("the Office file is not a valid zip container") from e
