"""Explicit references to a page's recommendations: "(recommendation 3)", "recs 1 and 2"."""

from __future__ import annotations

import re
from functools import lru_cache

_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_NUMBER = r"(?:\d{1,2}(?!\d)|(?:" + "|".join(_WORDS) + r")\b)"
# "Rec 3" and "Recs. 1-2" are how liaison leads often write it; "records 3" is not a reference,
# and a year ("the recommendations 2018 report") is not two of them.
_REF = re.compile(
    r"\b(?:recommendations?|recs?\b\.?)\s*(?:no\.?\s*|number\s*)?"
    rf"((?:{_NUMBER}\s*(?:,|and|&|or|-|–|to)?\s*)+)", re.I)
_RANGE = re.compile(rf"{_NUMBER}\s*(?:-|–|to)\s*{_NUMBER}", re.I)
_VALUE = {word: n for n, word in enumerate(_WORDS, start=1)}


@lru_cache(maxsize=8_192)
def explicit_refs(text: str) -> frozenset[int]:
    """Recommendation numbers a text names, ranges ("1-3") expanded.

    Cached: the linker, the recommendation choice and the status tuning all ask about the same
    segment."""
    if "rec" not in text.lower():
        return frozenset()  # a substring test is far cheaper than the regex, and almost always enough
    found: set[int] = set()
    for m in _REF.finditer(text):
        numbers = [_value(x) for x in re.findall(_NUMBER, m.group(1), re.I)]
        if _RANGE.search(m.group(1)) and len(numbers) == 2 and numbers[0] < numbers[1] <= 20:
            numbers = list(range(numbers[0], numbers[1] + 1))
        found.update(n for n in numbers if n > 0)
    return frozenset(found)


def _value(number: str) -> int:
    return int(number) if number.isdigit() else _VALUE[number.lower()]
