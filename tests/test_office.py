"""Office documents through the pipeline: OpenDocument text via the built-in reader."""

from __future__ import annotations

import zipfile

from docworker import decode

CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:text>
<text:h text:outline-level="2">Título del acta</text:h>
<text:p>Primera<text:s text:c="2"/>línea, ¿señal?</text:p>
<text:list><text:list-item><text:p>punto uno</text:p></text:list-item></text:list>
<table:table><table:table-row><table:table-cell><text:p>Año</text:p></table:table-cell>
<table:table-cell><text:p>Importe</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>2025</text:p></table:table-cell>
<table:table-cell><text:p>1.000 €</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document-content>"""


def make_odt(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED
        )
        zf.writestr("content.xml", CONTENT)
    return path


def test_odt_is_sniffed_and_converted(cpu_pipeline, tmp_path):
    path = make_odt(tmp_path / "acta.bin")
    assert decode.sniff_type(path) == decode.ODT
    payload = cpu_pipeline.run({"document_path": str(path)})
    markdown = payload["data"]["markdown"]
    assert "## Título del acta" in markdown
    assert "Primera  línea, ¿señal?" in markdown
    assert "- punto uno" in markdown
    assert "| Año | Importe |" in markdown and "| 2025 | 1.000 € |" in markdown
    engine = payload["metadata"]["engine"]
    assert engine["name"] == "office" and engine["models"][0]["id"] == "docworker-odt"
    assert payload["data"]["pages"][0]["source"] == "office"
