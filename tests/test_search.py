"""Searching a real index: what a person types, what they get back."""

from __future__ import annotations

import re

import pytest

from conftest import HIT_KEYS, RESULT_KEYS, index_of
from indexer import BadQueryError
from search import open_index
from search.keyboard import from_latin_layout
from search.ranking import Weights

# Each document is written one way; the tests type it other ways.
DOCS = [
    {
        "id": "defence",
        "collection": "أخبار",
        "title": "وزير الدفاع يلتقي نظيره الأمريكي",
        "text": "عقد وزيرُ الدِّفَاعِ العراقي اجتماعاً مع نظيره الأمريكي أوستن لبحث التعاون الأمني المشترك.",
    },
    {
        "id": "security",
        "collection": "رأي",
        "title": "الأمن الداخلي",
        "text": "الأمن الداخلي مسؤولية جماعية، لا تنحصر في أفراد أو جهات بعينها، بل تتحقق بتكامل مؤسسات الدولة.",
    },
    {
        "id": "school",
        "collection": "أخبار",
        "title": "مدرسة جديدة",
        "text": "افتُتحت مدرسةٌ جديدة في بغداد، وتسلّم المعلمون الكتبَ في اليوم الأول، ومستشفى قريب منها.",
    },
    {
        "id": "intentions",
        "collection": "حديث",
        "title": "حديث النية",
        "text": "قَالَ رَسُولُ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ: إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ، وَإِنَّمَا لِكُلِّ امْرِئٍ مَا نَوَى",
    },
    {
        "id": "muslim",
        "collection": "حديث",
        "title": "المسلم",
        "text": "الْمُسْلِمُ مَنْ سَلِمَ الْمُسْلِمُونَ مِنْ لِسَانِهِ وَيَدِهِ، وَالْمُهَاجِرُ مَنْ هَجَرَ مَا نَهَى اللَّهُ عَنْهُ",
    },
    {
        "id": "quran",
        "collection": "قرآن",
        "title": "الفاتحة",
        "text": "بِسْمِ ٱللَّهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ ٱلْحَمْدُ لِلَّهِ رَبِّ ٱلْعَٰلَمِينَ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ مَٰلِكِ يَوْمِ ٱلدِّينِ",
    },
    {
        "id": "thing",
        "collection": "أخبار",
        "title": "خبر قصير",
        "text": "لم يتغير شيء في الموقف، قال المسئول عن الملف في العـــراق يوم ٢٠٢٣.",
    },
    {
        "id": "persian",
        "collection": "أخبار",
        "title": "الولایات المتحدة",
        "text": "كلمات دلالية: الولایات المتحدة و\u200fالعراق",
    },
    {
        "id": "hostile",
        "collection": "اختبار",
        "title": "<script>alert('title')</script> عنوان",
        "text": "نص فيه <script>alert(1)</script> و <img src=x onerror=alert(2)> كلمة خطرة",
    },
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with open_index(index_of(DOCS, tmp_path_factory.mktemp("search"))) as engine:
        yield engine


def ids(engine, q, **kw):
    return [hit["id"] for hit in engine.search(q, per_page=100, **kw)["hits"]]


# (query as typed, a document it must find)
MUST_MATCH = [
    ("الدفاع", "defence"),  # no diacritics in the query
    ("الدِّفَاعِ", "defence"),  # diacritics in both
    ("دفاع", "defence"),  # without the article
    ("والدفاع", "defence"),  # with a conjunction
    ("اوستن", "defence"),  # أ typed as ا
    ("إجتماع", "defence"),  # wrong hamza on the alef
    ("امريكي", "defence"),
    ("مسئولية", "security"),  # ئ for ؤ
    ("مسءولية", "security"),  # bare hamza
    ("المسؤول", "thing"),  # ؤ for ئ in the document
    ("شئ", "thing"),  # شيء written شئ
    ("مدرسه", "school"),  # ه for ة
    ("مستشفي", "school"),  # ي for ى
    ("العراق", "thing"),  # tatweel in the document
    ("2023", "thing"),  # ASCII digits for Arabic-Indic
    ("٢٠٢٣", "thing"),
    ("الولايات", "persian"),  # Persian ی in the document
    ("العراق", "persian"),  # RLM glued to the word in the document
    ("الاعمال", "intentions"),
    ("النيات", "intentions"),  # بالنيات with the preposition
    ("الرحمن", "quran"),  # Uthmani ٱ and dagger alef in the document
    ("العالمين", "quran"),
    ("مسلم", "muslim"),  # المسلم، المسلمون
    ("المسلمين", "muslim"),
    ("معلم", "school"),  # المعلمون
    ("\u200fالدفاع\u200f", "defence"),  # marks pasted from the web
    ("الـدفـاع", "defence"),  # tatweel typed by the user
]

MUST_NOT_MATCH = [
    ("الدفاع", "security"),
    ("مسلم", "defence"),
    ("=المسلمين", "muslim"),  # exact form asked: the document has المسلمون
    ("علم", "school"),  # معلم is not علم
    ("اسلام", "muslim"),
]


@pytest.mark.parametrize(("query", "doc"), MUST_MATCH)
def test_query_finds_document_in_any_orthography(engine, query, doc):
    assert doc in ids(engine, query)


@pytest.mark.parametrize(("query", "doc"), MUST_NOT_MATCH)
def test_query_does_not_find_unrelated_document(engine, query, doc):
    assert doc not in ids(engine, query)


def test_all_words_must_match_by_default(engine):
    assert ids(engine, "الأمن الداخلي") == ["security"]
    result = engine.search("الأمن الداخلي")
    assert result["interpretation"]["mode"] == "all"


def test_falls_back_to_any_word_and_says_so(engine):
    result = engine.search("الدفاع الفاتحة")
    assert result["interpretation"]["mode"] == "any"
    assert {h["id"] for h in result["hits"]} == {"defence", "quran"}
    assert any("any of them" in note for note in result["interpretation"]["notes"])


def test_phrase_requires_adjacent_words(engine):
    assert ids(engine, '"الأمن الداخلي"') == ["security"]
    assert ids(engine, '"الداخلي الأمن"') == []
    assert ids(engine, "«الرحمن الرحيم»") == ["quran"]
    assert ids(engine, "“الرحمن الرحيم”") == ["quran"]


def test_phrase_with_a_stop_word_inside(engine):
    assert ids(engine, '"لا تنحصر في أفراد"') == ["security"]
    assert ids(engine, '"تنحصر أفراد"') == ["security"]  # matched through the stem view, stop word skipped
    assert marks(engine.search('"تنحصر أفراد"')["hits"][0]["snippet"]) == ["تنحصر في أفراد"]  # what matched, as one run


def test_exclusion(engine):
    assert "defence" in ids(engine, "نظيره")
    assert ids(engine, "نظيره -أوستن") == []
    assert "persian" in ids(engine, "العراق")
    assert set(ids(engine, 'العراق -"الولایات المتحدة"')) == {"thing", "defence"}  # defence: العراقي


def test_or_and_groups(engine):
    assert set(ids(engine, "مدرسة OR مستشفى")) == {"school"}
    assert set(ids(engine, "الدفاع OR الفاتحة")) == {"defence", "quran"}
    assert set(ids(engine, "(الدفاع OR الأمن) الداخلي")) == {"security"}


def test_field_restriction(engine):
    assert ids(engine, "title:الأمن") == ["security"]
    assert "security" in ids(engine, "مؤسسات")
    assert ids(engine, "title:مؤسسات") == []
    assert ids(engine, "title:نظيره") == ["defence"]
    assert ids(engine, 'text:"إنما الأعمال"') == ["intentions"]


def test_collection_filter_in_query_and_as_parameter(engine):
    assert set(ids(engine, "collection:حديث الله")) == {"intentions", "muslim"}
    assert set(ids(engine, "الله", filters={"collection": "قرآن"})) == {"quran"}
    result = engine.search("collection:اخبار")  # any spelling of the collection name, no words
    assert {h["id"] for h in result["hits"]} == {"defence", "school", "thing", "persian"}


def test_facets_count_matches_per_collection(engine):
    result = engine.search("الله", filters={"collection": "حديث"})
    assert result["total"] == 2
    assert result["facets"]["collection"] == [{"value": "حديث", "count": 2}, {"value": "قرآن", "count": 1}]


def test_prefix_wildcard(engine):
    assert set(ids(engine, "مسؤول*")) == {"security"}
    assert "thing" in ids(engine, "المسئ*")
    result = engine.search("مدرس*")
    assert result["interpretation"]["expansions"]["مدرس*"] == ["مدرسه"]


def test_fuzzy(engine):
    assert ids(engine, "مؤسصات~") == ["security"]  # one letter wrong
    assert ids(engine, "مؤسصات", correct=False) == []  # without ~ and uncorrected: nothing
    assert ids(engine, "موءسصات~2") == ["security"]


def test_exact_form_skips_stemming(engine):
    assert ids(engine, "=المسلمون") == ["muslim"]
    assert ids(engine, "=مسلمون") == []
    assert ids(engine, '"المسلمون"') == ["muslim"]  # one quoted word: exact too


def test_only_stop_words_still_search(engine):
    result = engine.search("في")
    assert result["total"] >= 3
    result = engine.search("الأمن في")
    assert result["interpretation"]["ignored_stop_words"] == ["في"]
    assert "security" in [h["id"] for h in result["hits"]]


def test_title_match_ranks_above_body_match(engine):
    assert ids(engine, "المسلم")[0] == "muslim"
    assert ids(engine, "الداخلي")[0] == "security"


def test_exact_form_ranks_above_stem_only(tmp_path):
    docs = [
        {"id": "a-stem", "text": "يعمل المعلمون في المدارس كل يوم بجد واجتهاد ومثابرة"},
        {"id": "b-exact", "text": "يعمل المعلم في المدارس كل يوم بجد واجتهاد ومثابرة"},
    ]
    engine = _engine(tmp_path, docs)
    assert ids(engine, "المعلم") == ["b-exact", "a-stem"]


def test_phrase_and_proximity_rank_above_scattered_words(tmp_path):
    docs = [
        {"id": "a-scattered", "text": "وزير من الحكومة تحدث طويلا عن التعليم والصحة ثم ذكر الدفاع في آخر حديثه"},
        {"id": "b-together", "text": "تحدث وزير الدفاع طويلا عن التعليم والصحة ثم عن الحكومة في آخر حديثه"},
    ]
    engine = _engine(tmp_path, docs)
    assert ids(engine, "وزير الدفاع") == ["b-together", "a-scattered"]


NAME_DOCS = [
    {"id": "a-apart", "text": "قال عثمان لأصحابه ما قال عمر بن الخطاب في الصلاة والزكاة"},
    {"id": "b-another-man", "text": "حدثنا عثمان بن عمرو قال سمعت أبا هريرة يقول في الصلاة"},
    {"id": "c-in-full", "text": "حدثنا عثمان بن عمر قال سمعت أبا هريرة يقول في الصلاة"},
    {"id": "d-his-father", "text": "حدثنا عمر بن عثمان قال سمعت أبا هريرة يقول في الصلاة"},
]


def test_words_side_by_side_as_typed_rank_first(tmp_path):
    # بن is a stop word and عمرو shares عمر's stem: only the exact forms in the typed
    # order tell the man named from another and from his words apart.
    engine = _engine(tmp_path, NAME_DOCS)
    assert ids(engine, "عثمان بن عمر")[0] == "c-in-full"
    assert ids(engine, "عمر بن عثمان")[0] == "d-his-father"  # the order as typed, not any order
    with open_index(engine.index_dir, weights=Weights(typed_order=0)) as without:
        assert ids(without, "عثمان بن عمر")[0] != "c-in-full"


WINDOW_DOCS = [
    {"id": "a-short-scattered", "title": "خبر", "text": "وزير قال كلاما كثيرا طويلا مملا عن الأمن والسلام ثم الدفاع"},
    {"id": "b-short-together", "title": "خبر", "text": "قال كلاما كثيرا طويلا مملا عن الأمن والسلام وزير الدفاع ثم"},
    {
        "id": "c-long-together",
        "title": "خبر",
        "text": "في يوم طويل من أيام الصيف الحارة قال وزير الدفاع كلاما كثيرا عن الأمن والسلام في البلاد",
    },
    {
        "id": "d-long-scattered",
        "title": "خبر",
        "text": "في يوم طويل من أيام الصيف الحارة قال وزير كلاما كثيرا عن الأمن والسلام في البلاد ثم الدفاع",
    },
]


def test_proximity_rescores_the_best_documents_by_bm25(tmp_path):
    index = index_of(WINDOW_DOCS, tmp_path)
    with open_index(index) as engine:  # the window holds every match: words together rank first
        assert ids(engine, "وزير الدفاع") == [
            "b-short-together",
            "c-long-together",
            "a-short-scattered",
            "d-long-scattered",
        ]
    with open_index(index, weights=Weights(rescore_window=2)) as engine:
        # Only the two best by BM25 (the short texts) are rescored; the long text with the
        # words together stays below both, and every page follows that one order.
        order = ["b-short-together", "a-short-scattered", "c-long-together", "d-long-scattered"]
        assert ids(engine, "وزير الدفاع") == order
        for per_page in (1, 3):
            pages = [engine.search("وزير الدفاع", page=p, per_page=per_page) for p in (1, 2, 3, 4)]
            assert [h["id"] for r in pages for h in r["hits"]] == order


def test_snippet_marks_the_original_diacritized_word(engine):
    hit = engine.search("الاعمال")["hits"][0]
    assert "<mark>الْأَعْمَالُ</mark>" in hit["snippet"]
    hit = engine.search("اجتماع")["hits"][0]
    assert "<mark>اجتماعاً</mark>" in hit["snippet"]  # matched through its stem


def test_snippet_marks_other_hamza_seats_and_stems(engine):
    hit = engine.search("مسئولية")["hits"][0]
    assert "<mark>مسؤولية</mark>" in hit["snippet"]
    hit = engine.search("مسلم")["hits"][0]
    assert "<mark>الْمُسْلِمُ</mark>" in hit["snippet"] and "<mark>الْمُسْلِمُونَ</mark>" in hit["snippet"]


def test_hostile_document_text_is_escaped(engine):
    hit = engine.search("خطرة")["hits"][0]
    assert "<script>" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]
    assert "<img" not in hit["snippet"]
    assert "<script>" not in hit["title_html"] and "&lt;script&gt;" in hit["title_html"]
    assert hit["title"].startswith("<script>")  # the raw title, for clients that escape themselves


def test_spelling_suggestion_for_a_misspelled_word(engine):
    result = engine.search("مؤسصات", correct=False)
    assert result["total"] == 0
    assert result["suggestion"] == "مؤسسات"
    result = engine.search("مؤسصات الدولة", correct=False)  # found through the other word only
    assert result["interpretation"]["mode"] == "any"
    assert result["suggestion"] == "مؤسسات الدولة"


def test_no_suggestion_when_the_words_exist(engine):
    assert engine.search("الدفاع")["suggestion"] is None


def test_autocomplete_shows_written_forms_most_frequent_first(engine):
    assert engine.complete("مسؤ") == ["مسؤولية"]
    assert engine.complete("مسئ") == ["مسؤولية"]  # any hamza seat typed
    assert engine.complete("الرح")[0] == "الرحمن"  # shown without diacritics, as written
    assert "وزير الدفاع" in engine.complete("وزير الد")
    assert engine.complete("") == []


def test_document_lookup_with_highlighted_text(engine):
    doc = engine.document("intentions", q="النيات")
    assert doc["text"].startswith("قَالَ رَسُولُ اللَّهِ")
    assert "<mark>بِالنِّيَّاتِ</mark>" in doc["text_html"]
    assert doc["collection"] == "حديث"


def test_result_structure(engine):
    result = engine.search("الله", page=1, per_page=2)
    assert set(result) == RESULT_KEYS
    assert result["total"] == 3 and result["pages"] == 2 and len(result["hits"]) == 2
    hit = result["hits"][0]
    assert HIT_KEYS <= set(hit)
    assert "text" not in hit and "content_hash" not in hit
    assert result["took_ms"] >= 0


def test_bad_queries_say_what_is_wrong(engine):
    with pytest.raises(BadQueryError, match="unknown field"):
        engine.search("author:x")
    with pytest.raises(BadQueryError, match="type at least"):
        engine.search("   ")
    with pytest.raises(BadQueryError, match="per_page") as raised:
        engine.search("الله", per_page=1000)
    assert "عدد النتائج في الصفحة" in raised.value.arabic
    with pytest.raises(BadQueryError, match="cannot filter on") as raised:
        engine.search("الله", filters={"author": "x"})
    assert "المجموعة" in raised.value.arabic
    with pytest.raises(BadQueryError, match="non-empty texts") as raised:
        engine.search("الله", filters={"collection": [" "]})
    assert "نصًا" in raised.value.arabic
    with pytest.raises(BadQueryError, match="limit") as raised:
        engine.complete("الل", limit=0)
    assert "الاقتراحات" in raised.value.arabic


def _engine(tmp_path, docs):
    return open_index(index_of(docs, tmp_path))


def test_ranking_only_without_snippets(engine):
    full = engine.search("الله")
    bare = engine.search("الله", snippets=False)
    assert [h["id"] for h in bare["hits"]] == [h["id"] for h in full["hits"]]
    assert all(h["snippet"] == "" and "<mark>" not in h["title_html"] for h in bare["hits"])


def marks(html):
    return re.findall("<mark>(.*?)</mark>", html)


def test_phrase_is_marked_where_it_stands_not_word_by_word(engine):
    """'"رسول الله"' marks رَسُولُ اللَّهِ as one run, never the lone اللَّهُ of صَلَّى اللَّهُ."""
    hit = engine.search('"رسول الله"')["hits"][0]
    assert hit["id"] == "intentions"
    assert marks(hit["snippet"]) == ["رَسُولُ اللَّهِ"]
    doc = engine.document("intentions", q='"رسول الله"')
    assert marks(doc["text_html"]) == ["رَسُولُ اللَّهِ"]
    # The same word asked for alone as well is marked alone too.
    doc = engine.document("intentions", q='"رسول الله" الله')
    assert marks(doc["text_html"]) == ["رَسُولُ اللَّهِ", "اللَّهُ"]


@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("العالمين", ["ٱلْعَٰلَمِينَ"]),
        ("=العالمين", ["ٱلْعَٰلَمِينَ"]),
        ('"رب العالمين"', ["رَبِّ ٱلْعَٰلَمِينَ"]),
        ("الرحمن", ["ٱلرَّحْمَٰنِ", "ٱلرَّحْمَٰنِ"]),
    ],
)
def test_uthmani_words_found_are_marked(engine, query, marked):
    """The highlighter asks the index's own chains what a word becomes (ٱلْعَٰلَمِينَ: العلمين and العالمين)."""
    hit = engine.search(query)["hits"][0]
    assert hit["id"] == "quran"
    assert marks(hit["snippet"]) == marked
    assert marks(engine.document("quran", q=query)["text_html"]) == marked


def test_phrase_with_a_stop_word_keeps_its_words_together(tmp_path):
    """رب is a stop word: the stem view alone would search العالمين as one word."""
    docs = [
        {"id": "together", "text": "الحمد لله رب العالمين"},
        {"id": "one-word", "text": "في هذا العالم كله"},
        {"id": "reversed", "text": "العالمين رب الناس"},
    ]
    engine = _engine(tmp_path, docs)
    assert ids(engine, '"رب العالمين"') == ["together"]
    assert ids(engine, "«ربِّ العالمينَ»") == ["together"]


def test_fuzzy_word_finds_at_least_what_the_word_finds(engine):
    for word in ("مسلم", "الدفاع", "الرحمن", "مدرسه"):
        plain = set(ids(engine, word))
        assert plain and plain <= set(ids(engine, word + "~")), word
    assert "muslim" in ids(engine, "مسلم~")  # through the stem: no indexed word is one edit from مسلم


DATED = [
    {"id": "may-2023", "date": "2023-05-01", "text": "اجتماع وزير الدفاع"},
    {"id": "year-2023", "date": "2023", "text": "تقرير عن الأمن"},
    {"id": "jan-2022", "date": "2022-01-15", "text": "اجتماع آخر"},
    {"id": "undated", "text": "اجتماع بلا تاريخ"},
]


def test_date_prefix_finds_dated_documents_with_a_true_note(tmp_path):
    engine = _engine(tmp_path, DATED)
    for query in ("date:2023", "date:٢٠٢٣"):
        result = engine.search(query)
        assert sorted(h["id"] for h in result["hits"]) == ["may-2023", "year-2023"]
        notes = result["interpretation"]["notes"]
        assert any("filters allow" in n for n in notes) and not any("every document" in n for n in notes)
    assert ids(engine, "اجتماع date:2023") == ["may-2023"]
    assert ids(engine, "date:2022-01") == ["jan-2022"]
    nothing = engine.search("date:2030")
    assert nothing["total"] == 0
    assert any("no document has a date starting with 2030" in n for n in nothing["interpretation"]["notes"])
    assert any("2030" in n for n in nothing["interpretation"]["notes_ar"])


def test_date_filter_on_an_index_without_dates_says_so(engine):
    result = engine.search("date:2023")
    assert result["total"] == 0
    assert any("have no dates" in n for n in result["interpretation"]["notes"])


def test_more_than_32_words_searches_the_first_32_and_says_so(engine):
    query = " ".join(["الأمن"] * 32 + ["زنجبيلستان"] * 8)  # the 33rd word on is in no document
    result = engine.search(query)
    assert result["interpretation"]["mode"] == "all"
    assert [h["id"] for h in result["hits"]] == ids(engine, "الأمن")
    notes = result["interpretation"]["notes"]
    assert any("only the first 32" in n for n in notes)
    assert len(result["interpretation"]["notes_ar"]) == len(notes)


def test_a_word_too_long_to_be_a_word_is_named_and_the_rest_searched(engine):
    long_word = "ب" * 300
    with pytest.raises(BadQueryError, match="too long to be a word.*255") as raised:
        engine.search(long_word)
    assert "255" in raised.value.arabic and "ببب" in raised.value.arabic
    result = engine.search(f"{long_word} الأمن")
    assert "security" in [h["id"] for h in result["hits"]]
    assert any("too long to be a word" in n for n in result["interpretation"]["notes"])


def test_notes_come_in_arabic_too(engine):
    result = engine.search('"الأمن الداخلي OR )')
    meaning = result["interpretation"]
    assert meaning["notes"] and len(meaning["notes_ar"]) == len(meaning["notes"])
    for note in meaning["notes_ar"]:
        assert re.search("[\u0621-\u064a]", note) and not re.search("[A-Za-z]{3,}", note.replace("OR", ""))


def test_a_word_too_long_inside_a_phrase_is_named_too(engine):
    result = engine.search(f'"{"ب" * 300} الأمن الداخلي"')
    assert [h["id"] for h in result["hits"]] == ["security"]
    assert any("too long to be a word" in n for n in result["interpretation"]["notes"])


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("hgHlk", "الأمن"), ("hgHlk hg]hogd", "الأمن الداخلي"), ("l]vsm", "مدرسة"), (",.dv", "وزير")],
)
def test_a_query_typed_with_the_keyboard_in_its_latin_layout_is_searched_as_arabic(engine, typed, meant):
    assert from_latin_layout(typed) == meant
    result = engine.search(typed)
    assert result["corrected"] == {"query": meant, "original": typed} and result["suggestion"] == meant
    assert [h["id"] for h in result["hits"]] == ids(engine, meant) != []
    assert f"{typed!r} looks typed with the keyboard in its Latin layout" in result["interpretation"]["notes"][-1]
    assert "لوحة المفاتيح" in result["interpretation"]["notes_ar"][-1]
    assert engine.search(typed, correct=False)["total"] == 0  # exactly as typed: nothing


@pytest.mark.parametrize("typed", ["الأمن hgHlk", "hgHlk OR x", "title:hgHlk", '"hgHlk"', "hgHlk*", "2023", ""])
def test_arabic_operators_and_digits_are_never_read_as_a_latin_layout(typed):
    assert from_latin_layout(typed) is None


def test_latin_words_the_index_holds_are_not_read_as_arabic(engine):
    result = engine.search("src")  # in the hostile document's text, as written
    assert [h["id"] for h in result["hits"]] == ["hostile"] and result["corrected"] is None
