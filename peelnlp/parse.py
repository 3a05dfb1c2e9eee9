"""Page text → page record: title, recommendations and timeline (no segments yet).

The page layout follows the annotation guide: a title line, optional context (a cause of
concern, headings, a stray URL), the recommendation text, then a timeline in the ``[on]`` markup,
in the plain dated form, or with no dates at all. Everything here runs in linear time.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .boundaries import URL_LINE
from .dates import DATE_PATTERN, to_iso
from .errors import PageError
from .forces import find_force
from .records import Entry, Page, Recommendation
from .recsplit import split_recommendations

MAX_PAGE_CHARS = 2_000_000

_TITLE_ID = re.compile(r"\((\d+|[A-Za-z][\w-]*-\d+)\)\s*$")
_FURNITURE = re.compile(r"^\s*(?:back to top|return to top|share this page|print this page|top of page)\s*$", re.I)
_NOT_FOUND = re.compile(r"^\s*404 Page not found\s*", re.I)
_DATE_LINE = re.compile(
    rf"^[ \t]*(?P<date>{DATE_PATTERN})[ \t]*(?P<sep>[:\-–]?)[ \t]*(?P<rest>[^\n]*)$", re.I | re.M
)
# A status the guide does not list still reads as one when it is written as the site writes them
# ("partially-complete"), as one word, or as a few lower-case words straight after the date ("12 June
# 2019 no further action"); after a dash, "2 May 2019 – new policy published" in a comment's log is text.
_STATUS_SLUG = re.compile(r"^[a-z]+(?:-[a-z]+)+$")
_STATUS_WORD = re.compile(r"^[a-z]+$")
_STATUS_WORDS = re.compile(r"^[a-z]+(?: [a-z]+){1,4}$")
_KNOWN_STATUS = re.compile(
    r"^(awaiting[ -]review|being[ -]progressed|complete[d]?|superseded|no[ -]longer[ -]applicable"
    r"|no[ -]further[ -]action[ -]needed|will[ -]be[ -]progressed|closed|open|in[ -]progress|withdrawn"
    r"|partially[ -]complete[d]?|not[ -]started)$",
    re.I,
)
_TAG = re.compile(r"\[(/?)(on|status|comment)\]", re.I)
_A_DATE = re.compile(DATE_PATTERN, re.I)
# Spaces that HTML and word processors leave in copied text ("&nbsp;" lines between paragraphs,
# bullets indented with no-break spaces): to a reader they are plain spaces.
_ODD_SPACE = re.compile("[\u00a0\u2007\u202f]")


def parse_page(text: str, source: str | None = None) -> Page:
    """Parse one page. ``source`` (a file stem) is the id when the title has no number in brackets."""
    if len(text) > MAX_PAGE_CHARS:
        raise PageError(
            f"page has {len(text):,} characters; expected a recommendation page under "
            f"{MAX_PAGE_CHARS:,} (is this the right file? split concatenated pages first)"
        )
    text = _NOT_FOUND.sub("", normalise_text(text))
    warnings: list[str] = []
    title, body = _split_title(text)
    head, timeline = _split_timeline(body, warnings)
    recs, leftover = split_recommendations(head, expect_comments=not timeline)
    if leftover:
        timeline = [Entry(date=None, comment=p) for p in leftover]
    if not recs:
        warnings.append("no recommendation text found")
    if not timeline:
        warnings.append("no timeline entries found")
    page_id = _page_id(title, source)
    force = find_force(title, head, *(e.comment for e in timeline[:6]))
    return Page(
        id=page_id, title=title, force=force,
        recommendations=tuple(Recommendation(n=i, text=t) for i, t in enumerate(recs, start=1)),
        timeline=tuple(timeline), warnings=tuple(warnings),
    )


def normalise_text(text: str) -> str:
    """Unix line ends, no byte-order mark, and no-break spaces as plain spaces."""
    # Patterns and str.replace, not str.translate: translate visits every character in Python.
    return _ODD_SPACE.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", ""))


def _page_id(title: str | None, source: str | None) -> str:
    if title:
        m = _TITLE_ID.search(title)
        if m:
            return m.group(1)
    return source or "page"


def _split_title(text: str) -> tuple[str | None, str]:
    """The title is a first line that names the page: it ends with the id in brackets."""
    lines = text.lstrip("\n").split("\n", 1)
    first = lines[0].strip()
    rest = lines[1] if len(lines) > 1 else ""
    if URL_LINE.match(first):
        return _split_title(rest)
    if first and _TITLE_ID.search(first) and "[on]" not in first.lower():
        return first, rest
    return None, text


def _split_timeline(body: str, warnings: list[str]) -> tuple[str, list[Entry]]:
    start = body.lower().find("[on]")
    if start >= 0:
        # Plain status lines ("3rd June 2015 awaiting-review") may come before the markup.
        m = _first_date_line(body[:start])
        plain = _plain_entries(body[m.start():start], warnings) if m else []
        return body[: m.start() if m else start], [*plain, *_markup_entries(body[start:], warnings)]
    m = _first_date_line(body)
    if m is None:
        return body, []
    return body[: m.start()], _plain_entries(body[m.start():], warnings)


def _first_date_line(body: str) -> re.Match[str] | None:
    for m in _DATE_LINE.finditer(body):
        if _is_timeline_line(m):
            return m
    return None


def _is_timeline_line(m: re.Match[str]) -> bool:
    rest = m.group("rest").strip()
    return not rest or _status_word(rest, after_separator=bool(m.group("sep"))) is not None


def _status_word(text: str, after_separator: bool = False) -> str | None:
    """The status a date line or a markup entry names, spelt as the site spells it ("Being
    Progressed." → "being-progressed"), or None if the text is not a status."""
    word = text.strip("[]. \t")
    if _KNOWN_STATUS.match(word):
        return "-".join(word.lower().split())
    if _STATUS_SLUG.match(word) or _STATUS_WORD.match(word):
        return word
    if _STATUS_WORDS.match(word) and not after_separator:
        return "-".join(word.split())
    return None


def _markup_entries(text: str, warnings: list[str]) -> list[Entry]:
    """Scan ``[on]date [status|comment]body[/…][/on]`` entries, tolerating missing or stray tags."""
    entries: list[Entry] = []
    starts = [m.start() for m in re.finditer(r"\[on\]", text, re.I)] + [len(text)]
    for begin, end in zip(starts, starts[1:]):
        entries += _markup_entry(text[begin + 4 : end], warnings)
    return entries


def _markup_entry(chunk: str, warnings: list[str]) -> list[Entry]:
    """One ``[on]`` entry: its tagged parts (usually one) and any text left outside the tags."""
    tags = _Tags(chunk)
    if not tags.opens:
        return _untagged_entry(chunk, warnings)
    date = _date(chunk[: tags.opens[0].start()], warnings)
    entries, outside, nxt = [], [], 0
    for m in tags.opens:
        if m.start() < nxt:
            continue  # a stray opening tag inside the part before it
        outside.append(chunk[nxt : m.start()])
        kind = m.group(2).lower()
        close = tags.next_close(kind, m.end())
        # Unclosed, a part runs to the next part of the other kind: "[comment]A [comment] B" is one.
        nxt = close + len(kind) + 3 if close is not None else tags.next_open(_OTHER[kind], m.end())
        body = _strip_tags(chunk[m.end() : close if close is not None else nxt])
        if body and kind == "status":
            entries.append(Entry(date=date, status=_status_word(body) or "-".join(body.lower().split())))
        elif body:
            entries.append(Entry(date=date, comment=body))
    text_outside = _without_page_furniture(_strip_tags(" ".join([*outside[1:], chunk[nxt:]])))
    if text_outside:  # "[/comment][/on]" then text: words of the entry, kept rather than lost
        warnings.append(f"text outside the timeline's tags kept as a comment: {text_outside[:40]!r}")
        entries.append(Entry(date=date, comment=text_outside))
    return entries


def _without_page_furniture(text: str) -> str:
    """Text outside the tags without the web page's own lines: addresses, "Back to top"."""
    kept = (line for line in text.splitlines() if not URL_LINE.match(line) and not _FURNITURE.match(line))
    return "\n".join(kept).strip()


_OTHER = {"status": "comment", "comment": "status"}


class _Tags:
    """The [status]/[comment] tags of one entry, found in one pass and looked up by bisection, so
    a chunk of thousands of unclosed tags is not searched again for every one."""

    def __init__(self, chunk: str) -> None:
        self.end = len(chunk)
        self.opens: list[re.Match[str]] = []
        self.starts: dict[tuple[str, str], list[int]] = {(c, k): [] for c in ("", "/") for k in _OTHER}
        for m in _TAG.finditer(chunk):
            closing, kind = m.group(1), m.group(2).lower()
            if kind in _OTHER:
                self.starts[(closing, kind)].append(m.start())
                if not closing:
                    self.opens.append(m)

    def next_close(self, kind: str, pos: int) -> int | None:
        found = self._next(("/", kind), pos)
        return None if found == self.end else found

    def next_open(self, kind: str, pos: int) -> int:
        return self._next(("", kind), pos)

    def _next(self, key: tuple[str, str], pos: int) -> int:
        starts = self.starts[key]
        k = bisect_left(starts, pos)
        return starts[k] if k < len(starts) else self.end


def _untagged_entry(chunk: str, warnings: list[str]) -> list[Entry]:
    """``[on]date`` followed by text with no [status]/[comment] tag: a status word or a comment."""
    m = re.match(rf"\s*(?P<date>{DATE_PATTERN})?", chunk, re.I)
    date = _date(m.group("date"), warnings) if m and m.group("date") else None
    body = _strip_tags(chunk[m.end() if m else 0 :])
    if not body:
        if chunk.strip(" \n[]/on"):
            warnings.append(f"timeline entry with a date but no text: {chunk.strip()[:40]!r}")
        return []
    status = _status_word(body)
    return [Entry(date=date, status=status) if status else Entry(date=date, comment=body)]


def _date(text: str, warnings: list[str]) -> str | None:
    """The ISO date in ``text``; a date that cannot be (31/02/2019, or month first: 13/25/2019) is a warning."""
    iso = to_iso(text)
    if iso is None and (found := _A_DATE.search(text)):
        warnings.append(f"{found.group().strip()!r} is not a date (numeric dates are day first); the entry is undated")
    return iso


def _strip_tags(body: str) -> str:
    return (_TAG.sub(" ", body) if _TAG.search(body) else body).strip()


def _plain_entries(text: str, warnings: list[str]) -> list[Entry]:
    """A date line with a status word is a status change; a date line then paragraphs is a comment."""
    entries: list[Entry] = []
    marks = [m for m in _DATE_LINE.finditer(text) if _is_timeline_line(m)]
    for m, nxt in zip(marks, [*marks[1:], None]):
        date, rest = _date(m.group("date"), warnings), m.group("rest").strip()
        body = text[m.end() : nxt.start() if nxt else len(text)].strip()
        first, _, after = body.partition("\n")
        if not rest and _KNOWN_STATUS.match(first.strip("[]. \t")):  # "Friday 3rd March 2017⏎Being Progressed."
            rest, body = first, after.strip()
        if rest:
            entries.append(Entry(date=date, status=_status_word(rest, after_separator=bool(m.group("sep")))))
        if body:
            entries.append(Entry(date=date, comment=body))
    return entries
