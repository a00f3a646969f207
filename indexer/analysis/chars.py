"""Character classes of Arabic script, in one place, for the tokenizer and the normalizer.

Ranges are written as regex character-class bodies (``"\\u064b-\\u065f"``) so the
tokenizer can compile them, and expanded to sets where the normalizer needs them.
"""

from __future__ import annotations

from pyarabic import araby

# Harakat, tanween, shadda, sukun, maddah/hamza marks, subscript alef and friends.
HARAKAT = "\u064b-\u065f"
# Superscript ("dagger") alef, as in رَحْمَٰن.
DAGGER_ALEF = "\u0670"
# Quranic annotation and honorific marks: small high ligatures, stop signs, small
# waw/yeh, rounded zero, and the extended Quranic marks of Arabic Extended-A.
QURANIC_MARKS = "\u0610-\u061a\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u08d3-\u08e1\u08e3-\u08ff"
TATWEEL = araby.TATWEEL  # U+0640
# Invisible format characters that real corpora are full of: zero-width space,
# ZWNJ, ZWJ, LRM, RLM, bidi embeddings and isolates, Arabic letter mark, BOM,
# soft hyphen, word joiner.
FORMAT_CHARS = "\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\u061c\ufeff\u00ad"

# Letters of Arabic script (base letters, extended letters for other languages,
# and the presentation forms), excluding punctuation, digits and ornate parentheses.
ARABIC_LETTERS = (
    "\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff"
    "\u0750-\u077f\u08a0-\u08c9\ufb50-\ufd3d\ufd50-\ufdfb\ufe70-\ufefc"
)
# Every code point of the Arabic blocks: what "another script" must exclude.
ARABIC_BLOCKS = "\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
# Combining marks of other scripts (e.g. a decomposed é).
LATIN_MARKS = "\u0300-\u036f"


def expand(ranges: str) -> frozenset[str]:
    """The set of characters that a character-class body such as ``"\\u064b-\\u065f"`` names."""
    chars: set[str] = set()
    i = 0
    while i < len(ranges):
        if i + 2 < len(ranges) and ranges[i + 1] == "-":
            chars.update(chr(c) for c in range(ord(ranges[i]), ord(ranges[i + 2]) + 1))
            i += 3
        else:
            chars.add(ranges[i])
            i += 1
    return frozenset(chars)
