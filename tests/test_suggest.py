"""Did you mean, corrected results, and autocomplete in context: what a person
types into a real index and what they are offered."""

from __future__ import annotations

import pytest

from conftest import index_of
from search import open_index

# الدنيا is more frequent than الدفاع overall; next to وزير, only الدفاع is found.
# الذي (a stop word) is more frequent than الذهب; وزيت is in texts, never in a title.
DOCS = [
    {"id": "minister-1", "title": "وزير الدفاع", "text": "التقى وزير الدفاع نظيره في بغداد"},
    {"id": "minister-2", "title": "زيارة رسمية", "text": "وزير الدفاع يزور الموصل"},
    {"id": "minister-3", "title": "تعيين", "text": "عين وزير جديد للتخطيط"},
    *(
        {"id": f"world-{n}", "title": f"خطبة {n}", "text": f"الدنيا دار ممر، الذي يعمل فيها يجد ثمره. وزيت الزيتون {n}"}
        for n in range(1, 5)
    ),
    {"id": "gold", "title": "سوق", "text": "ارتفع سعر الذهب الذي يباع في السوق"},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with open_index(index_of(DOCS, tmp_path_factory.mktemp("suggest"))) as engine:
        yield engine


def ids(result):
    return sorted(hit["id"] for hit in result["hits"])


# -- did you mean, and results for the correction --------------------------------------


def test_a_misspelled_word_beside_a_found_one_shows_the_corrected_results(engine):
    result = engine.search("وزير الدفاغ")
    assert result["query"] == "وزير الدفاغ"  # what was typed
    assert result["suggestion"] == "وزير الدفاع"
    assert result["corrected"] == {"query": "وزير الدفاع", "original": "وزير الدفاغ"}
    assert ids(result) == ["minister-1", "minister-2"]
    assert result["interpretation"]["mode"] == "all"
    assert "الدفاع" in result["interpretation"]["words"]


def test_without_correction_the_typed_query_runs_and_the_suggestion_stays(engine):
    result = engine.search("وزير الدفاغ", correct=False)
    assert result["corrected"] is None
    assert result["interpretation"]["mode"] == "any"  # found through وزير alone
    assert ids(result) == ["minister-1", "minister-2", "minister-3"]
    assert result["suggestion"] == "وزير الدفاع"  # offered however many it found


def test_a_misspelled_word_alone_is_corrected(engine):
    result = engine.search("الدفاغ")
    assert result["corrected"] == {"query": "الدفاع", "original": "الدفاغ"}
    assert result["total"] == 2


def test_no_correction_when_the_suggestion_finds_no_document_with_all_words(engine):
    # الدنيا and الدفاع are never together: the correction would not find clearly more.
    result = engine.search("الدنيا الدفاغ")
    assert result["suggestion"] == "الدنيا الدفاع"
    assert result["corrected"] is None
    assert result["interpretation"]["mode"] == "any" and result["total"] == 4


def test_no_correction_when_every_word_is_known(engine):
    result = engine.search("وزير الدفاع")
    assert result["suggestion"] is None and result["corrected"] is None


def test_the_correction_keeps_the_collection_filter(engine):
    result = engine.search("وزير الدفاغ", filters={"collection": "nothing-like-this"})
    assert result["corrected"] is None and result["total"] == 0


# -- autocomplete ------------------------------------------------------------------------


def test_completion_follows_the_words_typed_before(engine):
    assert engine.complete("الد")[0] == "الدنيا"  # alone: the most frequent
    assert engine.complete("وزير الد")[0] == "وزير الدفاع"  # after وزير: what is found with it


def test_completion_without_context_falls_back_to_frequency(engine):
    # No document has the word typed before: most frequent first.
    assert engine.complete("كلمةمجهولة الد")[0] == "كلمةمجهولة الدنيا"


def test_stop_words_are_not_offered_except_inside_a_phrase(engine):
    assert engine.complete("الذ") == ["الذهب"]
    assert engine.complete('"سعر الذ')[:2] == ['"سعر الذي', '"سعر الذهب']


def test_a_prefix_of_diacritics_only_completes_nothing(engine):
    assert engine.complete("َ") == []
    assert engine.complete("وزير ُّ") == []


def test_a_field_prefix_completes_from_that_field_only(engine):
    assert engine.complete("وزي")[:2] == ["وزيت", "وزير"]  # وزيت is in more texts
    assert engine.complete("title:وزي") == ["title:وزير"]  # وزيت is in no title
    assert engine.complete("collection:وزي") == []  # a collection name is not a word to complete
