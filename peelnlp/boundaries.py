"""Where a progress comment is cut into action segments: pure character rules, linear in the text.

The rules are the annotation guide's: sentences (also run into the next with no stop or space,
or spliced to it with a comma); bullets and numbered or lettered items (also run into the text
with no line break: "…action: 1. An audit … 2. A review …", "(a) … (b) …"); semicolon
clauses of a list that follows a colon or sits among bullets; paragraph breaks.
Never after an abbreviation common in these texts, never inside brackets.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .abbreviations import after_abbreviation

# "\uf0b7" and "\uf0a7" are the bullets of Word's Symbol and Wingdings fonts, pasted as text.
BULLETS = "•◦▪●○■·‣⁃\uf0b7\uf0a7"
SECOND_LEVEL = "◦○o▪\uf0a7"  # the glyphs HTML and Word give a list's second level (Word's "o" is a letter)
BULLET_MARK = re.compile(f"[{BULLETS}]")
URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S*\s*$")  # a stray address copied with a page
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
# A bullet mark, a list marker opening a line, or a dash after a colon or semicolon. The line break,
# colon or semicolon before a marker is matched, not looked behind at: a pattern that opens with a
# look-behind tries it at every character. The cut is after that character (``_bullet_start``).
_BULLET = re.compile(
    rf"[{BULLETS}]|\n[ \t]*(?:[-*–o]|\(?[a-z0-9]{{1,2}}\)|\d{{1,2}}\.)[ \t]+"
    r"|[:;][ \t]*[-–](?=[A-Za-z])|[-–](?<=; and[-–])(?=[ \t]*[A-Za-z])"  # "…; and- a plan"
)
# A stop before a capital, a digit or a bullet; run on, a stop before "The" or, after a word, "A"; an
# ellipsis before a capital only ("rose from 10 … 12 per cent" goes on).
_SENTENCE = re.compile(r"[.!?][\"”’')\]]*(?=\s+[\"“‘'(]?[A-Z0-9" + BULLETS + r"]|[A-Z][a-z])"
                       r"|(?<=[a-z])\.(?=[AI][ \t])|…[\"”’')\]]*(?=\s+[\"“‘'(]?[A-Z])")
_COLON = re.compile(r":(?=\s*(?:[" + BULLETS + r"]|[A-Z\"“]|\n|-(?=[A-Za-z])))")
_SEMICOLON = re.compile(r";")
# A list item marker: "1." or "1)" or "(1)", "a)" or "(a)", "(iii)".
_NUMBER, _LETTER = r"\d{1,2}", r"[a-z]|[ivx]{1,4}"  # numbers take a stop or a bracket, letters a bracket
ITEM = rf"(?:{_NUMBER}[.)]|\({_NUMBER}\)|\(?(?:{_LETTER})\))"  # also read by recsplit and reclist
# The optional "and" is a group of its own: "[ \t]*(?:and)?\s*" would try every split of a run of spaces.
_AND_BULLET = re.compile(r"(?:[ \t]*(?:and|or))?(?:\s*(?=[" + BULLETS + r"]|" + ITEM + r"[ \t])"
                         r"|[ \t]*(?=\n[ \t]*[-*–o][ \t])|(?=[-–][ \t]*[A-Za-z]))")
_LINE_END_SEMICOLON = re.compile(r";[ \t]*(?:(?:and|or)[ \t]*)?\n")
_AND_NEXT = re.compile(r"[ \t]*(?:and|or)(?=\s+\S)")
_FIRST_LETTER = re.compile(r"[^\W\d_]")
_LEADING_MARK = re.compile(rf"^(?:[\s{BULLETS}*–-]|o[ \t]|{ITEM}\s)+")  # "o": Word's second-level bullet
# A marker run into the text before its item's first word ("…action: 1. An audit 2. A review",
# "(a) an audit (b) a review"); ``run_in_lists`` decides which make a list. Its look-behind is
# tried only on the few comments ``_FIRST_ITEM`` lets through.
_RUN_IN_ITEM = re.compile(rf"(?<![\w.,/£$-])(\(?)({_NUMBER}|{_LETTER})([.)])[ \t]+(?=[\"“‘'(]?[A-Za-z])")
_FIRST_ITEM = re.compile(r"[1ai][.)][ \t]+[\"“‘'(]?[A-Za-z]")
_AND_BEFORE = re.compile(r"[;,][ \t]*(?:and|or)\Z")  # "…; and 3) …"
_AFTER_REFERENCE = re.compile(r"(?:\d|\b(?:paragraphs?|para|sections?|parts?|annex|appendix|clauses?|schedule|"
                              r"articles?|recommendations?|pages?|rules?))\Z", re.I)  # "part (c)", "3 (c)"
_SENTENCE_OR_PARAGRAPH_END = re.compile(r"[.!?][ \t]|\n[ \t]*\n")
_TWO_WORDS = re.compile(r"[^\W_]\W+[^\W_]")  # no "+" after the classes: that is quadratic in a long word
_LINE_ITEM_STOP = re.compile(r"[ \t]*\d{1,2}(\.)[ \t]")  # a numbered item opening the text
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
_BRACKET_OR_BREAK = re.compile(r"[()\[\]\n]")
_ALNUM = re.compile(r"[^\W_]")  # str.isalnum, as a search
# Paragraphs joined with no stop or space when a page was copied: "…officers in the forceDuring
# our review …". Only words that open sentences and do not end brand names ("LinkedIn") count.
_RUN_ON = re.compile(r"(?:During|The|This|These|There|We|Our|Since|Following|However|Further|Additionally|Overall)\b")
_THREE_LOWER = re.compile(r"[a-z]{3}")
# Two sentences spliced with a comma, as quick notes are written: "…who will be trained as SPOCs, we
# have a launch event on 10 July." Only "we" or "they" with a finite verb opens the second, and the
# first must be a clause of its own: "In order to get these out, they have embarked on …" is one.
# "…, we are told, …" is an aside, not a second sentence.
_SPLICE = re.compile(r",[ \t]+(?=(?:we|they)[ \t]+(?:have|has|had|are|were|will|would|can|could|did|also|now|'ve|'re)\b)"
                     r"(?!\w+[ \t]+\w+(?:[ \t]+\w+)?[ \t]*,)")
SPLICE_REACH = 300
_FINITE = re.compile(r"\b(?:has|have|had|is|are|was|were|will|would|can|could|did|does)\b", re.I)
_CLAUSE_OPENER = re.compile(
    r"[\s\"'“‘(]*(?:in|if|when|whenever|as|although|though|while|whilst|since|because|after|before|once|following|"
    r"to|until|unless|where|whether|having|with|without|despite|given|for|due|owing|by|through|on|at|from|during|"
    r"under|over|now|so|and|but|or|not|what|which|who|how|whatever|however|whereas|even|only|upon|like)\b", re.I)


def segment_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the segments of one comment, in order, not overlapping."""
    depth = _Depths(text)
    items = [item for run in run_in_lists(text, depth) for item in run]
    bullets = list(_BULLET.finditer(text))
    marker_ends = {end for _, end in items} | _numbered_line_stops(text, bullets)
    cuts = set(_paragraph_cuts(text)) | {_bullet_start(text, m.start()) for m in bullets} | {start for start, _ in items}
    sentence_cuts = [m.end() for m in _SENTENCE.finditer(text) if m.start() not in marker_ends
                     and not depth[m.start()] and not after_abbreviation(text, m.start())]
    colon_cuts = [m.end() for m in _COLON.finditer(text) if not depth[m.start()] and not _in_token(text, m.start())]
    cuts.update(sentence_cuts, colon_cuts, _run_on_cuts(text, depth))
    cuts.update(_splice_cuts(text, depth, sorted(cuts)))
    cuts.update(_semicolon_cuts(text, depth, sorted(cuts), colon_cuts))
    return _spans(text, sorted(cuts))


class _Depths:
    """Bracket depth at any position; it resets at line breaks so one stray "(" cannot swallow a page.

    Only the few bracket and line-break characters are visited: the depth is looked up by bisection."""

    def __init__(self, text: str) -> None:
        self.events, self.after = [], []
        depth = 0
        for m in _BRACKET_OR_BREAK.finditer(text):
            ch = m.group()
            depth = depth + 1 if ch in "([" else max(depth - 1, 0) if ch in ")]" else 0
            self.events.append(m.start())
            self.after.append(depth)

    def __getitem__(self, pos: int) -> int:
        k = bisect_left(self.events, pos)
        return self.after[k - 1] if k else 0


def _paragraph_cuts(text: str) -> list[int]:
    return [m.start() for m in _PARAGRAPH.finditer(text)]


def _numbered_line_stops(text: str, bullets: list[re.Match[str]]) -> set[int]:
    """The stops of "1." items opening a line: they end no sentence ("1. The force …" is one segment)."""
    stops = {m.start(1)} if (m := _LINE_ITEM_STOP.match(text)) else set()
    for b in bullets:
        if text[b.start()] != "\n":
            continue
        stop = text.find(".", b.start(), b.end())
        if stop > 0 and text[stop - 1].isdigit():
            stops.add(stop)
    return stops


def _bullet_start(text: str, start: int) -> int:
    return start + (text[start] in "\n:;")


def run_in_lists(text: str, depth: _Depths | None = None) -> list[list[tuple[int, int]]]:
    """The lists run into the text, in text order, each as its item markers: ``(start, position of
    the marker's last character)``.

    A marker alone is a number or a letter ("Arrests: 12. Seizures: 4."); markers of one style
    that count up from 1, a or i ("1. … 2. …", "(a) … (b) …") are a list, so only runs of two
    or more count. Also read by ``recsplit``: recommendations are listed the same ways."""
    if not _FIRST_ITEM.search(text):  # a cheap scan: few comments hold a list's first marker
        return []
    depth = depth or _Depths(text)
    runs: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    done: list[list[tuple[int, int]]] = []
    for m in _RUN_IN_ITEM.finditer(text):
        opener, label, closer = m.groups()
        # "a." and "i." end words and sentences too often; letters and numerals need a bracket.
        if (opener and closer != ")") or (closer == "." and not label.isdigit()) or depth[m.start()]:
            continue
        item, before = (m.start(), m.end(3) - 1), _before_marker(text, m.start())
        for style, number in _ordinals(label):
            key = (style, opener, closer)
            run = runs.get(key, [])
            if run and number == len(run) + 1 and _continues(text, run[-1], m.start(), before, bool(opener)):
                run.append(item)
            elif number == 1 and before in ("start", "stop", "colon"):
                done += [run] if len(run) > 1 else []
                runs[key] = [item]
    done += [run for run in runs.values() if len(run) > 1]
    return sorted(done)


def _before_marker(text: str, start: int) -> str:
    """What a marker follows: "start", "stop" (a sentence's or an item's end, "; and"), "colon", or "word"."""
    end = start
    while end > max(0, start - 8) and text[end - 1] in " \t":
        end -= 1
    if end == 0:
        return "start"
    last = text[end - 1]
    if last == ":":
        return "colon"
    if last == ".":
        return "word" if after_abbreviation(text, end - 1) else "stop"  # "No. 1. Map …" is no list
    if last in ";!?)”\"\n" or _AND_BEFORE.search(text, max(0, end - 8), end):
        return "stop"
    return "word"


def _continues(text: str, previous: tuple[int, int], start: int, before: str, bracketed: bool) -> bool:
    """Whether a marker is the next item of the run whose last item is ``previous``.

    The item before it must be two words or more ("(a) and (b) were met" is no list). A stop may
    come before the marker, not a colon ("disrupted: 1. archived: 2." is statistics). A bracketed
    marker may also follow a word ("(a) an audit (b) a review"), within the sentence and not after
    a reference ("part (c)", "paragraph 3 (c)")."""
    if not _TWO_WORDS.search(text, previous[1], start):
        return False
    if before == "stop":
        return True
    return (bracketed and before == "word" and not _AFTER_REFERENCE.search(text[max(0, start - 14):start].rstrip())
            and not _SENTENCE_OR_PARAGRAPH_END.search(text, previous[1] + 1, start))


def _ordinals(label: str) -> list[tuple[str, int]]:
    """The places a marker's label can have in a list: "i" is the ninth letter and the first numeral."""
    if label.isdigit():
        return [("digit", int(label))]
    out = [("letter", ord(label) - ord("a") + 1)] if len(label) == 1 else []
    return out + ([("roman", _ROMAN.index(label) + 1)] if label in _ROMAN else [])


def _run_on_cuts(text: str, depth: _Depths) -> list[int]:
    # The opening word is searched first: a pattern that starts with the look-behind would try it
    # at every character of every comment.
    return [m.start() for m in _RUN_ON.finditer(text)
            if _THREE_LOWER.fullmatch(text, m.start() - 3, m.start()) and not depth[m.start()]]


def _splice_cuts(text: str, depth: _Depths, cuts: list[int]) -> list[int]:
    """A comma that joins two sentences, each with its own subject and verb.

    The first sentence starts at the last cut before the comma; its verb is looked for no further
    back than SPLICE_REACH characters, so a long text with no cut is not read again for every comma."""
    if "," not in text:
        return []
    out: list[int] = []
    for m in _SPLICE.finditer(text):
        comma = m.start()
        start = max(cuts[bisect_left(cuts, comma) - 1] if cuts and cuts[0] < comma else 0, out[-1] if out else 0)
        reach = max(start, comma - SPLICE_REACH)
        if not depth[comma] and _FINITE.search(text, reach, comma) and not _CLAUSE_OPENER.match(text, start, comma):
            out.append(m.end())
    return out


def _in_token(text: str, colon: int) -> bool:
    """A colon inside a time or a ratio ("10:30", "3:1") or a web address ("https://…"): no list opens there."""
    if not 0 < colon < len(text) - 1:
        return False
    return text[colon - 1].isdigit() and text[colon + 1].isdigit() or text.startswith("//", colon + 1)


def _semicolon_cuts(text: str, depth: _Depths, cuts: list[int], colon_cuts: list[int]) -> list[int]:
    """A semicolon cuts inside a list: after a colon in the same sentence, or in a paragraph of items."""
    if ";" not in text:
        return []
    out = []
    paragraphs = [0, *_paragraph_cuts(text), len(text)]
    list_paras = {i for i, (a, b) in enumerate(zip(paragraphs, paragraphs[1:])) if _is_list_paragraph(text, a, b)}
    colons = sorted(colon_cuts + [m.end() for m in re.finditer(r":", text) if not _in_token(text, m.start())])
    para_i = ci = k = 0
    last_cut = last_colon = -1
    for m in _SEMICOLON.finditer(text):
        pos = m.start()
        while para_i + 1 < len(paragraphs) and paragraphs[para_i + 1] <= pos:
            para_i += 1
        while k < len(cuts) and cuts[k] <= pos:
            last_cut, k = cuts[k], k + 1
        while ci < len(colons) and colons[ci] <= pos:
            last_colon, ci = colons[ci], ci + 1
        # A colon cut at a line break ("…has:\nadded …; trained …") still opens a list when the
        # items start in lower case; "Update: An audit found …; a reminder …" is a label and a sentence.
        opens_list = last_colon > last_cut or (last_colon == last_cut and _opens_lower(text, last_colon))
        after_colon = opens_list and last_colon > paragraphs[para_i]  # not a colon ending the paragraph before
        if (para_i in list_paras or after_colon) and not depth[pos]:
            out.append(_cut_after_semicolon(text, m.end()))
            if after_colon and not depth[last_colon - 1]:
                out.append(last_colon)  # the lead-in before a semicolon list is a segment of its own
    return out


def _is_list_paragraph(text: str, start: int, end: int) -> bool:
    """A paragraph with bullets, or of lower-case items ending their lines with ";" under a lead-in
    paragraph ("…the force has:\n\nintroduced …;\nissued …; and\nagreed …")."""
    if _BULLET.search(text, start, end):
        return True
    return (start > 0 and text[max(0, start - 40):start].rstrip().endswith(":") and _opens_lower(text, start)
            and bool(_LINE_END_SEMICOLON.search(text, start, end)))


def _opens_lower(text: str, pos: int) -> bool:
    m = _FIRST_LETTER.search(text, pos, pos + 40)
    return bool(m and m.group().islower())


def _cut_after_semicolon(text: str, end: int) -> int:
    """Keep "; and" with its item: "…data; and• an approach …", "…checks; and added …"."""
    m = _AND_BULLET.match(text, end) or _AND_NEXT.match(text, end)
    return m.end() if m and m.end() > end else end


def _spans(text: str, cuts: list[int]) -> list[tuple[int, int]]:
    spans = []
    bounds = [0, *[c for c in cuts if 0 < c < len(text)], len(text)]
    for a, b in zip(bounds, bounds[1:]):
        chunk = text[a:b]
        lead = _LEADING_MARK.match(chunk)
        start = a + (lead.end() if lead else 0)
        end = a + len(chunk.rstrip())
        if end > start and _ALNUM.search(text, start, end):
            spans.append((start, end))
    return spans
