"""The review queue: which segments come up for review, in what order, and which are left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from peelnlp.gapquery import load_pages
from peelnlp.reviewqueue import review_queue
from peelnlp.reviewstore import segment_key

TAGGED = Path(__file__).parent / "data" / "tagged_pages.jsonl"


def test_queue_holds_gap_deciders_and_unsure_segments_least_certain_first() -> None:
    items = review_queue(enumerate(load_pages(TAGGED)))
    assert [(i.page_id, i.index) for i in items][:4] == [("200103", 4), ("200104", 2), ("200103", 2), ("200101", 5)]
    confidences = [i.confidence for i in items]
    assert confidences == sorted(confidences)
    assert items[0].why == ("model unsure", "decides rec 2 (planned-only)")
    # Kent rec 3 is flagged by a concern (segment 8); evidenced recommendations add nothing.
    assert ("200101", 8) in [(i.page_id, i.index) for i in items]
    assert ("200102", 0) not in [(i.page_id, i.index) for i in items]


def test_queue_leaves_out_decided_segments_and_keeps_references() -> None:
    pages = list(load_pages(TAGGED))
    refs = [10 * i + 7 for i in range(len(pages))]  # any reference the caller chooses
    full = review_queue(zip(refs, pages))
    first = full[0]
    page = pages[refs.index(first.page_ref)]
    assert page.id == first.page_id
    decided = {segment_key(page.id, page.segments[first.index])}
    rest = review_queue(zip(refs, pages), decided)
    assert list(rest) == full[1:]


def test_queue_is_a_sequence_built_item_by_item() -> None:
    items = review_queue(enumerate(load_pages(TAGGED)))
    as_list = list(items)
    assert len(as_list) == len(items) == 8
    assert items[-1] == as_list[-1] and items[2:4] == as_list[2:4]
    assert items.index(as_list[3]) == 3
    with pytest.raises(IndexError):
        items[len(items)]
    assert list(review_queue([])) == []
