"""Counted nouns agree with the number, as Arabic grammar (and CLDR) has it."""

from __future__ import annotations

import pytest

from web.numbers import count_of


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (0, "لا نتائج"),
        (1, "نتيجة واحدة"),
        (2, "نتيجتان"),
        (3, "3 نتائج"),
        (10, "10 نتائج"),
        (11, "11 نتيجة"),
        (25, "25 نتيجة"),
        (99, "99 نتيجة"),
        (100, "100 نتيجة"),
        (101, "101 نتيجة"),
        (102, "102 نتيجة"),
        (103, "103 نتائج"),
        (110, "110 نتائج"),
        (111, "111 نتيجة"),
        (199, "199 نتيجة"),
        (200, "200 نتيجة"),
        (1000, "1,000 نتيجة"),
        (1005, "1,005 نتائج"),
        (1511, "1,511 نتيجة"),
    ],
)
def test_results(number, expected):
    assert count_of(number, "نتيجة") == expected


def test_documents_and_pages():
    assert [count_of(n, "وثيقة") for n in (1, 2, 5, 27)] == ["وثيقة واحدة", "وثيقتان", "5 وثائق", "27 وثيقة"]
    assert [count_of(n, "صفحة") for n in (1, 2, 3, 15)] == ["صفحة واحدة", "صفحتان", "3 صفحات", "15 صفحة"]
