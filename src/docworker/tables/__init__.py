"""Tables: every path that finds or parses a table, and the one way they are written.

Every path ends in ``contract.TableCell`` objects (the one cells model: row,
column, spans, header flag) that ``render.table`` turns into a
``contract.Table`` with the same markdown and HTML whichever path found it.

::

    digital PDF page (path, password, number)            OCR'd page image + OCR lines
        │ stage.TableStage  (objects: pdfium chars, paths)     │ scanned.find
        ├─ rulings   lines/rects/fills → rulings (Seg)         │  strokes → framed regions
        ├─ ruled     crossing rulings → cell boxes             │  OCR lines → rows × columns
        ├─ cells     cell boxes + chars → TableCell            │
        ├─ words     chars → Word → WordRow (pieces)           │
        ├─ stream    WordRow gutters → TableCell (no rulings)  │
        └─ turned    turned tables read upright, boxes back    │
                          ╲                                   ╱
                           render.table(cells, n_rows, n_cols, bbox) → contract.Table
                          ╱
    text with tables: parse.parse_html_table (the VLM's <table>), parse.pipe_table /
    parse.pipe_rows / parse.pipe_cells (markdown pipe tables: VLM and Office)

Modules:

- ``stage``: ``TableStage``, the text-layer entry point. ``wanted(graphics,
  lines)`` is the first cheap gate (path segments, or pdfium lines that look
  tabular); ``TableStage()(path, password, number, lines)`` turns away pages
  whose rulings frame no grid (``ruled.possible``) before reading a character,
  and returns the page's ``Table`` list with boxes in the page's top-left points.
- ``objects``: the page's characters and painted paths read with pdfium, as
  the pdfplumber-style dicts the finders take (no second PDF parser).
- ``rulings``: lines, rectangles and curves → snapped, joined
  horizontal and vertical rulings (fills outlined, hostile drawings capped).
- ``ruled``: groups of crossing rulings → cell boxes per grid (spans kept,
  unruled columns taken from the text's gutters).
- ``cells``: cell boxes + characters → ``TableCell`` with spans and text.
- ``words``: characters → ``geometry.Word`` → ``WordRow`` (a text line and
  its pieces), the text measure both finders share.
- ``stream``: tables without rulings, from the blank gutters of text lines.
- ``turned``: text direction, and turning boxes and characters into the frame
  where a turned table reads upright (and back).
- ``scanned``: framed or ruled tables on a scanned page, from the image's
  strokes and the OCR lines (``find(image, lines, scale)``).
- ``parse``: tables written as text, the VLM's HTML ``<table>`` and markdown
  pipe tables → ``Table`` (or raw rows).
- ``render``: ``TableCell`` lists → pipe-table markdown, HTML, ``Table``.

Input and output units: boxes are ``geometry.BBox`` in the page's own space
(points for PDFs, the OCR's page units for scans); parsed tables have none.
"""

from docworker.tables.stage import TableStage

__all__ = ["TableStage"]
