"""The searcher under hostile input, deep pagination and concurrent rebuilds,
on real indexes on disk.

Every query either answers with a well-formed result or raises BadQueryError
with a message that says what is wrong; nothing else may escape.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
import threading
import time
import traceback

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import HIT_KEYS, RESULT_KEYS, write_corpus
from indexer.build import build_index
from indexer.errors import BadQueryError, DocumentNotFoundError, IndexNotFoundError
from indexer.update import update_index
from search import engine as engine_module
from search.engine import MAX_PAGE, SearchEngine, open_index

MARK_TAG = re.compile(r"</?mark>")

# A document whose own markup must come out escaped in snippets and titles.
MARKUP = {
    "id": "markup",
    "title": "<b>الأمن</b> & <i>الدفاع</i>",
    "text": 'الأمن <script>alert("x")</script> <a href="#">الدفاع</a> & بغداد <mark>ليس</mark> وسما',
}
CORPUS_IDS = {
    "h1",
    "h2",
    "h3",
    "corpus/news/defence.txt",
    "corpus/news/security.txt",
    "corpus/news/schools.md",
    "markup",
}


def _assert_no_markup(html: str) -> None:
    """Only <mark> and </mark> may appear as tags; everything else is escaped."""
    assert "<" not in MARK_TAG.sub("", html), html
    assert ">" not in MARK_TAG.sub("", html), html


def assert_well_formed(result: object, query: str, page: int = 1, per_page: int = 10) -> dict:
    assert isinstance(result, dict)
    assert RESULT_KEYS <= result.keys()
    assert result["query"] == query
    total = result["total"]
    assert isinstance(total, int) and not isinstance(total, bool)
    assert total >= 0
    assert result["page"] == page
    assert result["per_page"] == per_page
    assert result["pages"] == math.ceil(total / per_page)
    hits = result["hits"]
    assert isinstance(hits, list)
    assert len(hits) <= per_page
    assert len(hits) <= total
    assert len({h["id"] for h in hits}) == len(hits)
    for hit in hits:
        assert HIT_KEYS <= hit.keys()
        assert isinstance(hit["snippet"], str)
        _assert_no_markup(hit["snippet"])
        _assert_no_markup(hit["title_html"])
        assert "text" not in hit  # the whole text is for document(), not the hit list
    assert isinstance(result["facets"]["collection"], list)
    assert all(isinstance(f["value"], str) and f["count"] > 0 for f in result["facets"]["collection"])
    assert isinstance(result["took_ms"], int | float) and result["took_ms"] >= 0
    meaning = result["interpretation"]
    assert len(meaning["notes_ar"]) == len(meaning["notes"])  # each English note has its Arabic twin
    assert all(ARABIC.search(note) for note in meaning["notes_ar"])
    return result


ARABIC = re.compile("[\u0621-\u064a]{2,}")


def assert_arabic_message(error: BadQueryError) -> None:
    """What the page shows: an Arabic text of its own, not the generic fallback."""
    assert error.arabic != BadQueryError.default_arabic, str(error)
    assert ARABIC.search(error.arabic), error.arabic


def search_or_bad_query(engine: SearchEngine, query: str, **kwargs) -> dict | BadQueryError:
    """The result, or the BadQueryError; any other exception fails the test."""
    try:
        result = engine.search(query, **kwargs)
    except BadQueryError as error:
        assert str(error).strip(), f"BadQueryError without a message for {query!r}"
        assert_arabic_message(error)
        return error
    return assert_well_formed(result, query, kwargs.get("page", 1), kwargs.get("per_page", 10))


# -- indexes, each built once per module ------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("robust")
    corpus = write_corpus(root / "corpus")
    (corpus / "markup.jsonl").write_text(json.dumps(MARKUP, ensure_ascii=False) + "\n", encoding="utf-8")
    build_index([corpus], root / "index")
    with open_index(root / "index") as opened:
        yield opened


# Letters that normalization leaves alone, so every combination is a distinct word.
PLAIN_LETTERS = "بتثجحخدذرزسشصضطظعغفق"


@pytest.fixture(scope="module")
def many_words_engine(tmp_path_factory: pytest.TempPathFactory):
    """600 distinct words starting with مك, spread over 6 documents."""
    root = tmp_path_factory.mktemp("prefix")
    words = ["مك" + "".join(t) for t in itertools.islice(itertools.product(PLAIN_LETTERS, repeat=3), 600)]
    lines = [
        json.dumps({"id": f"w{i}", "text": " ".join(words[i * 100 : (i + 1) * 100])}, ensure_ascii=False)
        for i in range(6)
    ]
    (root / "words.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    build_index([root / "words.jsonl"], root / "index")
    with open_index(root / "index") as opened:
        yield opened


TIED_TEXT = "نص مكرر للاختبار"
TIED_IDS = [f"t{i:02d}" for i in range(60)]
# Documents that also hold مكرر, at other scores: the order across score groups counts too.
OTHER_TEXTS = {
    "o1": "مكرر مكرر مكرر",
    "o2": "مكرر مكرر",
    "o3": "مكرر وكلام آخر طويل لا علاقة له بالموضوع أبدا",
    "o4": "مكرر مكرر وكلام",
    "o5": "مكرر مكرر مكرر مكرر",
}


@pytest.fixture(scope="module")
def tied_engine(tmp_path_factory: pytest.TempPathFactory):
    """60 documents with the same text (so the same score), written in shuffled order."""
    root = tmp_path_factory.mktemp("tied")
    records = [{"id": i, "text": TIED_TEXT} for i in TIED_IDS]
    records += [{"id": i, "text": t} for i, t in OTHER_TEXTS.items()]
    random.Random(7).shuffle(records)
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    (root / "tied.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    build_index([root / "tied.jsonl"], root / "index")
    with open_index(root / "index") as opened:
        yield opened


# -- 1. hostile queries never crash ------------------------------------------------------

ARABIC_LETTERS = [chr(c) for c in range(0x0621, 0x064B)]
DIACRITICS = [chr(c) for c in range(0x064B, 0x0653)]
PIECES = [
    '"',
    "(",
    ")",
    "-",
    "*",
    "~",
    "~2",
    "~3",
    "=",
    ":",
    "|",
    "OR",
    " OR ",
    "«",
    "»",
    "“",
    "”",
    "\u200f",  # RLM
    "\u200c",  # ZWNJ
    "\u0640",  # tatweel
    "title:",
    "text:",
    "collection:",
    "id:",
    "date:",
    "nofield:",
    "الأمن",
    "الدفاع",
    "وزير",
    "بغداد",
    "النصيحة",
    "حديث",
    "<b>",
    "&amp;",
    "٣",
    "2021م",
    "،",
    "؟",
]
hostile_char = st.one_of(
    st.sampled_from(ARABIC_LETTERS),
    st.sampled_from(DIACRITICS),
    st.sampled_from(PIECES),
    st.characters(min_codepoint=0, max_codepoint=0x1F),  # control characters
    st.sampled_from(["\x7f", "\x85", "\u2028"]),
    st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")),
    st.characters(min_codepoint=ord("A"), max_codepoint=ord("Z")),
    st.characters(min_codepoint=ord("0"), max_codepoint=ord("9")),
    st.sampled_from([" ", " ", " ", "\t", "\n", "\u00a0", "\u3000"]),
)
hostile_query = st.lists(hostile_char, max_size=80).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=300))
def test_any_text_gives_a_result_or_a_bad_query_error(engine, q):
    search_or_bad_query(engine, q)


# Any code point (every plane, surrogates, controls, unassigned) among the query language's pieces.
any_character = st.characters(codec=None, categories=None, exclude_categories=())
surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, codec=None, categories=["Cs"])
raw_unicode = st.lists(st.one_of(hostile_char, any_character, surrogate), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=raw_unicode)
def test_raw_unicode_in_every_entry_point_gives_an_answer_or_a_bad_query_error(engine, q):
    started = time.perf_counter()
    search_or_bad_query(engine, q)
    for call in (
        lambda: engine.complete(q),
        lambda: engine.document("markup", q=q),
        lambda: engine.search("الأمن", filters={"collection": q or "x"}),
    ):
        try:
            call()
        except BadQueryError as error:
            assert_arabic_message(error)
    assert time.perf_counter() - started < 5, f"{q!r} took {time.perf_counter() - started:.1f} s"


@pytest.mark.parametrize("where", [0, 3, 6])
def test_a_lone_surrogate_is_refused_saying_where(engine, where):
    query = "الأمن وزير"[:where] + "\udc0e" + "الأمن وزير"[where:]
    for call in (engine.search, engine.complete, lambda text: engine.document("markup", q=text)):
        with pytest.raises(BadQueryError, match=f"U\\+DC0E, a lone surrogate, at position {where + 1}"):
            call(query)
    with pytest.raises(BadQueryError, match="document id holds a broken character"):
        engine.document("mark\udcffup")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=hostile_query)
def test_query_language_soup_gives_a_result_or_a_bad_query_error(engine, q):
    search_or_bad_query(engine, q)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=hostile_query, page=st.integers(1, 3), per_page=st.integers(1, 4))
def test_hostile_query_on_any_page(engine, q, page, per_page):
    search_or_bad_query(engine, q, page=page, per_page=per_page)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.one_of(hostile_query, st.text(max_size=100)))
def test_document_with_any_query_is_marked_or_a_bad_query_error(engine, q):
    try:
        doc = engine.document("markup", q=q)
    except BadQueryError as error:
        assert str(error).strip()
        assert_arabic_message(error)
        return
    assert doc["text"] == MARKUP["text"]
    if q:
        _assert_no_markup(doc["text_html"])
        _assert_no_markup(doc["title_html"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.one_of(hostile_query, st.text(max_size=300)), limit=st.integers(1, 20))
def test_complete_never_crashes(engine, prefix, limit):
    words = engine.complete(prefix, limit=limit)
    assert isinstance(words, list)
    assert len(words) <= limit
    assert all(isinstance(w, str) and w for w in words)


# -- 2. specific hostile inputs ----------------------------------------------------------

ARABIC_10K = ("الأمن الداخلي " * 800)[:10_000]
WORDS_5K = " ".join(["وزير"] * 5_000)
MANY_SHORT_WORDS = " ".join(["بب"] * 40)  # 119 characters, 40 words


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "at least one word"),
        ("   ", "at least one word"),
        ("-", "at least one word"),
        ("*", "at least one word"),
        ("~", "at least one word"),
        ("=", "at least one word"),
        ("OR", "at least one word"),
        ("OR OR", "at least one word"),
        ("()", "at least one word"),
        ("((((", "at least one word"),
        ("))))", "at least one word"),
        ('"', "at least one word"),
        ('""', "at least one word"),
        ("\x00\x01", "at least one word"),
        ("a OR -b", "excluded"),
        ("الأمن OR -الدفاع", "excluded"),
        ("nofield:x", "unknown field"),
        ("NoField:الأمن", "unknown field"),
        ("،؛؟", "letters"),
        ("\u064b\u064c\u0640\u200f", "letters"),
        (ARABIC_10K, "too long"),
        (WORDS_5K, "too long"),
        ("ا*", "letters"),
        ("الأمن~3", "fuzzy"),
        ("word~3", "fuzzy"),
        ("الأمن~0", "fuzzy"),
        ("ab~", "fuzzy"),
        ("اب~", "fuzzy"),
        ("ال*من*", "'*' at the end"),
        ("(" * 333 + "الأمن", "nested too deep"),
        ("-(" * 200 + "الأمن", "nested too deep"),
        ("(" * 11 + "الأمن" + ")" * 11, "at most 10 levels"),
    ],
)
def test_hostile_input_gives_a_clear_error(engine, query, message):
    with pytest.raises(BadQueryError) as raised:
        engine.search(query)
    assert message in str(raised.value)
    assert_arabic_message(raised.value)


def test_parentheses_ten_deep_still_answer(engine):
    assert engine.search("(" * 10 + "الأمن" + ")" * 10)["total"] == engine.search("الأمن")["total"] > 0


def test_error_messages_name_the_limit(engine):
    with pytest.raises(BadQueryError, match=r"10,000 characters.*1,000"):
        engine.search(ARABIC_10K)
    with pytest.raises(BadQueryError, match="at least 2 letters"):
        engine.search("ا*")
    with pytest.raises(BadQueryError, match="1 or 2 edits"):
        engine.search("الأمن~3")
    with pytest.raises(BadQueryError, match="at least 3 letters"):
        engine.search("ab~")
    with pytest.raises(BadQueryError, match="title, text, collection, id, date"):
        engine.search("nofield:x")


def ids(result: dict) -> set[str]:
    return {h["id"] for h in result["hits"]}


SECURITY = {"corpus/news/security.txt", "corpus/news/defence.txt", "markup"}


@pytest.mark.parametrize(
    ("query", "expected_ids", "note"),
    [
        ('"unclosed', set(), "quotation mark"),
        ('"الأمن الداخلي', {"corpus/news/security.txt"}, "quotation mark"),
        ("“الأمن الداخلي", {"corpus/news/security.txt"}, "quotation mark"),
        ("«الأمن الداخلي»", {"corpus/news/security.txt"}, None),
        ("-word", CORPUS_IDS, "every document"),
        ("-الأمن", CORPUS_IDS - SECURITY, "every document"),
        ("title:", set(), None),  # no value after the colon: the plain word "title"
        ("(((( الأمن", SECURITY, "parenthesis"),
        ("الأمن ))))", SECURITY, "parenthesis"),
        ("OR الأمن OR", SECURITY, "OR"),
        ("\x00الأمن\x01", SECURITY, None),
        ("\u200fالأمن\u200f", SECURITY, None),
        ("الأمـــن", SECURITY, None),
        ("الأَمْنُ", SECURITY, None),
        ("الامن", SECURITY, None),
        ("collection:حديث", {"h1", "h2", "h3"}, "the filters allow"),
        (MANY_SHORT_WORDS, set(), "only the first 32"),
        ("collection:nope", set(), "no collection matches"),
        ("id:h1", {"h1"}, None),
        ("Title:الأمن", {"corpus/news/security.txt", "markup"}, None),
        ("الأمن -zz*", SECURITY, None),
        ("zz* OR الأمن", SECURITY, None),
    ],
)
def test_hostile_input_still_answers(engine, query, expected_ids, note):
    result = assert_well_formed(engine.search(query), query)
    assert ids(result) == expected_ids
    assert result["total"] == len(expected_ids)
    if note:
        assert any(note in n for n in result["interpretation"]["notes"]), result["interpretation"]["notes"]


@pytest.mark.parametrize(
    "query",
    [
        "zz*",  # a prefix no indexed word starts with
        "ققق*",
        "title:zz*",
        "قثصف~",  # a fuzzy word with no indexed word near it
        "123~",
    ],
)
def test_prefix_or_fuzzy_word_matching_nothing_finds_nothing(engine, query):
    """Like an unknown plain word: no hits, not an exception."""
    result = assert_well_formed(engine.search(query), query)
    assert result["total"] == 0
    assert result["hits"] == []


@pytest.mark.parametrize(
    "query",
    [
        "ب" * 300,  # one word longer than the tokenizer keeps
        "(-الأمن)",  # only an exclusion, inside parentheses
    ],
)
def test_error_message_does_not_claim_letters_are_missing(engine, query):
    """The query has letters; if it cannot run, the message must say why, not that there are none."""
    try:
        result = engine.search(query)
    except BadQueryError as error:
        assert "no letters or digits" not in str(error), f"{query[:20]!r}: {error}"
    else:
        assert_well_formed(result, query)


def test_prefix_expanding_to_too_many_words(many_words_engine):
    with pytest.raises(BadQueryError) as raised:
        many_words_engine.search("مك*")
    message = str(raised.value)
    assert "more than 500" in message
    assert "type more letters" in message
    # One more letter narrows it to 400 words: that runs, and finds every document.
    narrower = assert_well_formed(many_words_engine.search("مكب*"), "مكب*")
    assert narrower["total"] > 0
    assert len(narrower["interpretation"]["expansions"]["مكب*"]) == 400


def test_markup_in_documents_is_escaped(engine):
    result = assert_well_formed(engine.search("الأمن الدفاع"), "الأمن الدفاع")
    hit = next(h for h in result["hits"] if h["id"] == "markup")
    assert "&lt;script&gt;" in hit["snippet"]
    assert "&lt;b&gt;" in hit["title_html"]
    assert "<mark>" in hit["snippet"]


# -- 3. pagination -----------------------------------------------------------------------


def test_page_beyond_the_end_is_empty_with_the_true_total(tied_engine):
    for page in (7, 8, MAX_PAGE):
        result = assert_well_formed(tied_engine.search("للاختبار", page=page), "للاختبار", page=page)
        assert result["hits"] == []
        assert result["total"] == 60
        assert result["pages"] == 6


@pytest.mark.parametrize(
    ("page", "per_page", "message"),
    [
        (0, 10, "page"),
        (-1, 10, "page"),
        (MAX_PAGE + 1, 10, "page"),
        ("2", 10, "page"),
        (1.0, 10, "page"),
        (True, 10, "page"),
        (None, 10, "page"),
        (1, 0, "per_page"),
        (1, -5, "per_page"),
        (1, 101, "per_page"),
        (1, "10", "per_page"),
    ],
)
def test_bad_page_arguments(tied_engine, page, per_page, message):
    with pytest.raises(BadQueryError, match=message) as raised:
        tied_engine.search("للاختبار", page=page, per_page=per_page)
    assert_arabic_message(raised.value)


def test_tied_pages_are_disjoint_complete_and_in_id_order(tied_engine):
    pages = [tied_engine.search("للاختبار", page=p, per_page=10) for p in range(1, 8)]
    for p, result in enumerate(pages, start=1):
        assert_well_formed(result, "للاختبار", page=p)
        assert result["total"] == 60
    seen = [h["id"] for result in pages for h in result["hits"]]
    assert len(seen) == 60
    assert len(set(seen)) == 60
    assert set(seen) == set(TIED_IDS)
    assert {h["score"] for result in pages for h in result["hits"]} == {pages[0]["hits"][0]["score"]}
    assert seen == sorted(TIED_IDS)  # equal scores: id order
    assert [len(r["hits"]) for r in pages] == [10, 10, 10, 10, 10, 10, 0]


def test_the_same_page_twice_gives_the_same_ids(tied_engine):
    for page in (1, 3, 6):
        first = [h["id"] for h in tied_engine.search("للاختبار", page=page)["hits"]]
        again = [h["id"] for h in tied_engine.search("للاختبار", page=page)["hits"]]
        assert first == again


@pytest.mark.parametrize("per_page", [1, 7, 10, 13, 64, 100])
def test_pages_across_score_groups_follow_score_then_id(tied_engine, per_page):
    """مكرر is in all 65 documents at several scores: any page size gives one order."""
    everything = tied_engine.search("مكرر", per_page=100)
    assert everything["total"] == 65
    expected = [(h["score"], h["id"]) for h in everything["hits"]]
    assert expected == sorted(expected, key=lambda item: (-item[0], item[1]))
    paged: list[tuple[float, str]] = []
    for page in range(1, math.ceil(65 / per_page) + 1):
        result = tied_engine.search("مكرر", page=page, per_page=per_page)
        assert result["total"] == 65
        paged += [(h["score"], h["id"]) for h in result["hits"]]
    assert paged == expected


@pytest.mark.parametrize("query", ["-وكلام", "collection:tied"])
def test_pages_without_words_are_complete_and_in_id_order(tied_engine, query):
    """No words to score (only an exclusion, or only a filter): every matching
    document, page by page, in id order (what the engine promises for ties)."""
    expected = sorted(set(TIED_IDS) | set(OTHER_TEXTS) - ({"o3", "o4"} if query.startswith("-") else set()))
    seen: list[str] = []
    for page in range(1, 8):
        result = assert_well_formed(tied_engine.search(query, page=page, per_page=10), query, page=page)
        assert result["total"] == len(expected)
        assert result["interpretation"]["mode"] == "every"
        seen += [h["id"] for h in result["hits"]]
    assert sorted(seen) == expected  # disjoint and complete
    assert seen == expected  # in id order


# -- 4. concurrency ----------------------------------------------------------------------

UNIQUE_B = "زنجبيلستان"
UNIQUE_C = "قرنفلستان"
THREAD_QUERIES = [
    "الأمن",
    "وزير الدفاع",
    UNIQUE_B,
    UNIQUE_C,
    "الامم",  # a near miss: exercises spelling suggestions (the shared word list)
    "-الأمن",
    "collection:حديث",
    "الأم*",
    "الأمن~",
    '"الأمن الداخلي"',
]


def test_searches_survive_rebuilds_and_updates(tmp_path):
    corpus_a = write_corpus(tmp_path / "a")
    corpus_b = write_corpus(tmp_path / "b")
    (corpus_b / "extra.jsonl").write_text(
        json.dumps({"id": "extra", "text": f"خبر عن {UNIQUE_B} في المدينة"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    index_dir = tmp_path / "index"
    build_index([corpus_a], index_dir)
    engine = open_index(index_dir)
    errors: list[str] = []
    done = threading.Event()
    final_totals: list[tuple[int, int]] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        count = 0
        try:
            while count < 100 or not done.is_set():
                q = rng.choice(THREAD_QUERIES)
                result = engine.search(q, page=rng.randint(1, 2), per_page=rng.randint(1, 5))
                assert isinstance(result, dict) and isinstance(result["total"], int)
                count += 1
                if count > 2000:
                    break
            done.wait(60)  # a fast thread may pass its quota before the writers finish
            time.sleep(engine.recheck_seconds + 0.2)
            latest = (engine.search(UNIQUE_B)["total"], engine.search(UNIQUE_C)["total"])
            with lock:
                final_totals.append(latest)
        except Exception:
            with lock:
                errors.append(traceback.format_exc())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    try:
        for corpus in (corpus_b, corpus_a, corpus_b):
            time.sleep(0.15)
            build_index([corpus], index_dir)
        time.sleep(0.15)
        (corpus_b / "update.jsonl").write_text(
            json.dumps({"id": "update", "text": f"خبر جديد عن {UNIQUE_C}"}, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        stats = update_index([corpus_b], index_dir)
        assert stats.added == 1
    finally:
        done.set()
        for t in threads:
            t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not errors, f"{len(errors)} of 8 threads failed; the first:\n{errors[0]}"
    assert final_totals == [(1, 1)] * 8  # every thread's searcher followed the index
    time.sleep(engine.recheck_seconds + 0.1)
    assert engine.search(UNIQUE_B)["total"] == 1
    assert [h["id"] for h in engine.search(UNIQUE_C)["hits"]] == ["update"]
    assert engine.info()["documents"] == 8
    engine.close()
    assert time.monotonic() - started < 30


def test_search_after_an_update_in_the_same_thread(tmp_path):
    """The simplest case of the above, with no threads: update, wait, search."""
    corpus = write_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    engine = open_index(index_dir)
    assert engine.search("الأمن")["total"] == 2
    (corpus / "update.jsonl").write_text(
        json.dumps({"id": "update", "text": f"خبر جديد عن {UNIQUE_C}"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    assert update_index([corpus], index_dir).added == 1
    time.sleep(engine.recheck_seconds + 0.1)
    assert [h["id"] for h in engine.search(UNIQUE_C)["hits"]] == ["update"]
    assert engine.search("الأمن")["total"] == 2
    assert engine.info()["documents"] == 7
    engine.close()


def test_search_after_two_quick_rebuilds(tmp_path):
    """Two builds finish before this thread's next recheck: the generation it
    reads is deleted. Its searches must still answer (old or new index), not fail."""
    corpus = write_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    engine = open_index(index_dir)
    engine.recheck_seconds = 60  # the two builds below surely fall inside one recheck interval
    assert engine.search("الأمن")["total"] == 2
    build_index([corpus], index_dir)
    build_index([corpus], index_dir)
    for query in ("الأمن", "الامم", "-الأمن"):
        assert_well_formed(engine.search(query), query)
    assert engine.complete("الأ")
    engine.close()


def test_a_thread_per_request_server_does_not_leak_open_searchers(tmp_path):
    """``serve --debug`` runs each request in a thread of its own: 200 requests,
    one after another, must not leave 200 searchers (and their files) open."""
    corpus = write_corpus(tmp_path / "corpus")
    build_index([corpus], tmp_path / "index")
    engine = open_index(tmp_path / "index")

    def request() -> None:
        assert engine.search("الأمن")["total"] == 2
        assert engine.document(engine.search("الأمن")["hits"][0]["id"])

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    def one_at_a_time(count: int) -> None:
        for _ in range(count):
            thread = threading.Thread(target=request)
            thread.start()
            thread.join()

    one_at_a_time(3)  # warm: the first searcher and the shared arrays
    before = open_files()
    one_at_a_time(200)
    assert open_files() <= before + 2
    # Eight threads at once need at most eight, and they are reused afterwards.
    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    during = open_files()
    one_at_a_time(50)
    assert open_files() <= during
    engine.close()


# -- 5. documents and completion ---------------------------------------------------------


def test_missing_document(engine):
    with pytest.raises(DocumentNotFoundError) as raised:
        engine.document("no-such-id")
    assert "no-such-id" in str(raised.value)
    with pytest.raises(DocumentNotFoundError):
        engine.document("")


def test_document_keeps_original_text_and_escapes_markup(engine):
    doc = engine.document("markup", q="الأمن")
    assert doc["text"] == MARKUP["text"]
    assert "<mark>الأمن</mark>" in doc["text_html"]
    assert "&lt;script&gt;" in doc["text_html"]
    assert "&lt;mark&gt;ليس&lt;/mark&gt;" in doc["text_html"]  # the document's own <mark> is text


def test_document_with_a_bad_query_says_why(engine):
    with pytest.raises(BadQueryError, match="unknown field"):
        engine.document("h1", q="nofield:x")


def test_complete_edge_cases(engine):
    assert engine.complete("") == []
    assert engine.complete("   ") == []
    assert isinstance(engine.complete("و" * 500), list)
    assert isinstance(engine.complete("الأمن " * 2000), list)
    assert engine.complete("\x00\x01") == []
    assert engine.complete("الأ")  # something does start with الأ
    assert all(w.startswith("وزير ") for w in engine.complete("وزير الد"))


@pytest.mark.parametrize("limit", [0, -1, 21, "3"])
def test_complete_bad_limit(engine, limit):
    with pytest.raises(BadQueryError, match="limit"):
        engine.complete("x", limit=limit)


# -- 6. opening ---------------------------------------------------------------------------


def test_opening_a_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError) as raised:
        open_index(tmp_path / "nowhere")
    assert "arabic-search index" in str(raised.value)
    assert str(tmp_path / "nowhere") in str(raised.value)


def test_opening_an_empty_or_broken_index_dir_says_how_to_build_one(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(IndexNotFoundError, match="arabic-search index"):
        open_index(empty)
    dangling = tmp_path / "dangling"
    dangling.mkdir()
    (dangling / "CURRENT").write_text("gen-gone\n", encoding="utf-8")
    with pytest.raises(IndexNotFoundError, match="arabic-search index"):
        open_index(dangling)
    a_file = tmp_path / "file"
    a_file.write_text("not an index", encoding="utf-8")
    with pytest.raises(IndexNotFoundError, match="arabic-search index"):
        open_index(a_file)


def test_engine_reopens_once_index_appears_after_a_failed_open(tmp_path):
    index_dir = tmp_path / "index"
    with pytest.raises(IndexNotFoundError):
        open_index(index_dir)
    build_index([write_corpus(tmp_path / "corpus")], index_dir)
    with open_index(index_dir) as engine:
        assert engine.search("الأمن")["total"] == 2


def test_a_slow_open_of_an_older_generation_does_not_hide_a_newer_one(tmp_path, monkeypatch):
    """Thread B starts opening generation 1; meanwhile generation 2 is published
    and opened by another thread. When B's open ends, the engine must still serve
    generation 2 (it once went back to the older one until the next recheck)."""
    corpus = write_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    engine = open_index(index_dir)
    engine.recheck_seconds = 60  # no recheck but the ones forced below
    build_index([corpus], index_dir)  # generation 1
    opened_old, release = threading.Event(), threading.Event()
    real_open = engine_module.open_generation

    def slow_in_b(*args, **kwargs):
        found = real_open(*args, **kwargs)
        if threading.current_thread().name == "B":
            opened_old.set()
            release.wait(10)
        return found

    monkeypatch.setattr(engine_module, "open_generation", slow_in_b)
    thread_b = threading.Thread(target=lambda: engine._give_back(engine._borrow(force=True)), name="B")
    thread_b.start()
    assert opened_old.wait(10)
    (corpus / "extra.jsonl").write_text(
        json.dumps({"id": "extra", "text": f"خبر عن {UNIQUE_B}"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    build_index([corpus], index_dir)  # generation 2
    engine._give_back(engine._borrow(force=True))  # another thread opens it
    release.set()
    thread_b.join(10)
    assert [h["id"] for h in engine.search(UNIQUE_B)["hits"]] == ["extra"]
    engine.close()
