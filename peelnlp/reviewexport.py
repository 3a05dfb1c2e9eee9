"""Review decisions exported as corpus records.

``export_feedback`` turns every reviewed page into a corpus record (theme ``feedback``): the
raw page text, every segment labelled (corrected where reviewed, predicted otherwise) and the
statuses recomputed by the guide's rule, so ``peelnlp train`` learns from the corrections.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ResultsError
from .outpaths import refuse_overwrite
from .records import Page, parse_json
from .resultload import connect_readonly
from .results import in_chunks, is_sqlite
from .reviewstore import Labels, SegmentKey, effective_decisions, results_files, segment_key, write_atomic


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
    read_by_train: bool = False  # whether `peelnlp train` (with its default corpus) reads the file


def read_by_train(path: Path, corpus: Path | None = None) -> bool:
    """Whether ``peelnlp train`` reads this file: a ``*.jsonl`` file anywhere under the corpus
    folder (by default, the one ``peelnlp train`` uses)."""
    from .corpus import DEFAULT_CORPUS

    return path.suffix == ".jsonl" and path.resolve().is_relative_to((corpus or DEFAULT_CORPUS).resolve())


def export_feedback(results: Path, out: Path) -> ExportResult:
    """Write every reviewed page of ``results`` as a corpus record to ``out`` (JSON Lines, atomic).

    Each record is checked with the corpus rules first; a page whose raw text is unavailable or
    does not match its record stops the export with a message naming it.
    """
    refuse_overwrite(Path(out), results_files(Path(results)), "--export")
    decisions = effective_decisions(results)
    if not decisions:
        raise ResultsError(f"{results}: no review decisions to export; run `peelnlp review {results}` first")
    records = list(_checked_records(Path(results), decisions))
    write_atomic(Path(out), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r, _ in records))
    return ExportResult(Path(out), len(records), sum(n for _, n in records), read_by_train(Path(out)))


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
