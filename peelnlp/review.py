"""The review loop: a person checks the labels behind flagged gaps, one segment at a time.

The loop walks the queue (:mod:`peelnlp.reviewqueue`), reading each item's page back as it is
shown. For each it shows the segment inside its comment, the page's numbered recommendations and
the predicted labels with their probabilities, and reads single keys. Keys come from an injected
reader (a function returning the next key, ``""`` at the end), so scripted key sequences drive it
in tests; output goes through an injected writer. Every decision is stored the moment it is made
(:mod:`peelnlp.reviewstore`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path

from .gapquery import fetch_tagged, scan_tagged
from .records import Page, Segment
from .render import WIDTH
from .reviewqueue import ReviewItem, review_queue
from .reviewstore import DecisionStore, Labels, effective_decisions, settle, writable_decisions_path

KeyReader = Callable[[], str]
Writer = Callable[[str], None]
PageFetcher = Callable[[int], Page]

KIND_KEYS = {"a": "action", "p": "plan", "v": "verified", "c": "concern", "o": "oversight", "x": "other"}
STRAND_KEYS = {"1": "pursue", "2": "prevent", "3": "protect", "4": "prepare"}
ENTER, ESC, QUIT = frozenset("\r\n"), "\x1b", frozenset({"q", "", "\x03", "\x04"})
BACKSPACE = frozenset({"\x7f", "\b"})
HELP = "[a] accept  [k] kind  [r] recs  [s] strands  [n] skip  [u] undo  [q] quit"


def _paragraphs(text: str, indent: str = "  ", width: int = WIDTH) -> str:
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width, initial_indent=indent, subsequent_indent=indent)
                       for p in text.split("\n\n") if p.strip())


def highlighted(comment: str, seg: Segment, color: bool, context: int = 400, width: int = WIDTH) -> str:
    """The comment around the segment, the segment between »…« (and in reverse video with colour)."""
    a, b = max(0, seg.start - context), min(len(comment), seg.end + context)
    if a:  # start and end the excerpt on word boundaries, never inside the segment
        a = comment.find(" ", a, seg.start) + 1 or seg.start
    if b < len(comment):
        b = max(comment.rfind(" ", seg.end, b), seg.end)
    # Wrap with placeholder characters, then put the markers in, so colour codes never count as width.
    text = _paragraphs(comment[a:seg.start] + "\x01" + comment[seg.start:seg.end] + "\x02" + comment[seg.end:b], width=width)
    on, off = ("\x1b[1;7m»", "«\x1b[0m") if color else ("»", "«")
    text = "  …" + text.lstrip() if a else text
    return text.replace("\x01", on).replace("\x02", off) + ("…" if b < len(comment) else "")


def _probs(scores: dict[str, float], chosen: Iterable[str]) -> str:
    return ", ".join(f"{c} ({scores[c]:.2f})" if c in scores else c for c in chosen) or "none"


def predicted_line(seg: Segment) -> str:
    """The model's labels with their probabilities, and the runner-up kind."""
    scores = seg.scores or {}
    kinds = sorted(scores.get("kind", {}).items(), key=lambda kv: -kv[1])
    runner = next((f"; next {k} {p:.2f}" for k, p in kinds if k != seg.kind), "")
    kind = f"{seg.kind} ({scores['kind'][seg.kind]:.2f}{runner})" if seg.kind in scores.get("kind", {}) else seg.kind
    return (f"predicted: kind {kind} · recs {_probs(scores.get('recs', {}), map(str, seg.recs))} · "
            f"strands {_probs(scores.get('strands', {}), seg.strands)}")


def render_item(item: ReviewItem, page: Page, pos: int, total: int, labels: Labels, color: bool = False,
                width: int = WIDTH) -> str:
    """Everything the reviewer needs for one segment (``page``: the item's page), prose wrapped at ``width``."""
    seg = page.segments[item.index]
    entry = page.timeline[seg.entry]
    status = {s.n: s.status for s in page.status}
    lines = ["─" * width, f"[{pos + 1}/{total}]  page {page.id} · {page.force or 'unknown force'} · "
             f"segment #{item.index} · confidence {item.confidence:.2f}", f"why: {'; '.join(item.why)}",
             page.title or f"(untitled page {page.id})", "", "Recommendations:"]
    for r in page.recommendations:
        head = f"  {r.n}. [{status.get(r.n, '?')}] "
        lines.append(textwrap.fill(" ".join(r.text.split()), width, initial_indent=head, subsequent_indent=" " * 6))
    lines += ["", f"Comment of {entry.date or 'unknown date'}:", highlighted(entry.comment or "", seg, color, width=width), "",
              predicted_line(seg)]
    if labels != Labels.of(seg):
        lines.append(f"now:       {labels.describe()}  (saved)")
    lines.append(HELP)
    return "\n".join(lines)


@dataclass
class ReviewOutcome:
    """What one review run did: decisions saved (net of undo), items skipped, items left."""

    queued: int = 0
    accepted: int = 0
    corrected: int = 0
    skipped: int = 0
    remaining: int = 0
    store: Path | None = None


class ReviewLoop:
    """The key loop over a queue. Edits save at once; ``a`` confirms and moves on."""

    def __init__(self, items: Sequence[ReviewItem], fetch: PageFetcher, store: DecisionStore, read_key: KeyReader,
                 write: Writer, color: bool = False, width: int = WIDTH) -> None:
        self.items, self.store, self.read_key, self.write, self.color = items, store, read_key, write, color
        self.width = width
        # A few pages stay at hand: undo goes back, and neighbours in the queue often share a page.
        self.fetch = lru_cache(maxsize=8)(fetch)
        self.pos = 0
        self.saved: dict[int, Labels] = {}
        self.predicted: dict[int, Labels] = {}  # the model's labels of every item with a decision
        self.history: list[tuple[int, int, Labels | None]] = []  # (item, decision id, labels saved before)
        self.skipped: set[int] = set()

    @property
    def item(self) -> ReviewItem:
        return self.items[self.pos]

    @property
    def page(self) -> Page:
        return self.fetch(self.item.page_ref)

    @property
    def segment(self) -> Segment:
        return self.page.segments[self.item.index]

    def labels(self) -> Labels:
        return self.saved.get(self.pos) or Labels.of(self.segment)

    def show(self) -> None:
        self.write(render_item(self.item, self.page, self.pos, len(self.items), self.labels(), self.color,
                               self.width) + "\n")

    def run(self) -> ReviewOutcome:
        shown = -1
        while self.pos < len(self.items):
            if shown != self.pos:
                self.show()
                shown = self.pos
            key = self.read_key()
            if key in QUIT:
                break
            self.handle(key)
        if self.pos >= len(self.items):
            self.write("review queue done\n")
        return self.outcome()

    def handle(self, key: str) -> None:
        actions = {"a": self.accept, "k": self.change_kind, "r": self.change_recs, "s": self.change_strands,
                   "n": self.skip, "u": self.undo}
        if key in actions:
            actions[key]()
        elif key not in ENTER and key != " ":
            self.write(f"unknown key {key!r}; {HELP}\n")

    def save(self, labels: Labels) -> None:
        decision = self.store.record(self.page, self.item.index, labels)
        self.history.append((self.pos, decision, self.saved.get(self.pos)))
        self.saved[self.pos] = labels
        self.predicted.setdefault(self.pos, Labels.of(self.segment))
        self.skipped.discard(self.pos)

    def change(self, labels: Labels) -> None:
        if labels != self.labels():
            self.save(labels)
        self.write(f"now: {labels.describe()}  (saved)\n")

    def accept(self) -> None:
        if self.saved.get(self.pos) != self.labels():
            self.save(self.labels())
        self.pos += 1

    def skip(self) -> None:
        if self.pos not in self.saved:  # an edit was saved at once: moving on leaves it corrected, not skipped
            self.skipped.add(self.pos)
        self.pos += 1

    def undo(self) -> None:
        if not self.history:
            self.write("nothing to undo\n")
            return
        pos, decision, before = self.history.pop()
        self.store.undo(decision)
        if before is None:
            self.saved.pop(pos, None)
        else:
            self.saved[pos] = before
        self.write(f"undone: decision on item {pos + 1}\n")
        self.pos = pos
        self.show()

    def change_kind(self) -> None:
        self.write("kind? " + "  ".join(f"[{k}] {v}" for k, v in KIND_KEYS.items()) + "  (other key: cancel)\n")
        key = self._key_skipping_spaces()
        if key in KIND_KEYS:
            self.change(replace(self.labels(), kind=KIND_KEYS[key]))
        else:
            self.write("kind unchanged\n")

    def change_recs(self) -> None:
        n = len(self.page.recommendations)
        self.write(f"recs? numbers 1-{n} separated by spaces, 0 for none, Enter to finish, Esc to cancel: ")
        text = self._typed_line()
        numbers = text.replace(",", " ").split() if text is not None else []
        if not numbers or any(not x.isdigit() or int(x) > n for x in numbers):
            self.write("\nrecs unchanged" + (f" (expected numbers from 1 to {n})" if numbers else "") + "\n")
            return
        recs = tuple(sorted({int(x) for x in numbers} - {0}))
        self.write("\n")
        self.change(replace(self.labels(), recs=recs))

    def _typed_line(self) -> str | None:
        """Keys up to Enter (None on Esc or end of input); backspace deletes."""
        buf = ""
        while (key := self.read_key()) not in ENTER:
            if key in QUIT - {"q"} or key == ESC:
                return None
            buf = buf[:-1] if key in BACKSPACE else buf + key if key.isdigit() or key in " ," else buf
        return buf

    def change_strands(self) -> None:
        chosen = set(self.labels().strands)
        while True:
            marks = "  ".join(f"[{k}] {'☑' if v in chosen else '☐'} {v}" for k, v in STRAND_KEYS.items())
            self.write(f"strands (toggle, Enter to finish, Esc to cancel): {marks}\n")
            key = self._key_skipping_spaces()
            if key in STRAND_KEYS:
                chosen ^= {STRAND_KEYS[key]}
            elif key in ENTER:
                strands = tuple(s for s in STRAND_KEYS.values() if s in chosen)
                return self.change(replace(self.labels(), strands=strands))
            else:
                return self.write("strands unchanged\n")

    def _key_skipping_spaces(self) -> str:
        while (key := self.read_key()) == " ":
            pass
        return key

    def outcome(self) -> ReviewOutcome:
        kept = [(pos, labels) for pos, labels in self.saved.items()]
        corrected = sum(1 for pos, labels in kept if labels != self.predicted[pos])
        return ReviewOutcome(queued=len(self.items), accepted=len(kept) - corrected, corrected=corrected,
                             skipped=len(self.skipped), remaining=len(self.items) - len(kept) - len(self.skipped),
                             store=self.store.path)


def run_review(results: Path, read_key: KeyReader, write: Writer, color: bool = False,
               warn: Writer | None = None, width: int = WIDTH) -> ReviewOutcome:
    """Review the flagged gaps of a results file until the queue ends or the reviewer quits.

    ``warn`` gets one line per record of the results file left out (not a page record), before
    the first item is shown."""
    from .resultload import ResultPages

    results = Path(results)
    store: DecisionStore | None = None
    try:
        with ResultPages(results) as pages:
            writable_decisions_path(results)  # before ranking, which takes a while on a large file
            # Rank first: a bad file fails here and leaves no decision store behind.
            items = review_queue(scan_tagged(pages), effective_decisions(results))
            for line in pages.warnings() if warn else ():
                warn(line)
            if not items:
                write("nothing to review: no flagged gap or unsure segment is left undecided\n")
                return ReviewOutcome()
            store = DecisionStore(results)
            try:
                write(f"{len(items)} segment(s) to review, least certain first; decisions are saved to {store.path}\n")
                return ReviewLoop(items, partial(fetch_tagged, pages), store, read_key, write, color, width).run()
            finally:
                store.close()
    finally:
        if store is not None:
            settle(store.path)
