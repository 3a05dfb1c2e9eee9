"""Read tagged pages back from batch results: a SQLite results database or a JSON Lines file.

The database keeps each fact once (a page's comments in ``entries``, its segments in
``segments`` …), so a page record is put back together from its rows here, a chunk of pages
at a time: memory stays flat however many pages the database holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from .errors import ResultsError
from .records import Entry, Page, Recommendation, RecStatus, Segment, parse_json
from .resultfiles import SEGMENT_COLUMNS, STATUS_COLUMNS
from .results import QUERY_PARAMETERS, is_sqlite

_CHUNK = QUERY_PARAMETERS  # pages per round of child-table queries
MAX_WARNINGS = 10  # bad JSON Lines records named one by one; the rest are counted

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


def check_results_path(path: Path) -> None:
    """Refuse a path that is not a file, saying what it is instead."""
    if path.is_dir():
        raise ResultsError(f"{path}: is a directory, not a results file; expected the SQLite database or JSON Lines "
                           "file `peelnlp score --out FILE` wrote: give that file's path")
    if not path.is_file():
        raise ResultsError(f"{path}: no such results file; run `peelnlp score … --out {path}` first")
    _refuse_score_csv(path)


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to a SQLite file, also on read-only media or in a folder this user
    cannot write."""
    path = Path(path)
    conn = connect_uri(path, "mode=ro")
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        # A database in WAL mode (as `peelnlp score` leaves it) is read through a -shm file that
        # SQLite creates beside it, even for reading: where the folder cannot be written, that fails.
        if exc.sqlite_errorcode != sqlite3.SQLITE_CANTOPEN or os.access(path.parent, os.W_OK):
            raise
    # immutable=1 reads the file without locks or -shm, and ignores the -wal log. That is safe only
    # while nothing writes to the database: no writer can work through a folder it cannot write, but
    # one elsewhere (another mount, another user) could change the file under this reader unseen.
    # Changes a writer left in the -wal log would be missed: refuse rather than give stale results.
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size:
        raise ResultsError(f"{path}: cannot be read in place: its folder is not writable and {wal.name} holds "
                           "changes not yet in the database; copy both files to a writable folder and read the copy")
    return connect_uri(path, "immutable=1")


def connect_uri(path: Path, flags: str, timeout: float = 5.0) -> sqlite3.Connection:
    """A connection to ``path`` opened with SQLite URI ``flags`` ("mode=ro", "mode=rw", …)."""
    return sqlite3.connect(f"file:{quote(str(path))}?{flags}", uri=True, timeout=timeout)


_SCORE_CSV_HEADERS = {",".join(SEGMENT_COLUMNS), ",".join(STATUS_COLUMNS)}


def _refuse_score_csv(path: Path) -> None:
    """A CSV that `peelnlp score` wrote holds rows, not page records: say so, not that no line is JSON."""
    with contextlib.suppress(OSError), path.open("rb") as fh:  # unreadable: reading it fails later, with its reason
        if fh.readline(1000).rstrip(b"\r\n").decode("utf-8", "replace") in _SCORE_CSV_HEADERS:
            raise ResultsError(f"{path}: a CSV of results, which cannot be read back; gaps, report and review read "
                               "the SQLite database or JSON Lines file `peelnlp score --out FILE.sqlite` (or .jsonl) writes")


class ResultPages:
    """The pages of a results file, read in order once, then fetched again one at a time.

    ``scan`` yields each page with a reference to it (its row key in SQLite, the byte offset of its
    line in JSON Lines); ``fetch`` reads that one page back. A caller that ranks the segments of
    every page before showing any (the review queue) keeps references, not pages, so its memory
    does not grow with the pages' text.
    """

    def __init__(self, path: Path, model: str | None = None) -> None:
        self.path, self.model = Path(path), model
        check_results_path(self.path)
        if not self.path.stat().st_size:
            raise ResultsError(f"{self.path}: the results file is empty; expected a database or JSON Lines "
                               "written by `peelnlp score` (or `peelnlp tag --format json`)")
        self.is_sqlite = is_sqlite(self.path)
        self._conn: sqlite3.Connection | None = None
        self._v1: bool | None = None
        self._file: BinaryIO | None = None
        self.bad_records: list[tuple[int, str]] = []  # (line, what was found): the first MAX_WARNINGS
        self.bad_count = 0

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

    def warnings(self) -> list[str]:
        """One line per JSON Lines record of the last scan that was left out as no page record,
        the first :data:`MAX_WARNINGS` named, then how many more."""
        lines = [f"{self.path}:{n}: expected a page record (a JSON object with \"id\" and \"timeline\"), "
                 f"found {found}; the line is left out" for n, found in self.bad_records]
        if self.bad_count > len(lines):
            lines.append(f"{self.path}: … and {self.bad_count - len(lines)} more lines that are not page records, "
                         "left out too")
        return lines

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect_readonly(self.path)
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
        self.bad_records, self.bad_count, usable = [], 0, 0
        with self.path.open("rb") as fh:
            offset = 0
            for lineno, line in enumerate(fh, start=1):
                start, offset = offset, offset + len(line)
                try:
                    record = _jsonl_record(line)
                    page = _page(record) if record is not None and _wanted(record, wanted) else None
                except _BadRecord as exc:
                    self._note_bad(lineno, str(exc))
                    continue
                usable += record is not None
                if page is not None:
                    yield start, page
        if self.bad_count and not usable:
            line, found = self.bad_records[0]
            raise ResultsError(f"{self.path}: no page record in the file ({self.bad_count} line(s) are not page "
                               f"records; line {line}: found {found}); expected JSON Lines of page records, as "
                               "`peelnlp score --out FILE.jsonl` or `peelnlp tag --format json` write them")

    def _note_bad(self, lineno: int, found: str) -> None:
        self.bad_count += 1
        if len(self.bad_records) < MAX_WARNINGS:  # a file of garbage must not fill memory with messages
            self.bad_records.append((lineno, found))

    def _jsonl_fetch(self, ref: int) -> Page:
        if self._file is None:
            self._file = self.path.open("rb")
        self._file.seek(ref)
        try:
            record = _jsonl_record(self._file.readline())
            if record is None:
                raise _BadRecord("no page record")
            return _page(record)
        except _BadRecord:
            raise ResultsError(f"{self.path}: no page record at byte {ref}; the file changed while it was read; "
                               "run the command again") from None


class _BadRecord(Exception):
    """A JSON Lines line that is not a page record; its message says what was found."""


def _jsonl_record(line: bytes) -> dict[str, Any] | None:
    """The page record on one line; None for a blank line or the line of an input that failed to score."""
    if not line.strip():
        return None
    try:
        record = parse_json(line.decode("utf-8", errors="replace").lstrip("\ufeff"))  # a BOM from some editors
    except json.JSONDecodeError as exc:
        raise _BadRecord(f"text that is not JSON ({exc.msg})") from None
    if isinstance(record, dict) and "timeline" in record:
        return record
    if isinstance(record, dict) and "error" in record:
        return None  # `peelnlp score` writes {"id", "source", "error"} for an input it could not score
    raise _BadRecord(_describe(record))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "an object without \"timeline\""
    names = {list: "a JSON array", str: "a JSON string", bool: "a JSON boolean", type(None): "null"}
    return names.get(type(value), "a JSON number")


def _page(record: dict[str, Any]) -> Page:
    try:
        return Page.from_dict(record)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _BadRecord(f"an object that is not a tagged page record ({exc!r})") from None


def _wanted(record: dict[str, Any], wanted: set[str] | None) -> bool:
    return wanted is None or str(record.get("id")) in wanted


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
