"""The police forces of England and Wales and the names pages use for them."""

from __future__ import annotations

import re

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
_ALIASES = {"Metropolitan Police Service": ("Metropolitan Police", "the Met")}


def _stem(force: str) -> str:
    return re.sub(r"\s+(Police( Service)?|Constabulary)$", "", force)


# Each force by the names a page may use, longest first so "West Midlands" wins over "West".
# A plain substring test finds candidates; a word-boundary check confirms them. One huge
# alternation regex would be simpler but costs 50 ms to compile on every start.
_NAMES: tuple[tuple[str, str], ...] = tuple(sorted(
    ((name, force) for force in FORCES for name in {force, _stem(force), *_ALIASES.get(force, ())}),
    key=lambda pair: -len(pair[0]),
))


def find_force(*texts: str | None) -> str | None:
    """The first force named in the first text that names one, e.g. "Merseyside –" → Merseyside Police."""
    for text in texts:
        if not text:
            continue
        text = text[:20000]
        hits = [(text.find(name), -len(name), force) for name, force in _NAMES
                if name in text and re.search(rf"\b{re.escape(name)}\b", text)]
        if hits:
            return min(hits)[2]
    return None
