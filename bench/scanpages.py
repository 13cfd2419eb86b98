"""Generated magazine scans: two or three justified columns, a narrow gutter, drop caps.

UNLV-style test pages for the OCR path, with exact ground truth. A page has a
full-width title, then columns of justified prose set in DejaVu Serif; long
words are broken at the line end with a hyphen ("manu-" / "facturers"), the
article opens with a drop cap three lines tall, and the page is binarised
like a bitonal office scan. The ground truth is the text in reading order
(title, then column 1 top to bottom, then column 2, ...), words unbroken.

Input: a ``ScanSpec`` (resolution, columns, gutter, language, seed).
Output: ``ScanPage`` (a PIL image carrying its dpi, the reference text with
words whole, and the text as printed: one line per printed line, line-end
hyphens kept, in reading order).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SERIF_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"

ENGLISH = [
    "Manufacturers of small computers spent the last decade competing on speed, but the"
    " buyers we interviewed for this survey care more about reliability and about the"
    " quality of the documentation that comes with each machine. Several respondents"
    " described the installation manuals as incomprehensible, and two administrators"
    " said that they had abandoned a purchase after reading the configuration chapter.",
    "The laboratory measurements tell a similar story. Under sustained load the"
    " transmission controllers of three machines overheated within forty minutes, and"
    " the replacement procedure required specialized equipment that most offices do not"
    " keep. Engineers from the companies involved acknowledged the problem and promised"
    " improvements in the next production run, although none offered a delivery date.",
    "Independent consultants were more optimistic. They pointed out that the newest"
    " generation of storage subsystems is considerably faster than its predecessors and"
    " that the prices of memory components continue to fall every quarter. For"
    " organizations that can wait another year, the recommendation is straightforward:"
    " postpone the investment, document current requirements carefully, and negotiate"
    " maintenance agreements before signing anything.",
    "Our evaluation covered fourteen systems from nine vendors. Each machine was"
    " installed by the same technician, configured according to the published"
    " instructions, and then exercised with a standardized collection of accounting,"
    " correspondence and spreadsheet programs. We recorded every interruption, every"
    " unexpected message and every telephone call to the manufacturer's support line.",
    "Communication with the support departments varied enormously. The best responded"
    " within minutes and explained the underlying difficulty patiently; the worst kept"
    " our technician waiting for hours and then recommended reinstalling the operating"
    " system, which destroyed the measurements collected during the previous afternoon.",
    "Readers who administer larger installations should pay particular attention to the"
    " networking results. Performance degraded noticeably once more than twelve"
    " workstations shared a printer, and the diagnostic utilities supplied by two vendors"
    " misreported the condition of the connection whenever the cable exceeded the"
    " recommended length. Neither problem appears in the advertising literature.",
]

SPANISH = [
    "La administración pública publicó ayer la convocatoria de subvenciones destinadas a"
    " la modernización de los archivos municipales. Según el documento, los ayuntamientos"
    " podrán solicitar financiación para digitalizar expedientes históricos, mejorar la"
    " conservación de los fondos y garantizar el acceso ciudadano a la información.",
    "El plazo de presentación de solicitudes será de treinta días hábiles a contar desde"
    " la publicación oficial. Las entidades interesadas deberán acompañar una memoria"
    " técnica, un presupuesto detallado y el compromiso de mantener los servicios durante"
    " al menos cinco años. ¿Quién evaluará las propuestas? Una comisión independiente.",
    "Los responsables del programa señalaron que la digitalización no sustituye a la"
    " conservación física de los documentos originales. Al contrario, ambas tareas se"
    " complementan: los archivos consultados con frecuencia sufren menos deterioro cuando"
    " los investigadores pueden trabajar con reproducciones de calidad suficiente.",
    "La asociación de archiveros valoró positivamente la iniciativa, aunque advirtió de"
    " que muchos municipios pequeños carecen de personal especializado. ¡Es imprescindible"
    " acompañar la inversión con formación! También pidió criterios comunes de"
    " descripción para que los catálogos resultantes puedan compartirse entre regiones.",
]

TITLES = {
    "en": "Office Computers: What the Buyers Really Want",
    "es": "Subvenciones para la modernización de archivos",
}


@dataclass(frozen=True)
class ScanSpec:
    """One generated page: resolution, columns, gutter (inches), language, body size."""

    name: str
    dpi: int = 300
    columns: int = 2
    gutter_in: float = 0.17
    lang: str = "en"
    body_pt: float = 9.5
    seed: int = 0
    drop_cap: bool = True
    noise: float = 0.0  # share of pixels flipped (speckle)
    paragraphs: int = 0  # how many of the language's paragraphs (0: all)
    height_in: float = 11.0  # page height


@dataclass
class ScanPage:
    spec: ScanSpec
    image: Image.Image
    reference: str
    printed: str = ""


SPECS = (
    ScanSpec("two-col-300dpi", dpi=300, gutter_in=0.17, seed=1),
    ScanSpec("two-col-300dpi-narrow", dpi=300, gutter_in=0.11, seed=2, body_pt=9.0),
    ScanSpec("two-col-200dpi", dpi=200, gutter_in=0.15, seed=3),
    ScanSpec("two-col-150dpi", dpi=150, gutter_in=0.2, seed=4, body_pt=10.0),
    ScanSpec("three-col-300dpi", dpi=300, columns=3, gutter_in=0.14, seed=5, body_pt=8.5),
    ScanSpec("two-col-300dpi-noisy", dpi=300, gutter_in=0.13, seed=6, noise=0.002),
    ScanSpec("two-col-es-300dpi", dpi=300, gutter_in=0.14, lang="es", seed=7),
)


def _split_point(
    word: str, draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, room: float
) -> int:
    """Where to break ``word`` so that its head plus a hyphen fits ``room`` (0: nowhere).

    Breaks only inside a run of letters, keeping three letters on each side,
    and prefers a break after a vowel followed by a consonant (a syllable).
    """
    core = word.rstrip(".,;:!?")
    best = 0
    for k in range(3, len(core) - 2):
        if not (core[:k].isalpha() and core[k:].isalpha()):
            continue
        if draw.textlength(core[:k] + "-", font=font) > room:
            break
        if core[k - 1].lower() in "aeiouáéíóú" and core[k].lower() not in "aeiouáéíóú":
            best = k
    return best


def _lines(
    words: list[str],
    width: float,
    first: float,
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont,
    indents: list[float],
) -> list[tuple[list[str], float, bool]]:
    """Greedy line breaking with hyphenation; (words, indent, last line of paragraph)."""
    out: list[tuple[list[str], float, bool]] = []
    space = draw.textlength(" ", font=font)
    queue = list(words)
    current: list[str] = []
    used = 0.0
    while queue:
        indent = indents[len(out)] if len(out) < len(indents) else (first if not out else 0.0)
        room = width - indent
        word = queue[0]
        need = draw.textlength(word, font=font) + (space if current else 0.0)
        if used + need <= room:
            current.append(queue.pop(0))
            used += need
            continue
        k = _split_point(word, draw, font, room - used - (space if current else 0.0))
        if k and len(current) >= 2:
            current.append(word[:k] + "-")
            queue[0] = word[k:]
        out.append((current, indent, False))
        current, used = [], 0.0
    if current:
        indent = indents[len(out)] if len(out) < len(indents) else (first if not out else 0.0)
        out.append((current, indent, True))
    return out


def make_page(spec: ScanSpec) -> ScanPage:
    """Render ``spec``: the page image (mode RGB, ``info['dpi']`` set) and its reference."""
    rng = random.Random(spec.seed)
    dpi = spec.dpi
    px = dpi / 72.0  # pixels per point
    width, height = int(8.5 * dpi), int(spec.height_in * dpi)
    margin = int(0.75 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    body = ImageFont.truetype(SERIF, round(spec.body_pt * px))
    leading = round(spec.body_pt * 1.22 * px)
    title_font = ImageFont.truetype(SERIF_BOLD, round(20 * px))
    title = TITLES[spec.lang]
    draw.text((margin, margin), title, font=title_font, fill=0)
    top = margin + round(20 * px * 2.2)
    gutter = spec.gutter_in * dpi
    col_w = (width - 2 * margin - (spec.columns - 1) * gutter) / spec.columns
    paragraphs = list(ENGLISH if spec.lang == "en" else SPANISH)
    rng.shuffle(paragraphs)
    if spec.paragraphs:
        paragraphs = paragraphs[: spec.paragraphs]
    reference = [title]
    # Lay out every paragraph as lines, then pour the lines into the columns.
    cap_lines = 3
    cap_font = ImageFont.truetype(SERIF_BOLD, round(leading * cap_lines * 0.95))
    laid: list[tuple[list[str], float, bool, str | None]] = []
    for i, para in enumerate(paragraphs):
        words = para.split()
        cap = None
        indents: list[float] = []
        if spec.drop_cap and i in (0, len(paragraphs) // 2):
            cap, words[0] = words[0][0], words[0][1:]
            indents = [draw.textlength(cap, font=cap_font) + 0.6 * leading] * cap_lines
        for j, (ws, indent, last) in enumerate(
            _lines(words, col_w, 1.2 * leading, draw, body, indents)
        ):
            laid.append((ws, indent, last, cap if j == 0 else None))
        reference.append(para)
    rows = -(-len(laid) // spec.columns)  # balanced columns, the article ends mid-page
    for n, (ws, indent, last, cap) in enumerate(laid):
        column, row = divmod(n, rows)
        x0 = margin + column * (col_w + gutter)
        y = top + row * leading
        if cap is not None:
            draw.text((x0, y - 0.12 * leading), cap, font=cap_font, fill=0)
        _justify(draw, ws, x0 + indent, col_w - indent, y, body, last)
    if spec.noise:
        _speckle(image, spec.noise, rng)
    image = image.filter(ImageFilter.GaussianBlur(0.35 * dpi / 300)).point(
        lambda v: 0 if v < 150 else 255
    )
    rgb = image.convert("RGB")
    rgb.info["dpi"] = (dpi, dpi)
    printed = [title] + [(cap or "") + " ".join(ws) for ws, _, _, cap in laid]
    return ScanPage(spec, rgb, "\n\n".join(reference), "\n".join(printed))


def _justify(
    draw: ImageDraw.ImageDraw,
    words: list[str],
    x: float,
    room: float,
    y: float,
    font: ImageFont.FreeTypeFont,
    last: bool,
) -> None:
    widths = [draw.textlength(w, font=font) for w in words]
    space = draw.textlength(" ", font=font)
    if not last and len(words) > 1:
        space = max(space, (room - sum(widths)) / (len(words) - 1))
    for word, w in zip(words, widths, strict=True):
        draw.text((x, y), word, font=font, fill=0)
        x += w + space


def _speckle(image: Image.Image, share: float, rng: random.Random) -> None:
    pixels = image.load()
    for _ in range(int(image.width * image.height * share)):
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        pixels[x, y] = 255 - pixels[x, y]


def write_pages(folder: Path, specs: tuple[ScanSpec, ...] = SPECS) -> list[tuple[Path, ScanPage]]:
    """Render ``specs`` to ``folder/<name>.png`` (+ ``.txt`` reference); returns both."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for spec in specs:
        page = make_page(spec)
        path = folder / f"{spec.name}.png"
        page.image.save(path, dpi=(spec.dpi, spec.dpi))
        (folder / f"{spec.name}.txt").write_text(page.reference, encoding="utf-8")
        out.append((path, page))
    return out
