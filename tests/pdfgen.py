"""A tiny PDF writer for test fixtures and the shipped sample.

Writes real PDFs byte by byte: text pages in Helvetica with WinAnsiEncoding
(so Spanish accents, ñ, ¿ and ¡ are single bytes), image pages from JPEG
bytes, optional ``/Rotate``. No PDF library is involved, so the fixtures
don't depend on the code under test.

Inputs: ``TextPage`` / ``ImagePage`` specs. Output: PDF bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans where Debian's fonts-dejavu is installed, else Pillow's bundled font."""
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default(size=size)


@dataclass
class TextPage:
    """Lines of text; each is ``(x, y_from_top, size, text)`` in points."""

    lines: list[tuple[float, float, float, str]]
    width: float = 595
    height: float = 842
    rotate: int = 0


@dataclass
class ImagePage:
    """A full-width greyscale JPEG placed at the top of the page."""

    jpeg: bytes
    pixel_size: tuple[int, int]
    width: float = 595
    height: float = 842
    placed_height: float | None = None
    extra: dict = field(default_factory=dict)


def _string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def build_pdf(pages: list[TextPage | ImagePage]) -> bytes:
    objects: dict[int, bytes] = {}
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[3] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    kids = []
    next_id = 4
    for page in pages:
        page_id, content_id = next_id, next_id + 1
        next_id += 2
        kids.append(page_id)
        if isinstance(page, TextPage):
            ops = [b"BT"]
            for x, y, size, text in page.lines:
                ops.append(
                    b"/F1 %.2f Tf 1 0 0 1 %.2f %.2f Tm %s Tj"
                    % (size, x, page.height - y, _string(text))
                )
            ops.append(b"ET")
            stream = b"\n".join(ops)
            resources = b"<< /Font << /F1 3 0 R >> >>"
            rotate = b" /Rotate %d" % page.rotate if page.rotate else b""
        else:
            image_id = next_id
            next_id += 1
            w_px, h_px = page.pixel_size
            placed = page.placed_height or page.width * h_px / w_px
            stream = b"q %.2f 0 0 %.2f 0 %.2f cm /Im1 Do Q" % (
                page.width,
                placed,
                page.height - placed,
            )
            objects[image_id] = (
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
                b" /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
                % (w_px, h_px, len(page.jpeg))
                + page.jpeg
                + b"\nendstream"
            )
            resources = b"<< /XObject << /Im1 %d 0 R >> >>" % image_id
            rotate = b""
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f]"
            b" /Contents %d 0 R /Resources %s%s >>"
            % (page.width, page.height, content_id, resources, rotate)
        )
        objects[content_id] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    return pdf_from_objects(objects)


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def stream_pdf(
    stream: bytes,
    width: int = 595,
    height: int = 842,
    rotate: int = 0,
    font: bytes = HELVETICA,
    more: tuple[bytes, ...] = (),
) -> bytes:
    """One page drawn by ``stream`` (PDF operators, user space), ``font`` (object 5) as
    /F1; ``more``: objects 6, 7, ... that the font refers to."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R" % (width, height)
    if rotate:
        page += b" /Rotate %d" % rotate
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page + b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        font,
        *more,
    ]
    return pdf_from_objects(objects)


def cid_font(name: str, encoding: str, ordering: str) -> tuple[bytes, tuple[bytes, ...]]:
    """A Type0 font on Adobe's non-embedded CID font ``name`` (``STSong-Light``,
    ``HeiseiMin-W3``), as ``stream_pdf``'s ``font`` and ``more``."""
    font = b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /%s /DescendantFonts [6 0 R] >>"
    cid = (
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /%s /CIDSystemInfo"
        b" << /Registry (Adobe) /Ordering (%s) /Supplement 2 >> /DW 1000 >>"
    )
    return font % (name.encode(), encoding.encode()), (cid % (name.encode(), ordering.encode()),)


def utf16_string(text: str) -> bytes:
    """``text`` as a PDF hex string for a ``UCS2`` CMap: ``<6587...>``."""
    return b"<%s>" % text.encode("utf-16-be").hex().upper().encode()


def chinese_pdf(lines: list[str]) -> bytes:
    """One page with ``lines`` of Chinese set one under the other in STSong-Light."""
    shown = [b"%s Tj T*" % utf16_string(line) for line in lines]
    stream = b"\n".join([b"BT /F1 12 Tf 14 TL 72 700 Td", *shown, b"ET"])
    font, more = cid_font("STSong-Light", "UniGB-UCS2-H", "GB1")
    return stream_pdf(stream, font=font, more=more)


def pdf_from_objects(objects: dict[int, bytes] | list[bytes], root: int = 1) -> bytes:
    """A PDF file holding ``objects`` (number → body, or a list numbered from 1) with a
    correct xref table; numbers left out are free entries."""
    if isinstance(objects, list):
        objects = dict(enumerate(objects, start=1))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        if number in offsets:
            out.write(b"%010d 00000 n \n" % offsets[number])
        else:
            out.write(b"0000000000 65535 f \n")
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    )
    return out.getvalue()


def scan_jpeg(lines: list[str], size: tuple[int, int] = (1240, 700), font_size: int = 40) -> bytes:
    """Text rendered to a greyscale JPEG, like a 150-dpi scan."""
    image = Image.new("L", size, 246)
    draw = ImageDraw.Draw(image)
    face = font(font_size)
    y = 60
    for line in lines:
        draw.text((80, y), line, fill=25, font=face)
        y += int(font_size * 2.4)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def text_image(
    lines: list[str], size: tuple[int, int] = (900, 300), font_size: int = 36
) -> Image.Image:
    """Text rendered to an RGB image."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    face = font(font_size)
    y = 30
    for line in lines:
        draw.text((30, y), line, fill="black", font=face)
        y += int(font_size * 2)
    return image


@dataclass
class FormField:
    """A form field's widget: ``kind`` Tx (text) or Btn (check box), its value, its box
    ``(left, bottom, right, top)`` in user space, field flags ``/Ff`` and annotation
    flags ``/F`` (2: hidden). ``kind`` FreeText: a free-text annotation whose
    ``/Contents`` is ``value`` (no field)."""

    name: str
    value: str
    rect: tuple[float, float, float, float]
    kind: str = "Tx"
    ff: int = 0
    f: int = 4
    size: float = 10


def form_pdf(lines: list[tuple[float, float, float, str]], fields: list[FormField]) -> bytes:
    """One A4 page of Helvetica ``lines`` (as ``TextPage``'s) and an AcroForm of
    ``fields``, their values in the fields only (``/NeedAppearances``: no appearance
    streams, as a form filled by a program often is)."""
    height = 842
    ops = [b"BT"]
    for x, y, size, text in lines:
        ops.append(b"/F1 %.2f Tf 1 0 0 1 %.2f %.2f Tm %s Tj" % (size, x, height - y, _string(text)))
    ops.append(b"ET")
    stream = b"\n".join(ops)
    first = 6  # objects 1-5: catalog, pages, page, contents, font
    ids = list(range(first, first + len(fields)))
    in_form = [i for i, item in zip(ids, fields, strict=True) if item.kind != "FreeText"]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [%s] /NeedAppearances true"
        b" /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 5 0 R >> >> >> >>"
        % b" ".join(b"%d 0 R" % i for i in in_form),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 %d] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> /Annots [%s] >>"
        % (height, b" ".join(b"%d 0 R" % i for i in ids)),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        HELVETICA,
    ]
    for item in fields:
        if item.kind == "FreeText":
            objects.append(
                b"<< /Type /Annot /Subtype /FreeText /Contents %s /F %d /P 3 0 R"
                b" /Rect [%.2f %.2f %.2f %.2f] /DA (/Helv %.1f Tf 0 g) >>"
                % (_string(item.value), item.f, *item.rect, item.size)
            )
            continue
        value = b"/%s" % item.value.encode() if item.kind == "Btn" else _string(item.value)
        objects.append(
            b"<< /Type /Annot /Subtype /Widget /FT /%s /T %s /V %s /Ff %d /F %d /P 3 0 R"
            b" /Rect [%.2f %.2f %.2f %.2f] /DA (/Helv %.1f Tf 0 g) >>"
            % (
                item.kind.encode(),
                _string(item.name),
                value,
                item.ff,
                item.f,
                *item.rect,
                item.size,
            )
        )
    return pdf_from_objects(objects)
