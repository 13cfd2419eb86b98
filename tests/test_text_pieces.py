"""The text layer read character by character: words, pieces, scripts, hyphens, cost."""

from __future__ import annotations

import math
import random
import re

import pytest

from docworker.decode import open_document, pdflines
from docworker.decode.pdf import PdfHandle
from docworker.decode.pdflines import is_vertical
from docworker.geometry import Line
from docworker.stages import furniture, markdown, reading_order
from docworker.stages.ocr.orientation import rotate_box
from docworker.stages.text_layer import TextLayerStage
from tests.pdfgen import stream_pdf
from tests.pdfspans import Span, column, spans_pdf, width

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _view(tmp_path, pages, number=1, **kw):
    path = tmp_path / "doc.pdf"
    path.write_bytes(spans_pdf(pages, **kw))
    handle = open_document(path, "application/pdf", None, max_pages=50, max_page_points=20000,
                           max_pixels=10**8)  # fmt: skip
    try:
        return handle.page(number, text_layer=True)
    finally:
        handle.close()


def page_items(view):
    """The CPU engine's text-layer assembly of one page (no tables)."""
    lines = TextLayerStage()(view)
    ordered = reading_order.reading_order(lines, view.width)
    paras = reading_order.paragraphs(ordered)
    kinds = furniture.furniture(paras, view.height, width=view.width)
    return markdown.layout_items(paras, kinds, [])


def test_runs_drawn_apart_inside_a_word_make_one_word(tmp_path):
    # "Exam" and "ple" drawn as two runs that touch; words drawn without space characters.
    after = 72 + width("Exam", 12)
    end = after + width("ple", 12)
    spans = [
        Span(72, 100, 12, "Exam"),
        Span(after, 100, 12, "ple"),
        Span(end + 5, 100, 12, "document"),
    ]
    view = _view(tmp_path, [spans])
    assert [line.text for line in view.lines] == ["Example document"]
    words = [w.text for w in view.lines[0].words]
    assert words == ["Example", "document"]
    line = view.lines[0]
    assert line.size == pytest.approx(12, abs=0.01) and not line.bold and not line.mono


def test_font_weight_pitch_and_size_reach_the_lines(tmp_path):
    view = _view(
        tmp_path,
        [[Span(72, 100, 18, "Heading", "F2"), Span(72, 130, 10, "return a + b;", "F3")]],
    )
    head, code = view.lines
    assert head.bold and head.size == pytest.approx(18, abs=0.01)
    assert code.mono and not code.bold


def test_a_gap_wider_than_a_font_size_ends_a_piece_and_the_row_joins_after_columns(tmp_path):
    view = _view(tmp_path, [[Span(72, 100, 10, "Name:"), Span(200, 100, 10, "Juan Muñoz")]])
    assert [line.text for line in view.lines] == ["Name:", "Juan Muñoz"]
    (line,) = reading_order.reading_order(view.lines, view.width)
    assert line.text == "Name: Juan Muñoz"


def test_scripts_stay_inline_and_raised_figures_are_written_raised(tmp_path):
    """A raised figure is written as its superscript character ("mc²"), so that it no
    longer reads as part of its word; a subscript stays as it is drawn ("H2O")."""
    x = [72.0]
    for text, size in (("E = mc", 12), ("2", 8), (" and H", 12), ("2", 8)):
        x.append(x[-1] + width(text, size))
    spans = [
        Span(x[0], 100, 12, "E = mc"),
        Span(x[1], 95, 8, "2"),
        Span(x[2], 100, 12, " and H"),
        Span(x[3], 103, 8, "2"),
        Span(x[4], 100, 12, "O"),
    ]
    view = _view(tmp_path, [spans])
    assert [line.text for line in view.lines] == ["E = mc² and H2O"]


def _run(pieces, y=100.0):
    """Spans one after another on the baseline ``y``: (text, size, raised by) each."""
    x, spans = 72.0, []
    for text, size, up in pieces:
        spans.append(Span(x, y - up, size, text))
        x += width(text, size)
    return spans


def test_footnote_marks_are_written_raised_apart_from_their_word(tmp_path):
    """A footnote mark set small and raised after a word or a stop ("reports2", "action.6"
    as the text layer has them) reads as its superscript figure, a list of marks too."""
    spans = _run([("as annual reports", 10, 0), ("2", 7, 3.5), (" which expose", 10, 0)])
    spans += _run([("corrective action.", 10, 0), ("6", 7, 3.5), (" The FAA sent", 10, 0)], 130)
    spans += _run([("as shown before", 10, 0), ("1,2", 7, 3.5), (" and since", 10, 0)], 160)
    view = _view(tmp_path, [spans])
    assert [line.text for line in view.lines] == [
        "as annual reports² which expose",
        "corrective action.⁶ The FAA sent",
        "as shown before¹,² and since",
    ]


def test_raised_small_text_that_is_no_mark_stays_as_it_is(tmp_path):
    """A fraction's numerator raised over its lowered denominator, a numerator before a
    slash, a small margin note set a little up beside the line, and a raised letter
    are not written as superscript figures."""
    spans = _run([("then d := ", 10, 0), ("1", 7, 3.5), (" ", 7, 0), ("2", 7, -2.5),
                  (" ln x holds", 10, 0)])  # fmt: skip
    spans += _run([("a share of ", 10, 0), ("1", 7, 3.5), ("/4 of all", 10, 0)], 130)
    spans += _run([("as the proof shows ", 10, 0), ("Bem. 63", 7, 2.5)], 160)
    spans += _run([("the 2", 10, 0), ("nd", 7, 3.5), (" edition", 10, 0)], 190)
    view = _view(tmp_path, [spans])
    assert [line.text for line in view.lines] == [
        "then d := 1 2 ln x holds",
        "a share of 1 /4 of all",  # pdfium's space after the raised glyph, as before
        "as the proof shows Bem. 63",
        "the 2nd edition",
    ]


def test_footnotes_that_open_with_a_raised_mark_are_paragraphs_of_their_own(tmp_path):
    """Footnotes under the text, each opening with its raised mark, one line each: each
    is a paragraph, and the furniture rules read them as the page's text."""
    spans = column(72, 100, ["Body text of the page runs on for a line or two here,",
                             "and it ends with a full stop."])  # fmt: skip
    spans += _run([("3", 6, 3), ("This holds for no n, as is easily seen.", 8, 0)], 700)
    spans += _run([("4", 6, 3), ("Even for infinitely many.", 8, 0)], 710)
    paras = [item.paragraph.text for item in page_items(_view(tmp_path, [spans]))]
    assert paras[-2:] == ["³This holds for no n, as is easily seen.", "⁴Even for infinitely many."]


def test_the_e_that_the_latex_logo_lowers_stays_in_its_word(tmp_path):
    """TeX's logos set their E half an x-height (0.22 em) below the line; a smaller
    raised A is a script already. Two lines, so the E has a line below to fall into."""
    pieces = [("the ", 10, 0), ("L", 10, 0), ("A", 7, -2.3), ("T", 10, 0), ("E", 10, 2.2)]
    pieces += [("X", 10, 0), (" class is here", 10, 0)]
    x, spans = 72.0, []
    for text, size, down in pieces:
        spans.append(Span(x, 100 + down, size, text))
        x += width(text, size) - (1.5 if text in ("A", "E") else 0)
    spans.append(Span(72, 112, 10, "and the next line of the text"))
    view = _view(tmp_path, [spans])
    assert [line.text for line in view.lines] == [
        "the LATEX class is here",
        "and the next line of the text",
    ]


def test_line_end_hyphens_are_joined_or_kept_and_no_control_character_leaks(tmp_path):
    lines = [
        "Lorem ipsum dolor sit amet, consectetuer adipi-",
        "scing elit. Wer es gerne in A5 (Schwarz-",
        "Weiß, Ringbindung) liest, nutzt die Seite 2023-",
        "0379; das ist ein self-",
        "publishing Projekt, kein Sonder\xadheft.",
    ]
    view = _view(tmp_path, [column(72, 100, lines)])
    items = page_items(view)
    md, text = markdown.items_markdown(items), markdown.items_text(items)
    assert "adipiscing elit" in md
    assert "(Schwarz-Weiß, Ringbindung)" in md
    assert "2023-0379;" in md
    assert "self-publishing" in md
    assert not CONTROL.search(md) and not CONTROL.search(text)


def test_a_hyphenated_compound_seen_elsewhere_on_the_page_keeps_its_hyphen(tmp_path):
    lines = [
        "Our nature-based removals and our market-",
        "based offsets. Another line that we meet-",
        "ing notes.",
    ]
    md = markdown.items_markdown(page_items(_view(tmp_path, [column(72, 100, lines)])))
    assert "market-based offsets" in md and "meeting notes" in md


def test_text_up_the_margin_is_a_stamp_kept_out_of_the_markdown(tmp_path):
    body = column(100, 100, ["A line of body text that runs on."] * 20)
    stamp = Span(30, 600, 14, "arXiv:2004.04906v3 [cs.CL] 30 Sep 2020", turn=90)
    view = _view(tmp_path, [[*body, stamp]])
    vertical = [line for line in view.lines if is_vertical(line)]
    assert [line.text for line in vertical] == ["arXiv:2004.04906v3 [cs.CL] 30 Sep 2020"]
    items = page_items(view)
    assert "arXiv" not in markdown.items_markdown(items)
    assert "arXiv" in markdown.items_text(items)
    assert view.turn == 0


def _card(x: float, y: float, tilt: float, lines: list[str], split: int = -1) -> list[Span]:
    """``lines`` set askew by ``tilt`` degrees from baseline ``(x, y)``, 12 points apart;
    line ``split`` drawn as two text objects, the second where the first ends."""
    cos, sin = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    spans = []
    for i, text in enumerate(lines):
        lx, ly = x + 12 * i * sin, y + 12 * i * cos  # down the card, y from the top
        parts = [text] if i != split else [text[: len(text) // 2], text[len(text) // 2 :]]
        for part in parts:
            spans.append(Span(lx, ly, 10, part, tilt=tilt))
            lx, ly = lx + width(part, 10) * cos, ly - width(part, 10) * sin
    return spans


def test_cards_set_askew_are_read_straightened(tmp_path):
    """Tika's testPDF_angles.pdf (a poster of four cards, each turned a few degrees): a
    baseline taken from each glyph's box climbed away from the line's start, so lines
    broke every few words ("You're a tink es machines", "erer who lov ing,")."""
    first = [
        "You're a tinkerer who loves machines? Then head for",
        "mechanical engineering, and specialize in designing,",
        "building, and maintaining machines of all types and sizes,",
        "from jumbo jets to mini monitors. You might also help",
    ]
    second = [
        "Nuclear energy is one of the most powerful",
        "energy sources known. As a nuclear engineer,",
        "you'll work to safely harness that power.",
    ]
    spans = _card(80, 120, 4.0, first, split=2) + _card(90, 420, -5.0, second)
    texts = [line.text for line in view_lines(_view(tmp_path, [spans]))]
    assert texts == first + second


def view_lines(view):
    lines = TextLayerStage()(view)
    return reading_order.reading_order(lines, view.width)


def test_a_page_set_up_the_page_is_read_upright(tmp_path):
    rows = [("Region", "Total", "Men", "Women")] + [
        (f"R{i}", "4.3", "1.8", "0.7") for i in range(8)
    ]
    spans = [
        Span(100 + 14 * r, 700 - 80 * c, 10, cell, turn=90)
        for r, row in enumerate(rows)
        for c, cell in enumerate(row)
    ]
    view = _view(tmp_path, [spans])
    assert view.turn == 90
    lines = TextLayerStage()(view)
    for line in lines:
        line.bbox = rotate_box(line.bbox, view.turn, view.width, view.height)
    ordered = [ln.text for ln in reading_order.reading_order(lines, view.height)]
    assert ordered[:2] == ["Region Total Men Women", "R0 4.3 1.8 0.7"]


def test_tiny_text_is_read(tmp_path):
    """A dense page of 6-point text: 8,000 characters, every line read (what it costs is
    measured in ``bench``, not here)."""
    lines = [
        f"{i:03d} lorem ipsum dolor sit amet consectetuer adipiscing elit sed" for i in range(120)
    ]
    path = tmp_path / "dense.pdf"
    path.write_bytes(spans_pdf([column(20, 20, lines, size=6, lead=6.8)]))
    handle = PdfHandle(path, None, 10, 20000)
    try:
        view = handle.page(1, text_layer=True)
    finally:
        handle.close()
    assert len(view.lines) == 120 and view.lines[119].text == lines[119]


def test_glyphs_drawn_one_by_one_out_of_order_read_as_words(tmp_path):
    text = "Shuffled glyphs"
    x = [72.0]
    for ch in text:
        x.append(x[-1] + width(ch, 12))
    order = [5, 0, 9, 2, 14, 7, 1, 12, 3, 10, 6, 13, 4, 11, 8]
    spans = [Span(x[i], 100, 12, text[i]) for i in order if text[i] != " "]
    view = _view(tmp_path, [spans])
    (line,) = reading_order.reading_order(view.lines, view.width)
    assert line.text == "Shuffled glyphs"
    assert [w.text for w in line.words] == ["Shuffled", "glyphs"]


def test_a_bold_run_in_title_and_the_weights_at_a_lines_ends(tmp_path):
    spans = [
        Span(72, 100, 10, "Due date of return.", "F2"),
        Span(0, 0, 10, " File Form 1040 or 1040-SR by April 15, 2025.", follow=True),
        Span(72, 120, 10, "Note.", "F2"),
        Span(0, 0, 10, " One bold word is no run-in title.", follow=True),
        Span(72, 140, 10, "Filing status", "F2"),
        Span(0, 0, 10, ": a colon set in the text's weight still ends the title.", follow=True),
        Span(72, 160, 10, "A whole line set in bold, heading or not.", "F2"),
        Span(72, 180, 10, "Text that runs on into", "F1"),
        Span(0, 0, 10, " a bold phrase at its end", "F2", follow=True),
        Span(72, 200, 10, "DATES:", "F2"),
        Span(0, 0, 10, " one bold word and its colon: a label.", follow=True),
        Span(72, 220, 10, "A:", "F2"),
        Span(0, 0, 10, " but not one letter.", follow=True),
    ]
    lines = {line.text[:8]: line for line in _view(tmp_path, [spans]).lines}
    assert len(lines) == 7
    assert lines["DATES: o"].run_in  # the Federal Register's labels
    assert not lines["A: but n"].run_in
    assert lines["Due date"].run_in and not lines["Due date"].bold
    assert lines["Due date"].ends == (True, False)
    assert not lines["Note. On"].run_in
    assert lines["Filing s"].run_in
    assert lines["A whole "].bold and not lines["A whole "].run_in
    assert lines["A whole "].ends == (True, True)
    assert lines["Text tha"].ends == (False, True) and not lines["Text tha"].run_in


def test_white_text_on_white_paper_is_left_out_and_on_a_dark_fill_kept(tmp_path):
    """GPO's Federal Register pages carry their production stamp ("VerDate Sep<11>2014
    ...") in white: unseen, so not read. White text on a dark banner is seen."""

    ops = [
        b"BT /F1 12 Tf 72 700 Td (Seen on the page) Tj ET",
        b"1 1 1 rg BT /F1 12 Tf 72 650 Td (VerDate hidden stamp) Tj ET",
        b"0.1 0.2 0.5 rg 60 590 300 30 re f",
        b"1 1 1 rg BT /F1 12 Tf 72 600 Td (White on the banner) Tj ET",
    ]
    view = _stream_view(tmp_path, stream_pdf(b"\n".join(ops)))
    assert [line.text for line in view.lines] == ["Seen on the page", "White on the banner"]


def _stream_view(tmp_path, data: bytes):
    """The text-layer view of the one-page PDF ``data``."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    handle = open_document(path, "application/pdf", None, max_pages=5, max_page_points=20000,
                           max_pixels=10**8)  # fmt: skip
    try:
        return handle.page(1, text_layer=True)
    finally:
        handle.close()


def test_a_word_space_the_pdf_leaves_out_is_read_and_letter_spacing_is_not(tmp_path):
    """Tightly justified text (word spaces cut to 0.15 em) may move a word along by
    0.12 em with no space character, which pdfium does not read as a space
    ("FederalTort"); a kern inside a word, letter-spaced capitals and a sign set apart
    from its number are no space."""
    lines = [
        b"-1.2 Tw [(under the Federal) -120 (Tort Claims Act was)] TJ",
        b"0 Tw [(an Exam) -30 (ple of it, and) -120 (no more)] TJ",
        b"1.4 Tc (SPACED) Tj",
        b"0 Tc -1.2 Tw [(a loss of -) -120 (0.9393 in the year)] TJ",
    ]
    stream = b"BT /F1 12 Tf 14 TL 72 700 Td " + b" T* ".join(lines) + b" ET"
    times = b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding /WinAnsiEncoding >>"
    view = _stream_view(tmp_path, stream_pdf(stream, font=times))
    words = [[w.text for w in line.words] for line in view.lines]
    assert ["under", "the", "Federal", "Tort", "Claims", "Act", "was"] in words, words
    assert ["an", "Example", "of", "it,", "and", "no", "more"] in words, words
    assert ["SPACED"] in words, words
    assert ["a", "loss", "of", "-0.9393", "in", "the", "year"] in words, words  # a sign


def _overprints_plain(lines: list[Line]) -> list[Line]:
    """The rule ``pdflines._without_overprints`` keeps, written as a scan over every
    earlier piece of the same text."""
    seen: dict[str, list[Line]] = {}
    out = []
    for line in lines:
        tol = 0.15 * max(line.size, 1.0)
        same = seen.setdefault(line.text, [])
        box = line.bbox
        if any(all(abs(a - b) <= tol for a, b in zip(s.bbox, box, strict=True)) for s in same):
            continue
        same.append(line)
        out.append(line)
    return out


def test_overprints_are_found_by_place_as_by_a_scan_of_every_earlier_piece():
    """A table of numbers repeats "0" thousands of times a page; the pieces drawn again
    over an earlier one (fake bold) are looked up by where they stand, and the same
    ones go as a scan of every earlier piece of that text finds."""
    rng = random.Random(7)
    dropped = 0
    for _ in range(400):
        lines: list[Line] = []
        for _ in range(rng.randint(0, 300)):
            size = rng.choice([0.2, 1.0, 10.0, 40.0, 106.0, 107.0, 150.0])
            if lines and rng.random() < 0.5:  # drawn again near an earlier piece
                earlier = rng.choice(lines)
                tol = 0.15 * max(size, 1.0)
                box = tuple(v + rng.uniform(-1.3 * tol, 1.3 * tol) for v in earlier.bbox)
                text = earlier.text
            else:
                x, y = rng.uniform(-50, 600), rng.uniform(-50, 800)
                box = (x, y, x + rng.uniform(1, 50), y + rng.uniform(1, 20))
                text = rng.choice(["0", "1", "ab"])
            lines.append(Line(text, box, None, size))
        kept = pdflines._without_overprints(lines)
        assert [id(x) for x in kept] == [id(x) for x in _overprints_plain(lines)]
        dropped += len(lines) - len(kept)
    assert dropped > 1000


def test_a_second_copy_of_the_text_cut_into_other_pieces_is_dropped(tmp_path):
    """A report whose producer wrote its text twice: one copy comes in other pieces
    ("15", "M", "ay" under "May 15"), so no piece of it matches one of the other. A
    line drawn again whole shows the page carries a copy; then each character drawn
    over another goes, those of the copy in shorter pieces, and every line reads once,
    in the longer pieces' order."""
    x = 72.0
    cut = [(x + width("May ", 10), "15"), (x, "M"), (x + width("M", 10), "ay")]
    spans = [
        Span(72, 100, 10, "Harvest report"),
        *[Span(at, 120, 10, text) for at, text in cut],
        Span(x + width("May 15 ", 10), 120, 10, "was the date"),
        Span(72, 100, 10, "Harvest report "),  # not the same object: pdfium keeps it
        Span(72, 120, 10, "May 15 was the date"),
    ]
    view = _view(tmp_path, [spans])
    assert [line.text for line in view.lines] == ["Harvest report", "May 15 was the date"]


def test_letters_of_one_ligature_sharing_a_box_are_not_twins():
    """pdfium gives the two letters of an "ff" glyph one box, one after the other: both
    stay; the same letter drawn again later over the first is a twin and goes."""
    from docworker.decode.pdfchars import Char

    f1 = Char("f", 10, 10, 16, 20, 10, 18, 10, 0, False)
    f2 = Char("f", 10, 10, 16, 20, 10, 18, 10, 0, False)
    i = Char("i", 16, 10, 19, 20, 16, 18, 10, 0, False)
    again = Char("f", 10.3, 10, 16.3, 20, 10.3, 18, 10, 0, False)
    assert pdflines._twins([[again], [f1, f2, i]]) == {id(again)}


def test_of_two_copies_the_one_in_longer_pieces_is_kept():
    """A manual's line drawn whole, and again as two pieces of every other letter: the
    whole line stays, whichever copy was drawn first ("S ifi th t" had been read)."""
    from docworker.decode.pdfchars import Char

    def glyphs(text: str) -> list[Char]:
        return [Char(ch, 10 + 6 * k, 10, 16 + 6 * k, 20, 10 + 6 * k, 18, 10, 0, False)
                for k, ch in enumerate(text)]  # fmt: skip

    whole = glyphs("Specifies")
    copy = [Char(c.text, c.x0, c.y0, c.x1, c.y1, c.ox, c.oy, c.size, 0, False) for c in whole]
    halves = [copy[::2], copy[1::2]]
    assert pdflines._twins([*halves, whole]) == {id(c) for c in copy}


def test_a_page_of_one_repeated_number_is_looked_up_by_place(monkeypatch):
    """8,000 cells reading "0" (a spreadsheet's zeros): each is compared with the few
    earlier "0"s near it, not with all of them (a page like this took 40 s to decode
    when every earlier piece was compared). Counted, not timed."""
    compared = []
    real = pdflines._Placed.near

    def counting(self, box, tol):
        found = real(self, box, tol)
        compared.append(len(found))
        return found

    monkeypatch.setattr(pdflines._Placed, "near", counting)
    lines = [
        Line(
            "0",
            (10 + 9.5 * (i % 60), 10 + 4.2 * (i // 60), 12 + 9.5 * (i % 60), 13 + 4.2 * (i // 60)),
            None,
            4.0,
        )
        for i in range(8000)
    ]
    assert len(pdflines._without_overprints(lines + lines[:100])) == 8000
    assert len(compared) == 8100 - 1 and sum(compared) < 10 * 8100


def _stream_lines(tmp_path, stream: bytes) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(stream_pdf(stream))
    handle = open_document(path, "application/pdf", None, max_pages=5, max_page_points=20000,
                           max_pixels=10**8)  # fmt: skip
    try:
        return [line.text for line in handle.page(1, text_layer=True).lines]
    finally:
        handle.close()


def test_letter_spaced_title_reads_its_words_whole(tmp_path):
    # A title set with tracking, each glyph moved 0.19 em on (camelot's
    # detect_vertical_false.pdf sets "Vins au Verre" so): pdfium puts a space between
    # every two letters, and it had read "V i n s a u V e r r e". A word gap there is
    # the tracking, a space glyph and the tracking again.
    tracked = b" ".join(b"(%s) -190" % ch.encode() for ch in "Vins au Verre")
    title = b"BT /F1 14 Tf 72 700 Td [" + tracked + b"] TJ ET"
    plain = b"BT /F1 12 Tf 72 660 Td (A plain line of text, as most lines are.) Tj ET"
    assert _stream_lines(tmp_path, title + b"\n" + plain) == [
        "Vins au Verre",
        "A plain line of text, as most lines are.",
    ]


def test_one_letter_words_keep_their_spaces(tmp_path):
    # Single letters and digits spaced apart, and no tracking between other letters: as
    # written, never run together.
    stream = b"BT /F1 12 Tf 72 700 Td (a b c d e f and 1 0 1 1 0) Tj ET"
    assert _stream_lines(tmp_path, stream) == ["a b c d e f and 1 0 1 1 0"]
