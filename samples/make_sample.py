"""Build ``samples/muestra.pdf``: one digital page and one scanned page, in Spanish.

Page 1 has a real text layer (Helvetica, WinAnsiEncoding, so á é í ó ú ñ ¿ ¡
are single bytes). Page 2 is a JPEG of rendered text with no text layer, so
the worker must OCR it. The PDF is committed; rerun this only to change it,
from the repository root:

    python -m samples.make_sample

Output: samples/muestra.pdf (written with tests/pdfgen.py, no PDF library).
"""

from __future__ import annotations

from pathlib import Path

from tests.pdfgen import ImagePage, TextPage, build_pdf, scan_jpeg

DIGITAL_LINES = [
    (72, 82, 16, "Resolución 14/2025 de la Comisión Nacional"),
    (72, 120, 11, "Artículo 1. Las señales públicas de información deberán"),
    (72, 136, 11, "mantenerse legibles. ¿Quién supervisa su cumplimiento?"),
    (72, 152, 11, "¡La dirección técnica, según el año fiscal en curso!"),
]

SCANNED_LINES = [
    "Anexo II: Información pública",
    "El señor Muñoz presentó la solicitud",
    "en la oficina de Logroño el año 2025.",
    "¿Cuándo se publicará la decisión?",
]


def main() -> None:
    out = Path(__file__).with_name("muestra.pdf")
    pdf = build_pdf(
        [
            TextPage(lines=DIGITAL_LINES),
            ImagePage(jpeg=scan_jpeg(SCANNED_LINES), pixel_size=(1240, 700)),
        ]
    )
    out.write_bytes(pdf)
    print(f"wrote {out} ({len(pdf)} bytes)")


if __name__ == "__main__":
    main()
