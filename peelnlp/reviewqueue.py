"""The review queue: which segments a reviewer should check, least certain first.

It holds the segments that decide a flagged recommendation's status (or, when nothing addresses
it, the segment likeliest to), and every segment the model marked ``needs_review``. Ranking needs
every page, so the queue is built in one pass that keeps only a reference to each page (the page
is read back when it is shown): memory does not grow with the size of the results file.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

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


class ReviewQueue(Sequence[ReviewItem]):
    """The ranked queue, least certain first, kept as arrays: a few dozen bytes a segment, where a
    Python object per item took over 300 (a 100,000-page results file queues about 280,000).
    Items are built when asked for."""

    def __init__(self, refs: list[int], page_ids: list[str], page: np.ndarray, index: np.ndarray,
                 why: np.ndarray, reasons: list[tuple[str, ...]], confidence: np.ndarray) -> None:
        self._refs, self._ids, self._reasons = refs, page_ids, reasons
        self._page, self._index, self._why, self._confidence = page, index, why, confidence

    def __len__(self) -> int:
        return len(self._page)

    @overload
    def __getitem__(self, k: int) -> ReviewItem: ...

    @overload
    def __getitem__(self, k: slice) -> list[ReviewItem]: ...

    def __getitem__(self, k: int | slice) -> ReviewItem | list[ReviewItem]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        page = int(self._page[k])  # numpy raises the IndexError that ends iteration
        return ReviewItem(self._refs[page], self._ids[page], int(self._index[k]), self._reasons[self._why[k]],
                          float(self._confidence[k]))


def review_queue(pages: Iterable[tuple[int, Page]], decided: Iterable[SegmentKey] = ()) -> ReviewQueue:
    """Segments behind flagged gaps and segments needing review, least certain first, skipping
    those already decided. ``pages``: (reference, page) pairs, e.g. ``enumerate(a_list)``."""
    done = set(decided)
    refs: list[int] = []
    page_ids: list[str] = []
    reason_codes: dict[tuple[str, ...], int] = {}
    page, index, why, confidence = array("l"), array("l"), array("l"), array("d")
    for order, (ref, tagged) in enumerate(pages):
        refs.append(ref)
        page_ids.append(tagged.id)
        for i, (whys, conf) in _page_reasons(tagged).items():
            if segment_key(tagged.id, tagged.segments[i]) not in done:
                page.append(order)
                index.append(i)
                why.append(reason_codes.setdefault(tuple(whys), len(reason_codes)))
                confidence.append(conf)
    ranked = np.lexsort((index, page, confidence))  # by confidence, then page, then segment
    return ReviewQueue(refs, page_ids, np.array(page)[ranked], np.array(index)[ranked], np.array(why)[ranked],
                       list(reason_codes), np.array(confidence)[ranked])
