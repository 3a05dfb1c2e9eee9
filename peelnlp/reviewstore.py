"""Review decisions: stored the moment they are made (:mod:`peelnlp.reviewexport` exports them).

Decisions live in a ``review_decisions`` table: in the results database itself, or for a JSON
Lines results file in a sidecar SQLite file ``RESULTS.review.sqlite``. The table is an append-only
log: each row is the labels a reviewer settled on for one segment; undo marks a row ``undone``.
The effective decision for a segment is its latest row that is not undone, so quitting or a crash
loses nothing, and a later review resumes where the last one stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ResultsError
from .records import Page, Segment
from .resultload import check_results_path, connect_readonly, connect_uri
from .results import is_sqlite, settle_journal

SIDECAR_SUFFIX = ".review.sqlite"

_TABLE = """
CREATE TABLE IF NOT EXISTS review_decisions (
    id INTEGER PRIMARY KEY,
    page_id TEXT NOT NULL, segment INTEGER NOT NULL, entry INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('accept', 'correct')),
    kind TEXT NOT NULL, recs TEXT NOT NULL, strands TEXT NOT NULL,
    predicted_kind TEXT, predicted_recs TEXT, predicted_strands TEXT, model TEXT,
    decided_at TEXT NOT NULL, undone INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS review_decisions_page ON review_decisions(page_id);
"""


@dataclass(frozen=True)
class Labels:
    """The three labels of a segment."""

    kind: str
    recs: tuple[int, ...]
    strands: tuple[str, ...]

    @classmethod
    def of(cls, seg: Segment) -> Labels:
        return cls(seg.kind or "other", tuple(seg.recs), tuple(seg.strands))

    def describe(self) -> str:
        return (f"kind {self.kind} · recs {', '.join(map(str, self.recs)) or 'none'} · "
                f"strands {', '.join(self.strands) or 'none'}")


SegmentKey = tuple[str, int, int, int, str]


def segment_key(page_id: str, seg: Segment) -> SegmentKey:
    """Which segment a decision is about: stable across re-reads of the same page."""
    return (page_id, seg.entry, seg.start, seg.end, seg.text)


def decisions_path(results: Path) -> Path:
    """The results database itself, or the sidecar file beside a JSON Lines results file."""
    results = Path(results)
    check_results_path(results)
    return results if is_sqlite(results) else results.with_name(results.name + SIDECAR_SUFFIX)


def results_files(results: Path) -> list[tuple[str, Path]]:
    """The files that hold a results file's data, which no output may replace: the results file
    and, beside a JSON Lines one, its review decisions."""
    return [("results file", results), ("review decisions file", results.with_name(results.name + SIDECAR_SUFFIX))]


def writable_decisions_path(results: Path) -> Path:
    """:func:`decisions_path`, refused up front where it cannot be written: a review saves each
    decision the moment it is made."""
    results = Path(results)
    path = decisions_path(results)
    # SQLite writes its journal (in WAL mode, the -wal and -shm files) beside the file: the folder
    # must be writable as well as the file.
    if os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK)):
        return path
    where = path.parent if not os.access(path.parent, os.W_OK) else path
    copy = path.name if path == results else f"{results.name} (with {path.name}, if there is one)"
    raise ResultsError(f"{path}: review decisions cannot be saved: {where} is not writable (read-only media, or no "
                       f"write permission); copy {copy} to a writable folder and review the copy")


def effective_decisions(results: Path) -> dict[SegmentKey, Labels]:
    """The latest decision still in force for each reviewed segment, read without creating the
    decision store (none yet: no decisions)."""
    path = decisions_path(results)
    if not path.is_file():
        return {}
    try:
        conn = connect_readonly(path)
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'review_decisions'").fetchone():
                return {}
            return _effective(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ResultsError(f"{path}: cannot read review decisions ({exc}); expected the SQLite file "
                           "an earlier `peelnlp review` wrote") from None


def _effective(conn: sqlite3.Connection) -> dict[SegmentKey, Labels]:
    rows = conn.execute('SELECT page_id, entry, start, "end", text, kind, recs, strands FROM review_decisions '
                        "WHERE undone = 0 ORDER BY id").fetchall()
    return {(p, e, s, n, t): Labels(k, tuple(json.loads(r)), tuple(json.loads(st))) for p, e, s, n, t, k, r, st in rows}


class DecisionStore:
    """The ``review_decisions`` table; every write commits at once."""

    def __init__(self, results: Path) -> None:
        self.path = writable_decisions_path(results)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            # WAL: each decision commits while the results' reader holds the same file open.
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.executescript(_TABLE)
        except sqlite3.DatabaseError as exc:
            raise ResultsError(f"{self.path}: cannot store review decisions ({exc}); "
                               "check the file is a writable SQLite database") from None

    def record(self, page: Page, index: int, labels: Labels, model: str | None = None) -> int:
        """Save one decision (``accept`` when it keeps the prediction); returns its row id."""
        seg = page.segments[index]
        predicted = Labels.of(seg)
        row = (page.id, index, seg.entry, seg.start, seg.end, seg.text,
               "accept" if labels == predicted else "correct", labels.kind, _dumps(labels.recs),
               _dumps(labels.strands), predicted.kind, _dumps(predicted.recs), _dumps(predicted.strands),
               model or page.model, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        cur = self._execute(
            'INSERT INTO review_decisions (page_id, segment, entry, start, "end", text, action, kind, recs, '
            "strands, predicted_kind, predicted_recs, predicted_strands, model, decided_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        return int(cur.lastrowid or 0)

    def undo(self, decision_id: int) -> None:
        self._execute("UPDATE review_decisions SET undone = 1 WHERE id = ?", (decision_id,))

    def effective(self) -> dict[SegmentKey, Labels]:
        """The latest decision still in force for each reviewed segment."""
        try:
            return _effective(self.conn)
        except sqlite3.Error as exc:
            raise ResultsError(f"{self.path}: cannot read review decisions ({exc})") from None

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as exc:  # locked by another writer, disk full, file removed …
            raise ResultsError(f"{self.path}: review decision not saved ({exc}); close other programs "
                               "using the file, or check the disk, then run the review again") from None

    def close(self) -> None:
        # Copy the decisions from the WAL log into the database file now: the results' reader closes
        # after this connection and, being read-only, cannot; a database copied without its -wal
        # file (to a read-only share, say) would lose them. PASSIVE never waits on a reader.
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self.conn.close()


def settle(path: Path) -> None:
    """Leave a decision store one file (:func:`peelnlp.results.settle_journal`) once every
    connection to it has closed."""
    with contextlib.suppress(sqlite3.Error):  # never create the file, nor fail the review over it
        with contextlib.closing(connect_uri(path, "mode=rw", timeout=1)) as conn:
            settle_journal(conn)


def _dumps(value: Any) -> str:
    return json.dumps(list(value), ensure_ascii=False)


def write_atomic(path: Path, text: str | Iterable[str]) -> int:
    """Write ``path.part`` and rename it into place, so a reader never sees half a file; ``text``
    may come in pieces, written as they come. Returns the bytes written."""
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with part.open("w", encoding="utf-8") as fh:
            fh.writelines([text] if isinstance(text, str) else text)
            fh.flush()
            os.fsync(fh.fileno())
        size = part.stat().st_size
        os.replace(part, path)
    except OSError as exc:
        _remove(part)
        where = f": {exc.filename}" if exc.filename and str(exc.filename) != str(part) else ""
        raise ResultsError(f"{path}: cannot write ({exc.strerror}{where}); check the folder exists and is writable") from None
    except BaseException:  # the pieces failed to come (a bad results file, Ctrl-C): no half file is left
        _remove(part)
        raise
    return size


def _remove(part: Path) -> None:
    """Remove a half-written file, if there is one and its folder can be reached at all."""
    with contextlib.suppress(OSError):
        part.unlink(missing_ok=True)
