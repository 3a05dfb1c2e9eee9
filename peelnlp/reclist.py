"""A list of recommendations as a user types one for ``peelnlp tag --recommendations``: numbered,
bulleted or one per line, with wrapped lines and sub-items."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .boundaries import BULLET_MARK, BULLETS, ITEM, SECOND_LEVEL
from .parse import normalise_text
from .recsplit import HEADING, clean_rec

# A list mark opening a line: a bullet (also Word's "o"), "1." or "(1)", "a)" or "(iv)". Letters need a
# bracket: "e.g. …" opens no item.
# Typed at a line's start, "a." and "iv." are marks too (in a page's text they end too many words).
_MARK = re.compile(rf"^([ \t]*)(?:([{BULLETS}*–-]|o(?=[ \t]))|({ITEM}|(?:[a-z]|[ivx]{{1,4}})\.))[ \t]+(?=\S)")
_NUMBER = re.compile(r"\(?(\d+)")


@dataclass
class _Item:
    parts: list[str]
    marked: bool
    subitems: list[str] = field(default_factory=list)

    def text(self) -> str:
        head = " ".join(self.parts)
        return f"{head} {'; '.join(self.subitems)}" if self.subitems else head


def recommendation_list(text: str) -> tuple[list[str], list[str]]:
    """The recommendations of a typed list, in order, and any warnings.

    A marked line starts an item unless it is deeper (indented further, or a second-level bullet)
    than the first marked line: then it is a sub-item of the item above. An unmarked line continues
    the item above when it is indented, or, in a marked list, when it starts in lower case (a wrapped
    line); otherwise it is an item of its own. A blank line ends an item."""
    lines = normalise_text(text).split("\n")
    items = _items(lines, marked_list=any(_MARK.match(line) for line in lines))
    texts = [clean_rec(part) for part in _without_lead_ins(items)]
    texts = [t for t in texts if t]
    return texts, _numbering_warnings(lines, len(texts))


def _items(lines: list[str], marked_list: bool) -> list[_Item]:
    items: list[_Item] = []
    top: tuple[int, int] | None = None
    after_blank = True
    for line in lines:
        if not line.strip() or HEADING.match(line.strip()):  # "Recommendation 2" names the next item
            after_blank = True
            continue
        m = _MARK.match(line)
        if m:
            level = (len(m.group(1).expandtabs(4)), int((m.group(2) or "") in SECOND_LEVEL))
            top = top or level
            if items and (level[0] > top[0] or level[1] > top[1]):
                items[-1].subitems.append(line[m.end():].strip())
            else:
                items.append(_Item([line[m.end():].strip()], marked=True))
        elif items and not after_blank and (line[:1].isspace() or marked_list and line.lstrip()[:1].islower()):
            items[-1].parts.append(line.strip())
        else:
            items.append(_Item([line.strip()], marked=False))
        after_blank = False
    return items


def _without_lead_ins(items: list[_Item]) -> list[str]:
    """Item texts, run-in bullets split; a lead-in ("The force should:") is none of them."""
    parts = [(part.strip(), item.marked) for item in items for part in BULLET_MARK.split(item.text())]
    return [text for text, marked in parts if marked or not text.endswith(":")]


def _numbering_warnings(lines: list[str], n: int) -> list[str]:
    marks = [m.group(3) for line in lines if (m := _MARK.match(line)) and m.group(3) and not m.group(1)]
    written = [int(number.group(1)) for mark in marks if (number := _NUMBER.match(mark))]
    if not written or written == list(range(1, len(written) + 1)):
        return []
    return [f"the recommendations are numbered by their order in the list (1–{n}), not by the numbers written "
            f"there ({', '.join(map(str, written))}); \"recommendation N\" in a comment means the Nth"]
