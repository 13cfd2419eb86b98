"""PDFs built span by span, for text-layer tests: fonts, sizes, raised text, turned text.

Each ``Span`` is drawn with its own text matrix in one of the standard 14 fonts
(WinAnsiEncoding, so Spanish and German letters are single bytes). Written
byte by byte with ``pdfgen.pdf_from_objects``; no PDF library is involved.

Input: pages of ``Span`` objects. Output: PDF bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tests.pdfgen import pdf_from_objects

FONTS = {
    "F1": "Helvetica",
    "F2": "Helvetica-Bold",
    "F3": "Courier",
    "F4": "Times-Roman",
}


@dataclass
class Span:
    """``text`` at ``(x, y)`` (baseline, points from the top-left) in ``font`` at ``size``.

    ``turn`` 90 writes up the page (an arXiv stamp), 270 down it; ``tilt`` turns the
    text that many degrees counter-clockwise (a card set askew). ``follow``: drawn
    right where the span before it ended, on its line (``x`` and ``y`` unused), as a
    run of another weight inside one line is.
    """

    x: float
    y: float
    size: float
    text: str
    font: str = "F1"
    turn: int = 0
    follow: bool = False
    tilt: float = 0.0


def _string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def spans_pdf(pages: list[list[Span]], width: float = 595, height: float = 842) -> bytes:
    objects: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    font_ids = {}
    next_id = 3
    for key, name in FONTS.items():
        objects[next_id] = (
            b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
            % name.encode()
        )
        font_ids[key] = next_id
        next_id += 1
    resources = b"<< /Font << %s >> >>" % b" ".join(
        b"/%s %d 0 R" % (k.encode(), v) for k, v in font_ids.items()
    )
    kids = []
    for spans in pages:
        page_id, content_id = next_id, next_id + 1
        next_id += 2
        kids.append(page_id)
        ops = [b"BT"]
        for s in spans:
            if s.follow:
                ops.append(b"/%s %.2f Tf %s Tj" % (s.font.encode(), s.size, _string(s.text)))
                continue
            a, b, c, d = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 270: (0, -1, 1, 0)}[s.turn]
            if s.tilt:
                cos, sin = math.cos(math.radians(s.tilt)), math.sin(math.radians(s.tilt))
                a, b, c, d = cos, sin, -sin, cos
            ops.append(
                b"/%s %.2f Tf %.5f %.5f %.5f %.5f %.2f %.2f Tm %s Tj"
                % (s.font.encode(), s.size, a, b, c, d, s.x, height - s.y, _string(s.text))
            )
        ops.append(b"ET")
        stream = b"\n".join(ops)
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R"
            b" /Resources %s >>" % (width, height, content_id, resources)
        )
        objects[content_id] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    return pdf_from_objects(objects)


def column(x: float, y: float, lines: list[str], size: float = 10, lead: float = 12, **kw):
    """Spans for ``lines`` set one under the other from baseline ``y``."""
    return [Span(x, y + i * lead, size, text, **kw) for i, text in enumerate(lines)]


# Helvetica's advance widths (standard AFM metrics, 1/1000 em) for printable ASCII.
_HELVETICA = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~",
        [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278]
        + [556] * 10
        + [278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278]
        + [500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667]
        + [611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222]
        + [222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500]
        + [500, 334, 260, 334, 584],
        strict=True,
    )
)


def width(text: str, size: float) -> float:
    """How far Helvetica at ``size`` advances over ``text`` (ASCII)."""
    return sum(_HELVETICA[ch] for ch in text) * size / 1000
