"""Review decisions: stored the moment they are made, and exported as corpus records.

Decisions live in a ``review_decisions`` table: in the results database itself, or for a JSON
Lines results file in a sidecar SQLite file ``RESULTS.review.sqlite``. The table is an append-only
log: each row is the labels a reviewer settled on for one segment; undo marks a row ``undone``.
The effective decision for a segment is its latest row that is not undone, so quitting or a crash
loses nothing, and a later review resumes where the last one stopped.

``export_feedback`` turns every reviewed page into a corpus record (theme ``feedback``): the
raw page text, every segment labelled (corrected where reviewed, predicted otherwise) and the
statuses recomputed by the guide's rule, so ``peelnlp train`` learns from the corrections.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ResultsError
from .records import Page, Segment, parse_json
from .resultload import connect_readonly
from .results import in_chunks, is_sqlite

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
    if not results.is_file():
        raise ResultsError(f"{results}: no such results file; run `peelnlp score … --out {results}` first")
    return results if is_sqlite(results) else results.with_name(results.name + SIDECAR_SUFFIX)


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


def _dumps(value: Any) -> str:
    return json.dumps(list(value), ensure_ascii=False)


def apply_decisions(page: Page, decisions: dict[SegmentKey, Labels]) -> tuple[Page, int]:
    """The page with reviewed labels in place of predicted ones, and how many segments changed."""
    segments, reviewed = [], 0
    for seg in page.segments:
        labels = decisions.get(segment_key(page.id, seg))
        if labels is not None:
            reviewed += 1
            seg = replace(seg, kind=labels.kind, recs=labels.recs, strands=labels.strands)
        segments.append(seg)
    return replace(page, segments=tuple(segments)), reviewed


def feedback_record(page: Page, raw: str, decisions: dict[SegmentKey, Labels]) -> tuple[dict[str, Any], int] | None:
    """A corpus record for a reviewed page and its number of reviewed segments (None if none)."""
    from .gaps import rec_status

    fixed, reviewed = apply_decisions(page, decisions)
    if not reviewed:
        return None
    return {
        "id": page.id, "title": page.title, "force": page.force, "theme": "feedback", "raw": raw,
        "recommendations": [r.to_dict() for r in page.recommendations],
        "timeline": [e.to_dict() for e in page.timeline],
        "segments": [{"entry": s.entry, "text": s.text, "kind": s.kind, "recs": list(s.recs),
                      "strands": list(s.strands)} for s in fixed.segments],
        "status": [{"n": r.n, "status": rec_status(r.n, fixed.segments).status} for r in page.recommendations],
        "notes": f"{reviewed} segment(s) reviewed; other labels predicted by model {page.model or 'unknown'}",
    }, reviewed


def raw_texts(results: Path, page_ids: set[str]) -> dict[str, str]:
    """The raw page text of each of ``page_ids`` in a results file, where the file keeps it.

    JSON Lines records may carry a ``raw`` field. A results database may have a ``raw`` column
    in ``pages``; failing that, the page file named in ``source`` is read if it still exists
    (the export checks that it parses to the same page before using it). Only the pages asked for
    are kept: a review touches a few pages of a results file that may hold a hundred thousand.
    """
    return _sqlite_raw(Path(results), page_ids) if is_sqlite(results) else _jsonl_raw(Path(results), page_ids)


def _sqlite_raw(results: Path, page_ids: set[str]) -> dict[str, str]:
    texts: dict[str, str | None] = {}
    try:
        with contextlib.closing(connect_readonly(results)) as conn:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(pages)")}
            wanted = "raw" if "raw" in columns else "NULL"  # databases written before the column existed
            for chunk in in_chunks(sorted(page_ids)):
                rows = conn.execute(f"SELECT page_id, {wanted}, source FROM pages WHERE error IS NULL "
                                    f"AND page_id IN ({','.join('?' * len(chunk))}) ORDER BY page_key", chunk)
                texts.update((page_id, raw if raw is not None else _read_source(source)) for page_id, raw, source in rows)
    except sqlite3.DatabaseError as exc:
        raise ResultsError(f"{results}: not a readable results database ({exc})") from None
    return {page_id: text for page_id, text in texts.items() if text is not None}


def _jsonl_raw(results: Path, page_ids: set[str]) -> dict[str, str]:
    found = {}
    with results.open(encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            try:
                record = parse_json(line)
            except json.JSONDecodeError:
                continue  # load_pages reports broken lines; here they just carry no text
            if isinstance(record, dict) and str(record.get("id")) in page_ids and isinstance(record.get("raw"), str):
                found[str(record.get("id"))] = record["raw"]
    return found


def _read_source(source: str | None) -> str | None:
    if not source or source == "-":
        return None
    try:
        return Path(source).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    pages: int
    segments_reviewed: int


def export_feedback(results: Path, out: Path) -> ExportResult:
    """Write every reviewed page of ``results`` as a corpus record to ``out`` (JSON Lines, atomic).

    Each record is checked with the corpus rules first; a page whose raw text is unavailable or
    does not match its record stops the export with a message naming it.
    """
    decisions = effective_decisions(results)
    if not decisions:
        raise ResultsError(f"{results}: no review decisions to export; run `peelnlp review {results}` first")
    records = list(_checked_records(Path(results), decisions))
    write_atomic(Path(out), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r, _ in records))
    return ExportResult(Path(out), len(records), sum(n for _, n in records))


def _checked_records(results: Path, decisions: dict[SegmentKey, Labels]) -> Iterator[tuple[dict[str, Any], int]]:
    from .corpuscheck import check_record
    from .gapquery import load_pages

    reviewed_ids = {key[0] for key in decisions}
    raws = raw_texts(results, reviewed_ids) if reviewed_ids else {}
    for page in load_pages(results, reviewed_ids):
        found = feedback_record(page, _raw_for(page, raws), decisions)
        problems = check_record(found[0]) if found else []
        if problems:
            raise ResultsError(f"page {page.id}: the exported record would not pass `peelnlp corpus check`: "
                               f"{problems[0]}; is the raw text for this page the text that was scored?")
        if found:
            yield found


def _raw_for(page: Page, raws: dict[str, str]) -> str:
    raw = raws.get(page.id)
    if raw is None:
        raise ResultsError(
            f"page {page.id}: the results keep no raw page text, which a corpus record needs; "
            "expected a 'raw' field in each JSON Lines record or a 'raw' column in the pages table "
            "(or the scored page file still at its 'source' path)")
    return raw


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
