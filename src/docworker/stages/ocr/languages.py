"""A job's ``languages`` → what each OCR engine reads them with, and what it cannot.

``JobInput.languages`` holds ISO 639 codes ("es", "en"; three-letter codes
are taken as Tesseract's own names, "spa").

- **Tesseract** reads a language with its ``<code>.traineddata`` file
  ("es" → ``spa``): ``tesseract_plan`` keeps the requested languages whose
  file is installed, in the request's order (the first leads), and names the
  rest. With none installed, the engine keeps its defaults.
- **RapidOCR** ships one recognition model, and the worker never downloads
  another. Its character dictionary (checked in ``tests/test_ocr_lines.py``)
  holds the Latin alphabet with its accents, Chinese characters and Japanese
  kana, and no Cyrillic, Arabic, Hebrew, Hangul, Indic or Thai letters; Greek
  lacks its accented vowels. ``rapidocr_missing`` names the requested
  languages written in another script. The tiny model (``rapidocr-tiny``) has
  no kana either: Japanese is among them there.

``warnings(engine, languages, installed)`` gives the lines that go to
``metadata.warnings`` when a page of the job was OCR'd.

A job that names no language gets no such warning, and a page in a script the
model lacks reads as noise (a Korean page as Chinese punctuation) that it scores
low: ``unsure`` finds an OCR'd page whose lines score low on the whole, and
``unsure_warning`` names those pages in one warning (a threshold for each engine,
measured: ``UNSURE_SCORES``).

Inputs: language codes, the installed Tesseract languages, an OCR'd page's lines
(text and score). Outputs: tuples of Tesseract codes, lists of language codes and
warning strings.
"""

from __future__ import annotations

from collections.abc import Iterable

#: ISO 639-1 → Tesseract's language data name.
TESSERACT: dict[str, str] = {
    "af": "afr", "ar": "ara", "az": "aze", "be": "bel", "bg": "bul", "bn": "ben",
    "ca": "cat", "cs": "ces", "cy": "cym", "da": "dan", "de": "deu", "el": "ell",
    "en": "eng", "eo": "epo", "es": "spa", "et": "est", "eu": "eus", "fa": "fas",
    "fi": "fin", "fr": "fra", "ga": "gle", "gl": "glg", "he": "heb", "hi": "hin",
    "hr": "hrv", "hu": "hun", "hy": "hye", "id": "ind", "is": "isl", "it": "ita",
    "ja": "jpn", "ka": "kat", "kk": "kaz", "ko": "kor", "la": "lat", "lt": "lit",
    "lv": "lav", "mk": "mkd", "ms": "msa", "mt": "mlt", "nl": "nld", "no": "nor",
    "oc": "oci", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk",
    "sl": "slv", "sq": "sqi", "sr": "srp", "sv": "swe", "sw": "swa", "ta": "tam",
    "th": "tha", "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "chi_sim",
}  # fmt: skip

#: Languages written in a script other than Latin, Han or kana, by script.
SCRIPTS: dict[str, str] = {
    **dict.fromkeys(("ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg"), "Cyrillic"),
    **dict.fromkeys(("ar", "fa", "ur", "ps", "ug", "sd"), "Arabic"),
    **dict.fromkeys(("he", "yi"), "Hebrew"),
    **dict.fromkeys(("hi", "mr", "ne", "sa"), "Devanagari"),
    "el": "Greek (accented vowels)", "ko": "Hangul", "th": "Thai", "bn": "Bengali",
    "ta": "Tamil", "te": "Telugu", "kn": "Kannada", "ml": "Malayalam", "gu": "Gujarati",
    "pa": "Gurmukhi", "si": "Sinhala", "my": "Myanmar", "km": "Khmer", "lo": "Lao",
    "ka": "Georgian", "hy": "Armenian", "am": "Ethiopic", "ti": "Ethiopic", "bo": "Tibetan",
}  # fmt: skip

_ENGINE_NOTE = {
    "rapidocr": "the bundled RapidOCR model reads Latin, Chinese and Japanese script only",
    "rapidocr-small": "the bundled RapidOCR model reads Latin, Chinese and Japanese script only",
    "rapidocr-tiny": "the tiny RapidOCR model reads Latin and Chinese script only",
}
#: Scripts the tiny recognizer's dictionary lacks beyond ``SCRIPTS`` (no kana).
TINY_SCRIPTS: dict[str, str] = {"ja": "kana"}


def tesseract_code(language: str) -> str | None:
    """Tesseract's data name for ``language`` (a three-letter code is taken as one)."""
    language = language.lower()
    if len(language) == 3:
        return language
    return TESSERACT.get(language)


def tesseract_plan(
    languages: Iterable[str], installed: Iterable[str]
) -> tuple[tuple[str, ...], list[str]]:
    """(Tesseract codes to load, in order; requested languages it cannot read)."""
    have = set(installed)
    codes: list[str] = []
    missing: list[str] = []
    for language in languages:
        code = tesseract_code(language)
        if code is not None and code in have:
            if code not in codes:
                codes.append(code)
        else:
            missing.append(language)
    return tuple(codes), missing


def rapidocr_missing(languages: Iterable[str], engine: str = "rapidocr") -> list[str]:
    """The requested languages RapidOCR's model (``engine``'s) cannot read."""
    return [language for language in languages if language.lower() in _scripts(engine)]


def _scripts(engine: str) -> dict[str, str]:
    return {**SCRIPTS, **TINY_SCRIPTS} if engine == "rapidocr-tiny" else SCRIPTS


def warnings(
    engine: str, languages: Iterable[str], installed: Iterable[str] | None = None
) -> list[str]:
    """What to tell the caller about ``languages`` on ``engine`` (empty when all are read)."""
    languages = list(languages)
    if engine == "tesseract":
        codes, missing = tesseract_plan(languages, installed or ())
        if not missing:
            return []
        names = ", ".join(f"{x} ({tesseract_code(x) or 'unknown'})" for x in missing)
        used = "+".join(codes) if codes else "its default languages"
        return [f"OCR: no Tesseract language data for {names}; pages were read with {used}"]
    missing = rapidocr_missing(languages, engine)
    if not missing:
        return []
    scripts = sorted({_scripts(engine)[x.lower()] for x in missing})
    return [
        f"OCR: languages {', '.join(missing)} are not read: {_ENGINE_NOTE[engine]}, not"
        f" {', '.join(scripts)}; no other model is downloaded (try DOCWORKER_OCR_ENGINE=tesseract"
        " with that language's data, or the gpu engine)"
    ]


#: An OCR'd page whose lines' recognition scores average under this, each line weighed
#: by its characters, is read unreliably, by engine. The bundled recognizer's average on
#: the corpus's scans is 0.978-0.995 a page (linn, c02-22, eurotext, phototest, ocropy's
#: and kraken's pages, a Chinese one; the tiny one's 0.918-0.986, the small one's
#: 0.978-0.996); on a Korean page, whose Hangul it has no letters for, 0.75 (the tiny one
#: 0.64), read as Chinese punctuation. Tesseract's mean word confidence (with the image's
#: ``spa+eng`` data) on the Latin pages is 0.930-0.957, on kraken's old print 0.755, and
#: on the Korean and the Chinese page, whose data it lacks, 0.37 and 0.42.
UNSURE_SCORES = {"rapidocr": 0.85, "rapidocr-small": 0.85, "rapidocr-tiny": 0.85, "tesseract": 0.6}
#: ... over this many lines or more: a page of a line or two says too little.
UNSURE_LINES = 5


def unsure(lines: Iterable[tuple[str, float | None]], engine: str = "rapidocr") -> float | None:
    """The character-weighted mean score of an OCR'd page's ``lines`` (text, score) when it
    is under ``engine``'s ``UNSURE_SCORES`` over ``UNSURE_LINES`` scored lines or more;
    else None (and for an engine with no measured threshold)."""
    floor = UNSURE_SCORES.get(engine)
    scored = [(len(text.strip()), score) for text, score in lines if score is not None]
    chars = sum(n for n, _ in scored)
    if floor is None or len(scored) < UNSURE_LINES or chars == 0:
        return None
    mean = sum(n * score for n, score in scored) / chars
    return mean if mean < floor else None


def unsure_warning(engine: str, pages: list[int], most: int = 10) -> str | None:
    """The job's one warning for the OCR'd ``pages`` ``unsure`` found, or None."""
    if not pages or engine not in UNSURE_SCORES:
        return None
    named = ", ".join(map(str, pages[:most])) + (
        f" and {len(pages) - most} more" if len(pages) > most else ""
    )
    if engine == "tesseract":
        lacks = "a language whose data Tesseract was not given reads as noise (set the job's"
        lacks += " languages; DOCWORKER_OCR_ENGINE=rapidocr reads Chinese and Japanese)"
    else:
        lacks = f"a script the model lacks reads as noise ({_ENGINE_NOTE[engine]}; try"
        lacks += " DOCWORKER_OCR_ENGINE=tesseract with that language's data, or the gpu engine)"
    return (
        f"OCR: page{'s' if len(pages) > 1 else ''} {named} read with low confidence (the"
        f" recognizer's mean score under {UNSURE_SCORES[engine]}): the text may be wrong. A"
        f" degraded scan reads so, and {lacks}"
    )
