"""Find the recommendation text between a page's title and its timeline, and number its recommendations.

The rules of the annotation guide: items (bullets, semicolon clauses, numbered or lettered items,
also run into the lead-in with no line break) hanging from a lead-in are one recommendation each;
separate paragraphs that each make a recommendation are one each; bullets that only detail a
complete recommendation stay in it. Headings ("Cause of concern", "Recommendation 5") and the
finding a "Cause of concern:" paragraph opens with are context, not recommendations.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from .boundaries import BULLET_MARK, BULLETS, ITEM, SECOND_LEVEL, URL_LINE, run_in_lists

HEADING = re.compile(
    r"^(?:causes? of concern|areas? for improvement|recommendations?(?:\s+\d+)?|"
    r"national recommendations?|force recommendations?)\s*:?\s*$",
    re.I,
)
_INLINE_LABEL = re.compile(r"^(?:recommendations?(?:\s+\d+)?|areas? for improvement)\s*(?::|\s[-–])\s*", re.I)
_CONCERN_LABEL = re.compile(r"^causes? of concern\s*[:\-–]\s*\S", re.I)
_DIRECTIVE = re.compile(r"\b(?:should|must|recommends?|we expect)\b", re.I)
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}[.)]|\(\d{1,2}\))\s*(?=\S)")
_BULLET = re.compile(
    rf"[{BULLETS}]|(?:(?<=\n)|^)[ \t]*[-*–o][ \t]+|(?<=[:;])[ \t]*[-–](?=[A-Za-z])"
    r"|(?<=\band)[-–](?=[a-z])|(?:(?<=\n)|^|(?<=[:;])|(?<=\band))[ \t]*\([a-z]\)[ \t]+"
)
_ANAPHOR = re.compile(r"^(?:this|these|it|they|the (?:plan|work|review|framework|strategy))\b", re.I)
_SENTENCE_END = re.compile(r"[.!?](?:\s+|$)(?=[A-Z\"“(]|$)")
_LEADING_AND = re.compile(r"^(?:and|or)\b\s*|^and(?=(?:make|ensure|take|put|develop|review|improve|design|establish"
                          r"|identify|assign|begin|engage|provide|consider|introduce|use|set)\b)", re.I)
# A list marker at the start of a line or after a colon or semicolon (matched there, so that the
# pattern does not try a look-behind at every character).
_ITEM_MARK = re.compile(rf"(?m)(^|[:;])[ \t]*(?:[-*–]|{ITEM})[ \t]+")
# A paragraph that opens with a list mark is an item, however short: never a heading.
_LIST_START = re.compile(rf"^(?:[{BULLETS}]|[-*–o][ \t]|{ITEM}[ \t])")


@dataclass
class _State:
    recs: list[list[str]] = field(default_factory=list)  # each recommendation's paragraphs, joined at the end
    mode: str = "open"  # open | numbered | detail
    lead_in: bool = False  # the previous paragraph was a bare lead-in ("… should:")
    finding: bool = False  # the previous paragraph was a "Cause of concern" heading: this one states it


def clean_rec(text: str) -> str:
    """A recommendation's text as compared: no bullet marks, no trailing ``;``/``and``/``.``, single spaces."""
    text = _ITEM_MARK.sub(r"\1 ", BULLET_MARK.sub(" ", text))
    text = " ".join(text.split())
    text = _LEADING_AND.sub("", text).strip()
    return _strip_trailing(text)


def _strip_trailing(text: str) -> str:
    """``text`` without its trailing run of white space, ``;``, ``,``, ``.`` and the words "and" and "or".

    A loop from the end: the same as one ``(?:[\\s;,.]|\\band\\b|\\bor\\b)+$`` pattern, which
    would try its run at every space of the text."""
    while True:
        text = text.rstrip().rstrip(";,.")
        for word in ("and", "or"):
            cut = len(text) - len(word)
            if text[cut:].lower() == word and (cut == 0 or not _is_word_char(text[cut - 1])):
                text = text[:cut]
                break
        else:
            if not text or not (text[-1].isspace() or text[-1] in ";,."):
                return text


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def split_recommendations(head: str, expect_comments: bool = False) -> tuple[list[str], list[str]]:
    """Return the recommendations in ``head`` and, when ``expect_comments`` (a page with no dates),
    the paragraphs after the recommendation text, which are undated comments."""
    paragraphs = _paragraphs(head)
    start = _first_rec_paragraph(paragraphs)
    state = _State()
    for i in range(start, len(paragraphs)):
        para = paragraphs[i]
        if expect_comments and state.recs and _is_comment(para, state):
            return _finish(state), paragraphs[i:]
        _take(para, state)
    return _finish(state), []


def _finish(state: _State) -> list[str]:
    return [t for t in (clean_rec(" ".join(parts)) for parts in state.recs) if t]


def _paragraphs(head: str) -> list[str]:
    """Blank-line paragraphs; numbered items on consecutive lines count as paragraphs of their own."""
    out = []
    for block in re.split(r"\n[ \t]*\n", head):
        for p in re.split(r"\n(?=[ \t]*(?:\d{1,2}[.)]|\(\d{1,2}\))[ \t]*[A-Za-z])", block):
            p = p.strip()
            if p and not URL_LINE.match(p):
                out.append(p)
    return out


def _first_rec_paragraph(paragraphs: list[str]) -> int:
    """Skip context: headings, the cause of concern, and anything before a "Recommendation(s)" heading."""
    for i, p in enumerate(paragraphs):  # the first: "Recommendation 3 … Recommendation 4 …" gives both
        if re.match(r"^(?:national |force )?recommendations?(?:\s+\d+)?\s*:?\s*$", p, re.I):
            return i + 1
        if _INLINE_LABEL.match(p) and not _CONCERN_LABEL.match(p):
            return i
    for i, p in enumerate(paragraphs):
        if _is_heading(p) or _CONCERN_LABEL.match(p):
            continue
        if i > 0 and _is_concern_heading(paragraphs[i - 1]) and _is_context(i, paragraphs):
            continue
        if _DIRECTIVE.search(p) or _NUMBERED.match(p) or p.rstrip().endswith(":"):
            return i
    return 0


def _is_context(i: int, paragraphs: list[str]) -> bool:
    """The paragraph after a "Cause of concern" heading is the finding, unless it is the only directive."""
    return not _DIRECTIVE.search(paragraphs[i]) or any(_DIRECTIVE.search(p) for p in paragraphs[i + 1:])


def _is_heading(p: str) -> bool:
    return bool(HEADING.match(p)) or ("\n" not in p and len(p) < 80 and not re.search(r"[.:;]$", p)
                                        and not _DIRECTIVE.search(p))


def _is_concern_heading(p: str) -> bool:
    return bool(re.match(r"^(?:causes? of concern|areas? for improvement)\s*:?\s*$", p, re.I))


def _is_comment(para: str, state: _State) -> bool:
    """On a page with no dates: does this paragraph start the comments?"""
    if state.lead_in or _NUMBERED.match(para) or para.lstrip()[:1] in BULLETS + "-*":
        return False
    if state.mode == "detail" and _ANAPHOR.match(para):
        return False
    directive = _DIRECTIVE.search(para)
    if directive is None:
        return True
    if state.mode == "detail":
        return False  # context that qualifies a detailed recommendation ("…each plan should cover")
    report = re.search(r"\b(?:has|have|had|was|were|is now|are now)\b", para)
    return bool(report and report.start() < directive.start())


def _take(para: str, state: _State) -> None:
    heading = HEADING.match(para)
    if heading or _INLINE_LABEL.match(para):  # "Recommendation 4": the next one starts
        state.mode, state.lead_in, state.finding = "open", False, bool(heading) and _is_concern_heading(para)
        if heading:
            return
    if state.finding:  # the finding a cause of concern states is context, unless it is the directive
        state.finding = False
        if not _DIRECTIVE.search(para):
            return
    para = _INLINE_LABEL.sub("", _without_concern(para))
    listed = _run_in_list(para)
    if listed and not listed[0].strip():  # "1. The force should … 2. The force should …"
        state.mode, state.lead_in = "numbered", False
        state.recs.extend([item] for item in listed[1])
        return
    if _NUMBERED.match(para):  # before headings: "1. Map all groups" is an item, not a title
        state.mode, state.lead_in = "numbered", False
        state.recs.append([_NUMBERED.sub("", para, count=1)])
        return
    if _is_heading(para) and not state.recs and not state.lead_in and not _LIST_START.match(para):
        return
    if state.mode in ("numbered", "detail") and state.recs:
        state.recs[-1].append(para)
        return
    _take_open(para, state, listed)


def _without_concern(para: str) -> str:
    """A paragraph that opens with "Cause of concern:" states the finding first; the
    recommendation starts at the sentence with the first directive ("To address this, … should:")."""
    if not _CONCERN_LABEL.match(para):
        return para
    directive = _DIRECTIVE.search(para)
    if directive is None:
        return para
    starts = [m.end() for m in _SENTENCE_END.finditer(para, 0, directive.start())]
    return para[starts[-1]:] if starts else para


def _take_open(para: str, state: _State, listed: tuple[str, list[str]] | None) -> None:
    stem, items = _items(para, listed)
    if state.lead_in and stem.strip() == "" and items:
        state.recs.extend([item] for item in items)
    elif state.lead_in and not items and _looks_itemised(para):
        state.recs.extend([item] for item in _semicolon_items(para))
    elif items and _is_lead_in(stem) and not (state.recs and _ANAPHOR.match(stem)):
        state.recs.extend([item] for item in items)
    elif items or (state.recs and _ANAPHOR.match(para)):
        _append_detail(para, state)
    elif para.rstrip().endswith(":"):
        if state.recs and _ANAPHOR.match(para):
            _append_detail(para, state)
        elif _has_complete_sentence(para):
            state.recs.append([para])
            state.mode = "detail"
        else:
            state.lead_in = True
        return
    else:
        state.recs.append([para])
    state.lead_in = False


def _append_detail(para: str, state: _State) -> None:
    if state.recs:
        state.recs[-1].append(para)
    else:
        state.recs.append([para])
    state.mode = "detail"


def _items(para: str, listed: tuple[str, list[str]] | None) -> tuple[str, list[str]]:
    """Split a paragraph into its stem and items: its counted run (``listed``, from ``_run_in_list``),
    else its bullet items, else semicolon items after a colon."""
    # A counted run ("(a) … (b) …") is the list unless bullets come before it: "(a)" after a
    # colon is a bullet mark too, but only the run tells "(b)" after a word from "(i)" inside an item.
    if listed and not _BULLET.search(listed[0]):
        return listed
    marks = list(_BULLET.finditer(para))
    if marks:
        return para[: marks[0].start()], _bullet_items(para, marks)
    colon = para.find(":")
    if colon > 0 and para.count(";") >= 1:
        stem, rest = para[: colon + 1], para[colon + 1 :]
        return stem, _semicolon_items(rest)
    return para, []


def _bullet_items(para: str, marks: list[re.Match[str]]) -> list[str]:
    """The text after each bullet. A bullet of a second-level glyph ("◦", Word's "o") under first-level
    ones, or indented deeper than the shallowest of its glyph level, is inside the item before it
    ("• map all groups, including:\n  ◦ urban …")."""
    breaks = [m.start() for m in re.finditer("\n", para)]
    levels = [_bullet_level(para, m, breaks) for m in marks]
    top = min(glyph for _, glyph in levels)
    shallowest = min((indent for indent, glyph in levels if glyph == top and indent is not None), default=0)
    items: list[list[str]] = []
    for m, nxt, (indent, glyph) in zip(marks, [*marks[1:], None], levels):
        text = para[m.end() : nxt.start() if nxt else len(para)].strip()
        if items and (glyph > top or indent is not None and indent > shallowest):
            items[-1].append(text)
        else:
            items.append([text])
    return [item for item in (" ".join(parts) for parts in items) if clean_rec(item)]


def _bullet_level(para: str, mark: re.Match[str], breaks: list[int]) -> tuple[int | None, int]:
    """(indentation, 1 for a second-level glyph). The indentation is None when unknown: a bullet
    run into the text, or on the paragraph's first line (whose leading spaces were stripped).
    ``breaks`` are the paragraph's line breaks: looked up, not searched for again at every bullet."""
    glyph = mark.start() + len(mark.group()) - len(mark.group().lstrip())
    k = bisect_left(breaks, glyph)
    line_start = breaks[k - 1] + 1 if k else None
    at_line_start = line_start is not None and glyph - line_start <= 40 and not para[line_start:glyph].strip()
    indent = len(para[line_start:glyph].expandtabs(4)) if at_line_start else None
    return indent, int(para[glyph] in SECOND_LEVEL)


def _run_in_list(para: str) -> tuple[str, list[str]] | None:
    """Numbered or lettered items run into a lead-in ("The force should: 1. Map … 2. Assign …"),
    as the lead-in and the items. Markers of another style are inside an item ("1. Map all
    groups: (a) urban (b) rural 2. …" has two items)."""
    lists = run_in_lists(para)
    marks = lists[0] if lists else []
    stem = para[:marks[0][0]] if marks else ""
    if len(marks) < 2 or not (stem.strip() == "" or stem.rstrip().endswith(":")):
        return None
    ends = [start for start, _ in marks[1:]] + [len(para)]
    return stem, [p for p in (para[end + 1:stop].strip() for (_, end), stop in zip(marks, ends)) if clean_rec(p)]


def _semicolon_items(text: str) -> list[str]:
    return [p for p in (x.strip() for x in re.split(r";", text)) if clean_rec(p)]


def _looks_itemised(para: str) -> bool:
    return para.count(";") >= 1 and not _has_complete_sentence(para.rstrip(". "))


def _is_lead_in(stem: str) -> bool:
    """A stem that is one sentence ending in a colon ("The force should immediately take steps to:")."""
    stem = stem.strip()
    return (stem == "" or stem.endswith(":")) and not _has_complete_sentence(stem)


def _has_complete_sentence(text: str) -> bool:
    """Whether a sentence ends before the final clause (abbreviations aside)."""
    body = text.rstrip().rstrip(":")
    return any(not _abbreviation_before(body, m.start()) for m in _SENTENCE_END.finditer(body))


def _abbreviation_before(text: str, dot: int) -> bool:
    word = re.search(r"(\S+)$", text[:dot + 1])
    return bool(word and re.match(r"^(?:[A-Z][a-z]{0,3}|[a-z]\.[a-z]|No|inc|etc|St)\.$", word.group(1)))
