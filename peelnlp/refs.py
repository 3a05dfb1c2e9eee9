"""Explicit references to a page's recommendations: "(recommendation 3)", "recommendations 1 and 2"."""

from __future__ import annotations

import re
from functools import lru_cache

_REF = re.compile(r"\brecommendations?\s*(?:no\.?\s*)?((?:\d{1,2}\s*(?:,|and|&|or|-|–|to)?\s*)+)", re.I)
_RANGE = re.compile(r"\d\s*(?:-|–|to)\s*\d")


@lru_cache(maxsize=8_192)
def explicit_refs(text: str) -> frozenset[int]:
    """Recommendation numbers a text names, ranges ("1-3") expanded.

    Cached: the linker, the recommendation choice and the status tuning all ask about the same
    segment."""
    if "ecommendation" not in text.lower():
        return frozenset()  # a substring test is far cheaper than the regex, and almost always enough
    found: set[int] = set()
    for m in _REF.finditer(text):
        numbers = [int(x) for x in re.findall(r"\d{1,2}", m.group(1))]
        if _RANGE.search(m.group(1)) and len(numbers) == 2 and numbers[0] < numbers[1] <= 20:
            numbers = list(range(numbers[0], numbers[1] + 1))
        found.update(n for n in numbers if n > 0)
    return frozenset(found)
