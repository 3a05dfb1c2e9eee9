"""Words that end with a full stop without ending the sentence: "Supt.", "e.g.", "No. 1", "2 Nov. 2018"."""

from __future__ import annotations

import re
from functools import lru_cache

ABBREVIATIONS = frozenset(
    "supt det ch insp sgt con pc dc ds di dci dcs acc dcc mr mrs ms dr st no nos inc incl approx "
    "etc vs cf dept govt co ltd op ops fig para "
    "e.g i.e e.g. i.e. p pp vol est min max s ss c ref pt art sec sch".split()
)
# Months written short: "2 Nov. 2018" goes on, "met on 2 Nov. DCI Carver showed …" does not.
_MONTHS = frozenset("jan feb mar apr jun jul aug sep sept oct nov dec".split())
_WORD_BEFORE = re.compile(r"(?:^|[\s(/])([A-Za-z][A-Za-z.]*)$")  # "/": ranks written "D/Supt."
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]")  # "e.g", "u.k"


def after_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` closes an abbreviation rather than a sentence."""
    m = _WORD_BEFORE.search(text, max(0, dot - 20), dot)
    if not m:
        return False
    if m.group(1).lower() in _MONTHS:
        return text[dot + 1 : dot + 3].strip()[:1].isdigit()
    return is_abbreviation(m.group(1))


@lru_cache(maxsize=4096)
def is_abbreviation(word: str) -> bool:
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Smith"
    if word.isupper() and "." not in word:
        return False  # "… owned by the ACC. Progress …": ranks in capitals take no stop of their own
    lower = word.lower()
    last = lower.rstrip(".").rsplit(".", 1)[-1]
    return lower in ABBREVIATIONS or last in ABBREVIATIONS or bool(_DOTTED.fullmatch(lower))
