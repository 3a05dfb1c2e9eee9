"""Reading many pages for batch scoring: page files, directories, JSON Lines, CSV and stdin.

Every page becomes a :class:`Task`: its :class:`~peelnlp.sources.Source` and a content key
(what resuming a run compares). A bad record becomes a task carrying its error, so one bad page
never stops a run. Files are read lazily, one record at a time.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .errors import InputError
from .records import parse_json
from .sources import MAX_PAGE_BYTES, Source, decode_page, expand_paths, read_source, replace_undecodable


@dataclass(frozen=True)
class Task:
    """One page to score: its source, its content key, and whether the input fixed its id."""

    source: Source
    key: str
    fixed_id: bool = False


def content_key(source: Source) -> str:
    """The page's identity for resuming: SHA-256 of its name (file stem or given id) and text."""
    body = source.text if source.text is not None else f"\0{source.path}"
    return hashlib.sha256(f"{source.name}\0{body}".encode("utf-8", "replace")).hexdigest()


def _task(source: Source, fixed_id: bool = False) -> Task:
    return Task(source, content_key(source), fixed_id)


def _failed(name: str, where: str, error: str) -> Task:
    return _task(Source(name=name, text=None, error=error, path=where))


def read_inputs(inputs: Iterable[str]) -> Iterator[Task]:
    """Pages from page files, directories (``*.txt``, recursive), ``*.jsonl``, ``*.csv`` and ``-``."""
    for item in expand_paths(inputs):
        if isinstance(item, Source):
            yield _task(item)
        elif item == "-":
            yield from _stdin_tasks()
        elif Path(item).suffix.lower() in (".jsonl", ".ndjson"):
            yield from _jsonl_file_tasks(Path(item))
        elif Path(item).suffix.lower() == ".csv":
            yield from _csv_tasks(Path(item))
        else:
            yield _task(read_source(Path(item)))


def _text_task(name: str, text: str, where: str, fixed_id: bool, warning: str | None = None) -> Task:
    # Round trip through UTF-8 to drop lone surrogates that JSON allows but SQLite refuses.
    data = text.encode("utf-8", "replace")
    if len(data) > MAX_PAGE_BYTES:
        return _failed(name, where, f"{where}: page text of {len(data):,} bytes is larger than any "
                                    f"recommendation page (limit {MAX_PAGE_BYTES:,}); check the record")
    try:
        clean, _ = decode_page(data, where)
    except InputError as exc:
        return _failed(name, where, str(exc))
    return _task(Source(name=name, text=clean, warning=warning, path=where), fixed_id)


def _jsonl_task(line: bytes, where: str, fallback: str) -> Task:
    if len(line) > MAX_PAGE_BYTES * 2:
        return _failed(fallback, where, f"{where}: a line of {len(line):,} bytes is larger than any page record")
    decoded, warning = replace_undecodable(line, where)  # one bad byte must not cost the whole record
    try:
        record = parse_json(decoded)
    except ValueError as exc:
        return _failed(fallback, where, f"{where}: not valid JSON ({exc}); expected one {{\"id\", \"text\"}} object per line")
    text = record.get("text", record.get("raw")) if isinstance(record, dict) else None
    if not isinstance(text, str):
        found = sorted(record) if isinstance(record, dict) else type(record).__name__
        return _failed(fallback, where, f"{where}: expected an object with an \"id\" and a \"text\" string "
                                        f"(or \"raw\", as in corpus records); found {found}")
    given = record.get("id")
    has_id = given is not None and str(given) != ""
    return _text_task(str(given) if has_id else fallback, text, where, has_id, warning)


def _jsonl_tasks(lines: Iterable[bytes], label: str, stem: str) -> Iterator[Task]:
    for lineno, line in enumerate(lines, start=1):
        if line.strip():
            yield _jsonl_task(line, f"{label}:{lineno}", f"{stem}-{lineno}")


def _jsonl_file_tasks(path: Path) -> Iterator[Task]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield _failed(path.stem, str(path), f"{path}: cannot read ({exc.strerror or exc})")
        return
    with fh:
        yield from _jsonl_tasks(fh, str(path), path.stem)


def _csv_tasks(path: Path) -> Iterator[Task]:
    # Pages are longer than the csv module's default field limit (128 KiB); size is checked per page.
    csv.field_size_limit(MAX_PAGE_BYTES * 2)
    lines: _CsvLines | None = None
    try:
        with path.open("rb") as fh:
            lines = _CsvLines(fh, str(path))
            reader = csv.DictReader(lines)
            header = reader.fieldnames or []
            reader.fieldnames = [name.strip().lower() for name in header]  # any case: ID,Text as well as id,text
            if "text" not in reader.fieldnames:
                yield _failed(path.stem, str(path), f"{path}: expected a header row with id,text columns; "
                                                    f"found {_quoted_row(header)}; add an id,text header row")
                return
            lines.next_record()
            for row in reader:
                yield _csv_row_task(row, f"{path}:{lines.start}", f"{path.stem}-{lines.start}", lines.warning)
                lines.next_record()
    except csv.Error as exc:
        where = f"{path}:{(lines.start or lines.line) if lines else 1}"
        yield _failed(path.stem, where, f"{where}: unreadable CSV ({exc}); rows after it were not read")
    except OSError as exc:
        yield _failed(path.stem, str(path), f"{path}: cannot read ({exc.strerror or exc})")


def _quoted_row(row: Sequence[str] | None, fields: int = 3, width: int = 60) -> str:
    """A row for a message: a file with no header row has a page as its first row, which would
    put kilobytes into the message (and into the failed record that keeps it)."""
    if not row:
        return "no header"
    shown = [field if len(field) <= width else field[:width] + "…" for field in row[:fields]]
    more = f", … and {len(row) - fields} more fields" if len(row) > fields else ""
    return f"{shown}{more}"


class _CsvLines:
    """A CSV file's lines as text, one at a time, for :mod:`csv`, which sees only the lines it is
    handed: this notes the line where the current record starts (a quoted field can span lines)
    and the first of its bytes that are not UTF-8."""

    def __init__(self, fh: BinaryIO, label: str) -> None:
        self.lines = (part for line in fh for part in line.splitlines(keepends=True))  # \n, \r\n or \r, as csv expects
        self.label = label
        self.line = 0  # lines handed out so far
        self.start = 0  # the current record's first line; 0 until it has one
        self.warning: str | None = None  # about the current record's first undecodable byte

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        data = next(self.lines)
        self.line += 1
        text, warning = replace_undecodable(data, f"{self.label}:{self.line}")
        self.warning = self.warning or warning
        if not self.start and text.strip("\r\n"):  # the csv module skips blank lines between records
            self.start = self.line
        return text

    def next_record(self) -> None:
        self.start, self.warning = 0, None


def _csv_row_task(row: dict[str, Any], where: str, fallback: str, warning: str | None) -> Task:
    text, given = row.get("text"), (row.get("id") or "").strip()
    if not isinstance(text, str):
        return _failed(given or fallback, where, f"{where}: the row has no text column value; expected id,text")
    return _text_task(given or fallback, text, where, bool(given), warning)


def _stdin_tasks() -> Iterator[Task]:
    """``-``: JSON Lines when the first non-blank line starts with ``{``, else one page."""
    stream = sys.stdin.buffer
    head = b""
    first = stream.readline(MAX_PAGE_BYTES + 1)
    while first and not first.strip():
        head, first = head + first, stream.readline(MAX_PAGE_BYTES + 1)
    if first.lstrip().startswith(b"{"):
        yield from _jsonl_tasks(itertools.chain(head.splitlines(keepends=True), [first], stream), "stdin", "stdin")
        return
    data = head + first + stream.read(MAX_PAGE_BYTES + 1 - len(head + first))
    if len(data) > MAX_PAGE_BYTES:
        yield _failed("stdin", "stdin", f"stdin: more than {MAX_PAGE_BYTES:,} bytes; pass pages as files or JSON Lines")
        return
    try:
        text, warning = decode_page(data, "stdin")
    except InputError as exc:
        yield _failed("stdin", "stdin", str(exc))
        return
    yield _task(Source(name="stdin", text=text, warning=warning, path="stdin"))


def count_pages(inputs: Sequence[str]) -> int | None:
    """How many pages the inputs hold (for a progress bar); None when stdin makes it unknowable."""
    total = 0
    for item in expand_paths(inputs):
        if item == "-":
            return None
        suffix = Path(item).suffix.lower() if isinstance(item, (str, Path)) else ""
        if suffix in (".jsonl", ".ndjson", ".csv"):
            total += _count_records(Path(item), suffix == ".csv")
        else:
            total += 1
    return total


def _count_records(path: Path, is_csv: bool) -> int:
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            if is_csv:
                csv.field_size_limit(MAX_PAGE_BYTES * 2)
                return max(sum(1 for _ in csv.reader(fh)) - 1, 0)
            return sum(1 for line in fh if line.strip())
    except (OSError, csv.Error):
        return 1


