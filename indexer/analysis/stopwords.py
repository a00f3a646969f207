"""Arabic stop words: the function words of the ``arabic-stopwords`` lexicon, in
every affixed form it knows (وفي، لهم، فإنه ...), normalized like the text.

Only function-word classes are taken. The lexicon's other classes hold content
words that a reader searches for (أخذ، أصبح، أب، جنوب، آمين), and normalization
would turn its interrogative forms into content words (أمن "or who" -> امن
"security"), so those forms are left out too.
"""

from __future__ import annotations

from functools import lru_cache

from arabicstopwords import arabicstopwords as lexicon
from arabicstopwords.stopwords_classified import STOPWORDS as CLASSIFIED

from .normalize import normalize

_FUNCTION_TYPES = frozenset({"حرف", "ضمير"})
_FUNCTION_CLASSES = frozenset(
    {
        "اسم إشارة",
        "اسم موصول",
        "اسم الاستفهام",
        "اسم الشرط",
        "ظرف",
        "استثناء",
        "توكيد",
        "جار ومجرور",
        "اختصار",
        "حرف ابجدي",
    }
)
# Normalized forms that are content words as often as function words.
_CONTENT_WORDS = frozenset({"عين", "نفس", "عامه", "فعل"})


def _function_lemmas() -> set[str]:
    return {
        lemma
        for lemma, senses in CLASSIFIED.items()
        if any(s["type_word"] in _FUNCTION_TYPES or s["class_word"] in _FUNCTION_CLASSES for s in senses)
    }


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The normalized stop-word set, built on first use."""
    forms: set[str] = set()
    for lemma in _function_lemmas():
        for form in lexicon.stopword_forms(lemma) or [lemma]:
            # An interrogative hamza in front of a non-hamza word: أمن، أفي ...
            if form.startswith("أ") and not lemma.startswith("أ"):
                continue
            forms.add(normalize(form))
    return frozenset(forms - _CONTENT_WORDS)


def is_stop_word(normalized_word: str) -> bool:
    return normalized_word in stop_words()
