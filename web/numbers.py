"""Counted nouns in Arabic: the noun's form follows the number (Unicode CLDR's
Arabic plural rules, the ones every localized program uses).

- 0: لا نتائج
- 1 and 2: the noun alone (نتيجة واحدة، نتيجتان), no figure
- 3 to 10, and any number whose last two digits are 03 to 10 (103, 1,005): the plural, 3 نتائج
- 11 to 99, and any number whose last two digits are 11 to 99 (111, 1,250): the singular, 11 نتيجة
- the rest (100, 101, 102, 200, 1,000): the singular too, 100 نتيجة، 101 نتيجة
"""

from __future__ import annotations

from typing import NamedTuple


class Noun(NamedTuple):
    zero: str
    one: str
    two: str
    plural: str  # after 3 to 10
    singular: str  # after 11 to 99, 100, 101...


NOUNS = {
    "نتيجة": Noun("لا نتائج", "نتيجة واحدة", "نتيجتان", "نتائج", "نتيجة"),
    "وثيقة": Noun("لا وثائق", "وثيقة واحدة", "وثيقتان", "وثائق", "وثيقة"),
    "صفحة": Noun("لا صفحات", "صفحة واحدة", "صفحتان", "صفحات", "صفحة"),
    "ثانية": Noun("لا ثوانٍ", "ثانية واحدة", "ثانيتين", "ثوانٍ", "ثانية"),  # after بعد: genitive
}


def count_of(number: int, noun: str) -> str:
    """``number`` of ``noun`` (one of :data:`NOUNS`) as Arabic grammar has it:
    ``count_of(25, "نتيجة")`` → ``25 نتيجة``; figures get thousands separators."""
    forms = NOUNS[noun]
    if number == 0:
        return forms.zero
    if number == 1:
        return forms.one
    if number == 2:
        return forms.two
    return f"{number:,} {forms.plural if 3 <= number % 100 <= 10 else forms.singular}"
