"""TeX's symbol fonts read by their encodings where the PDF gives no Unicode for a glyph.

pdfTeX embeds Computer Modern's Type 1 fonts without a ToUnicode map unless the
document asks for one, so pdfium reads a glyph's Unicode from its name. Names that
are not in the Adobe Glyph List (``angbracketleft``, ``bardbl``, ``prime``,
``lessmuch``, ``asteriskmath``, ``summationdisplay`` ...) leave pdfium with the
character code itself: ⟨x, y⟩ reads "hx, yi", ‖γ′(t)‖ reads "kγ0(t)k", and codes
under 0x20 (≪, ∗) were dropped as control characters. pdfium flags such a
character (``FPDFText_HasUnicodeMapError``), and the code is the glyph's slot in
the font's encoding, which TeX fixes for each family:

- ``OML``, the math letters (CMMI, CMMIB, Latin Modern's LMMathItalic): the
  variant Greek letters (ϵ ϑ ϖ ϱ ς φ), ℓ, ℘, the harpoons (an arrow's hook
  goes);
- ``OMS``, the math symbols (CMSY, CMBSY, Latin Modern's LMMathSymbols);
- ``OMX``, the math extension (CMEX, LMMathExtension): big delimiters, operators
  and their pieces. A piece of a tall delimiter (a brace's middle, a bracket's
  extension) maps to the pieces Unicode has for it (U+239B..U+23B3), which the
  LaTeX reading (``pdfmath``) folds as it folds the same pieces from fonts that
  do map them. The tips of a horizontal brace (over or under a formula) map to
  nothing: the character goes;
- the AMS symbol fonts of ``amssymb``: ``MSAM`` (⩽ ⩾ ≲ ≳ □ ∴ ⊲ ✓ ...) and ``MSBM``
  (the negated relations, ∄, ∅, ϰ, and the blackboard capitals, which pdfium reads
  as their letters without a fault: they are read as before). "∄m" read "@m" before.

CMSY's negation slash (0x36) and mapsto bar (0x37) are left as pdfium reads them
("6", "7"): ``pdfchars.negations`` joins each with the sign it is drawn over or
before (≠, ∉, ↦).

One font that is not TeX's draws a sign in a letter's slot whatever its map says:
"Rupee Foradian" draws ₹ for the grave accent ("`17,81,841 crore").

Input: a font's base name and an unmapped character. Output: its Unicode text.
"""

from __future__ import annotations

import re

# fmt: off
_OMS = (
    "−·×∗÷⋄±∓⊕⊖⊗⊘⊙◯◦•"      # 0x00
    "≍≡⊆⊇≤≥⪯⪰∼≈⊂⊃≪≫≺≻"      # 0x10
    "←→↑↓↔↗↘≃⇐⇒⇑⇓⇔↖↙∝"      # 0x20
    "′∞∈∋△▽67∀∃¬∅ℜℑ⊤⊥"      # 0x30 (0x36, 0x37: see the module docstring)
    "ℵ𝒜ℬ𝒞𝒟ℰℱ𝒢ℋℐ𝒥𝒦ℒℳ𝒩𝒪"    # 0x40: calligraphic capitals
    "𝒫𝒬ℛ𝒮𝒯𝒰𝒱𝒲𝒳𝒴𝒵∪∩⊎∧∨"    # 0x50
    "⊢⊣⌊⌋⌈⌉{}⟨⟩|‖↕⇕\\≀"     # 0x60
    "√⨿∇∫⊔⊓⊑⊒§†‡¶♣♢♡♠"      # 0x70
)
_OMX = (
    "()[]⌊⌋⌈⌉{}⟨⟩|‖/\\"      # 0x00: \big
    "()()[]⌊⌋⌈⌉{}⟨⟩/\\"      # 0x10: \Big (0x10-0x11), \bigg
    "()[]⌊⌋⌈⌉{}⟨⟩/\\/\\"     # 0x20: \Bigg, then \Big's slashes
    "⎛⎞⎡⎤⎣⎦⎢⎥⎧⎫⎩⎭⎨⎬⎪⏐"      # 0x30: pieces of tall delimiters
    "⎝⎠⎜⎟⟨⟩⊔⊔∮∮⊙⊙⊕⊕⊗⊗"      # 0x40
    "∑∏∫⋃⋂⊎⋀⋁∑∏∫⋃⋂⊎⋀⋁"      # 0x50: text and display sizes
    "∐∐ˆˆˆ˜˜˜[]⌊⌋⌈⌉{}"      # 0x60: wide accents as spacing ones (set over a letter)
    "√√√√⎷│┌‖↑↓    ⇑⇓"      # 0x70: radicals, arrow pieces, horizontal brace tips
)
_OML = (
    "ΓΔΘΛΞΠΣΥΦΨΩαβγδϵ"      # 0x00
    "ζηθικλμνξπρστυϕχ"      # 0x10
    "ψωεϑϖϱςφ↼↽⇀⇁↩↪▹◃"      # 0x20
    "0123456789.,</>⋆"      # 0x30: old-style figures
    "∂ABCDEFGHIJKLMNO"      # 0x40
    "PQRSTUVWXYZ♭♮♯⌣⌢"      # 0x50
    "ℓabcdefghijklmno"      # 0x60
    "pqrstuvwxyzıȷ℘⃗⁀"      # 0x70
)
#: The AMS symbol fonts (``amssymb``), slot by slot from the glyph names of their AFM files
#: (TeX Live's ``msam10.afm``, ``msbm10.afm``) read through TeX Live's glyph lists, where
#: a list gives another sign for a name (its ``dblarrowleft`` is ⇔, MSAM's glyph two left
#: arrows ⇇), as ``amssymb`` names the glyph. Slots MSBM leaves empty hold their own code.
_MSAM = (
    "⊡⊞⊠□■▪◊⧫↻↺⇌⇋⊟⊩⊪⊨"      # 0x00
    "↠↞⇇⇉⇈⇊↾⇂↿⇃↣↢⇆⇄↰↱"      # 0x10
    "⇝↭↫↬≗≿≳⪆⊸∴∵≑≜≾≲⪅"      # 0x20
    "⪕⪖⋞⋟≼≦⩽≶‵9≓≒≽≧⩾≷"      # 0x30 (0x39: a piece of a dashed arrow, below)
    "⊏⊐⊳⊲⊵⊴★≬▼▶◀⇢⇠△▲▽"      # 0x40
    "≖⋚⋛⪋⪌¥⇛⇚✓⊻⊼⩞∠∡∢∝"      # 0x50
    "⌣⌢⋐⋑⋓⋒⋏⋎⋋⋌⫅⫆≏≎⋘⋙"      # 0x60
    "⌜⌝®Ⓢ⋔∔∽⋍⌞⌟✠∁⊺⊚⊛⊝"      # 0x70
)
_MSBM = (
    "≨≩≰≱≮≯⊀⊁≨≩≰≱⪇⪈⋠⋡"      # 0x00: negated relations (a slashed one as its nearest sign)
    "⋨⋩⋦⋧≰≱⪵⪶⪹⪺⪉⪊≁≇╱╲"      # 0x10
    "⊊⊋⊈⊉⫋⫌⫋⫌⊊⊋⊈⊉∦∤∤∦"      # 0x20
    "⊬⊮⊭⊯⋭⋬⋪⋫↚↛⇍⇏⇎↮⋇∅"      # 0x30
    "∄𝔸𝔹ℂ𝔻𝔼𝔽𝔾ℍ𝕀𝕁𝕂𝕃𝕄ℕ𝕆"    # 0x40: \nexists, then the blackboard capitals
    "ℙℚℝ𝕊𝕋𝕌𝕍𝕎𝕏𝕐ℤˆˆ˜˜_"      # 0x50: wide accents as spacing ones
    "Ⅎ⅁bcde℧ð≂ℶℷℸ⋖⋗⋉⋊"      # 0x60
    "∣∥∖∼≈≊⪸⪷↶↷ϝϰ𝕜ℏℏ϶"      # 0x70
)
# fmt: on

_TABLES = {
    name: dict(zip(map(chr, range(128)), codes, strict=True))
    for name, codes in (
        ("OML", _OML),
        ("OMS", _OMS),
        ("OMX", _OMX),
        ("MSAM", _MSAM),
        ("MSBM", _MSBM),
    )
}
del _TABLES["OMS"]["6"], _TABLES["OMS"]["7"]
# The tips of a brace drawn over or under a formula (its straight parts are rules): no
# text, they go.
_TABLES["OMX"].update(dict.fromkeys("z{|}", ""))
# The hooks TeX sets before or after an arrow (\hookrightarrow is a hook, then →): the
# arrow stays, the hook goes (Unicode's ↪ is one character, not the two pieces).
_TABLES["OML"].update(dict.fromkeys(",-", ""))
# A dash of \dashrightarrow: the arrow's head (0x4B, 0x4C) stands for it. The tombstones
# □ ■ (0x03, 0x04, control codes, dropped before these tables) end a proof at the right
# margin, on a row a display formula may share: they go, as before, and read into no line.
_TABLES["MSAM"].update(dict.fromkeys("9\x03\x04", ""))

_FAMILIES = (
    (re.compile(r"(?:CMMIB?\d|LMMathItalic)", re.IGNORECASE), "OML"),
    (re.compile(r"(?:CMB?SY\d|LMMathSymbols)", re.IGNORECASE), "OMS"),
    (re.compile(r"(?:CMEX\d|LMMathExtension)", re.IGNORECASE), "OMX"),
    (re.compile(r"MSAM\d", re.IGNORECASE), "MSAM"),
    (re.compile(r"MSBM\d", re.IGNORECASE), "MSBM"),
)


#: A font that draws a sign in another character's slot, and says so in no map: the
#: Indian "Rupee Foradian" font draws ₹ for the grave accent (made before Unicode had
#: ₹; annual reports and invoices still use it). Its characters are read through the
#: table whatever pdfium mapped them to.
_DRAWN = ((re.compile(r"Rupee[ -]?Foradian", re.IGNORECASE), {"`": "₹"}),)


def table_for(name: str) -> tuple[dict[str, str], bool] | None:
    """``(table, always)`` for the base font ``name`` (subset prefix dropped), or ``None``
    for a font outside these families: the code → Unicode table, and whether it reads
    every character (``_DRAWN``) or only those pdfium could not map (TeX's fonts)."""
    base = name.split("+", 1)[1] if len(name) > 7 and name[6] == "+" else name
    for pattern, encoding in _FAMILIES:
        if pattern.match(base):
            return _TABLES[encoding], False
    for pattern, table in _DRAWN:
        if pattern.search(base):
            return table, True
    return None
