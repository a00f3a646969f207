"""The lemma view: what light stemming cannot join (broken plurals, weak and
doubled verbs), the ``root:`` operator, and their place in the ranking, on a real index."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT
from indexer import build_index, update_index
from indexer.analysis.lemmas import LEXICON_FILE, kept_lexicon, lemmas, lemmas_of_root, root_form
from indexer.analysis.normalize import normalize
from indexer.errors import BadQueryError
from indexer.storage import current_generation
from search import Weights, open_index


def lemmas_of(word: str) -> set[str]:
    return set(lemmas(normalize(word)))


@pytest.mark.parametrize(
    ("plural", "singular"),
    [("رجال", "رجل"), ("مساجد", "مسجد"), ("أيام", "يوم"), ("علماء", "عالم"), ("الكتب", "كتاب"), ("الصلوات", "الصلاة")],
)
def test_a_broken_plural_has_its_singular_as_lemma(plural, singular):
    assert lemmas_of(singular) & lemmas_of(plural), (lemmas_of(singular), lemmas_of(plural))


@pytest.mark.parametrize(
    ("word", "noun"),
    [("بسورة", "سورة"), ("ببضاعة", "بضاعة"), ("تحيتهم", "تحية"), ("وتحيتهم", "تحية"), ("بيوتهم", "بيت")],
)
def test_a_noun_with_a_proclitic_or_a_possessive_has_the_nouns_lemma(word, noun):
    assert lemmas_of(noun) & lemmas_of(word), (lemmas_of(noun), lemmas_of(word))


@pytest.mark.parametrize(
    "forms",
    [
        ("قال", "يقول", "قالوا", "وقالت", "يقولون"),
        ("رد", "ردوا"),
        ("باع", "يبيع"),
        ("كان", "يكون"),
        ("قرأ", "نقرؤه", "قرئ", "فاقرءوا"),  # the hamza changes its seat
        ("عفا", "ويعفو"),
        ("التقى", "التقتا"),  # the last letter falls before a suffix
        ("تلقى", "وتتلقاهم"),
        ("أحصى", "أحصيناه"),  # a subject suffix and an object pronoun
        ("كتب", "كتبتموه", "كتبوه"),
        ("انتهى", "ينتهوا"),  # the imperfect of the derived forms drops the past's ا
        ("استخرج", "يستخرجون"),
    ],
)
def test_weak_and_doubled_verbs_share_a_lemma_across_their_forms(forms):
    shared = set.intersection(*map(lemmas_of, forms))
    assert shared, {form: lemmas_of(form) for form in forms}


@pytest.mark.parametrize(
    ("word", "other"),
    [("علم", "معلم"), ("اسلام", "المسلم"), ("كتاب", "مكتبة"), ("شريك", "شر"), ("سفيه", "سف"), ("أئمة", "أم")],
)
def test_words_of_one_root_but_different_lemmas_stay_apart(word, other):
    assert not lemmas_of(word) & lemmas_of(other)


def test_roots_are_written_one_way_whatever_the_hamza_seat():
    assert root_form("سأل") == root_form("سئل") == "سال"
    assert root_form("رَأَى") == "راي"
    assert lemmas_of_root("سأل") == lemmas_of_root("سئل")


def test_root_gives_the_lemmas_derived_from_it():
    derived = set(lemmas_of_root("كتب"))
    assert {"كتاب", "مكتبه", "كاتب", "كتب"} <= derived and "قال" not in derived
    assert set(lemmas_of_root("مكتبة")) == derived  # a word stands for its root


def test_no_lemma_for_what_is_not_an_arabic_word_or_unknown():
    assert lemmas_of("Austin") == set() and lemmas_of("2021") == set() and lemmas_of("ب") == set()
    assert lemmas_of_root("xyz") == ()


def test_lemmas_from_many_threads_equal_one_threads():
    words = [f"{w}{s}" for w in ("استخرج", "تكاتب", "مستورد", "انطلق", "تزاحم") for s in ("وا", "ون", "ها", "")]
    expected = {w: lemmas.__wrapped__(w) for w in words}
    found: list[dict[str, tuple[str, ...]]] = []

    def work() -> None:
        found.append({w: lemmas.__wrapped__(w) for w in words * 20})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == [expected] * 4


DOCS = [
    {"id": "library", "text": "افتتحت المكتبة العامة أبوابها للقراء"},
    {"id": "writers", "text": "الطلاب يكتبون الرسائل كل يوم"},
    {"id": "writer", "text": "حضر الكاتب المعروف الندوة"},
    {"id": "book", "text": "قرأت كتابا عن تاريخ بغداد"},
    {"id": "other", "text": "سافر الوفد إلى القاهرة صباحا"},
    {"id": "prayers", "text": "حافظوا على الصلوات في أوقاتها"},
    {"id": "prayer", "text": "أقيمت الصلاة في المسجد الكبير"},
    {"id": "mosques", "text": "بنيت مساجد كثيرة في المدينة"},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("lemmas")
    source = root / "docs.jsonl"
    source.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in DOCS) + "\n", encoding="utf-8")
    build_index([source], root / "index")
    with open_index(root / "index") as engine:
        yield engine


def ids(result: dict) -> list[str]:
    return [hit["id"] for hit in result["hits"]]


@pytest.mark.parametrize("typed", ["root:كتب", "root:مكتبة", "root:«كتب»"])
def test_root_operator_finds_every_word_of_the_root(engine, typed):
    result = engine.search(typed)
    assert sorted(ids(result)) == ["book", "library", "writer", "writers"]
    expanded = result["interpretation"]["expansions"][f"root:{typed[5:].strip('«»')}"]
    assert {"كتاب", "مكتبه", "كاتب"} <= set(expanded)


def test_root_operator_marks_the_words_it_matched(engine):
    snippets = {hit["id"]: hit["snippet"] for hit in engine.search("root:كتب")["hits"]}
    assert "<mark>المكتبة</mark>" in snippets["library"] and "<mark>يكتبون</mark>" in snippets["writers"]
    assert "<mark>" not in snippets["library"].replace("<mark>المكتبة</mark>", "")


def test_root_operator_combines_with_other_words(engine):
    assert ids(engine.search("root:كتب بغداد")) == ["book"]
    assert sorted(ids(engine.search("root:كتب -بغداد"))) == ["library", "writer", "writers"]


@pytest.mark.parametrize("typed", ["root:كتب*", "root:=كتب", 'root:"كتب قرأ"'])
def test_root_operator_refuses_what_is_not_one_word(engine, typed):
    with pytest.raises(BadQueryError, match="root:"):
        engine.search(typed)


def test_root_operator_says_when_the_dictionary_knows_no_such_root(engine):
    with pytest.raises(BadQueryError, match="no root or word of the dictionary"):
        engine.search("root:xyz")
    result = engine.search("root:xyz بغداد")
    assert ids(result) == ["book"] and "root:xyz" in result["interpretation"]["notes"][0]


def test_root_operator_with_no_word_of_the_root_in_the_index_finds_nothing(engine):
    assert engine.search("root:زلزل", correct=False)["total"] == 0


def test_a_broken_plural_finds_its_singular_below_itself(engine):
    assert ids(engine.search("الصلوات")) == ["prayers", "prayer"]
    assert ids(engine.search("مسجد")) == ["prayer", "mosques"]


def test_the_lemma_view_ranks_below_the_stem_view(engine):
    # كتاب is also the plural of كاتب: the writer's document matches, after the book's.
    found = ids(engine.search("كتاب"))
    assert found[0] == "book" and "writer" in found and "library" not in found
    assert ids(engine.search("الكاتب"))[0] == "writer"


def test_lemma_weight_zero_turns_the_view_off(engine):
    with open_index(engine.index_dir, weights=Weights(lemma=0)) as plain:
        assert ids(plain.search("الصلوات")) == ["prayers"]


# -- the lexicon kept with the index ---------------------------------------------------

# A first search in a new process, with the dictionary's database made unreadable:
# it must come from the lexicon kept beside the index (or, when that one is damaged,
# fail loudly here).
FIRST_SEARCH_WITHOUT_THE_DICTIONARY = """
import sqlite3, sys
def refused(*args, **kwargs):
    raise RuntimeError("the dictionary was read")
sqlite3.connect = refused
from search import open_index
with open_index(sys.argv[1]) as engine:
    print(" ".join(hit["id"] for hit in engine.search("مسجد")["hits"]))
"""


def first_search_without_the_dictionary(index_dir: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", FIRST_SEARCH_WITHOUT_THE_DICTIONARY, str(index_dir)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_index_keeps_the_lexicon_it_was_read_with(engine):
    from indexer.analysis.lemmas import _read_lexicon

    assert kept_lexicon(current_generation(engine.index_dir)) == _read_lexicon()


def test_a_new_searcher_reads_lemmas_from_the_kept_lexicon_not_the_dictionary(engine):
    result = first_search_without_the_dictionary(engine.index_dir)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"prayer", "mosques"}  # مساجد through its lemma


def test_an_update_keeps_the_lexicon_and_a_damaged_one_falls_back_to_the_dictionary(engine, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(engine.index_dir, index_dir)
    source = tmp_path / "more.jsonl"
    source.write_text(json.dumps({"id": "more", "text": "صلينا في المساجد"}, ensure_ascii=False) + "\n", "utf-8")
    update_index([source], index_dir)
    generation = current_generation(index_dir)
    assert generation.name != current_generation(engine.index_dir).name
    result = first_search_without_the_dictionary(index_dir)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"prayer", "mosques", "more"}
    (generation / LEXICON_FILE).write_bytes(b"not a lexicon")
    assert "the dictionary was read" in first_search_without_the_dictionary(index_dir).stderr
    with open_index(index_dir) as damaged:  # this process reads the dictionary instead, and finds the same
        assert {hit["id"] for hit in damaged.search("مسجد")["hits"]} == {"prayer", "mosques", "more"}
