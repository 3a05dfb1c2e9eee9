"""Flagged gaps across many tagged pages: list, filter, sort and summarise them.

A *gap* is a recommendation whose status is not ``evidenced`` (see :mod:`peelnlp.gaps`). This
module turns tagged page records (from a results database or a JSON Lines file) into gap rows a
reviewer can read, plus a summary (:mod:`peelnlp.gapsummary`) of the recommendations the same
filters select: counts by status and by force, and 4P coverage. Pure computation; :mod:`peelnlp.gapformat` turns the results into text, CSV or JSON.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, ResultsError
from .gaps import page_status
from .gapsummary import GAP_STATUSES, UNKNOWN_FORCE, Summary, addressing_strands
from .records import EVIDENCE_KINDS, STATUSES, STRANDS, Page, RecStatus, Segment

if TYPE_CHECKING:
    from .resultload import ResultPages

SORT_KEYS = ("page", "force", "status", "date", "confidence")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load_pages(path: Path, page_ids: Collection[str] | None = None) -> Iterator[Page]:
    """Tagged pages from a results database or a JSON Lines file (only those ``page_ids`` names, when given)."""
    from .resultload import ResultPages

    with ResultPages(path) as results:
        yield from (page for _, page in scan_tagged(results, page_ids))


def scan_tagged(results: ResultPages, page_ids: Collection[str] | None = None) -> Iterator[tuple[int, Page]]:
    """``results.scan()`` for tagged pages: each with its reference, statuses computed where missing."""
    with _tagged_records(results.path):
        for ref, page in results.scan(page_ids):
            yield ref, _with_status(page)


def fetch_tagged(results: ResultPages, ref: int) -> Page:
    """``results.fetch(ref)`` for a tagged page, as ``scan_tagged`` gives it."""
    with _tagged_records(results.path):
        return _with_status(results.fetch(ref))


@contextmanager
def _tagged_records(path: Path) -> Iterator[None]:
    """Turns a record that is not a tagged page (a missing field, a wrong type) into a ResultsError."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ResultsError(f"{path}: holds a record that is not a tagged page record ({exc!r}); "
                           "expected the output of `peelnlp score` or `peelnlp tag --format json`") from None


def _with_status(page: Page) -> Page:
    """Records that carry labels but no statuses get them computed by the guide's rule."""
    import dataclasses

    if page.segments and page.segments[0].kind is None:
        raise ResultsError(
            f"page {page.id} has segments without labels; expected tagged records "
            "(from `peelnlp tag --format json` or `peelnlp score`)"
        )
    if not page.status and page.recommendations:
        return dataclasses.replace(page, status=page_status(page))
    return page


def segment_confidence(seg: Segment) -> float:
    """How sure the model is of a segment's labels: the lowest probability among the labels it
    chose (kind, each rec, each strand). Records without scores were labelled by a person: 1.0."""
    if not seg.scores:
        return 1.0
    probs = [seg.scores.get("kind", {}).get(seg.kind, 1.0)]
    probs += [seg.scores.get("recs", {}).get(str(n), 1.0) for n in seg.recs]
    probs += [seg.scores.get("strands", {}).get(s, 1.0) for s in seg.strands]
    return float(min(probs))


def evidence_chance(seg: Segment, n: int) -> float:
    """The model's chance that a segment is evidence of activity on recommendation ``n``:
    P(kind is action or verified) × P(it addresses ``n``). 0 without scores."""
    if not seg.scores:
        return 0.0
    kind_p = seg.scores.get("kind", {})
    return sum(float(kind_p.get(k, 0.0)) for k in EVIDENCE_KINDS) * float(seg.scores.get("recs", {}).get(str(n), 0.0))


def rec_confidence(page: Page, st: RecStatus) -> float:
    """How sure the model is of a recommendation's status.

    With deciding segments, the least sure of them decides. With none (nothing addresses the
    recommendation), the risk is evidence it missed: 1 − the highest :func:`evidence_chance`.
    """
    deciding = [page.segments[i] for i in st.evidence if 0 <= i < len(page.segments)]
    if deciding:
        return min(segment_confidence(s) for s in deciding)
    return 1.0 - max((evidence_chance(s, st.n) for s in page.segments), default=0.0)


@dataclass(frozen=True)
class Gap:
    """One flagged recommendation, with what decided its status."""

    page_id: str
    title: str | None
    force: str | None
    n: int
    recommendation: str
    status: str
    reason: str
    evidence: tuple[str, ...]
    evidence_index: tuple[int, ...]
    last_comment_date: str | None
    confidence: float
    strands: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d.update(evidence=list(self.evidence), evidence_index=list(self.evidence_index),
                 strands=list(self.strands), confidence=round(self.confidence, 3))
        return d


def page_gaps(page: Page, statuses: Iterable[RecStatus] | None = None) -> list[Gap]:
    """The flagged recommendations of one tagged page (of ``statuses``, when given), in their order."""
    texts = {r.n: r.text for r in page.recommendations}
    last = page.last_comment_date()
    return [
        Gap(page.id, page.title, page.force, st.n, texts.get(st.n, ""), st.status, st.reason,
            tuple(page.segments[i].text for i in st.evidence if 0 <= i < len(page.segments)),
            st.evidence, last, rec_confidence(page, st), addressing_strands(page, st.n))
        for st in (page.status if statuses is None else statuses) if st.is_gap
    ]


@dataclass(frozen=True)
class GapFilter:
    """What to keep. Text matches are case-insensitive substrings, status and strand are in any
    case; dates are ISO and inclusive."""

    force: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None
    strand: str | None = None
    title: str | None = None
    min_confidence: float | None = None

    def __post_init__(self) -> None:
        for name in ("status", "strand"):  # any case, as gaps prints statuses in capitals
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, value.lower())
        _check_choice("status", self.status, GAP_STATUSES)
        _check_choice("strand", self.strand, STRANDS)
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not _is_date(value):
                raise InputError(f"--{name} {value!r} is not a date; expected YYYY-MM-DD, e.g. 2019-04-01")

    def page_matches(self, page: Page) -> bool:
        """The page-level filters: force, title and the last comment date."""
        if self.force and self.force.lower() not in (page.force or UNKNOWN_FORCE).lower():
            return False
        if self.title and self.title.lower() not in (page.title or "").lower():
            return False
        return _in_range(page.last_comment_date(), self.since, self.until)

    def rec_matches(self, page: Page, st: RecStatus) -> bool:
        """The recommendation-level filters: status, strand and confidence. They apply to evidenced
        recommendations as well, so a summary can count exactly what they select."""
        if self.status and st.status != self.status:
            return False
        if self.strand and self.strand not in addressing_strands(page, st.n):
            return False
        return self.min_confidence is None or rec_confidence(page, st) >= self.min_confidence

    def given(self) -> dict[str, Any]:
        """The filters set, by option name (``min-confidence``), in the order of the options."""
        return {name.replace("_", "-"): value for name, value in vars(self).items() if value is not None}


def _is_date(value: str) -> bool:
    try:
        return bool(_ISO.match(value)) and date.fromisoformat(value) is not None
    except ValueError:
        return False


def _check_choice(name: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise InputError(f"--{name} {value!r} is not one of {', '.join(choices)}")


def _in_range(day: str | None, since: str | None, until: str | None) -> bool:
    if since is None and until is None:
        return True
    return day is not None and (since is None or day >= since) and (until is None or day <= until)


def _page_key(page_id: str) -> tuple[int, int, str]:
    # Numeric ids sort as numbers ("999" before "1000"); others after them, alphabetically.
    return (0, int(page_id), "") if page_id.isdigit() else (1, 0, page_id)


_SORTS = {
    "page": lambda g: (_page_key(g.page_id), g.n),
    "force": lambda g: ((g.force or UNKNOWN_FORCE).lower(), _page_key(g.page_id), g.n),
    "status": lambda g: (STATUSES.index(g.status), _page_key(g.page_id), g.n),
    "date": lambda g: (g.last_comment_date is None, g.last_comment_date or "", _page_key(g.page_id), g.n),
    "confidence": lambda g: (g.confidence, _page_key(g.page_id), g.n),
}


def sort_gaps(gaps: Iterable[Gap], by: str = "page") -> list[Gap]:
    """Sort by page, force, status (guide order), date (oldest first) or confidence (least sure first)."""
    _check_choice("sort", by, SORT_KEYS)
    return sorted(gaps, key=_SORTS[by])


@dataclass
class GapReport:
    gaps: list[Gap]
    summary: Summary
    warnings: list[str] = field(default_factory=list)  # records of the results file left out, and why


def collect(pages: Iterable[Page], filt: GapFilter = GapFilter(), sort: str = "page") -> GapReport:
    """The gaps that pass the filter, sorted, and the summary of the recommendations it selects
    (flagged or not): the listing and its summary always count the same recommendations."""
    summary = Summary(filters=filt.given())
    by_recommendation = any(v is not None for v in (filt.status, filt.strand, filt.min_confidence))
    gaps: list[Gap] = []
    for page in pages:
        if not filt.page_matches(page):
            continue
        selected = [st for st in page.status if filt.rec_matches(page, st)]
        if selected or not by_recommendation:  # a page none of whose recommendations is selected is not in scope
            summary.add(page, selected)
        gaps.extend(page_gaps(page, selected))
    return GapReport(sort_gaps(gaps, sort), summary)


def query_gaps(path: Path, filt: GapFilter = GapFilter(), sort: str = "page") -> GapReport:
    """The one call behind ``peelnlp gaps``: load a results file and collect its gaps."""
    from .resultload import ResultPages

    _check_choice("sort", sort, SORT_KEYS)
    with ResultPages(path) as results:
        report = collect((page for _, page in scan_tagged(results)), filt, sort)
        report.warnings = results.warnings()
    return report
