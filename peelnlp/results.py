"""Where batch scoring puts its results: a SQLite database, a JSON Lines file or two CSV files.

SQLite schema (version :data:`SCHEMA_VERSION`, kept in ``PRAGMA user_version`` and in ``meta``):

- ``runs``: one row per ``peelnlp score`` run: model version, corpus fingerprint (the model's
  training corpus SHA-256), inputs, started/finished (UTC ISO), counts ok/failed/skipped, state
  (``running``, ``finished`` or ``interrupted``).
- ``pages``: one row per scored or failed page, unique on (``content_hash``, ``model``): page id,
  source, run id, title, force, last comment date, counts of recommendations and gaps, the full
  page record as JSON (``record``, the SCHEMA.md shape), ``error`` (NULL unless it failed) and
  ``raw`` (the page text as read, so a page can be reviewed or scored again without its input).
- ``recommendations`` (n, text), ``entries`` (the timeline: idx, date, status, comment),
  ``segments`` (idx, entry, offsets, text, kind, recs and strands as JSON lists, ``p_kind`` the
  probability of the chosen kind, all ``scores`` as JSON, needs_review), ``segment_strands``
  (one row per segment and strand, for strand queries) and ``statuses`` (n, status, reason,
  evidence as a JSON list of segment indexes). Child rows point at ``pages.page_key`` and go
  with it (ON DELETE CASCADE).

Each batch is written in one transaction, so an interrupted run keeps every finished batch and
the database stays consistent (WAL journal). File outputs are written to ``PATH.part`` and
renamed into place when the run finishes, so an interrupted run leaves no half-written file.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from . import __version__
from .errors import ResultsError
from .records import Page

SCHEMA_VERSION = 1
FORMATS = ("sqlite", "jsonl", "csv")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_SQLITE_MAGIC = b"SQLite format 3\x00"

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
    record TEXT, error TEXT, raw TEXT, UNIQUE (content_hash, model));
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


class ResultsSink(Protocol):
    """What the scoring loop writes to. ``write`` gets one batch; ``abort`` keeps what was committed."""

    def start(self, run: RunInfo) -> None: ...
    def already_scored(self, keys: Sequence[str]) -> set[str]: ...
    def write(self, batch: Sequence[Scored]) -> None: ...
    def finish(self, counts: Counts) -> None: ...
    def abort(self, counts: Counts) -> None: ...


def output_format(path: Path, to: str | None = None) -> str:
    """``--to`` if given, else from the suffix of ``--out``; SQLite when the suffix says nothing."""
    if to is not None:
        if to not in FORMATS:
            raise ResultsError(f"output format {to!r} is not one of {', '.join(FORMATS)}")
        return to
    return _SUFFIXES.get(path.suffix.lower(), "sqlite")


def open_sink(path: Path, to: str | None = None) -> ResultsSink:
    fmt = output_format(path, to)
    if fmt == "sqlite":
        return SQLiteSink(path)
    return JsonlSink(path) if fmt == "jsonl" else CsvSink(path)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if need be) a results database at the current schema version."""
    _check_sqlite_file(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: an app crash never loses a commit
        conn.execute("PRAGMA foreign_keys=ON")
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
    if path.exists() and path.stat().st_size:
        with path.open("rb") as fh:
            if fh.read(16) != _SQLITE_MAGIC:
                raise ResultsError(f"{path}: exists and is not a SQLite database; pass a new --out path or --to jsonl|csv")


def _create_schema(conn: sqlite3.Connection, path: Path, version: int) -> None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if version == 0 and tables and "pages" not in tables:
        raise ResultsError(f"{path}: is a SQLite database but not a peelnlp results database; pass a new --out path")
    conn.executescript(_SCHEMA)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?), ('peelnlp_version', ?)",
                 (str(SCHEMA_VERSION), __version__))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


class SQLiteSink:
    """Pages and their parts as rows; one transaction per batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path)
        self.run_id: int | None = None
        self.model = ""

    def start(self, run: RunInfo) -> None:
        self.model = run.model
        cur = self.conn.execute(
            "INSERT INTO runs (model, corpus_sha256, inputs, started) VALUES (?, ?, ?, ?)",
            (run.model, run.corpus_sha256, _dumps(list(run.inputs)), _now()),
        )
        self.run_id = cur.lastrowid

    def already_scored(self, keys: Sequence[str]) -> set[str]:
        """Keys of pages this model already scored without error (failed pages are tried again)."""
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT content_hash FROM pages WHERE model = ? AND error IS NULL AND content_hash IN ({marks})",
            (self.model, *keys),
        )
        return {r[0] for r in rows}

    def write(self, batch: Sequence[Scored]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                _insert(self.conn, item, self.model, self.run_id)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def finish(self, counts: Counts) -> None:
        self._close_run(counts, "finished")

    def abort(self, counts: Counts) -> None:
        self._close_run(counts, "interrupted")

    def _close_run(self, counts: Counts, state: str) -> None:
        if self.run_id is not None:
            self.conn.execute(
                "UPDATE runs SET finished = ?, n_ok = ?, n_failed = ?, n_skipped = ?, state = ? WHERE run_id = ?",
                (_now(), counts.ok, counts.failed, counts.skipped, state, self.run_id),
            )
        self.conn.close()


def _insert(conn: sqlite3.Connection, item: Scored, model: str, run_id: int | None) -> None:
    # A page scored again (it failed before, or came twice) replaces its old row and children.
    conn.execute("DELETE FROM pages WHERE content_hash = ? AND model = ?", (item.key, model))
    page = item.page
    if page is None:
        conn.execute(
            "INSERT INTO pages (page_id, content_hash, model, run_id, source, error, raw) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item.name, item.key, model, run_id, item.source, item.error, item.raw),
        )
        return
    gaps = sum(1 for s in page.status if s.is_gap)
    key = conn.execute(
        "INSERT INTO pages (page_id, content_hash, model, run_id, source, title, force, last_comment_date, "
        "n_recommendations, n_gaps, record, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (page.id, item.key, model, run_id, item.source, page.title, page.force, page.last_comment_date(),
         len(page.recommendations), gaps, _dumps(page.to_dict()), item.raw),
    ).lastrowid
    _insert_parts(conn, key, page)


def _insert_parts(conn: sqlite3.Connection, key: int | None, page: Page) -> None:
    conn.executemany("INSERT INTO recommendations VALUES (?, ?, ?)", [(key, r.n, r.text) for r in page.recommendations])
    conn.executemany(
        "INSERT INTO entries VALUES (?, ?, ?, ?, ?)",
        [(key, i, e.date, e.status, e.comment) for i, e in enumerate(page.timeline)],
    )
    conn.executemany("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (key, i, s.entry, s.start, s.end, s.text, s.kind, _dumps(list(s.recs)), _dumps(list(s.strands)),
         _p_kind(s.scores, s.kind), _dumps(s.scores) if s.scores is not None else None, int(s.needs_review))
        for i, s in enumerate(page.segments)
    ])
    conn.executemany(
        "INSERT INTO segment_strands VALUES (?, ?, ?)",
        [(key, i, strand) for i, s in enumerate(page.segments) for strand in s.strands],
    )
    conn.executemany(
        "INSERT INTO statuses VALUES (?, ?, ?, ?, ?)",
        [(key, s.n, s.status, s.reason, _dumps(list(s.evidence))) for s in page.status],
    )


def _p_kind(scores: dict[str, Any] | None, kind: str | None) -> float | None:
    if not scores or kind is None:
        return None
    p = scores.get("kind", {}).get(kind)
    return float(p) if p is not None else None


class _AtomicFiles:
    """Files written as ``NAME.part`` and renamed into place only when the run finishes."""

    def __init__(self, *paths: Path) -> None:
        self.paths = paths
        self.model = ""
        self.parts = [p.with_name(p.name + ".part") for p in paths]
        try:
            self.handles = [part.open("w", encoding="utf-8", newline="") for part in self.parts]
        except OSError as exc:
            raise ResultsError(f"{exc.filename}: cannot write ({exc.strerror}); check the --out path") from None

    def already_scored(self, keys: Sequence[str]) -> set[str]:
        return set()  # a file is rewritten whole by each run

    def start(self, run: RunInfo) -> None:
        self.model = run.model

    def finish(self, counts: Counts) -> None:
        for handle, part, path in zip(self.handles, self.parts, self.paths):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(part, path)

    def abort(self, counts: Counts) -> None:
        for handle, part in zip(self.handles, self.parts):
            handle.close()
            part.unlink(missing_ok=True)


class JsonlSink(_AtomicFiles):
    """One page record per line, plus ``raw`` (the page text); a failed input is ``{"id", "source", "error"}``."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)

    def write(self, batch: Sequence[Scored]) -> None:
        out = self.handles[0]
        for item in batch:
            if item.page is None:
                record = {"id": item.name, "source": item.source, "error": item.error}
            else:
                record = {**item.page.to_dict(), "raw": item.raw} if item.raw is not None else item.page.to_dict()
            out.write(_dumps(record) + "\n")


SEGMENT_COLUMNS = ("page_id", "source", "model", "title", "force", "segment", "entry", "date", "kind", "recs",
                   "strands", "p_kind", "needs_review", "text", "error")
STATUS_COLUMNS = ("page_id", "source", "model", "force", "last_comment_date", "n", "recommendation", "status",
                  "reason", "evidence")


def status_csv_path(path: Path) -> Path:
    """The second CSV file: PATH's stem + ``_status.csv`` beside it."""
    return path.with_name(path.stem + "_status.csv")


class CsvSink(_AtomicFiles):
    """One row per segment in PATH; one row per recommendation status in PATH-stem_status.csv."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, status_csv_path(path))
        self.segments, self.statuses = (csv.writer(h) for h in self.handles)
        self.segments.writerow(SEGMENT_COLUMNS)
        self.statuses.writerow(STATUS_COLUMNS)

    def write(self, batch: Sequence[Scored]) -> None:
        for item in batch:
            if item.page is None:
                self.segments.writerow([item.name, item.source, self.model, *[""] * 11, item.error])
                continue
            self.segments.writerows(_segment_rows(item, self.model))
            self.statuses.writerows(_status_rows(item, self.model))


def _segment_rows(item: Scored, model: str) -> Iterator[list[Any]]:
    page = item.page
    assert page is not None
    for i, s in enumerate(page.segments):
        p = _p_kind(s.scores, s.kind)
        yield [page.id, item.source, model, page.title, page.force, i, s.entry, page.timeline[s.entry].date,
               s.kind, ";".join(map(str, s.recs)), ";".join(s.strands), "" if p is None else f"{p:.4f}",
               int(s.needs_review), s.text, ""]


def _status_rows(item: Scored, model: str) -> Iterator[list[Any]]:
    page = item.page
    assert page is not None
    texts = {r.n: r.text for r in page.recommendations}
    last = page.last_comment_date()
    for st in page.status:
        yield [page.id, item.source, model, page.force, last, st.n, texts.get(st.n, ""), st.status, st.reason,
               ";".join(map(str, st.evidence))]


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
    yield from _sqlite_pages(path, model) if magic == _SQLITE_MAGIC else _jsonl_pages(path)


def _sqlite_pages(path: Path, model: str | None) -> Iterator[Page]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if model is None:
            row = conn.execute("SELECT model FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
            model = row[0] if row else ""
        rows = conn.execute(
            "SELECT record FROM pages WHERE model = ? AND error IS NULL ORDER BY page_key", (model,)
        )
        for (record,) in rows:
            yield Page.from_dict(json.loads(record))
    except sqlite3.DatabaseError as exc:
        raise ResultsError(f"{path}: not a readable peelnlp results database ({exc})") from None
    finally:
        conn.close()


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
