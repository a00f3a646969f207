"""Tokenization keeps Arabic words whole, with offsets into the original text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.analysis import ArabicTokenizer
from indexer.analysis.tokenizer import MAX_TOKEN_CHARS, split_words


def words(text):
    return [t.text for t in ArabicTokenizer()(text)]


def spans(text):
    return [(t.startchar, t.endchar) for t in ArabicTokenizer()(text, chars=True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الدِّفَاعِ", ["الدِّفَاعِ"]),  # Whoosh's \w+ would give الد، ف، اع
        ("العـــراق", ["العـــراق"]),
        ("قال: نعم، لا؛ لماذا؟", ["قال", "نعم", "لا", "لماذا"]),
        ("«أوستن» (JSCD)", ["أوستن", "JSCD"]),
        ("بـ”أهميته”", ["بـ", "أهميته"]),
        ("في 2021م", ["في", "2021", "م"]),
        ("٣٫٥ مليون و١٬٠٠٠", ["٣٫٥", "مليون", "و", "١٬٠٠٠"]),
        ("الـCNN", ["الـ", "CNN"]),
        ("café crème", ["café", "crème"]),
        ("مح\u200fمد", ["مح\u200fمد"]),  # a format char inside a word stays inside
        ("\u200fكلمة\u200f", ["كلمة"]),  # around a word it is not part of it
        ("﴿ٱلرَّحْمَٰنِ﴾ ۝١ ۞", ["ٱلرَّحْمَٰنِ", "١"]),
        ("snake_case", ["snake", "case"]),
        ("", []),
        ("... ، ؛ ؟", []),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


def test_offsets_point_into_the_original_diacritized_text():
    text = "قَالَ رَسُولُ اللَّهِ صَلَّى اللَّهُ عَلَيْهِ وَسَلَّمَ: «إِنَّمَا الْأَعْمَالُ بِالنِّيَّاتِ»"
    tokens = [(t.pos, t.startchar, t.endchar) for t in ArabicTokenizer()(text, chars=True, positions=True)]
    assert [text[start:end] for _, start, end in tokens] == text.replace(":", "").replace("«", "").replace(
        "»", ""
    ).split()
    assert [pos for pos, _, _ in tokens] == list(range(len(tokens)))


def test_start_char_and_position_offsets_are_added():
    tokens = ArabicTokenizer()("كلمة أخرى", chars=True, positions=True, start_char=100, start_pos=7)
    assert [(t.pos, t.startchar, t.endchar) for t in tokens] == [(7, 100, 104), (8, 105, 109)]


def test_whole_value_as_one_token_for_the_query_parser():
    tokens = ArabicTokenizer()("وزير*", tokenize=False, chars=True)
    assert [(t.text, t.startchar, t.endchar) for t in tokens] == [("وزير*", 0, 5)]


def test_absurdly_long_word_is_dropped_not_fatal():
    long_word = "ب" * 100_000
    assert words(f"قبل {long_word} بعد") == ["قبل", "بعد"]
    assert words("ب" * MAX_TOKEN_CHARS) == ["ب" * MAX_TOKEN_CHARS]


@given(st.text())
def test_tokens_are_exact_slices_of_the_input(text):
    for token in ArabicTokenizer()(text, chars=True):
        assert text[token.startchar : token.endchar] == token.text
        assert token.text.strip() == token.text and token.text


@given(st.text(alphabet=st.sampled_from("بِسْمِ ٱللَّهِ ـ\u200f\u200cA é 3.5٫٬،")) | st.text())
def test_the_indexers_split_gives_the_tokenizers_words(text):
    # The bulk writer indexes split_words; queries and highlights see the tokenizer.
    assert split_words(text) == words(text)
    long_text = f"{text} {'ب' * (MAX_TOKEN_CHARS + 1)} {text}"
    assert split_words(long_text) == words(long_text)
