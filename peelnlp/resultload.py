"""Read tagged pages back from batch results: a SQLite results database or a JSON Lines file.

The database keeps each fact once (a page's comments in ``entries``, its segments in
``segments`` …), so a page record is put back together from its rows here, a chunk of pages
at a time: memory stays flat however many pages the database holds.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import ResultsError
from .records import Entry, Page, Recommendation, RecStatus, Segment
from .results import SQLITE_MAGIC

_CHUNK = 500  # pages per round of child-table queries; under SQLite's limit on query parameters

_CHILDREN = {
    "recommendations": "SELECT page_key, n, text FROM recommendations WHERE page_key IN ({}) ORDER BY page_key, n",
    "entries": "SELECT page_key, date, status, comment FROM entries WHERE page_key IN ({}) ORDER BY page_key, idx",
    "segments": ('SELECT page_key, entry, start, "end", text, kind, recs, strands, scores, needs_review '
                 "FROM segments WHERE page_key IN ({}) ORDER BY page_key, idx"),
    "statuses": "SELECT page_key, n, status, reason, evidence FROM statuses WHERE page_key IN ({}) ORDER BY page_key, n",
}


def load_pages(path: Path, model: str | None = None) -> Iterator[Page]:
    """The tagged pages of a results SQLite database or JSON Lines file, in the order written.

    From SQLite: the pages scored without error by ``model`` (default: the model of the latest
    run). From JSON Lines: every page record (failed-input lines are left out). Streams.
    """
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: no such results file; run `peelnlp score … --out {path}` first")
    with path.open("rb") as fh:
        magic = fh.read(16)
    yield from _sqlite_pages(path, model) if magic == SQLITE_MAGIC else _jsonl_pages(path)


def _sqlite_pages(path: Path, model: str | None) -> Iterator[Page]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if model is None:
            row = conn.execute("SELECT model FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
            model = row[0] if row else ""
        columns = {row[1] for row in conn.execute("PRAGMA table_info(pages)")}
        if "warnings" not in columns:  # schema version 1, not yet opened for writing by this version
            rows = conn.execute("SELECT record FROM pages WHERE model = ? AND error IS NULL ORDER BY page_key", (model,))
            yield from (Page.from_dict(json.loads(record)) for (record,) in rows)
            return
        pages = conn.execute("SELECT page_key, page_id, title, force, model, warnings FROM pages "
                             "WHERE model = ? AND error IS NULL ORDER BY page_key", (model,))
        while chunk := pages.fetchmany(_CHUNK):
            yield from _rebuild(conn, chunk)
    except sqlite3.DatabaseError as exc:
        raise ResultsError(f"{path}: not a readable peelnlp results database ({exc}); "
                           "expected one written by `peelnlp score`") from None
    finally:
        conn.close()


def _rebuild(conn: sqlite3.Connection, chunk: Sequence[tuple[Any, ...]]) -> Iterator[Page]:
    """The pages of one chunk of ``pages`` rows, with their child rows."""
    keys = [row[0] for row in chunk]
    children = {table: _by_page(conn, sql.format(",".join("?" * len(keys))), keys) for table, sql in _CHILDREN.items()}
    for key, page_id, title, force, model, warnings in chunk:
        yield Page(
            id=page_id, title=title, force=force,
            recommendations=tuple(Recommendation(n, text) for n, text in children["recommendations"][key]),
            timeline=tuple(Entry(date, status, comment) for date, status, comment in children["entries"][key]),
            segments=tuple(_segment(row) for row in children["segments"][key]),
            status=tuple(RecStatus(n, status, tuple(json.loads(evidence)), reason or "")
                         for n, status, reason, evidence in children["statuses"][key]),
            warnings=tuple(json.loads(warnings)) if warnings else (), model=model,
        )


def _by_page(conn: sqlite3.Connection, sql: str, keys: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    found: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for key, *row in conn.execute(sql, keys):
        found[key].append(tuple(row))
    return found


def _segment(row: tuple[Any, ...]) -> Segment:
    entry, start, end, text, kind, recs, strands, scores, needs_review = row
    return Segment(entry=entry, start=start, end=end, text=text, kind=kind, recs=tuple(json.loads(recs)),
                   strands=tuple(json.loads(strands)), scores=json.loads(scores) if scores is not None else None,
                   needs_review=bool(needs_review))


def _jsonl_pages(path: Path) -> Iterator[Page]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ResultsError(f"{path}:{lineno}: not a JSON page record ({exc.msg}); expected JSON Lines") from None
            if isinstance(record, dict) and "timeline" in record:
                yield Page.from_dict(record)
