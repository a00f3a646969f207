"""The per-word steps of the Arabic chain, and the one Whoosh filter that runs
them. Each step changes a word's text only; the character offsets stay those of
the original text, so highlights land on the original, diacritized word.

Steps hold nothing but plain settings: they are pickled with the schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from whoosh.analysis import Filter, Token

from .lemmas import lemmas
from .memo import WordCache
from .normalize import normalize, normalize_forms
from .stemming import DEFAULT_STRATEGY, STRATEGIES, stems
from .stopwords import is_stop_word

# A form of a word and whether it is a stop word (kept only when the caller keeps stops).
Form = tuple[str, bool]


class WordStep:
    """One step of the chain: a word's text in, zero, one or several texts out."""

    def texts(self, token: Token) -> tuple[str, ...]:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)


class NormalizeStep(WordStep):
    """Replace the text by its normalized form; drop words that normalize to
    nothing (a lone tatweel or diacritic).

    With ``alternatives``, a word with a superscript alef also gives its spelling
    with a full alef (ٱلْعَٰلَمِينَ: العلمين and العالمين). The exact view wants
    both; the stem view only the first, since stemming the second invents
    words (الرحمان -> رحم).
    """

    def __init__(self, alternatives: bool = False) -> None:
        self.alternatives = alternatives

    def texts(self, token: Token) -> tuple[str, ...]:
        forms = normalize_forms(token.text) if self.alternatives else (normalize(token.text),)
        return tuple(form for form in forms if form)


class StopStep(WordStep):
    """Drop Arabic stop words (or, when the caller keeps stops, mark them)."""

    def texts(self, token: Token) -> tuple[str, ...]:
        token.stopped = is_stop_word(token.text)
        return () if token.stopped and token.removestops else (token.text,)


class StemStep(WordStep):
    """Replace each word by its stems; several stems share the word's position."""

    def __init__(self, strategy: str = DEFAULT_STRATEGY) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown stemming strategy {strategy!r}; choose one of {STRATEGIES}")
        self.strategy = strategy

    def texts(self, token: Token) -> tuple[str, ...]:
        return (token.text,) if token.stopped else stems(token.text, self.strategy)


class LemmaStep(WordStep):
    """Replace each word by its lemmas (:mod:`.lemmas`); a word with none leaves the view."""

    def texts(self, token: Token) -> tuple[str, ...]:
        return lemmas(token.text)


class WordChain(Filter):
    """The steps run one after the other on each word, as one filter.

    A word's forms depend on the word alone, so they are computed once per
    distinct word and remembered. Several forms share the word's position
    (alternatives, as synonyms do); a word with no form leaves no gap, so that
    a phrase query (analyzed the same way) still sees adjacent words.
    """

    MEMO_WORDS = 1 << 18

    def __init__(self, *steps: WordStep) -> None:
        self.steps = steps

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.steps == self.steps  # type: ignore[attr-defined]

    def __getstate__(self) -> dict[str, object]:
        return {"steps": self.steps}  # the memos are rebuilt, not pickled

    @property
    def forms(self) -> Callable[[str, bool], tuple[Form, ...]]:
        """``forms(word, removestops)``: the word's forms, remembered per word."""
        memo = self.__dict__.get("_memo")
        if memo is None:
            memo = self.__dict__["_memo"] = WordCache(self._compose, share=0.05, entry_bytes=320)
        return memo

    def kept(self, word: str) -> tuple[str, ...]:
        """What the index holds of the word in this view: its forms, stop words removed."""
        return tuple(text for text, _ in self.forms(word, True))

    def _compose(self, word: str, removestops: bool) -> tuple[Form, ...]:
        token = Token(removestops=removestops)
        token.stopped = False
        forms: list[Form] = []
        self._apply(0, token, word, forms)
        return tuple(forms)

    def _apply(self, step: int, token: Token, text: str, forms: list[Form]) -> None:
        # Depth first: a later step sees what the earlier ones said of this very text.
        if step == len(self.steps):
            forms.append((text, token.stopped))
            return
        token.text = text
        for result in self.steps[step].texts(token):
            self._apply(step + 1, token, result, forms)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # type: ignore[override]
        forms_of = self.forms
        pos = None
        for token in tokens:
            forms = forms_of(token.text, token.removestops)
            if not forms:
                continue
            if token.positions:
                pos = token.pos if pos is None else pos + 1
                token.pos = pos
            for token.text, token.stopped in forms:
                yield token

    def kept_forms(self) -> dict[str, tuple[str, ...]]:
        """The indexer's memo of :meth:`kept`: a plain dictionary of the words met
        (a lookup costs a fraction of a cached call's), emptied when it grows too large."""
        memo = self.__dict__.get("_kept")
        if memo is None:
            memo = self.__dict__["_kept"] = _KeptForms(self)
        return memo


class _KeptForms(dict[str, tuple[str, ...]]):
    """A word's forms once stop words are removed, computed when first asked."""

    def __init__(self, chain: WordChain) -> None:
        super().__init__()
        self.chain = chain

    def __missing__(self, word: str) -> tuple[str, ...]:
        if len(self) >= WordChain.MEMO_WORDS:
            self.clear()
        forms = self[word] = tuple(text for text, _ in self.chain._compose(word, True))
        return forms
