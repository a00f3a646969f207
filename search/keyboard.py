"""A query typed with the keyboard left in its Latin layout: ``hgwghm`` for ``الصلاة``.

Each key of the Arabic keyboard (the standard layout of Windows, macOS and
Linux, shared by nearly every Arabic keyboard sold) has a Latin letter on it; a
reader who forgets to switch types the Latin letters of the keys meant. Read
back key by key, the query is what they wanted; the engine searches it when the
letters as typed find nothing (search/engine.py).
"""

from __future__ import annotations

import re

# Key -> what the Arabic layout types there (unshifted, then the shifted keys that are letters).
ARABIC_KEYS = {
    **dict(zip("qwertyuiop[]", "ضصثقفغعهخحجد", strict=True)),
    **dict(zip("asdfghjkl;'", "شسيبلاتنمكط", strict=True)),
    **dict(zip("zxcvnm,./`", "ئءؤرىةوزظذ", strict=True)),
    "b": "لا",
    "H": "أ",
    "Y": "إ",
    "N": "آ",
    "G": "لأ",
    "T": "لإ",
    "B": "لآ",
}
_LATIN = re.compile("[A-Za-z]")
_ARABIC = re.compile("[\u0600-\u06ff]")
# A word of keys (letters and the punctuation keys that are letters) between spaces.
_KEYS_ONLY = re.compile(r"[a-zHYNGTB\[\];',./`]+(?:\s+[a-zHYNGTB\[\];',./`]+)*")


def from_latin_layout(query: str) -> str | None:
    """The query as the Arabic keys under its letters would have typed it; None
    for a query that holds Arabic already, or anything but words of keys (digits,
    operators, quotes and field names are the query language's, typed on purpose)."""
    typed = query.strip()
    if _ARABIC.search(typed) or not _LATIN.search(typed) or not _KEYS_ONLY.fullmatch(typed):
        return None
    return "".join(ARABIC_KEYS.get(key, key) for key in typed)
