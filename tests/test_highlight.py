"""Snippets and highlighting: marks on the original diacritized words, everything
else escaped, fragments cut at word boundaries around the best matches."""

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.analysis.normalize import normalize
from indexer.analysis.tokenizer import iter_words
from search.highlight import Remembered, highlight, snippet
from search.interpret import MatchTerms, Slot

HADITH = (
    "حَدَّثَنَا الْحُمَيْدِيُّ عَبْدُ اللَّهِ بْنُ الزُّبَيْرِ، قَالَ: حَدَّثَنَا سُفْيَانُ، قَالَ: "
    "حَدَّثَنَا يَحْيَى بْنُ سَعِيدٍ الْأَنْصَارِيُّ، قَالَ: أَخْبَرَنِي مُحَمَّدُ بْنُ إِبْرَاهِيمَ التَّيْمِيُّ، "
    "أَنَّهُ سَمِعَ عَلْقَمَةَ بْنَ وَقَّاصٍ اللَّيْثِيَّ، يَقُولُ: سَمِعْتُ عُمَرَ بْنَ الْخَطَّابِ رَضِيَ اللَّهُ عَنْهُ "
    "عَلَى الْمِنْبَرِ، قَالَ: سَمِعْتُ رَسُولَ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ، يَقُولُ: "
    "«إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ، وَإِنَّمَا لِكُلِّ امْرِئٍ مَا نَوَى، فَمَنْ كَانَتْ هِجْرَتُهُ إِلَى دُنْيَا "
    "يُصِيبُهَا، أَوْ إِلَى امْرَأَةٍ يَنْكِحُهَا، فَهِجْرَتُهُ إِلَى مَا هَاجَرَ إِلَيْهِ»"
)
FILLER = "وَقَالَ الرَّجُلُ كَلَامًا طَوِيلًا فِي الْمَسْجِدِ، ثُمَّ خَرَجَ إِلَى السُّوقِ.\n"
MARK = re.compile("</?mark>")
ELLIPSIS = "…"


def matcher(*forms):
    """Matches a word whose normalized form is one of ``forms``, counting calls."""
    wanted = {normalize(f) for f in forms}

    def matches(word):
        matches.calls.append(word)
        return normalize(word) in wanted

    matches.calls = []
    return matches


def phrase_matcher(*phrases, alone=(), stem_view=False, stop_words=()):
    """The query's phrases (and words asked for alone), each word matched by its
    normalized form; with ``stem_view``, phrases are also matched in a view
    where ``stop_words`` have no position (as the index's stem view)."""
    terms = MatchTerms(exact={normalize(w) for w in alone})
    for phrase in phrases:
        forms = [frozenset({normalize(w)}) for w in phrase.split()]
        terms.phrases.append(tuple(Slot(f, f if stem_view else frozenset()) for f in forms))

    def decide(word):
        form = normalize(word)  # a lone tatweel has no form: no position in either view
        return terms.verdict([form] if form else [], [form] if form and form not in stop_words else [])

    return Remembered(decide, tuple(len(p) for p in terms.phrases))


def one_line(text):
    return re.sub(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*", " ", text)


def plain(fragment):
    return html.unescape(MARK.sub("", fragment))


def fragments(result):
    """The fragments of a snippet, edge ellipses removed, unmarked and unescaped."""
    result = result.removeprefix(f"{ELLIPSIS} ").removesuffix(f" {ELLIPSIS}")
    return [plain(f) for f in result.split(f" {ELLIPSIS} ")]


def marked(result):
    return re.findall("<mark>(.*?)</mark>", result)


def test_mark_lands_on_the_original_diacritized_word():
    result = snippet(HADITH, matcher("الاعمال"))
    assert marked(result) == ["الْأَعْمَالُ"]
    assert "<mark>الْأَعْمَالُ</mark> بِالنِّيَّاتِ" in result


def test_snippet_without_marks_is_the_original_text():
    result = snippet(HADITH, matcher("بالنيات"))
    assert marked(result) == ["بِالنِّيَّاتِ"]
    for fragment in fragments(result):
        assert fragment in HADITH


def test_matcher_called_once_per_distinct_word():
    matches = matcher("الله")
    snippet(HADITH, matches)
    assert len(matches.calls) == len(set(matches.calls))
    assert "اللَّهِ" in matches.calls


@pytest.mark.parametrize(
    ("dangerous", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
        ("A & B", "A &amp; B"),
        ('it\'s "quoted"', "it&#x27;s &quot;quoted&quot;"),
    ],
)
def test_everything_but_the_marks_is_escaped(dangerous, escaped):
    text = f"النِّيَّاتِ {dangerous} النِّيَّاتِ"
    for result in (snippet(text, matcher("النيات")), highlight(text, matcher("النيات"))):
        assert escaped in result
        assert MARK.sub("", result).count("<") == 0
        assert result.count("<mark>") == 2


def test_fragments_are_cut_at_word_boundaries():
    filler = FILLER.strip() + " "
    text = filler * 3 + HADITH + " " + filler * 3
    starts = {m.start() for m in iter_words(text)}
    ends = {m.end() for m in iter_words(text)}
    result = snippet(text, matcher("الاعمال", "هجرته"), max_chars=100)
    for fragment in fragments(result):
        at = text.index(fragment)
        # Marks and tatweel stay with their letters: both ends are word boundaries.
        assert at in starts
        assert at + len(fragment) in ends


def test_window_respects_max_chars():
    text = FILLER * 20 + HADITH + FILLER * 20
    result = snippet(text, matcher("الاعمال", "سفيان"), max_chars=120, fragments=2)
    for fragment in fragments(result):
        assert len(fragment) <= 60


def test_best_window_chosen_near_the_end():
    text = "الْأَعْمَالُ " + FILLER * 10 + "وَإِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ، وَإِنَّمَا لِكُلِّ امْرِئٍ مَا نَوَى"
    result = snippet(text, matcher("الاعمال", "بالنيات"), fragments=1)
    assert result.startswith(f"{ELLIPSIS} ")
    assert marked(result) == ["الْأَعْمَالُ", "بِالنِّيَّاتِ"]
    assert result.endswith("مَا نَوَى")


def test_distinct_words_beat_repeats():
    repeats = "الصَّلَاةُ الصَّلَاةُ الصَّلَاةُ"
    both = "الصَّلَاةُ وَالزَّكَاةُ"
    text = repeats + " " + FILLER * 5 + both + " " + FILLER * 5
    result = snippet(text, matcher("الصلاة", "والزكاة"), max_chars=80, fragments=1)
    assert marked(result) == ["الصَّلَاةُ", "وَالزَّكَاةُ"]


def test_two_fragments_in_document_order():
    text = "سُفْيَانُ " + FILLER * 10 + "الْأَعْمَالُ وَالنِّيَّاتُ " + FILLER * 10 + "سُفْيَانُ"
    result = snippet(text, matcher("الاعمال", "سفيان"), max_chars=120, fragments=2)
    parts = fragments(result)
    assert len(parts) == 2
    assert "سُفْيَانُ" in parts[0]
    assert "الْأَعْمَالُ" in parts[1]
    assert result.count(ELLIPSIS) == 2  # between the fragments and at the end
    assert not result.startswith(ELLIPSIS)


def test_adjacent_fragments_are_joined_without_ellipsis():
    result = snippet("الْأَعْمَالُ بِالنِّيَّاتِ", matcher("الاعمال", "بالنيات"), max_chars=20, fragments=2)
    assert result == "<mark>الْأَعْمَالُ</mark> <mark>بِالنِّيَّاتِ</mark>"


def test_whole_short_text_has_no_ellipsis():
    text = "إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ"
    assert snippet(text, matcher("الاعمال")) == "إِنَّمَا <mark>الْأَعْمَالُ</mark> بِالنِّيَّاتِ"


def test_snippet_is_one_line():
    text = "السطر الأول\n\n  الْأَعْمَالُ\r\nالسطر الثالث\tوالرابع"
    result = snippet(text, matcher("الاعمال"))
    assert result == "السطر الأول <mark>الْأَعْمَالُ</mark> السطر الثالث\tوالرابع"


def test_no_match_gives_the_start_of_the_text():
    result = snippet(HADITH, matcher("غير موجود"), max_chars=60)
    assert result.endswith(f" {ELLIPSIS}")
    start = result.removesuffix(f" {ELLIPSIS}")
    assert HADITH.startswith(start)
    assert len(start) <= 60
    assert HADITH[len(start)] in " ،"  # cut after a whole word


def test_no_match_in_a_short_text_gives_it_all():
    assert snippet("  الدِّينُ النَّصِيحَةُ\n", matcher("غير")) == "الدِّينُ النَّصِيحَةُ"


def test_word_longer_than_the_window_comes_alone():
    long_word = "ب" * 200
    text = f"قبل {long_word} بعد"
    assert snippet(text, lambda w: w == long_word, max_chars=100) == f"{ELLIPSIS} <mark>{long_word}</mark> {ELLIPSIS}"
    assert snippet(long_word + " بعد", lambda w: False, max_chars=100) == f"{long_word} {ELLIPSIS}"


def test_empty_text():
    assert snippet("", matcher("الاعمال")) == ""
    assert highlight("", matcher("الاعمال")) == ""


def test_bad_arguments():
    with pytest.raises(ValueError):
        snippet(HADITH, matcher("الاعمال"), fragments=0)


def test_a_match_near_the_end_of_the_first_million_characters():
    text = FILLER * (999_000 // len(FILLER)) + HADITH
    assert 999_000 < text.index(HADITH) + len(HADITH) < 1_000_000
    result = snippet(text, matcher("الاعمال", "بالنيات"))
    assert "<mark>الْأَعْمَالُ</mark> <mark>بِالنِّيَّاتِ</mark>" in result
    assert result.startswith(f"{ELLIPSIS} ")
    assert len(plain(result)) < 300


def test_highlight_marks_every_occurrence_and_keeps_the_rest():
    text = HADITH + "\n<b>الْحُمَيْدِيُّ</b> & اللَّهِ\n"
    result = highlight(text, matcher("الله"))
    assert marked(result) == ["اللَّهِ", "اللَّهُ", "اللَّهِ", "اللَّهُ", "اللَّهِ"]
    assert html.unescape(MARK.sub("", result)) == text
    assert "\n&lt;b&gt;" in result


TEXT = st.text(
    alphabet=st.sampled_from(
        list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإئؤةى")
        + ["\u064e", "\u0650", "\u0651", "\u0670", "\u0640"]
        + list("<>&\"' \n\t،.؟abc1٢")
        + ["\u200f", "\u06d6"]
    ),
    max_size=300,
)


@given(TEXT)
def test_highlight_round_trips(text):
    result = highlight(text, lambda w: "ب" in w)
    assert html.unescape(MARK.sub("", result)) == text


@given(TEXT, st.integers(min_value=1, max_value=120), st.integers(min_value=1, max_value=3))
def test_snippet_fragments_are_substrings(text, max_chars, count):
    result = snippet(text, lambda w: "ب" in w, max_chars=max_chars, fragments=count)
    assert "\n" not in result
    assert MARK.sub("", result).count("<") == 0
    for fragment in fragments(result):
        assert fragment in one_line(text)


def test_phrase_is_one_mark_and_its_words_are_not_marked_alone():
    matches = phrase_matcher("رسول الله")
    assert marked(highlight(HADITH, matches)) == ["رَسُولَ اللَّهِ"]  # not عَبْدُ اللَّهِ, not صَلَّى اللَّهُ
    assert marked(snippet(HADITH, matches)) == ["رَسُولَ اللَّهِ"]
    assert "<mark>رَسُولَ اللَّهِ</mark> صَلَّى اللَّهُ" in snippet(HADITH, matches)


@pytest.mark.parametrize("text", ["اللَّهِ رَسُولُ", "رَسُولُ عَبْدِ اللَّهِ", "رَسُولُ", "اللَّهِ"])
def test_phrase_words_out_of_order_or_apart_are_not_marked(text):
    assert marked(highlight(text, phrase_matcher("رسول الله"))) == []
    assert snippet(text, phrase_matcher("رسول الله")) == text


def test_phrase_passes_over_a_word_the_index_has_no_position_for():
    """A lone tatweel has no form, so no position: the index sees the two words side by side."""
    assert marked(highlight("قَالَ رَسُولُ ـ اللَّهِ", phrase_matcher("رسول الله"))) == ["رَسُولُ ـ اللَّهِ"]


def test_stem_view_of_a_phrase_passes_over_stop_words():
    text = "لا تنحصر في أفراد"
    assert marked(highlight(text, phrase_matcher("تنحصر أفراد"))) == []
    matches = phrase_matcher("تنحصر أفراد", stem_view=True, stop_words={"في"})
    assert marked(highlight(text, matches)) == ["تنحصر في أفراد"]


def test_a_word_asked_for_alone_and_overlapping_phrases():
    text = "قَالَ رَسُولُ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ"
    both = phrase_matcher("رسول الله", alone=["الله"])
    assert marked(highlight(text, both)) == ["رَسُولُ اللَّهِ", "اللَّهُ"]
    overlapping = phrase_matcher("رسول الله", "الله صلى")
    assert marked(highlight(text, overlapping)) == ["رَسُولُ اللَّهِ صَلَّى"]


def test_phrase_counts_once_when_choosing_fragments():
    text = "رَسُولُ اللَّهِ " + FILLER * 10 + "رَسُولُ اللَّهِ وَالْأَعْمَالُ"
    result = snippet(text, phrase_matcher("رسول الله", alone=["والاعمال"]), max_chars=80, fragments=1)
    assert marked(result) == ["رَسُولُ اللَّهِ", "وَالْأَعْمَالُ"]


@given(TEXT)
def test_phrase_highlight_round_trips_with_marks_apart(text):
    result = highlight(text, phrase_matcher("ب ت", "ت ا", alone=["ا"], stem_view=True, stop_words={"ء"}))
    assert html.unescape(MARK.sub("", result)) == text
    assert re.fullmatch(r"(?:[^<]*<mark>[^<]+</mark>)*[^<]*", result)  # never nested, never empty


def test_a_long_document_is_scanned_from_its_start_a_part_at_a_time():
    filler = "كلام " * 5_000  # 25,000 characters: past the first part looked at
    matches = matcher("الأعمال")
    result = snippet(filler + HADITH + " " + filler * 40 + "خاتمة", matches)
    assert marked(result) == ["الْأَعْمَالُ"] and result.endswith(ELLIPSIS)
    assert "خاتمة" not in matches.calls  # a million characters in: not read
    # Past the first million characters, a match is not looked for: the start is shown.
    far = snippet(filler * 41 + HADITH, matcher("الأعمال"))
    assert marked(far) == [] and far.startswith("كلام كلام") and far.endswith(ELLIPSIS)
