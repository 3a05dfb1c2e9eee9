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
DATE_PATTERN = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}"
    r"|\d{4}-\d{2}-\d{2})"
)
_DMY = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?,?\s+(\d{{4}})", re.I)
_MDY = re.compile(rf"({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})", re.I)
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def to_iso(text: str) -> str | None:
    """The ISO form of the first date in ``text``, or None if there is none or it is impossible.

    Numeric dates are day first (British usage: 01/10/2017 is 1 October 2017).
    """
    text = text.strip()
    for pattern, order in ((_DMY, "dmy"), (_MDY, "mdy"), (_ISO, "ymd"), (_NUMERIC, "dmy")):
        m = pattern.search(text)
        if m:
            return _build(m.groups(), order)
    return None


def _build(parts: tuple[str, ...], order: str) -> str | None:
    fields = dict(zip(order, parts))
    month = fields["m"]
    month_no = int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]
    try:
        return dt.date(int(fields["y"]), month_no, int(fields["d"])).isoformat()
    except ValueError:
        return None
