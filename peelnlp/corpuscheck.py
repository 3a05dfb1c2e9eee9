"""Validation of one corpus record: every rule the training data must keep, all problems at once."""

from __future__ import annotations

import re
from typing import Any

from .gaps import rec_status
from .parse import parse_page
from .records import KINDS, STATUSES, STRANDS, Segment
from .recsplit import clean_rec

_GAP = re.compile(r"^[\s•◦▪●○■·*\-–]*(?:\(?[a-z0-9]{1,3}\)|[0-9]{1,2}[.)])?[\s•◦▪●○■·*\-–]*$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def check_record(record: Any) -> list[str]:
    """Every problem of one record; the text, status and raw-page checks run once its structure is sound."""
    problems = _check_structure(record)
    if problems:
        return problems
    problems += _check_dates(record["timeline"])
    problems += [p for j, seg in enumerate(record["segments"]) for p in _check_labels(j, seg, len(record["recommendations"]))]
    problems += _check_segments(record)
    problems += _check_status(record)
    problems += _check_raw(record)
    return problems


def check_fields(record: Any) -> list[str]:
    """The problems that stop the record from being read as a labelled page: its structure and its
    labels. Cheaper than :func:`check_record`, which also parses the raw page."""
    problems = _check_structure(record)
    if problems:
        return problems
    return [p for j, seg in enumerate(record["segments"]) for p in _check_labels(j, seg, len(record["recommendations"]))]


def _check_structure(record: Any) -> list[str]:
    if not isinstance(record, dict):
        return [f"expected a JSON object, found {type(record).__name__}"]
    problems = _check_shape(record)
    if problems:
        return problems
    problems += _check_entries(record["timeline"])
    for j, seg in enumerate(record["segments"]):
        entry = seg.get("entry") if isinstance(seg, dict) else None
        if not isinstance(seg, dict) or not isinstance(seg.get("text"), str) or not seg["text"]:
            problems.append(f"segment {j} should be an object whose text is a non-empty string, found {str(seg)[:60]}")
        elif not isinstance(entry, int) or not 0 <= entry < len(record["timeline"]) \
                or not isinstance(record["timeline"][entry], dict) or "comment" not in record["timeline"][entry]:
            problems.append(f"segment {j} entry {entry!r} is not the index of a comment in the timeline")
    for i, status in enumerate(record["status"]):
        if not isinstance(status, dict) or not isinstance(status.get("n"), int) or not isinstance(status.get("status"), str):
            problems.append(f"status {i} should be {{\"n\": {i + 1}, \"status\": …}}, found {str(status)[:60]}")
        elif status["status"] not in STATUSES:
            problems.append(f"status {i} {status['status']!r} is not one of {', '.join(STATUSES)}")
    return problems


def _check_shape(record: dict[str, Any]) -> list[str]:
    problems = []
    for key, kind in (("id", str), ("raw", str), ("recommendations", list), ("timeline", list),
                      ("segments", list), ("status", list)):
        if not isinstance(record.get(key), kind):
            problems.append(f"field {key!r} should be a {kind.__name__}, found {type(record.get(key)).__name__}")
    for i, rec in enumerate(record.get("recommendations") or [], start=1):
        if not isinstance(rec, dict) or rec.get("n") != i or not isinstance(rec.get("text"), str) or not _norm(rec["text"]):
            problems.append(f"recommendation {i} should be {{\"n\": {i}, \"text\": …}}, found {str(rec)[:60]}")
    return problems


def _check_entries(timeline: list[Any]) -> list[str]:
    problems = []
    for i, entry in enumerate(timeline):
        if not isinstance(entry, dict) or ("status" in entry) == ("comment" in entry):
            problems.append(f"timeline entry {i} should have exactly one of 'status' or 'comment'")
        elif not isinstance(entry.get("status", entry.get("comment")), str):
            problems.append(f"timeline entry {i} {'status' if 'status' in entry else 'comment'} should be text, "
                            f"found {str(entry.get('status', entry.get('comment')))[:40]}")
    return problems


def _check_dates(timeline: list[dict[str, Any]]) -> list[str]:
    return [f"timeline entry {i} date {entry['date']!r} is not YYYY-MM-DD or null" for i, entry in enumerate(timeline)
            if entry.get("date") is not None and not _ISO.match(str(entry["date"]))]


def _check_segments(record: dict[str, Any]) -> list[str]:
    timeline = record["timeline"]
    problems, cursor = [], {}
    for j, seg in enumerate(record["segments"]):
        entry = seg["entry"]
        comment, start = timeline[entry]["comment"], cursor.get(entry, 0)
        found = comment.find(seg["text"], start)
        if found < 0:
            problems.append(f"segment {j} text is not in comment {entry} after the previous segment: {str(seg.get('text'))[:50]!r}")
            continue
        if not _GAP.match(comment[start:found]):
            problems.append(f"segment {j}: comment {entry} text before it is in no segment: {comment[start:found][:50]!r}")
        cursor[entry] = found + len(seg["text"])
    for entry, e in enumerate(timeline):
        rest = e.get("comment", "")[cursor.get(entry, 0):]
        if rest and not _GAP.match(rest):
            problems.append(f"comment {entry} ends with text in no segment: {rest[:50]!r}")
    return problems


def _check_labels(j: int, seg: dict[str, Any], n_recs: int) -> list[str]:
    problems = []
    if seg.get("kind") not in KINDS:
        problems.append(f"segment {j} kind {seg.get('kind')!r} is not one of {', '.join(KINDS)}")
    strands = seg.get("strands")
    if not isinstance(strands, list) or any(s not in STRANDS for s in strands):
        problems.append(f"segment {j} strands {strands!r}: expected a list, each one of {', '.join(STRANDS)}")
    recs = seg.get("recs")
    if not isinstance(recs, list) or any(not isinstance(n, int) or not 1 <= n <= n_recs for n in recs):
        problems.append(f"segment {j} recs {recs!r}: expected numbers from 1 to {n_recs}")
    return problems


def _check_status(record: dict[str, Any]) -> list[str]:
    try:
        segments = [Segment.from_dict(s) for s in record["segments"]]
    except (KeyError, TypeError, ValueError):
        return []
    want = [rec_status(i, segments).status for i in range(1, len(record["recommendations"]) + 1)]
    got = [s.get("status") if isinstance(s, dict) else s for s in record["status"]]
    if any(s not in STATUSES for s in got):
        return [f"status {got} has a value not in {', '.join(STATUSES)}"]
    return [] if got == want else [f"status {got} disagrees with the guide's rule over the segments: {want}"]


def _check_raw(record: dict[str, Any]) -> list[str]:
    page = parse_page(record["raw"], str(record["id"]))
    problems = []
    want = [clean_rec(r["text"]) for r in record["recommendations"]]
    got = [clean_rec(r.text) for r in page.recommendations]
    if want != got:
        problems.append(f"raw text parses to {len(got)} recommendations, the record has {len(want)} "
                        f"(or their texts differ); fix the record or the raw text")
    want_tl = [(e.get("date"), _norm(e.get("status")), _norm(e.get("comment"))) for e in record["timeline"]]
    got_tl = [(e.date, _norm(e.status), _norm(e.comment)) for e in page.timeline]
    if want_tl != got_tl:
        problems.append(f"raw text parses to a different timeline ({len(got_tl)} entries, the record has {len(want_tl)})")
    if page.id != str(record["id"]):
        problems.append(f"raw title gives id {page.id!r}, the record says {record['id']!r}")
    return problems
