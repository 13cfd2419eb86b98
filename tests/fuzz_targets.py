"""What ``tests/test_fuzz.py`` does with each mutated file, inside a page process.

``decode_file((path, budget_pages))`` does what the worker does with a file's
bytes: sniff the type, then for a PDF or an image open it (page count,
password, limits) and read the text layer and render each of the first
``budget_pages`` pages; for an Office zip run the zip-bomb check. It answers
``("ok", detail)``, ``("error", code)`` for a ``docworker.errors`` class, or
``("foreign", traceback)`` for any other exception: the last one is a bug
(a third-party error not translated at the decode edge). A hang or a crash
shows up in the sandbox as a ``timeout`` or ``engine_failed`` result instead.

Inputs: a file path and a page budget. Output: a ``(kind, detail)`` pair.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from docworker import decode, errors
from docworker.engines import office

LIMITS = {"max_pages": 50, "max_page_points": 14400.0, "max_pixels": 4_000_000}


def decode_file(task: tuple[str, int]) -> tuple[str, str]:
    path_s, budget_pages = task
    path = Path(path_s)
    try:
        mime = decode.sniff_type(path)
        if mime in decode.OFFICE_TYPES - {decode.HTML}:
            office.check_zip(path, 50 * 1024 * 1024, 200.0)
            return "ok", mime
        if mime not in decode.SUPPORTED_TYPES or mime == decode.HTML:
            return "ok", mime
        doc = decode.open_document(path, mime, None, **LIMITS)
        try:
            for number in range(1, min(doc.page_count, budget_pages) + 1):
                try:
                    doc.page(number, text_layer=True)
                    image, _ = doc.render(number, 36, LIMITS["max_pixels"])
                    image.close()
                except errors.WorkerError:
                    continue  # a page error: the next page must still work
            return "ok", f"{mime} {doc.page_count} pages"
        finally:
            doc.close()
    except errors.WorkerError as e:
        return "error", e.code
    except MemoryError:
        return "error", "limit_exceeded"
    except Exception:
        return "foreign", traceback.format_exc(limit=-6)
