"""VLM stage: tiny Qwen2.5-VL / GOT-OCR2 in the real file layouts, the cards' prompts,
continuous batching equal to ``generate`` token for token, OOM back-off, fatal GPU errors,
loop guard, tables."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from docworker import errors
from docworker.config import Settings
from docworker.pages import RenderedPage
from docworker.stages.vlm import (
    CARD_MAX_NEW_TOKENS,
    PAGE_PROMPT,
    LoopTracker,
    VlmRequest,
    VlmStage,
    find_loop,
    page_prompt,
)
from docworker.tables.parse import find_html_tables, parse_html_table


def _pages(n: int) -> list[RenderedPage]:
    pages = []
    for i in range(1, n + 1):
        image = Image.new("RGB", (90 + 10 * i, 120), "white")
        ImageDraw.Draw(image).text((8, 8 + 10 * i), f"Página {i}: ñ ¿? ¡!", fill="black")
        pages.append(
            RenderedPage(number=i, width=image.width, height=120, unit="px", image=image, scale=1.0)
        )
    return pages


def _stage(tiny_model_dir, **overrides) -> VlmStage:
    settings = Settings(
        model_dir=tiny_model_dir,
        device="cpu",
        vlm_batch_size=overrides.pop("vlm_batch_size", 2),
        vlm_max_new_tokens=overrides.pop("vlm_max_new_tokens", 8),
        vlm_model=overrides.pop("vlm_model", "nanonets"),
    )
    return VlmStage.from_settings(settings, device="cpu")


# ------------------------------------------------------------------- loop detection


def test_find_loop_on_a_synthetic_repeated_string():
    prefix, unit = "Artículo 1. Objeto. ", "la tasa se aplica; "
    text = prefix + unit * 40
    start, period = find_loop(text, max_period=64, min_repeats=8, min_span=120)
    # The stretch may begin a character early: the prefix ends with the unit's last char.
    assert period == len(unit) and len(prefix) - 1 <= start <= len(prefix)
    kept = text[: start + period]
    assert kept.startswith(prefix + "la tasa") and kept.count("aplica") == 1  # one copy kept


def test_find_loop_ignores_ordinary_text_and_short_repeats():
    prose = " ".join(f"palabra{i % 97} número {i}" for i in range(300))
    assert find_loop(prose, max_period=64, min_repeats=8, min_span=120) is None
    row = "<tr><td></td><td></td></tr>"
    assert find_loop("<table>" + row * 5, max_period=64, min_repeats=8, min_span=256) is None
    ids = list(range(50)) + [7, 8, 9] * 100
    assert find_loop(ids, min_span=64, min_repeats=8) == (50, 3)


# ----------------------------------------------------------------------- HTML tables


def test_html_table_with_rowspan_colspan_and_header():
    table = parse_html_table(
        "<table><thead><tr><th>Concepto</th><th colspan='2'>Importe &amp; IVA</th></tr></thead>"
        "<tbody><tr><td rowspan=2>Tasa<br>anual</td><td>12,50 €</td><td>21%</td></tr>"
        "<tr><td>3 €</td><td>10%</td></tr></tbody></table>"
    )
    assert (table.n_rows, table.n_cols) == (3, 3)
    by_pos = {(c.row, c.col): c for c in table.cells}
    assert by_pos[(0, 1)].text == "Importe & IVA" and by_pos[(0, 1)].col_span == 2
    assert by_pos[(0, 0)].header and not by_pos[(1, 0)].header
    assert by_pos[(1, 0)].text == "Tasa anual" and by_pos[(1, 0)].row_span == 2
    assert by_pos[(2, 1)].text == "3 €"  # placed after the rowspan from above
    assert (2, 0) not in by_pos
    assert table.markdown.splitlines()[0] == "| Concepto | Importe & IVA |  |"
    assert table.markdown.splitlines()[3] == "|  | 3 € | 10% |"
    assert 'rowspan="2"' in table.html and "&amp;" in table.html


def test_html_table_tolerates_broken_markup():
    table = parse_html_table(
        "<table><tr><td>a|b<td rowspan=99 colspan=x>c<tr><td>d<table><tr><td>in</td></tr></table>"
    )
    assert (table.n_rows, table.n_cols) == (2, 2)
    cells = {(c.row, c.col): c for c in table.cells}
    assert cells[(0, 1)].row_span == 2 and cells[(0, 1)].col_span == 1  # clipped, bad colspan
    assert cells[(1, 0)].text == "d in"
    assert "a\\|b" in table.markdown


def test_find_html_tables_nested_and_unclosed():
    text = "x <table><tr><td><table></table></td></tr></table> y <TABLE><tr><td>z"
    spans = find_html_tables(text)
    assert [text[a:b][:8] for a, b in spans] == ["<table><", "<TABLE><"]
    assert text[spans[0][0] : spans[0][1]].endswith("</table>") and spans[1][1] == len(text)


#: The prompt of the Nanonets-OCR-s model card, as published.
CARD_PROMPT = (
    "Extract the text from the above document as if you were reading it naturally. Return the"
    " tables in html format. Return the equations in LaTeX representation. If there is an image"
    " in the document and image caption is not present, add a small description of the image"
    " inside the <img></img> tag; otherwise, add the image caption inside <img></img>."
    " Watermarks should be wrapped in brackets. Ex: <watermark>OFFICIAL COPY</watermark>. Page"
    " numbers should be wrapped in brackets. Ex: <page_number>14</page_number> or"
    " <page_number>9/22</page_number>. Prefer using \u2610 and \u2611 for check boxes."
)


def test_the_page_prompt_is_the_model_card_s_word_for_word():
    assert PAGE_PROMPT == CARD_PROMPT
    assert page_prompt(["es", "en"]) == CARD_PROMPT  # no additions of ours


def test_docstrange_sends_the_same_prompt():
    """docstrange 1.1.8 (the seed system) carries a copy of the card's prompt: compare."""
    import importlib.util
    import re
    from pathlib import Path

    spec = importlib.util.find_spec("docstrange")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("docstrange is not installed")
    source = (
        Path(next(iter(spec.submodule_search_locations))) / "pipeline" / "nanonets_processor.py"
    )
    found = re.search(r'prompt = """(.*?)"""', source.read_text(encoding="utf-8"), re.S)
    assert found and found.group(1) == PAGE_PROMPT


def test_token_limits_follow_the_cards_unless_configured(tmp_path):
    assert CARD_MAX_NEW_TOKENS == {"nanonets": 15000, "got-ocr2": 4096}
    assert Settings().vlm_max_new_tokens is None


def test_loop_tracker_fires_where_find_loop_would():
    import torch

    rows = [[5, 6, 7, 8] + [3, 4] * 20, [9, 1, 2, 3] * 12, list(range(40))]
    tracker = LoopTracker(4, "cpu", max_period=8, min_repeats=4, min_span=12)
    for row in rows:
        tracker.add_row(row[0])
    fired: dict[int, int] = {}
    for step in range(1, 40):
        hits = tracker.step(torch.tensor([row[step] for row in rows])).tolist()
        for i, hit in enumerate(hits):
            if hit and i not in fired:
                fired[i] = step + 1  # tokens generated when it fired
    assert set(fired) == {0, 1}  # the counting row never loops
    for i, count in fired.items():
        assert find_loop(rows[i][:count], max_period=8, min_repeats=4, min_span=12) is not None
        assert find_loop(rows[i][: count - 1], max_period=8, min_repeats=4, min_span=12) is None
    # Rows move when one leaves: the moved row keeps its state.
    tracker.move_row(2, 0)
    tracker.pop_row()
    assert tracker.count == 2 and tracker.generated[0] == 40


# ----------------------------------------------------------------- real generation


@pytest.mark.models
def test_nanonets_batched_greedy_generation_is_deterministic(tiny_model_dir):
    stage = _stage(tiny_model_dir, vlm_batch_size=2)
    assert stage.dtype.is_floating_point and str(stage.dtype) == "torch.float32"
    pages = _pages(3)
    first = stage(pages, ["es"])
    second = stage(pages, ["es"])
    assert [r.page for r in first] == [1, 2, 3]
    assert all(r.error is None and 0 < r.tokens <= 8 for r in first)
    assert [r.text for r in first] == [r.text for r in second]
    assert [r.tokens for r in first] == [r.tokens for r in second]


@pytest.mark.models
def test_got_ocr2_generation(tiny_model_dir):
    stage = _stage(tiny_model_dir, vlm_model="got-ocr2")
    assert stage._got_image_tokens == 16 and not stage.follows_instructions
    results = stage(_pages(2))
    assert [r.page for r in results] == [1, 2]
    assert all(r.error is None and r.tokens > 0 for r in results)


@pytest.mark.models
def test_repetition_guard_stops_a_real_runaway_generation(tiny_model_dir):
    # The tiny random GOT model repeats one token forever: a real runaway.
    stage = _stage(tiny_model_dir, vlm_model="got-ocr2", vlm_max_new_tokens=60)
    stage.options = stage.options.model_copy(
        update={"loop_max_period": 8, "loop_min_repeats": 4, "loop_min_span": 12}
    )
    (result,) = stage(_pages(1))
    assert result.looped and not result.hit_limit
    assert result.tokens < 30  # stopped early, not at max_new_tokens
    request = VlmRequest(page=1, images=[_pages(1)[0].image], prompt="")
    (unguarded,) = stage.run([request], max_new_tokens=60, loop_guard=False)
    assert unguarded.tokens == 60 and unguarded.hit_limit and not unguarded.looped


def test_missing_vlm_weights_is_engine_unavailable(tmp_path):
    with pytest.raises(errors.EngineUnavailable, match="no got-ocr2 model"):
        VlmStage.from_settings(Settings(model_dir=tmp_path, vlm_model="got-ocr2"), device="cpu")
