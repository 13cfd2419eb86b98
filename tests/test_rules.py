"""The page's horizontal rules as the reading order takes them (``pdfobjects.horizontal_rules``)."""

from __future__ import annotations

from docworker.decode.pdfobjects import PageObjects, horizontal_rules


def _obj(x0, top, x1, bottom, stroke=True, fill=False):
    return {"x0": x0, "top": top, "x1": x1, "bottom": bottom, "stroke": stroke, "fill": fill,
            "non_stroking_color": None}  # fmt: skip


def test_lines_and_thin_bars_long_enough_are_rules():
    found = PageObjects(lambda x, y: (x, y), 612, 792)
    found.lines = [
        _obj(45, 109, 567, 109),  # a stroked rule across the page
        _obj(45, 200, 100, 200),  # too short
        _obj(300, 100, 300, 700),  # vertical
    ]
    found.rects = [
        _obj(45, 50, 567, 51.5, stroke=False, fill=True),  # a filled bar
        _obj(45, 300, 567, 340, stroke=False, fill=True),  # a shaded box, no rule
        _obj(45, 400, 567, 401, stroke=False, fill=False),  # not painted
    ]
    drawn, joined = horizontal_rules(found, 0.3 * 612)
    assert drawn == [(50.75, 45, 567), (109.0, 45, 567)]
    assert joined == [(50.75, 45, 567), (109.0, 45, 567)]


def test_a_rule_drawn_cell_by_cell_is_one_rule_when_joined():
    """A form's rule under its last line, drawn as three touching strokes (half a point
    apart in height); two strokes with a gap between them stay two."""
    found = PageObjects(lambda x, y: (x, y), 612, 792)
    found.lines = [_obj(36, 744, 389, 744), _obj(389, 744.5, 504, 744.5), _obj(505, 744, 576, 744)]
    found.rects = [_obj(36, 600, 250, 600.5), _obj(300, 600, 576, 600.5)]
    drawn, joined = horizontal_rules(found, 0.3 * 612)
    assert all(x1 - x0 < 500 for _, x0, x1 in drawn)
    assert [(x0, x1) for _, x0, x1 in joined] == [(36, 250), (300, 576), (36, 576)]


def test_a_subpath_no_number_places_is_left_out():
    """A damaged file's path whose points pdfium gives as NaN or infinite (the fuzzer's
    mutated handbook) is no line, rectangle or curve: nothing downstream can place it,
    and ``int(NaN)`` had stopped the page's decode."""
    from docworker.decode.pdfobjects import _add

    lines: list[dict] = []
    rects: list[dict] = []
    curves: list[dict] = []
    nan, inf = float("nan"), float("inf")
    _add("ml", [(0.0, 0.0), (nan, 5.0)], True, False, None, (lines, rects, curves))
    _add("mlllh", [(0, 0), (inf, 0), (inf, 9), (0, 9), (0, 0)], False, True, None,
         (lines, rects, curves))  # fmt: skip
    assert lines == rects == curves == []
    _add("ml", [(0.0, 0.0), (40.0, 0.0)], True, False, None, (lines, rects, curves))
    assert len(lines) == 1
