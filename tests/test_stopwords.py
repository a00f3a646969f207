import pytest

from indexer.analysis.normalize import normalize
from indexer.analysis.stopwords import is_stop_word, stop_words


@pytest.mark.parametrize(
    "word", ["في", "من", "على", "إلى", "عن", "وفي", "فإن", "التي", "الذين", "هذا", "لكن", "أن", "إنّ"]
)
def test_function_words_are_stop_words(word):
    assert is_stop_word(normalize(word))


@pytest.mark.parametrize(
    "word", ["أمن", "الأمن", "أب", "أخذ", "أصبح", "جنوب", "عين", "نفس", "الله", "وزير", "العراق", "قال"]
)
def test_content_words_are_not(word):
    assert not is_stop_word(normalize(word))


def test_list_is_normalized_like_the_text():
    words = stop_words()
    assert len(words) > 1000
    assert all(normalize(w) == w for w in words)
    assert "الي" in words and "إلى" not in words
