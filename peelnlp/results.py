"""The results store of batch scoring: a SQLite database written one batch per transaction.

SQLite schema (version :data:`SCHEMA_VERSION`, kept in ``PRAGMA user_version`` and in ``meta``):

- ``runs``: one row per ``peelnlp score`` run: model version, corpus fingerprint (the model's
  training corpus SHA-256), inputs, started/finished (UTC ISO), counts ok/failed/skipped, state
  (``running``, ``finished`` or ``interrupted``).
- ``pages``: one row per scored or failed page, unique on (``content_hash``, ``model``): page id,
  source, run id, title, force, last comment date, counts of recommendations and gaps, the
  parser's ``warnings`` (a JSON list, NULL if none), ``error`` (NULL unless it failed) and
  ``raw`` (the page text as read, so a page can be reviewed or scored again without its input).
- ``recommendations`` (n, text), ``entries`` (the timeline: idx, date, status, comment),
  ``segments`` (idx, entry, offsets, text, kind, recs and strands as JSON lists, ``p_kind`` the
  probability of the chosen kind, all ``scores`` as JSON, needs_review), ``segment_strands``
  (one row per segment and strand, for strand queries) and ``statuses`` (n, status, reason,
  evidence as a JSON list of segment indexes). Child rows point at ``pages.page_key`` and go
  with it (ON DELETE CASCADE).
- indexes for the gap queries: statuses by status, pages by force and last comment date, pages
  by date, segment strands by strand, segments by kind, pages by page id and by run.

Each fact is stored once: the page record (SCHEMA.md) is put back together from these rows by
:func:`peelnlp.resultload.load_pages`. (Version 1 also kept the whole record as JSON in
``pages.record``, which made the database 1.7 times as large; it is migrated on opening.)

Each batch is written in one transaction, so an interrupted run keeps every finished batch and
the database stays consistent (WAL journal). The JSON Lines and CSV outputs are in
:mod:`peelnlp.resultfiles`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from . import __version__
from .errors import ResultsError
from .records import Page
from .resultrows import dumps, insert_batch, page_rows

SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
QUERY_PARAMETERS = 500  # values per IN (…) query, under SQLite's limit on query parameters


def is_sqlite(path: Path) -> bool:
    """Whether the file starts with SQLite's signature (an empty file does not)."""
    with Path(path).open("rb") as fh:
        return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def in_chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """``values`` in pieces small enough for one ``IN (…)`` query each."""
    for i in range(0, len(values), QUERY_PARAMETERS):
        yield values[i:i + QUERY_PARAMETERS]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, model TEXT NOT NULL, corpus_sha256 TEXT, inputs TEXT NOT NULL,
    started TEXT NOT NULL, finished TEXT, n_ok INTEGER NOT NULL DEFAULT 0,
    n_failed INTEGER NOT NULL DEFAULT 0, n_skipped INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'running');
CREATE TABLE IF NOT EXISTS pages (
    page_key INTEGER PRIMARY KEY, page_id TEXT NOT NULL, content_hash TEXT NOT NULL,
    model TEXT NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(run_id), source TEXT,
    title TEXT, force TEXT, last_comment_date TEXT, n_recommendations INTEGER, n_gaps INTEGER,
    warnings TEXT, error TEXT, raw TEXT, UNIQUE (content_hash, model));
CREATE TABLE IF NOT EXISTS recommendations (
    page_key INTEGER NOT NULL REFERENCES pages(page_key) ON DELETE CASCADE, n INTEGER NOT NULL,
    text TEXT NOT NULL, PRIMARY KEY (page_key, n));
CREATE TABLE IF NOT EXISTS entries (
    page_key INTEGER NOT NULL REFERENCES pages(page_key) ON DELETE CASCADE, idx INTEGER NOT NULL,
    date TEXT, status TEXT, comment TEXT, PRIMARY KEY (page_key, idx));
CREATE TABLE IF NOT EXISTS segments (
    page_key INTEGER NOT NULL REFERENCES pages(page_key) ON DELETE CASCADE, idx INTEGER NOT NULL,
    entry INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    kind TEXT, recs TEXT NOT NULL, strands TEXT NOT NULL, p_kind REAL, scores TEXT,
    needs_review INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (page_key, idx));
CREATE TABLE IF NOT EXISTS segment_strands (
    page_key INTEGER NOT NULL REFERENCES pages(page_key) ON DELETE CASCADE, idx INTEGER NOT NULL,
    strand TEXT NOT NULL, PRIMARY KEY (page_key, idx, strand));
CREATE TABLE IF NOT EXISTS statuses (
    page_key INTEGER NOT NULL REFERENCES pages(page_key) ON DELETE CASCADE, n INTEGER NOT NULL,
    status TEXT NOT NULL, reason TEXT, evidence TEXT NOT NULL, PRIMARY KEY (page_key, n));
CREATE INDEX IF NOT EXISTS pages_page_id ON pages(page_id);
CREATE INDEX IF NOT EXISTS pages_force ON pages(force, last_comment_date);
CREATE INDEX IF NOT EXISTS pages_date ON pages(last_comment_date);
CREATE INDEX IF NOT EXISTS pages_run ON pages(run_id);
CREATE INDEX IF NOT EXISTS statuses_status ON statuses(status, page_key);
CREATE INDEX IF NOT EXISTS segments_kind ON segments(kind);
CREATE INDEX IF NOT EXISTS segment_strands_strand ON segment_strands(strand, page_key);
"""


@dataclass(frozen=True)
class Scored:
    """One input's outcome: its tagged page, or the error that stopped it."""

    key: str
    name: str
    source: str
    page: Page | None = None
    error: str | None = None
    raw: str | None = None
    encoded: Any = None  # the page already encoded for the sink (by the worker that scored it)


@dataclass(frozen=True)
class RunInfo:
    model: str
    corpus_sha256: str | None
    inputs: tuple[str, ...]


@dataclass
class Counts:
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    warned: int = 0  # inputs read with a warning (bytes that are not UTF-8); the first few warnings:
    warnings: list[str] = field(default_factory=list)


class ResultsSink(Protocol):
    """What the scoring loop writes to. ``write`` gets one batch; ``abort`` keeps what was committed.

    ``encoder`` (a module-level function, or None) turns a tagged page into what ``write`` stores;
    the workers that score pages apply it, so the writing process has less to do."""

    encoder: Callable[[Page], Any] | None

    def start(self, run: RunInfo) -> None: ...
    def already_scored(self, keys: Sequence[str]) -> set[str]: ...
    def write(self, batch: Sequence[Scored]) -> None: ...
    def finish(self, counts: Counts) -> None: ...
    def abort(self, counts: Counts) -> None: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if need be) a results database at the current schema version."""
    _check_sqlite_file(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: an app crash never loses a commit
        conn.execute("PRAGMA foreign_keys=ON")
        # Batches touch the same index pages again and again; a larger cache and fewer checkpoints
        # copy them from the log into the database less often (about a tenth less time writing).
        conn.execute("PRAGMA cache_size=-16384")  # 16 MiB
        conn.execute("PRAGMA wal_autocheckpoint=10000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ResultsError(
                f"{path}: results schema version {version} is newer than this peelnlp's "
                f"({SCHEMA_VERSION}); upgrade peelnlp or write to a new file"
            )
        _create_schema(conn, path, version)
    except sqlite3.DatabaseError as exc:
        raise ResultsError(f"{path}: cannot use as a results database ({exc}); pass a new --out path") from None
    return conn


def _check_sqlite_file(path: Path) -> None:
    if path.is_dir():
        raise ResultsError(f"{path}: is a directory; expected a results file path such as results.sqlite")
    if path.exists() and path.stat().st_size and not is_sqlite(path):
        raise ResultsError(f"{path}: exists and is not a SQLite database; pass a new --out path or --format jsonl|csv")


def _create_schema(conn: sqlite3.Connection, path: Path, version: int) -> None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if version == 0 and tables and "pages" not in tables:
        raise ResultsError(f"{path}: is a SQLite database but not a peelnlp results database; pass a new --out path")
    if version == 1:
        _migrate_from_v1(conn)
    conn.executescript(_SCHEMA)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?), ('peelnlp_version', ?)",
                 (str(SCHEMA_VERSION), __version__))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _migrate_from_v1(conn: sqlite3.Connection) -> None:
    """Version 1 kept each page's whole record in ``pages.record``; all but its warnings are in
    the child tables too."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("ALTER TABLE pages ADD COLUMN warnings TEXT")
        conn.execute("UPDATE pages SET warnings = json_extract(record, '$.warnings') "
                     "WHERE json_type(record, '$.warnings') = 'array'")
        if sqlite3.sqlite_version_info >= (3, 35):
            conn.execute("ALTER TABLE pages DROP COLUMN record")
        else:  # no DROP COLUMN before SQLite 3.35: the column stays, empty
            conn.execute("UPDATE pages SET record = NULL")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class SQLiteSink:
    """Pages and their parts as rows; one transaction per batch."""

    encoder = staticmethod(page_rows)

    def __init__(self, path: Path) -> None:
        self.path = path
        self.created = not path.exists()
        self.conn = connect(path)
        self.run_id: int | None = None
        self.model = ""

    def start(self, run: RunInfo) -> None:
        self.model = run.model
        cur = self.conn.execute(
            "INSERT INTO runs (model, corpus_sha256, inputs, started) VALUES (?, ?, ?, ?)",
            (run.model, run.corpus_sha256, dumps(list(run.inputs)), _now()),
        )
        self.run_id = cur.lastrowid

    def already_scored(self, keys: Sequence[str]) -> set[str]:
        """Keys of pages this model already scored without error (failed pages are tried again)."""
        found: set[str] = set()
        for part in in_chunks(keys):
            rows = self.conn.execute(
                "SELECT content_hash FROM pages WHERE model = ? AND error IS NULL "
                f"AND content_hash IN ({','.join('?' * len(part))})", (self.model, *part),
            )
            found.update(r[0] for r in rows)
        return found

    def write(self, batch: Sequence[Scored]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            insert_batch(self.conn, batch, self.model, self.run_id)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def finish(self, counts: Counts) -> None:
        self._close_run(counts, "finished")

    def abort(self, counts: Counts) -> None:
        """Keep the committed batches; a database this run created and wrote no page to goes."""
        self._close_run(counts, "interrupted")
        if self.created and not counts.ok + counts.failed:
            for name in (self.path.name, self.path.name + "-wal", self.path.name + "-shm"):
                self.path.with_name(name).unlink(missing_ok=True)

    def _close_run(self, counts: Counts, state: str) -> None:
        if self.run_id is not None:
            self.conn.execute(
                "UPDATE runs SET finished = ?, n_ok = ?, n_failed = ?, n_skipped = ?, state = ? WHERE run_id = ?",
                (_now(), counts.ok, counts.failed, counts.skipped, state, self.run_id),
            )
        settle_journal(self.conn)
        self.conn.close()


def settle_journal(conn: sqlite3.Connection) -> None:
    """Leave the database one file, in rollback-journal mode, once the writing is done.

    WAL mode lets a run commit batches while others read, but a WAL database is read through a
    -shm file beside it, which a read-only reader (``gaps``, ``report``) creates and cannot remove,
    and which a folder on read-only media does not allow at all. Another connection still open
    keeps the mode as it is; the next writer sets WAL again."""
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA journal_mode=DELETE")
