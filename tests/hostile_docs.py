"""Hostile documents written by hand, for the limit and isolation tests and the robustness run.

Each function returns the bytes of one small file built to trip one defence:

- ``lying_count_pdf``: one real page under a page tree whose ``/Count`` claims billions.
- ``many_pages_pdf(n)``: ``n`` real pages (one page object listed ``n`` times in ``/Kids``),
  cheap to write however large ``n`` is.
- ``page_tree_loop_pdf``: a page tree whose ``/Kids`` point back at their own ancestors.
- ``slow_page_pdf``: valid pages whose content stream takes pdfium minutes to render.
- ``zero_page_pdf``: a well-formed PDF with an empty page tree.
- ``content_bomb_pdf(mib)``: a 17 KB page whose content streams inflate to ``mib`` MiB.
- ``image_bomb_pdf(side)``: a page showing a ``side`` x ``side`` image of compressed zeros.
- ``huge_page_pdf(points)``: one page ``points`` x ``points`` PDF points large.
- ``text_flood_pdf(lines)``: one page whose text layer holds ``lines`` lines of text.
- ``long_runs_pdf(runs, chars)``: one page of ``runs`` runs of ``chars`` characters each.
- ``png_claiming(width, height)``: a PNG header claiming a huge size, with almost no data.
- ``png_bomb(side)``: a real ``side`` x ``side`` PNG that compresses to a few kilobytes.
- ``tiff_frames(n)``: a TIFF with ``n`` small frames.
- ``docx_zip_bomb(mib, member)``: a DOCX whose ``member`` inflates to ``mib`` MiB.
- ``docx_many_entries(n)``: a DOCX with ``n`` empty members (a huge central directory).
- ``small_good_pdf``: the normal job run after each hostile one.
- ``encrypt(pdf, user, owner)``: an AES-256 encrypted copy (through pypdf, a test dependency).
- ``run_file(pipeline, path, data, **job)``: write ``data`` to ``path`` and run it as a job.

The PDFs are written byte by byte, as ``tests/pdfgen.py`` does (only
``encrypt`` uses a library, pypdf), so the fixtures do not depend on the code
under test.

Inputs: sizes. Outputs: bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from PIL import Image

from tests.pdfgen import TextPage, build_pdf, pdf_from_objects

_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def stream(data: bytes, extra: bytes = b"", *, deflate: bool = False) -> bytes:
    """A stream object body; ``deflate`` compresses ``data`` with FlateDecode."""
    if deflate:
        data = zlib.compress(data, 9)
        extra = b"/Filter /FlateDecode " + extra
    return b"<< %s/Length %d >>\nstream\n" % (extra, len(data)) + data + b"\nendstream"


def _text_page(
    parent: int = 2, contents: int = 4, font: int = 5, size: bytes = b"612 792"
) -> bytes:
    return (
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s] /Contents %d 0 R"
        b" /Resources << /Font << /F1 %d 0 R >> >> >>" % (parent, size, contents, font)
    )


_HELLO = stream(b"BT /F1 12 Tf 72 720 Td (Hola, documento hostil) Tj ET")


def lying_count_pdf(claimed: int = 2_000_000_000) -> bytes:
    """One real page; the page tree's ``/Count`` claims ``claimed`` pages."""
    return pdf_from_objects(
        {
            1: _CATALOG,
            2: b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % claimed,
            3: _text_page(),
            4: _HELLO,
            5: _FONT,
        }
    )


def many_pages_pdf(n: int) -> bytes:
    """``n`` pages: the same page object listed ``n`` times (about 6 bytes a page)."""
    kids = b" ".join([b"3 0 R"] * n)
    return pdf_from_objects(
        {
            1: _CATALOG,
            2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
            3: _text_page(),
            4: _HELLO,
            5: _FONT,
        }
    )


def page_tree_loop_pdf() -> bytes:
    """A page tree whose intermediate node lists the root and itself as kids."""
    return pdf_from_objects(
        {
            1: _CATALOG,
            2: b"<< /Type /Pages /Kids [6 0 R 3 0 R 2 0 R] /Count 3 >>",
            3: _text_page(),
            4: _HELLO,
            5: _FONT,
            6: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 6 0 R] /Count 2000000 >>",
        }
    )


def _single_page(contents: bytes, resources: bytes = b"<< >>", size: bytes = b"612 792") -> bytes:
    return pdf_from_objects(
        {
            1: _CATALOG,
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s] /Contents 4 0 R /Resources %s >>"
            % (size, resources),
            4: contents,
        }
    )


def slow_page_pdf(rects: int = 200_000, pages: int = 1, text_first: bool = False) -> bytes:
    """``pages`` pages of ``rects`` overlapping page-sized filled rectangles: minutes to render.

    ``text_first`` puts an ordinary text page before them. The slow pages share
    one deflated content stream, so the file stays a few hundred KB.
    """
    ops = b"\n".join(b"%d %d 612 792 re f" % (i % 300, (i * 7) % 500) for i in range(rects))
    objects = {1: _CATALOG, 4: _HELLO, 5: _FONT, 6: stream(ops, deflate=True)}
    kids = []
    if text_first:
        objects[3] = _text_page()
        kids.append(3)
    for n in range(pages):
        objects[7 + n] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R"
            b" /Resources << >> >>"
        )
        kids.append(7 + n)
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    return pdf_from_objects(objects)


def zero_page_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    return pdf_from_objects({1: _CATALOG, 2: b"<< /Type /Pages /Kids [] /Count 0 >>"})


def encrypt(pdf: bytes, user: str, owner: str) -> bytes:
    """``pdf`` encrypted with AES-256 (pypdf); an empty ``user`` password opens it without one."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def content_bomb_pdf(mib: int = 1024) -> bytes:
    """A page whose content inflates to ``mib`` MiB: one 16 MiB stream listed ``mib/16`` times.

    pdfium inflates every entry of a ``/Contents`` array and joins them, so the
    file stays near 17 KB and takes a fraction of a second to write.
    """
    compressor = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    packed = b"".join(compressor.compress(chunk) for _ in range(16)) + compressor.flush()
    body = (
        b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed) + packed + b"\nendstream"
    )
    refs = b" ".join([b"4 0 R"] * max(1, mib // 16))
    return pdf_from_objects(
        {
            1: _CATALOG,
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [%s]"
            b" /Resources << >> >>" % refs,
            4: body,
        }
    )


def image_bomb_pdf(side: int = 20_000) -> bytes:
    """A page showing a ``side`` x ``side`` greyscale image whose samples are deflated zeros."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * side
    packed = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    image = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (side, side, len(packed))
        + packed
        + b"\nendstream"
    )
    objects = {
        1: _CATALOG,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /XObject << /Im1 5 0 R >> >> >>",
        4: stream(b"q 612 0 0 792 0 0 cm /Im1 Do Q"),
        5: image,
    }
    return pdf_from_objects(objects)


def huge_page_pdf(points: float = 20_000) -> bytes:
    """One text page ``points`` x ``points`` PDF points large."""
    return build_pdf([TextPage(lines=[(72, 72, 12, "Página enorme")], width=points, height=points)])


def text_flood_pdf(lines: int = 200_000) -> bytes:
    """One page whose text layer has ``lines`` short lines (all drawn at the same spot)."""
    ops = [b"BT /F1 2 Tf"]
    for i in range(lines):
        ops.append(b"1 0 0 1 %d %d Tm (l%06d) Tj" % (10 + (i % 50) * 11, 10 + (i // 50) % 780, i))
    ops.append(b"ET")
    return pdf_from_objects(
        {
            1: _CATALOG,
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: _text_page(),
            4: stream(b"\n".join(ops), deflate=True),
            5: _FONT,
        }
    )


def long_runs_pdf(runs: int = 300, chars: int = 32_000) -> bytes:
    """One page of ``runs`` text runs of ``chars`` characters each (10 MB of text in 70 KB)."""
    words = b" ".join(b"palabra%d" % (i % 1000) for i in range(chars // 5))[:chars]
    ops = b"\n".join(b"1 0 0 1 10 %d Tm (%s) Tj" % (780 - i % 770, words) for i in range(runs))
    return pdf_from_objects(
        {
            1: _CATALOG,
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: _text_page(),
            4: stream(b"BT /F1 1 Tf\n" + ops + b"\nET", deflate=True),
            5: _FONT,
        }
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` greyscale pixels; one short data chunk."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def png_bomb(side: int = 20_000) -> bytes:
    """A real ``side`` x ``side`` 1-bit PNG: a few KB on disk, ``side``² pixels when decoded."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def tiff_frames(n: int, size: tuple[int, int] = (8, 8)) -> bytes:
    """A multi-frame TIFF of ``n`` tiny frames."""
    frames = [Image.new("L", size, i % 256) for i in range(n)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def docx_zip_bomb(mib: int = 1024, member: str = "word/document.xml") -> bytes:
    """A DOCX whose ``member`` is ``mib`` MiB of spaces, deflated (about 1000:1).

    With ``member="mimetype"`` the bomb sits where an ODF file declares its type,
    which a type sniffer reads first.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        with zf.open(member, "w", force_zip64=True) as bomb:
            chunk = b" " * (1 << 20)
            for _ in range(mib):
                bomb.write(chunk)
        if member != "word/document.xml":
            zf.writestr("word/document.xml", b"<w:document/>")
    return out.getvalue()


def docx_many_entries(n: int = 200_000) -> bytes:
    """A DOCX with ``n`` empty stored members besides ``word/document.xml``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("word/document.xml", b"<w:document/>")
        for i in range(n):
            zf.writestr(f"{i:x}", b"")
    return out.getvalue()


GOOD_TEXT = "¿Sigue vivo el trabajador? ¡Sí, señor Muñoz!"


def small_good_pdf() -> bytes:
    """One page with a text layer; the normal job that must succeed after each hostile one."""
    return build_pdf([TextPage(lines=[(72, 100, 14, GOOD_TEXT)])])


def run_file(pipeline: Any, path: Path, data: bytes, **job: Any) -> dict[str, Any]:
    """Write ``data`` to ``path`` and run it through ``pipeline`` as a local-file job."""
    path.write_bytes(data)
    return pipeline.run({"document_path": str(path), **job}, job_id=path.stem)
