"""Reading page texts from files, directories and stdin, with a clear error for each bad input.

Each input yields a :class:`Source`; a source that could not be read carries its error instead of
text, so one bad file never stops a run of many.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

MAX_PAGE_BYTES = 5_000_000


@dataclass(frozen=True)
class Source:
    """One page to process: its name (the id fallback), and its text or the reason it has none."""

    name: str
    text: str | None
    error: str | None = None
    warning: str | None = None
    path: str | None = None


def decode_page(data: bytes, where: str) -> tuple[str, str | None]:
    """Bytes → text. Binary data is refused; bytes that are not UTF-8 are replaced, with a warning."""
    if not data.strip():
        raise InputError(f"{where}: the input is empty; expected the text of a recommendation page")
    sample = data[:8192]
    if b"\x00" in sample or _control_ratio(sample) > 0.1:
        raise InputError(f"{where}: this looks like binary data, not page text; pass a UTF-8 text file")
    return replace_undecodable(data, where)


def read_recommendation_file(path: Path) -> tuple[str, str | None]:
    """The text of a list of recommendations (``tag --recommendations``), and a warning if bytes were
    replaced; refused, naming the file, when it cannot be read, is empty, too large or binary."""
    try:
        if path.stat().st_size > MAX_PAGE_BYTES:
            raise InputError(f"{path}: larger than {MAX_PAGE_BYTES:,} bytes; expected a list of recommendations")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data.strip():  # not decode_page's message, which expects a whole page
        raise InputError(f"{path}: the file is empty; expected a list of recommendations, one per line or bullet")
    return decode_page(data, str(path))


def decode_comment(data: bytes) -> tuple[str, str | None]:
    """A comment's bytes (``tag --comment``) as text, and a warning if bytes were replaced."""
    if len(data) > MAX_PAGE_BYTES:
        raise InputError(f"the comment: more than {MAX_PAGE_BYTES:,} bytes; expected one progress comment")
    return decode_page(data, "the comment")


def replace_undecodable(data: bytes, where: str) -> tuple[str, str | None]:
    """Bytes → text, never failing: bytes that are not UTF-8 are replaced, with a warning saying where."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8-sig", errors="replace")
        return text, f"{where}: not valid UTF-8 (first bad byte at offset {exc.start}); undecodable bytes were replaced"


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def _control_ratio(sample: bytes) -> float:
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls / max(len(sample), 1)


def read_source(path: Path) -> Source:
    name = path.stem
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            raise InputError(
                f"{path}: {size:,} bytes is larger than any recommendation page "
                f"(limit {MAX_PAGE_BYTES:,}); check the file or split it into pages"
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_PAGE_BYTES + 1)
        text, warning = decode_page(data, str(path))
        return Source(name=name, text=text, warning=warning, path=str(path))
    except InputError as exc:
        return Source(name=name, text=None, error=str(exc), path=str(path))
    except OSError as exc:
        return Source(name=name, text=None, error=f"{path}: cannot read ({exc.strerror or exc})", path=str(path))


def read_stdin(name: str = "stdin") -> Source:
    data = sys.stdin.buffer.read(MAX_PAGE_BYTES + 1)
    if len(data) > MAX_PAGE_BYTES:
        return Source(name=name, text=None, error=f"stdin: more than {MAX_PAGE_BYTES:,} bytes; pass pages as files")
    try:
        text, warning = decode_page(data, "stdin")
    except InputError as exc:
        return Source(name=name, text=None, error=str(exc))
    return Source(name=name, text=text, warning=warning)


def expand_paths(inputs: Iterable[str], pattern: str = "*.txt") -> Iterator[str | Path | Source]:
    """Each input as given, directories expanded (recursively, sorted) to their page files.

    An input that names nothing usable becomes a failed :class:`Source`, so the others still run.
    """
    for item in inputs:
        path = Path(item)
        if item == "-":
            yield item
        elif path.is_dir():
            found = sorted(p for p in path.rglob(pattern) if not p.is_dir())
            if not found:
                yield Source(name=path.name, text=None, error=f"{item}: directory has no {pattern} files")
            yield from found
        elif not path.exists() and not path.is_symlink():
            yield Source(name=path.stem, text=None, error=f"{item}: no such file or directory", path=item)
        else:
            yield path


def read_sources(inputs: Iterable[str]) -> Iterator[Source]:
    """Sources for page files, directories of ``*.txt`` and ``-`` (stdin), in the order given."""
    for item in expand_paths(inputs):
        if isinstance(item, Source):
            yield item
        elif item != "-" and Path(item).suffix.lower() in _RECORD_FILES:
            yield _record_file(Path(item))
        else:
            yield read_stdin() if item == "-" else read_source(Path(item))


_RECORD_FILES = (".jsonl", ".ndjson", ".csv")


def _record_file(path: Path) -> Source:
    """A file of page records is not a page: read as one, its JSON would be tagged as prose."""
    return Source(name=path.stem, text=None, path=str(path),
                  error=f"{path}: expected a page's text, found a {path.suffix} file of page records; "
                        f"`peelnlp score {path} --out results.jsonl` reads them")
