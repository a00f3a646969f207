"""Lemmas: the third view, for what light stemming cannot join, and roots for ``root:``.

A broken plural shares no stem with its singular (رجال / رجل, مساجد / مسجد) and a
weak or doubled verb changes its letters with the form (قال / يقول, رد / ردوا);
they share a lemma, the dictionary's entry. A word's lemmas come from the lexicon
of arramooz (the dictionary qalsadi analyses with: 30,000 nouns with their broken
plurals and 14,000 verbs, each with its root), looked up for the word without its
article, the word, the same without a proclitic or a possessive pronoun, its
stems, then the word without a verb's affixes as a weak, doubled or hamzated
verb is spelt in the lexicon. A word the lexicon does not know has no
lemma: the view only joins what a dictionary says belongs together.

Roots were measured too, as the third view: the lexicon's roots, with
tashaphyne's root for words it does not know, are right for 84% of the content
words of the Qur'an (tashaphyne alone 63%), but they measured MAP 0.695 and 0.806
(lemma and inflected queries) where lemmas measured 0.700 and 0.816 in the same
run, and a root
joins words a reader keeps apart (علم finds معلم, اسلام finds مسلم). So the view
holds lemmas, and ``root:`` searches the lemmas of a root.
"""

from __future__ import annotations

import marshal
import re
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .memo import word_cache
from .normalize import normalize
from .stemming import stems, strip_article

_ARABIC_WORD = re.compile("[\u0621-\u064a]+")
_ROOT_LETTERS = str.maketrans("ءأإآؤئٱى", "اااااااي")
_MARKS = re.compile("[\u0640\u064b-\u0652\u0670]")
_A_ROOT = re.compile("[\u0621-\u064a]{3,4}")  # a few entries hold a dot or a Latin letter
# What a verb wears around its stem: a conjunction, the future's س or the ل of
# command, a person prefix; then a subject suffix, then an object pronoun
# (احصي|نا|ه، كتب|تمو|ه).
_VERB_PREFIX = re.compile("^(?:[وف]?[سل]?[يتنا]|[وف])")
_SUBJECT_SUFFIXES = ("تما", "تم", "تن", "تا", "وا", "ون", "ين", "ان", "نا", "ت", "ن", "ا", "ي")
_BEFORE_AN_OBJECT = ("تمو", "تما", "نا", "و", "ت")  # كتبتموه، احصيناه، كتبوه، علمته
# A defective verb loses its last letter before these: رمت، التقتا، اشتروا (رمى، التقى، اشترى).
_DEFECTIVE_BEFORE = ("ت", "و")
_OBJECT_SUFFIXES = ("هما", "ها", "هم", "هن", "كما", "كم", "كن", "ني", "نا", "ه", "ك")
# A noun's: a conjunction or preposition before it, a possessive pronoun after it
# (a verb's object pronouns less ني; ي is left out, it ends too many words: عربي).
_PROCLITICS = "وفبلك"
_POSSESSIVES = tuple(suffix for suffix in _OBJECT_SUFFIXES if suffix != "ني")


@dataclass(frozen=True)
class Lexicon:
    lemmas: dict[str, tuple[str, ...]]  # normalized form (singular, broken plural, verb) -> its lemmas
    roots: dict[str, tuple[str, ...]]  # lemma -> its roots
    by_root: dict[str, tuple[str, ...]]  # root -> its lemmas
    verbs: frozenset[str]  # the lemmas that are verbs (the past, third person: قال، كتب)


# The stems a noun is looked up by, whatever the stem view's strategy: tashaphyne's
# cuts beside the anchored stems find the dictionary's entry where the anchored
# stems alone do not (with them alone, inflected MAP 0.806 against 0.826).
NOUN_STEMS = "union"
LEXICON_FILE = "lexicon.marshal"
_LEXICON_FORMAT = 1
_lexicon: Lexicon | None = None
_lexicon_lock = threading.Lock()


def root_form(text: str) -> str:
    """A root as the lexicon writes it, in one spelling: no marks, every hamza ا,
    ى as ي (سأل, سئل -> سال)."""
    return _MARKS.sub("", text).translate(_ROOT_LETTERS)


def lexicon() -> Lexicon:
    """Read once per process, on first use (under a second)."""
    global _lexicon
    with _lexicon_lock:
        if _lexicon is None:
            _lexicon = _read_lexicon()
        return _lexicon


def save_lexicon(directory: Path) -> None:
    """Keep this process's lexicon beside an index. Searching it then reads words
    as they were read when it was built, whatever arramooz is installed, and
    starts with the lexicon in 20 ms instead of the second the dictionary takes."""
    path = directory / LEXICON_FILE
    tmp = path.with_suffix(".tmp")
    found = lexicon()
    tmp.write_bytes(marshal.dumps((_LEXICON_FORMAT, found.lemmas, found.roots, found.by_root, found.verbs)))
    tmp.replace(path)


def kept_lexicon(directory: Path) -> Lexicon:
    """The lexicon kept beside an index: OSError when there is none, ValueError
    when it cannot be read."""
    data = (directory / LEXICON_FILE).read_bytes()
    try:
        version, *parts = marshal.loads(data)
        if version != _LEXICON_FORMAT:
            raise ValueError(f"format {version}, not {_LEXICON_FORMAT}")
        return Lexicon(*parts)
    except (EOFError, TypeError, ValueError) as error:
        raise ValueError(f"{LEXICON_FILE} cannot be read ({error})") from None


def use_lexicon(directory: Path) -> None:
    """Read words with the lexicon kept beside the index in ``directory``, unless
    this process has one already. Without a readable one (an index built before
    lexicons were kept, or a damaged file, which ``check`` reports), the
    dictionary is read on first use."""
    global _lexicon
    with _lexicon_lock:
        if _lexicon is None:
            with suppress(OSError, ValueError):
                _lexicon = kept_lexicon(directory)


def _read_lexicon() -> Lexicon:
    lemmas: defaultdict[str, dict[str, None]] = defaultdict(dict)
    roots: defaultdict[str, dict[str, None]] = defaultdict(dict)
    path = resources.files("arramooz") / "data" / "arabicdictionary.sqlite"
    with resources.as_file(path) as file:
        db = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            rows = db.execute(
                "SELECT unvocalized, root, broken_plural, 0 FROM nouns UNION ALL SELECT unvocalized, root, '', 1 FROM verbs"
            ).fetchall()
        finally:
            db.close()
    verbs = set()
    for word, root, plurals, verb in rows:
        lemma = normalize(_MARKS.sub("", (word or "").strip()))
        root = root_form(root or "")
        if not lemma or not _A_ROOT.fullmatch(root):
            continue
        roots[lemma][root] = None
        if verb:
            verbs.add(lemma)
        # Plurals are listed as "بُؤْسٌ;بُؤسَاءٌ", at times with a "+ات" marker (a sound plural too).
        for form in [lemma, *(plurals or "").replace("+ات", "").split(";")]:
            form = normalize(_MARKS.sub("", form.strip()))
            if form:
                lemmas[form][lemma] = None
    by_root: defaultdict[str, list[str]] = defaultdict(list)
    for lemma, its_roots in roots.items():
        for root in its_roots:
            by_root[root].append(lemma)
    return Lexicon(
        {form: tuple(found) for form, found in lemmas.items()},
        {lemma: tuple(found) for lemma, found in roots.items()},
        {root: tuple(found) for root, found in by_root.items()},
        frozenset(verbs),
    )


@word_cache(share=0.1, entry_bytes=160)
def lemmas(word: str) -> tuple[str, ...]:
    """The lemmas of one normalized word (none when the lexicon does not know it).

    Read as a noun, the first of: the word without its article (الحق is حق far
    more often than the verb ألحق), the word, the same without a proclitic or a
    possessive pronoun, its stems. Read as a verb, each way of taking a verb's
    affixes off (with the past's ا back after a person prefix: ينتهون -> انتهى),
    with the first spelling of a weak or doubled verb that the lexicon has as a
    verb (يقولون -> قال; ردوا -> رد). A word gets
    both readings: on the benchmark that measured 0.009 MAP more than the first
    reading alone (0.018 on inflected queries), and reading verbs only as verbs
    kept اسلام from finding سلام."""
    if len(word) < 2 or not _ARABIC_WORD.fullmatch(word):
        return ()
    dictionary = lexicon()  # once: it takes a lock
    known = dictionary.lemmas
    found: dict[str, None] = {}
    # The strategy is passed by position, as the stem chain passes it: the stem cache keys on the arguments.
    for candidate in _noun_candidates(word):
        if candidate in known:
            found.update(dict.fromkeys(known[candidate]))
            break
    verbs = dictionary.verbs
    for candidate in _without_verb_affixes(word):
        spelling = next((s for s in _weak_spellings(candidate) if s in verbs), None)
        if spelling:
            found.update(dict.fromkeys(known[spelling]))
    return tuple(found)


def lemmas_of_root(text: str) -> tuple[str, ...]:
    """``root:`` — the lemmas of a root typed as a root (كتب), or of the roots of
    the lemmas of a word (مكتبة -> كتب): every word the lexicon derives from them."""
    found = lexicon()
    typed = root_form(text)
    if typed in found.by_root:
        return found.by_root[typed]
    its_roots = dict.fromkeys(root for lemma in lemmas(normalize(text)) for root in found.roots.get(lemma, ()))
    return tuple(dict.fromkeys(lemma for root in its_roots for lemma in found.by_root[root]))


def _noun_candidates(word: str) -> Iterator[str]:
    """The noun readings, then the stems: stemming (tashaphyne, the dearest step
    of the analysis) only for a word none of whose readings the lexicon knows."""
    yield from _noun_readings(word)
    if len(word) > 2:
        yield from stems(word, NOUN_STEMS)


def _noun_readings(word: str) -> list[str]:
    """The word without its article, the word, the same without a proclitic
    (بسورة -> سورة), then each without a possessive pronoun, with ة back where
    the pronoun made it ت (تحيتهم -> تحية)."""
    bases = [word]
    if word[0] in _PROCLITICS and len(word) >= 4:
        bases.append(word[1:])
    readings = [reading for base in bases for reading in (strip_article(base), base)]
    for stem in (stem for base in bases for stem in _without(base, _POSSESSIVES, 2)):
        if stem.endswith("ت"):
            readings.append(stem[:-1] + "ه")
        readings.append(stem)
    return readings


def _without_verb_affixes(word: str) -> list[str]:
    """The word without a verb's prefix, and each without an object pronoun, a
    subject suffix or both; two letters at least."""
    heads = [word]
    prefix = _VERB_PREFIX.match(word)
    if prefix and len(word) - prefix.end() >= 2:
        heads.append(word[prefix.end() :])
        if prefix.group()[-1] in "يتنا" and len(word) - prefix.end() >= 4:  # ينتهون -> انتهى، يستخرج -> استخرج
            heads.append("ا" + word[prefix.end() :])
    found: dict[str, None] = {}
    for head in heads:
        found[head] = None
        found.update(dict.fromkeys(_without(head, _SUBJECT_SUFFIXES, 2)))
        for bare in _without(head, _OBJECT_SUFFIXES, 2):
            found[bare] = None
            found.update(dict.fromkeys(_without(bare, _BEFORE_AN_OBJECT, 3)))  # two letters: noise (شري|ك -> شر)
    return list(found)


def _without(word: str, suffixes: tuple[str, ...], shortest: int) -> list[str]:
    """The word without each suffix it ends with (``shortest`` letters left at
    least), and, where a defective verb's last letter would have fallen before the
    suffix (one in ت or و: never a possessive), with it back as ي."""
    found: list[str] = []
    if not word.endswith(suffixes):  # most words: one call, not one per suffix
        return found
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
            stem = word[: -len(suffix)]
            found.append(stem)
            if suffix.startswith(_DEFECTIVE_BEFORE) and len(stem) >= 3 and stem[-1] not in "اوي":
                found.append(stem + "ي")
    return found


def _weak_spellings(stem: str) -> list[str]:
    """The stem, then the spellings a weak, doubled or hamzated verb's stem has in
    the lexicon (where every hamza of a verb is written ا: قرا، سال)."""
    stem = stem[0] + stem[1:].replace("ء", "ا")  # يقرؤه، قرئ -> قرا (أئمة is no verb ءم)
    spellings = [stem]
    if len(stem) == 2:  # قل (قال)، رد (ردد)، رم (رمي)، دع (دعا)
        spellings += [stem[0] + "ا" + stem[1], stem + stem[1], stem + "ي", stem + "ا"]
    elif len(stem) == 3 and stem[1] in "اوي":  # يقول -> قال، كان -> كون: the past, then the others
        spellings = [stem[0] + middle + stem[2] for middle in dict.fromkeys("ا" + stem[1] + "وي")]
    elif stem[-1] in "اوي":  # دعا، رمي، يعفو -> عفا، تتلقاهم -> تلقي
        spellings += [stem[:-1] + end for end in "اي" if end != stem[-1]]
    return spellings
