"""Dates as written on recommendation pages ("9th April 2018", "1 June 2018", "01/10/2017") to ISO."""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    name: i
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
# "3rd March 2017", "Friday 3rd March 2017", "1st of June 2018", "1-Jun-2018", "March 3, 2017",
# "01/06/2018" and "01/06/18" (day first), "2018-06-01".
DATE_PATTERN = (
    rf"(?:{_WEEKDAY}\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?(?:\s+|-)(?:{_MONTH})\.?,?(?:\s+|-)\d{{4}}"
    rf"|{_WEEKDAY}(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}/\d{1,2}/\d{2}\b"
    r"|\d{4}-\d{2}-\d{2})"
)
_DMY = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?(?:\s+|-)({_MONTH})\.?,?(?:\s+|-)(\d{{4}})", re.I)
_MDY = re.compile(rf"({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})", re.I)
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{1,2})/(\d{1,2})/(\d{2})\b")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def to_iso(text: str) -> str | None:
    """The ISO form of the first date in ``text``, or None if there is none or it is impossible.

    Numeric dates are day first (British usage: 01/10/2017 is 1 October 2017).
    """
    text = text.strip()
    for pattern, order in ((_DMY, "dmy"), (_MDY, "mdy"), (_ISO, "ymd"), (_NUMERIC, "dmy")):
        m = pattern.search(text)
        if m:
            return _build(tuple(g for g in m.groups() if g is not None), order)
    return None


def _build(parts: tuple[str, ...], order: str) -> str | None:
    fields = dict(zip(order, parts))
    month = fields["m"]
    month_no = int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]
    year = int(fields["y"]) + (2000 if len(fields["y"]) == 2 else 0)  # the pages start in 2013
    try:
        return dt.date(year, month_no, int(fields["d"])).isoformat()
    except ValueError:
        return None
