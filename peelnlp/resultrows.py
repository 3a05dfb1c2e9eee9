"""A scored page as the rows of the results database's tables.

Workers that score pages build the rows (``page_rows``), so the process that writes the database
only adds page keys and inserts a batch with one ``executemany`` per table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from .records import Page

if TYPE_CHECKING:
    from .results import Scored


def dumps(value: Any) -> str:
    """Compact JSON. orjson: encoding the records and scores of every page dominated writing with ``json``."""
    return orjson.dumps(value).decode()


def p_kind(scores: dict[str, Any] | None, kind: str | None) -> float | None:
    if not scores or kind is None:
        return None
    p = scores.get("kind", {}).get(kind)
    return float(p) if p is not None else None


def insert_batch(conn: sqlite3.Connection, batch: Sequence[Scored], model: str, run_id: int | None) -> None:
    """All rows of a batch, one ``executemany`` per table; page keys are given here, not looked up."""
    # A page scored again (it failed before, or came twice) replaces its old row and children.
    conn.executemany("DELETE FROM pages WHERE content_hash = ? AND model = ?", [(item.key, model) for item in batch])
    first = conn.execute("SELECT coalesce(max(page_key), 0) + 1 FROM pages").fetchone()[0]
    rows = _Rows()
    for key, item in enumerate(batch, start=first):
        rows.add(key, item, model, run_id)
    conn.executemany("INSERT INTO pages (page_key, page_id, content_hash, model, run_id, source, title, force, "
                     "last_comment_date, n_recommendations, n_gaps, warnings, error, raw) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.pages)
    conn.executemany("INSERT INTO recommendations VALUES (?, ?, ?)", rows.recommendations)
    conn.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?)", rows.entries)
    conn.executemany("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.segments)
    conn.executemany("INSERT INTO segment_strands VALUES (?, ?, ?)", rows.segment_strands)
    conn.executemany("INSERT INTO statuses VALUES (?, ?, ?, ?, ?)", rows.statuses)


@dataclass(frozen=True)
class PageRows:
    """A tagged page as rows of its tables, without the page key (given when the rows are written).

    Workers build these, so the process that writes the database only adds keys and inserts."""

    page: tuple  # page_id, title, force, last_comment_date, n_recommendations, n_gaps, warnings
    recommendations: list[tuple]
    entries: list[tuple]
    segments: list[tuple]
    segment_strands: list[tuple]
    statuses: list[tuple]


def page_rows(page: Page) -> PageRows:
    gaps = sum(1 for s in page.status if s.is_gap)
    return PageRows(
        (page.id, page.title, page.force, page.last_comment_date(), len(page.recommendations), gaps,
         dumps(list(page.warnings)) if page.warnings else None),
        [(r.n, r.text) for r in page.recommendations],
        [(i, e.date, e.status, e.comment) for i, e in enumerate(page.timeline)],
        [(i, s.entry, s.start, s.end, s.text, s.kind, _json_tuple(s.recs), _json_tuple(s.strands),
          p_kind(s.scores, s.kind), dumps(s.scores) if s.scores is not None else None, int(s.needs_review))
         for i, s in enumerate(page.segments)],
        [(i, strand) for i, s in enumerate(page.segments) for strand in s.strands],
        [(s.n, s.status, s.reason, _json_tuple(s.evidence)) for s in page.status])


@dataclass
class _Rows:
    """The rows of a batch, table by table."""

    pages: list[tuple] = field(default_factory=list)
    recommendations: list[tuple] = field(default_factory=list)
    entries: list[tuple] = field(default_factory=list)
    segments: list[tuple] = field(default_factory=list)
    segment_strands: list[tuple] = field(default_factory=list)
    statuses: list[tuple] = field(default_factory=list)

    def add(self, key: int, item: Scored, model: str, run_id: int | None) -> None:
        rows = item.encoded if isinstance(item.encoded, PageRows) else page_rows(item.page) if item.page else None
        if rows is None:
            self.pages.append((key, item.name, item.key, model, run_id, item.source, None, None, None, None, None,
                               None, item.error, item.raw))
            return
        page_id, *described = rows.page
        self.pages.append((key, page_id, item.key, model, run_id, item.source, *described, None, item.raw))
        for table in ("recommendations", "entries", "segments", "segment_strands", "statuses"):
            getattr(self, table).extend((key, *row) for row in getattr(rows, table))


@lru_cache(maxsize=4096)
def _json_tuple(values: tuple) -> str:
    return dumps(list(values))


