"""The review queue: which segments a reviewer should check, least certain first.

It holds the segments that decide a flagged recommendation's status (or, when nothing addresses
it, the segment likeliest to), and every segment the model marked ``needs_review``. Ranking needs
every page, so the queue is built in one pass that keeps only a reference to each page (the page
is read back when it is shown): memory does not grow with the size of the results file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

from .gapquery import evidence_chance, rec_confidence, segment_confidence
from .records import Page
from .reviewstore import SegmentKey, segment_key


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One segment to review, why it is in the queue, and how sure the model was.

    ``page_ref`` is the reference its page was scanned with: a ``PageFetcher`` reads the page back."""

    page_ref: int
    page_id: str
    index: int
    why: tuple[str, ...]
    confidence: float


def _likeliest(page: Page, n: int) -> int | None:
    """The segment likeliest to be evidence on recommendation ``n`` (None without scores)."""
    chances = [(evidence_chance(s, n), i) for i, s in enumerate(page.segments)]
    best = max(chances, default=(0.0, -1))
    return best[1] if best[0] > 0 else None


def _page_reasons(page: Page) -> dict[int, tuple[list[str], float]]:
    reasons: dict[int, tuple[list[str], float]] = {}

    def add(i: int, why: str, conf: float) -> None:
        whys, c = reasons.get(i, ([], 1.0))
        reasons[i] = ([*whys, why], min(c, conf))

    for i, seg in enumerate(page.segments):
        if seg.needs_review:
            add(i, "model unsure", segment_confidence(seg))
    for st in (s for s in page.status if s.is_gap):
        for i in st.evidence:
            add(i, f"decides rec {st.n} ({st.status})", segment_confidence(page.segments[i]))
        likeliest = None if st.evidence else _likeliest(page, st.n)
        if likeliest is not None:
            add(likeliest, f"likeliest to address rec {st.n} ({st.status})", rec_confidence(page, st))
    return reasons


def review_queue(pages: Iterable[tuple[int, Page]], decided: Iterable[SegmentKey] = ()) -> list[ReviewItem]:
    """Segments behind flagged gaps and segments needing review, least certain first, skipping
    those already decided. ``pages``: (reference, page) pairs, e.g. ``enumerate(a_list)``."""
    done, ranked = set(decided), []
    for order, (ref, page) in enumerate(pages):
        for index, (whys, conf) in _page_reasons(page).items():
            if segment_key(page.id, page.segments[index]) not in done:
                # Reasons repeat across thousands of items: one string object each.
                why = tuple(sys.intern(w) for w in whys)
                ranked.append((conf, order, index, ReviewItem(ref, page.id, index, why, conf)))
    ranked.sort(key=lambda t: t[:3])
    return [t[3] for t in ranked]
