"""The query language: what a person types, parsed into a small tree.

    وزير الدفاع              every word (in any form: with or without the article, diacritics, hamza seat)
    "وزير الدفاع"            the words next to each other (also «...» and “...”)
    -داعش  -"عبارة كاملة"    without this word or phrase
    العراق OR سوريا          either word; OR binds tighter than the implicit AND
    (العراق OR سوريا) أمن    grouping
    title:أوستن              the word in the title only (fields: title, text)
    collection:مسلم          only documents of a collection (also id:, date:)
    اقتصا*                   words starting with these letters
    الاقتصد~  الاقتصد~2      the word, or words one (or two) edits away
    =المسلمين                this exact form, no stemming
    root:كتب                 every word of the root (كتاب، مكتبة، يكتبون، الكاتب); root:مكتبة too

Input is never fatal: stray quotes and parentheses are closed or ignored, and a
note says so; past 32 words and phrases the rest is left out, with a note. What
cannot be run (an unknown field, a query of 10,000 characters) raises
:class:`BadQueryError` with a message that says how to fix it, in English and Arabic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from indexer.errors import BadQueryError
from indexer.schema import TEXT_FIELDS

MAX_QUERY_CHARS = 1000
MAX_QUERY_ITEMS = 32
MAX_FUZZY_DISTANCE = 2
# Parentheses inside parentheses: people group one or two levels deep; a query
# nested deeper is machine-made, and each level costs stack in every layer.
MAX_NESTING = 10
KEYWORD_FIELDS = ("collection", "id", "date")
# Not a field but a way to match: root:كتب.
ROOT = "root"

OPEN_QUOTES = '"“«'
CLOSE_QUOTES = '"”»'
_SPECIAL = "()" + OPEN_QUOTES + CLOSE_QUOTES
_FIELD = re.compile(r"([A-Za-z_]+):(?=\S)")


@dataclass(frozen=True)
class Word:
    """One typed word. ``kind``: word (any form), exact, prefix, fuzzy or root."""

    text: str
    kind: str = "word"
    distance: int = 0
    field: str | None = None


@dataclass(frozen=True)
class Phrase:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AllOf:
    required: tuple[Node, ...]
    excluded: tuple[Node, ...] = ()


Node = Word | Phrase | AnyOf | AllOf


@dataclass(frozen=True)
class Note:
    """What was done to a query that the reader should know, in English (the API,
    the CLI) and in Arabic (the page, which never shows English)."""

    english: str
    arabic: str


@dataclass
class ParsedQuery:
    root: AllOf
    filters: dict[str, list[str]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class _Token:
    kind: str  # word, phrase, open, close, or, not, field
    text: str = ""


def parse(text: str) -> ParsedQuery:
    """Parse a query as typed."""
    check_text(text, "query")
    if len(text) > MAX_QUERY_CHARS:
        raise BadQueryError(
            f"the query is too long ({len(text):,} characters); at most {MAX_QUERY_CHARS:,} are searched",
            f"نص البحث طويل جدًا: فيه {len(text):,} من الحروف، والحد الأقصى {MAX_QUERY_CHARS:,} حرف.",
        )
    notes: list[Note] = []
    tokens = _lex(_clean(text), notes)
    parser = _Parser(tokens, notes)
    root = parser.all_of(top=True)
    if parser.items > MAX_QUERY_ITEMS:
        notes.append(
            Note(
                f"the query has {parser.items} words and phrases: only the first {MAX_QUERY_ITEMS} were searched",
                f"في البحث {parser.items} من الكلمات والعبارات، فاقتصر البحث على أول {MAX_QUERY_ITEMS} منها.",
            )
        )
    if not root.required and not root.excluded and not parser.filters:
        raise BadQueryError("type at least one word to search for", "اكتب كلمة واحدة على الأقل للبحث عنها.")
    return ParsedQuery(root, parser.filters, list(dict.fromkeys(notes)))


def check_text(text: str, what: str) -> None:
    """Refuse text that is not Unicode text: a lone surrogate (from bytes that were
    not UTF-8, or a broken client) cannot be written to the index or to JSON."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        code, at = ord(text[error.start]), error.start + 1
        raise BadQueryError(
            f"the {what} holds a broken character (U+{code:04X}, a lone surrogate, at position {at}):"
            " send it as UTF-8 text",
            f"في النص حرف تالف (U+{code:04X}) في الموضع {at}: أرسله نصًّا بترميز UTF-8.",
        ) from None


def _clean(text: str) -> str:
    """Control characters become spaces; other text is left to the analyzer."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def _lex(text: str, notes: list[Note]) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in OPEN_QUOTES or char in CLOSE_QUOTES:
            end = next((j for j in range(i + 1, len(text)) if text[j] in CLOSE_QUOTES), -1)
            if end == -1:
                notes.append(
                    Note(
                        "a quotation mark was not closed: the phrase runs to the end of the query",
                        "علامة التنصيص لم تُغلق، فامتدت العبارة إلى آخر البحث.",
                    )
                )
                end = len(text)
            tokens.append(_Token("phrase", text[i + 1 : end]))
            i = end + 1
        elif char == "(":
            tokens.append(_Token("open"))
            i += 1
        elif char == ")":
            tokens.append(_Token("close"))
            i += 1
        elif char == "-" and i + 1 < len(text) and not text[i + 1].isspace() and text[i + 1] not in ")-":
            tokens.append(_Token("not"))
            i += 1
        elif field_match := _FIELD.match(text, i):
            tokens.append(_Token("field", field_match.group(1).lower()))
            i = field_match.end()
        else:
            end = i
            while end < len(text) and not text[end].isspace() and text[end] not in _SPECIAL:
                end += 1
            word = text[i:end]
            i = end
            tokens.append(_Token("or" if word in ("OR", "|") else "word", word))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token], notes: list[Note]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.notes = notes
        self.filters: dict[str, list[str]] = {}
        self.items = 0  # words and phrases met so far; those past MAX_QUERY_ITEMS are left out
        self.depth = 0  # parentheses open around the current token

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def all_of(self, top: bool = False) -> AllOf:
        required: list[Node] = []
        excluded: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind == "close":
                if top:
                    self.take()
                    self.notes.append(
                        Note(
                            "a closing parenthesis without an opening one was ignored",
                            "أُهمل قوس إغلاق لا يقابله قوس فتح.",
                        )
                    )
                    continue
                break
            negated = False
            if token.kind == "not":
                self.take()
                negated = True
            node = self.any_of()
            if node is None:
                if negated and self.items <= MAX_QUERY_ITEMS:
                    self.notes.append(
                        Note("a '-' with nothing after it was ignored", "أُهملت علامة «-» إذ لم يأتِ بعدها شيء.")
                    )
                continue
            (excluded if negated else required).append(node)
        return AllOf(tuple(required), tuple(excluded))

    def any_of(self) -> Node | None:
        items: list[Node] = []
        node = self.primary()
        if node is not None:
            items.append(node)
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            nxt = self.peek()
            if nxt is not None and nxt.kind == "not":
                raise BadQueryError(
                    "an excluded word cannot be an alternative: write 'a -b', not 'a OR -b'",
                    "لا يمكن أن تكون الكلمة المستبعدة بديلًا: اكتب «أ -ب» لا «أ OR -ب».",
                )
            node = self.primary()
            if node is not None:
                items.append(node)
        if not items:
            return None
        return items[0] if len(items) == 1 else AnyOf(tuple(items))

    def primary(self) -> Node | None:
        token = self.peek()
        if token is None:
            return None
        if token.kind == "or":
            self.take()
            self.notes.append(Note("an OR without a word on both sides was ignored", "أُهملت OR لأنها ليست بين كلمتين."))
            return None
        if token.kind == "not":
            self.take()
            self.notes.append(Note("a '-' inside an alternative was ignored", "أُهملت علامة «-» داخل البدائل (OR)."))
            return self.primary()
        self.take()
        if token.kind == "open":
            if self.depth == MAX_NESTING:
                raise BadQueryError(
                    f"parentheses are nested too deep: at most {MAX_NESTING} levels",
                    f"الأقواس متداخلة أكثر من اللازم: {MAX_NESTING} مستويات على الأكثر.",
                )
            self.depth += 1
            group = self.all_of()
            self.depth -= 1
            if self.peek() is None:
                self.notes.append(
                    Note(
                        "a parenthesis was not closed: it was closed at the end of the query",
                        "قوس لم يُغلق، فأُغلق عند آخر البحث.",
                    )
                )
            else:
                self.take()
            if not group.required and not group.excluded:
                return None
            if len(group.required) == 1 and not group.excluded:
                return group.required[0]
            return group
        if token.kind == "phrase":
            return self.counted(Phrase(token.text) if token.text.strip() else None)
        if token.kind == "field":
            return self.counted(self.field_value(token.text))
        return self.counted(_word(token.text, self.notes))

    def counted(self, node: Node | None) -> Node | None:
        """A word or phrase, unless MAX_QUERY_ITEMS came before it (parse notes the cut)."""
        if node is None:
            return None
        self.items += 1
        return node if self.items <= MAX_QUERY_ITEMS else None

    def field_value(self, name: str) -> Node | None:
        value_token = self.peek()
        if name not in TEXT_FIELDS + KEYWORD_FIELDS + (ROOT,):
            fields = ", ".join(TEXT_FIELDS + KEYWORD_FIELDS + (ROOT,))
            raise BadQueryError(
                f"unknown field {name!r}: the fields are {fields}", f"لا يوجد حقل باسم «{name}»؛ الحقول هي: {fields}."
            )
        if value_token is None or value_token.kind not in ("word", "phrase"):
            self.notes.append(
                Note(f"'{name}:' with nothing after it was ignored", f"أُهمل «{name}:» إذ لم يأتِ بعده شيء.")
            )
            return None
        self.take()
        if name in KEYWORD_FIELDS:
            self.filters.setdefault(name, []).append(value_token.text.strip())
            return None
        if name == ROOT:
            return _root(value_token.text.strip())
        if value_token.kind == "phrase":
            return Phrase(value_token.text, field=name)
        word = _word(value_token.text, self.notes)
        return Word(word.text, word.kind, word.distance, name) if isinstance(word, Word) else word


_FUZZY = re.compile(r"^(.+?)~([0-9]*)$")


def _root(text: str) -> Word:
    if len(text.split()) != 1 or text.strip("=*~") != text:
        raise BadQueryError(
            f"'root:{text}': type one root or one word after root:, as in root:كتب",
            f"«root:{text}»: اكتب بعد root: جذرًا واحدًا أو كلمة واحدة، مثل root:كتب.",
        )
    return Word(text, "root")


def _word(text: str, notes: list[Note]) -> Word | None:
    if text.startswith("="):
        rest = text.lstrip("=")
        if not rest:
            notes.append(Note("a lone '=' was ignored", "أُهملت علامة «=» وحدها."))
            return None
        return Word(rest, "exact")
    fuzzy = _FUZZY.match(text)
    if fuzzy:
        distance = int(fuzzy.group(2) or 1)
        if not 1 <= distance <= MAX_FUZZY_DISTANCE:
            raise BadQueryError(
                f"'{text}': a fuzzy search allows 1 or 2 edits, as in word~ or word~2",
                f"«{text}»: البحث التقريبي يسمح بتغيير حرف أو حرفين، مثل كلمة~ أو كلمة~2.",
            )
        return Word(fuzzy.group(1), "fuzzy", distance)
    if text.endswith("*"):
        stem = text.rstrip("*")
        if not stem:
            notes.append(Note("a lone '*' was ignored", "أُهملت علامة «*» وحدها."))
            return None
        if "*" in stem or "?" in stem:
            raise BadQueryError(
                f"'{text}': only a '*' at the end of a word is supported, as in اقتصا*",
                f"«{text}»: تُقبل علامة «*» في آخر الكلمة فقط، مثل اقتصا*.",
            )
        return Word(stem, "prefix")
    if text.strip("~*=-") == "":
        notes.append(Note(f"'{text}' was ignored", f"أُهمل «{text}»."))
        return None
    return Word(text)
