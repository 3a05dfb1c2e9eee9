"""The police forces of England and Wales and the names pages use for them."""

from __future__ import annotations

import re
from functools import lru_cache

FORCES: tuple[str, ...] = (
    "Avon and Somerset Constabulary", "Bedfordshire Police", "Cambridgeshire Constabulary",
    "Cheshire Constabulary", "City of London Police", "Cleveland Police", "Cumbria Constabulary",
    "Derbyshire Constabulary", "Devon and Cornwall Police", "Dorset Police", "Durham Constabulary",
    "Dyfed-Powys Police", "Essex Police", "Gloucestershire Constabulary", "Greater Manchester Police",
    "Gwent Police", "Hampshire Constabulary", "Hertfordshire Constabulary", "Humberside Police",
    "Kent Police", "Lancashire Constabulary", "Leicestershire Police", "Lincolnshire Police",
    "Merseyside Police", "Metropolitan Police Service", "Norfolk Constabulary",
    "North Wales Police", "North Yorkshire Police", "Northamptonshire Police", "Northumbria Police",
    "Nottinghamshire Police", "South Wales Police", "South Yorkshire Police", "Staffordshire Police",
    "Suffolk Constabulary", "Surrey Police", "Sussex Police", "Thames Valley Police",
    "Warwickshire Police", "West Mercia Police", "West Midlands Police", "West Yorkshire Police",
    "Wiltshire Police", "British Transport Police", "Civil Nuclear Constabulary",
    "Ministry of Defence Police", "Police Scotland", "Police Service of Northern Ireland",
)
_SUFFIX = r"(?:\s+(?:Police(?:\s+Service)?|Constabulary|Police\s+Force))?"
_ALIASES = {"Metropolitan Police Service": ("Metropolitan Police", "the Met\\b")}


def _stem(force: str) -> str:
    return re.sub(r"\s+(Police( Service)?|Constabulary)$", "", force)


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    alternatives = []
    for force in sorted(FORCES, key=len, reverse=True):
        names = [re.escape(force), re.escape(_stem(force)) + _SUFFIX, *_ALIASES.get(force, ())]
        alternatives.append("|".join(names))
    return re.compile("|".join(rf"\b(?P<f{i}>{a})\b" for i, a in enumerate(alternatives)))


def find_force(*texts: str | None) -> str | None:
    """The first force named in the first text that names one, e.g. "Merseyside –" → Merseyside Police."""
    ordered = sorted(FORCES, key=len, reverse=True)
    for text in texts:
        if not text:
            continue
        m = _pattern().search(text[:20000])
        if m and m.lastgroup:
            return ordered[int(m.lastgroup[1:])]
    return None
