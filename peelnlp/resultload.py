"""Read tagged pages back from batch results: a SQLite results database or a JSON Lines file.

The database keeps each fact once (a page's comments in ``entries``, its segments in
``segments`` …), so a page record is put back together from its rows here, a chunk of pages
at a time: memory stays flat however many pages the database holds.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from .errors import ResultsError
from .records import Entry, Page, Recommendation, RecStatus, Segment, parse_json
from .results import QUERY_PARAMETERS, is_sqlite

_CHUNK = QUERY_PARAMETERS  # pages per round of child-table queries

_PAGE_COLUMNS = "page_key, page_id, title, force, model, warnings"
_CHILDREN = {
    "recommendations": "SELECT page_key, n, text FROM recommendations WHERE page_key IN ({}) ORDER BY page_key, n",
    "entries": "SELECT page_key, date, status, comment FROM entries WHERE page_key IN ({}) ORDER BY page_key, idx",
    "segments": ('SELECT page_key, entry, start, "end", text, kind, recs, strands, scores, needs_review '
                 "FROM segments WHERE page_key IN ({}) ORDER BY page_key, idx"),
    "statuses": "SELECT page_key, n, status, reason, evidence FROM statuses WHERE page_key IN ({}) ORDER BY page_key, n",
}


def load_pages(path: Path, model: str | None = None, page_ids: Collection[str] | None = None) -> Iterator[Page]:
    """The tagged pages of a results SQLite database or JSON Lines file, in the order written.

    From SQLite: the pages scored without error by ``model`` (default: the model of the latest
    run). From JSON Lines: every page record (failed-input lines are left out). Only the pages
    ``page_ids`` names, when given. Streams.
    """
    with ResultPages(path, model) as pages:
        yield from (page for _, page in pages.scan(page_ids))


class ResultPages:
    """The pages of a results file, read in order once, then fetched again one at a time.

    ``scan`` yields each page with a reference to it (its row key in SQLite, the byte offset of its
    line in JSON Lines); ``fetch`` reads that one page back. A caller that ranks the segments of
    every page before showing any (the review queue) keeps references, not pages, so its memory
    does not grow with the pages' text.
    """

    def __init__(self, path: Path, model: str | None = None) -> None:
        self.path, self.model = Path(path), model
        if not self.path.is_file():
            raise ResultsError(f"{self.path}: no such results file; run `peelnlp score … --out {self.path}` first")
        if not self.path.stat().st_size:
            raise ResultsError(f"{self.path}: the results file is empty; expected a database or JSON Lines "
                               "written by `peelnlp score` (or `peelnlp tag --format json`)")
        self.is_sqlite = is_sqlite(self.path)
        self._conn: sqlite3.Connection | None = None
        self._v1: bool | None = None
        self._file: BinaryIO | None = None

    def __enter__(self) -> ResultPages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._file is not None:
            self._file.close()
        self._conn = self._file = None

    def scan(self, page_ids: Collection[str] | None = None) -> Iterator[tuple[int, Page]]:
        """Every page (or those ``page_ids`` names), in the order written, with its reference."""
        wanted = None if page_ids is None else set(page_ids)
        return self._sqlite_scan(wanted) if self.is_sqlite else self._jsonl_scan(wanted)

    def fetch(self, ref: int) -> Page:
        """The page ``scan`` yielded with ``ref``."""
        return self._sqlite_fetch(ref) if self.is_sqlite else self._jsonl_fetch(ref)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        return self._conn

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connection()
        except sqlite3.DatabaseError as exc:
            raise ResultsError(f"{self.path}: not a readable peelnlp results database ({exc}); "
                               "expected one written by `peelnlp score`") from None

    def _sqlite_scan(self, wanted: set[str] | None) -> Iterator[tuple[int, Page]]:
        with self._reading() as conn:
            if self.model is None:
                row = conn.execute("SELECT model FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
                self.model = row[0] if row else ""
            if self._schema_v1(conn):
                rows = conn.execute("SELECT page_key, page_id, record FROM pages WHERE model = ? AND error IS NULL "
                                    "ORDER BY page_key", (self.model,))
                yield from ((key, Page.from_dict(parse_json(record))) for key, page_id, record in rows
                            if wanted is None or page_id in wanted)
                return
            pages = conn.execute(f"SELECT {_PAGE_COLUMNS} FROM pages WHERE model = ? AND error IS NULL "
                                 "ORDER BY page_key", (self.model,))
            while chunk := pages.fetchmany(_CHUNK):
                if wanted is not None:  # rebuilding is the costly part: skip pages not asked for first
                    chunk = [row for row in chunk if row[1] in wanted]
                yield from zip((row[0] for row in chunk), _rebuild(conn, chunk))

    def _sqlite_fetch(self, ref: int) -> Page:
        with self._reading() as conn:
            if self._schema_v1(conn):
                rows = conn.execute("SELECT record FROM pages WHERE page_key = ?", (ref,)).fetchall()
                pages = [Page.from_dict(parse_json(record)) for (record,) in rows]
            else:
                rows = conn.execute(f"SELECT {_PAGE_COLUMNS} FROM pages WHERE page_key = ?", (ref,)).fetchall()
                pages = list(_rebuild(conn, rows))
        if not pages:
            raise ResultsError(f"{self.path}: page {ref} is no longer in the database; was it scored again "
                               "while it was read? Run the command again")
        return pages[0]

    def _schema_v1(self, conn: sqlite3.Connection) -> bool:
        """Schema version 1, not yet opened for writing by this version; asked once per file, not
        once per page the review reads back."""
        if self._v1 is None:
            self._v1 = "warnings" not in {row[1] for row in conn.execute("PRAGMA table_info(pages)")}
        return self._v1

    def _jsonl_scan(self, wanted: set[str] | None) -> Iterator[tuple[int, Page]]:
        with self.path.open("rb") as fh:
            offset = 0
            for lineno, line in enumerate(fh, start=1):
                page = self._jsonl_page(line, lineno, wanted)
                if page is not None:
                    yield offset, page
                offset += len(line)

    def _jsonl_fetch(self, ref: int) -> Page:
        if self._file is None:
            self._file = self.path.open("rb")
        self._file.seek(ref)
        page = self._jsonl_page(self._file.readline(), None, None)
        if page is None:
            raise ResultsError(f"{self.path}: no page record at byte {ref}; the file changed while it was read")
        return page

    def _jsonl_page(self, line: bytes, lineno: int | None, wanted: set[str] | None) -> Page | None:
        if not line.strip():
            return None
        try:
            record = parse_json(line.decode("utf-8", errors="replace").lstrip("\ufeff"))  # a BOM from some editors
        except json.JSONDecodeError as exc:
            where = f"{self.path}:{lineno}" if lineno else str(self.path)
            raise ResultsError(f"{where}: not a JSON page record ({exc.msg}); expected a results database or "
                               "JSON Lines of page records, as `peelnlp score` writes them") from None
        if not isinstance(record, dict) or "timeline" not in record:
            return None
        return Page.from_dict(record) if wanted is None or str(record.get("id")) in wanted else None


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
            status=tuple(RecStatus(n, status, tuple(parse_json(evidence)), reason or "")
                         for n, status, reason, evidence in children["statuses"][key]),
            warnings=tuple(parse_json(warnings)) if warnings else (), model=model,
        )


def _by_page(conn: sqlite3.Connection, sql: str, keys: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    found: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for key, *row in conn.execute(sql, keys):
        found[key].append(tuple(row))
    return found


def _segment(row: tuple[Any, ...]) -> Segment:
    entry, start, end, text, kind, recs, strands, scores, needs_review = row
    return Segment(entry=entry, start=start, end=end, text=text, kind=kind, recs=tuple(parse_json(recs)),
                   strands=tuple(parse_json(strands)), scores=parse_json(scores) if scores is not None else None,
                   needs_review=bool(needs_review))
