"""The two chains together, as the index and the query parser see them."""

import pickle

from indexer.analysis import exact_analyzer, explain, stem_analyzer

TEXT = "وقال وزيرُ الدفاعِ في العـراق: إنّ الأمنَ مسؤوليةُ الجميع"


def analyze(analyzer, text, **kw):
    return [(t.text, t.pos) for t in analyzer(text, positions=True, **kw)]


def test_exact_chain_keeps_every_word_normalized():
    assert analyze(exact_analyzer(), TEXT) == [
        ("وقال", 0),
        ("وزير", 1),
        ("الدفاع", 2),
        ("في", 3),
        ("العراق", 4),
        ("ان", 5),
        ("الامن", 6),
        ("مسءوليه", 7),
        ("الجميع", 8),
    ]


def test_stem_chain_drops_stop_words_and_closes_the_gap():
    tokens = analyze(stem_analyzer(), TEXT)
    texts = [t for t, _ in tokens]
    assert "في" not in texts and "ان" not in texts
    assert ("دفاع", 2) in tokens and ("عراق", 3) in tokens  # adjacent, as in a phrase
    assert ("وقال", 0) in tokens and ("قال", 0) in tokens  # two stems, one position


def test_query_and_document_meet_across_orthography():
    query = "مسئولية الامن"
    doc_terms = {t for t, _ in analyze(stem_analyzer(), TEXT)}
    assert {t for t, _ in analyze(stem_analyzer(), query)} <= doc_terms
    doc_exact = {t for t, _ in analyze(exact_analyzer(), TEXT)}
    assert {t for t, _ in analyze(exact_analyzer(), query)} <= doc_exact


def test_offsets_survive_the_whole_chain():
    for analyzer in (exact_analyzer(), stem_analyzer()):
        for token in analyzer(TEXT, chars=True):
            original = TEXT[token.startchar : token.endchar]
            assert original.strip() and " " not in original


def test_chains_survive_pickling_with_the_schema():
    for analyzer in (exact_analyzer(), stem_analyzer("light")):
        clone = pickle.loads(pickle.dumps(analyzer))
        assert analyze(clone, TEXT) == analyze(analyzer, TEXT)


def test_stop_words_are_marked_when_kept():
    tokens = [(t.text, t.stopped) for t in stem_analyzer()(TEXT, removestops=False)]
    assert ("في", True) in tokens and ("دفاع", False) in tokens


def test_explain_lines_up_both_views():
    rows = {w.original: w for w in explain(TEXT)}
    assert rows["الدفاعِ"].normalized == ["الدفاع"] and rows["الدفاعِ"].stems == ["دفاع"]
    assert rows["في"].stop_word and rows["في"].stems == []
    assert (rows["العـراق"].start, rows["العـراق"].end) == (22, 29)


def test_empty_and_punctuation_only_texts():
    for text in ("", "   ", "،؛؟!...", "ـــ"):
        assert analyze(exact_analyzer(), text) == []
        assert analyze(stem_analyzer(), text) == []


def test_uthmani_superscript_alef_gives_both_modern_spellings_in_the_exact_view():
    text = "ٱلرَّحْمَٰنِ ٱلْعَٰلَمِينَ ٱلصَّلَوٰةَ مُوسَىٰ"
    assert analyze(exact_analyzer(), text) == [
        ("الرحمن", 0),
        ("الرحمان", 0),
        ("العلمين", 1),
        ("العالمين", 1),
        ("الصلوه", 2),
        ("الصلاه", 2),
        ("موسي", 3),
    ]
    # The stem view keeps one form per word: stemming the alternative would invent words.
    assert [pos for _, pos in analyze(stem_analyzer(), text)] == [0, 1, 2, 3]
    rows = explain(text)
    assert rows[1].normalized == ["العلمين", "العالمين"]
