"""Filled form fields and free-text notes: read where a viewer shows them (``decode.pdffields``)."""

from __future__ import annotations

from docworker import decode
from docworker.decode import open_document
from docworker.engines import cpu
from docworker.isolation import tasks
from tests.pdfgen import FormField, form_pdf

LINES = [
    (72, 100, 12, "Application for a library card"),
    (72, 140, 10, "Name of the applicant"),
    (72, 170, 10, "Address"),
    (72, 230, 10, "Password"),
]


def _box(top, bottom, left=200, right=450):
    """A field's box given in top-left page points, as the PDF's user space has it."""
    return (left, 842 - bottom, right, 842 - top)


FIELDS = [
    FormField("name", "Jane Example", _box(129, 143)),
    FormField("address", "12 Quay Street\nPort Town", _box(160, 200), ff=4096),  # multi-line
    FormField("secret", "hunter2", _box(219, 233), ff=8192),  # a password field
    FormField("hidden", "not shown", _box(249, 263), f=2),
    FormField("member", "Yes", _box(279, 291, right=212), kind="Btn"),
    FormField("", "Checked by the clerk", _box(320, 340, left=72, right=300), kind="FreeText"),
]


def _handle(tmp_path, lines=LINES, fields=FIELDS):
    path = tmp_path / "form.pdf"
    path.write_bytes(form_pdf(lines, fields))
    return path, open_document(path, decode.PDF, None, max_pages=5, max_page_points=20000,
                               max_pixels=10**8)  # fmt: skip


def _view(tmp_path, lines=LINES, fields=FIELDS):
    """Page 1 of a form of ``lines`` and ``fields``, read with its text layer."""
    _, handle = _handle(tmp_path, lines, fields)
    try:
        return handle.page(1, text_layer=True)
    finally:
        handle.close()


def test_the_values_of_visible_text_fields_are_lines_in_their_boxes(tmp_path):
    view = _view(tmp_path)
    texts = [line.text for line in view.fields]
    # The password, the hidden field and the check box are left out; a multi-line
    # value is one line a row, from the box's top.
    # A free-text note is read as a multi-line field is.
    assert texts == ["Jane Example", "12 Quay Street", "Port Town", "Checked by the clerk"]
    name, street, town, note = view.fields
    assert note.bbox[0] == 72 and 320 <= note.bbox[1] < note.bbox[3] <= 340
    assert 200 <= name.bbox[0] and name.bbox[2] <= 450
    assert 130 <= name.bbox[1] < name.bbox[3] <= 142  # centred on the box's height
    assert 160 <= street.bbox[1] < town.bbox[1] < 200
    assert name.size == 10 and [w.text for w in name.words] == ["Jane", "Example"]
    # The page's own text layer is untouched.
    assert "Jane" not in " ".join(line.text for line in view.lines)


def test_a_filled_forms_markdown_has_its_values_beside_their_labels(tmp_path):
    path, handle = _handle(tmp_path)
    handle.close()
    doc = tasks.DocTask(str(path), decode.PDF, None, 5, 14_400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1, ocr="auto"))
    assert page.source == "text_layer"
    assert "Name of the applicant Jane Example" in page.markdown
    assert "12 Quay Street" in page.markdown and "Port Town" in page.markdown
    assert "hunter2" not in page.markdown and "not shown" not in page.markdown
    assert "Checked by the clerk" in page.markdown


def test_a_render_draws_the_filled_values(tmp_path):
    """The OCR path and page images see what a viewer shows: pdfium draws the fields
    (the form environment is set up before any page is loaded)."""
    _, handle = _handle(tmp_path)
    try:
        image, _ = handle.render(1, 72, 10**8)
    finally:
        handle.close()
    name = image.convert("L").crop((200, 129, 450, 143))
    assert min(name.getdata()) < 100  # "Jane Example" in black, on a white page
    blank = image.convert("L").crop((200, 249, 450, 263))  # the hidden field
    assert min(blank.getdata()) > 200


def test_a_value_printed_into_the_page_is_not_read_twice(tmp_path):
    """A form filled and printed into its content keeps its widgets: the text layer
    already shows the value where the field is."""
    view = _view(tmp_path, [*LINES, (205, 140, 10, "Jane Example")], FIELDS[:1])
    assert view.fields == []
    assert sum("Jane Example" in line.text for line in view.lines) == 1


def test_a_field_off_the_page_is_not_read(tmp_path):
    off = FormField("off", "Nowhere to be seen", _box(129, 143, left=620, right=800))
    view = _view(tmp_path, LINES, [FIELDS[0], off])
    assert [line.text for line in view.fields] == ["Jane Example"]
