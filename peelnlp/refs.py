"""Explicit references to a page's recommendations: "(recommendation 3)", "recs 1 and 2", "R2",
"the second recommendation"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import Segment

_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
_SEP = r"\s*(?:,|and|&|or|-|–|to)?\s*"
_DIGIT = r"\d{1,2}(?!\d)"
_WORD = r"(?:" + "|".join(_WORDS) + r")\b"
# "Rec 3" and "Recs. 1-2" are how liaison leads often write it; "records 3" is not a reference, and
# a year ("the recommendations 2018 report") is not two of them. A list is all figures or all
# words: "Rec 4 – Two further investigators" names recommendation 4 only.
_REF = re.compile(
    r"\b(?:recommendations?|recs?\b\.?)\s*(?:no\.?\s*|number\s*)?"
    rf"((?:{_DIGIT}{_SEP})+|(?:{_WORD}{_SEP})+)", re.I)
# "R2", "R1-R3", "R2 and R3": a capital R and a figure, as in a list of the page's recommendations.
_SHORT = re.compile(rf"\bR\d{{1,2}}\b(?:{_SEP}R\d{{1,2}}\b)*")
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\s+recommendation\b", re.I)
_RANGE = re.compile(rf"(?:{_DIGIT}|{_WORD}|R\d{{1,2}})\s*(?:-|–|to)\s*R?(?:{_DIGIT}|{_WORD})", re.I)
_VALUE = {word: n for n, word in enumerate(_WORDS, start=1)}


@lru_cache(maxsize=8_192)
def explicit_refs(text: str) -> frozenset[int]:
    """Recommendation numbers a text names, ranges ("1-3") expanded.

    Cached: the linker, the recommendation choice and the status tuning all ask about the same
    segment."""
    lowered = text.lower()
    if "rec" not in lowered and "R" not in text:
        return frozenset()  # a substring test is far cheaper than the regexes, and almost always enough
    found: set[int] = set()
    for m in (*_REF.finditer(text), *_SHORT.finditer(text)):
        found.update(_numbers(m.group(m.lastindex or 0)))
    if "recommendation" in lowered:
        found.update(_ORDINALS.index(m.group(1).lower()) + 1 for m in _ORDINAL.finditer(text))
    return frozenset(found)


def _numbers(run: str) -> list[int]:
    numbers = [int(x) if x.isdigit() else _VALUE[x.lower()]
               for x in re.findall(rf"\d{{1,2}}|{_WORD}", run, re.I)]
    if _RANGE.search(run) and len(numbers) == 2 and numbers[0] < numbers[1] <= 20:
        numbers = list(range(numbers[0], numbers[1] + 1))
    return [n for n in numbers if n > 0]


def is_heading(text: str) -> bool:
    """Whether a segment is only a reference: "Recommendation 2:", "R3.", "Recs 1 and 4 –"."""
    if not explicit_refs(text):
        return False
    rest = _SHORT.sub(" ", _REF.sub(" ", text))
    return not any(c.isalnum() for c in _ORDINAL.sub(" ", rest))


def headings(segments: Sequence[Segment]) -> list[str | None]:
    """For each segment, the heading it comes under in its comment ("Recommendation 2:" then the
    work on it, until the next such heading); None for a heading itself, or before the comment's
    first heading."""
    out: list[str | None] = []
    current: str | None = None
    for i, seg in enumerate(segments):
        if i and seg.entry != segments[i - 1].entry:
            current = None
        if is_heading(seg.text):
            current = seg.text
            out.append(None)
        else:
            out.append(current)
    return out


def heading_refs(segments: Sequence[Segment]) -> list[frozenset[int]]:
    """For each segment, the recommendations its heading (:func:`headings`) names."""
    return [explicit_refs(h) if h else frozenset() for h in headings(segments)]
