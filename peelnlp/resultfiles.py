"""The file outputs of batch scoring: JSON Lines (one page record per line) and CSV (one row per
segment, plus one row per recommendation status in a second file), and the choice of output.

Files are written to ``PATH.part`` and renamed into place when the run finishes, so an
interrupted run leaves no half-written file (and the previous output, if any, untouched).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import ResultsError
from .records import Page
from .resultrows import dumps, p_kind
from .results import Counts, ResultsSink, RunInfo, Scored, SQLiteSink

FORMATS = ("sqlite", "jsonl", "csv")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def encode_record(page: Page) -> str:
    """A page record (the schema's shape) as one line of compact JSON."""
    return dumps(page.to_dict())


def output_format(path: Path, to: str | None = None) -> str:
    """``--format`` if given, else from the suffix of ``--out``; SQLite when the suffix says nothing."""
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
        for handle, part, path in zip(self.handles, self.parts, self.paths, strict=True):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(part, path)

    def abort(self, counts: Counts) -> None:
        for handle, part in zip(self.handles, self.parts, strict=True):
            handle.close()
            part.unlink(missing_ok=True)


class JsonlSink(_AtomicFiles):
    """One page record per line, plus ``raw`` (the page text); a failed input is ``{"id", "source", "error"}``."""

    encoder = staticmethod(encode_record)

    def __init__(self, path: Path) -> None:
        super().__init__(path)

    def write(self, batch: Sequence[Scored]) -> None:
        out = self.handles[0]
        for item in batch:
            if item.error is not None:
                out.write(dumps({"id": item.name, "source": item.source, "error": item.error}) + "\n")
                continue
            record = item.encoded if isinstance(item.encoded, str) else encode_record(item.page)
            # the record's closing brace gives way to the page text, the last field of the line
            out.write(record if item.raw is None else f'{record[:-1]},"raw":{dumps(item.raw)}}}')
            out.write("\n")


SEGMENT_COLUMNS = ("page_id", "source", "model", "title", "force", "segment", "entry", "date", "kind", "recs",
                   "strands", "p_kind", "needs_review", "text", "error")
STATUS_COLUMNS = ("page_id", "source", "model", "force", "last_comment_date", "n", "recommendation", "status",
                  "reason", "evidence")


def status_csv_path(path: Path) -> Path:
    """The second CSV file: PATH's stem + ``_status.csv`` beside it."""
    return path.with_name(path.stem + "_status.csv")


class CsvSink(_AtomicFiles):
    """One row per segment in PATH; one row per recommendation status in PATH-stem_status.csv."""

    encoder = None

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
        p = p_kind(s.scores, s.kind)
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
