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

Inputs: language codes, and the installed Tesseract languages. Outputs: tuples
of Tesseract codes, lists of language codes and warning strings.
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
