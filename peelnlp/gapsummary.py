"""The summary under a gap listing: counts by status and by force, and 4P coverage, over the
recommendations a listing's filters select (flagged or not). Pure computation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .records import EVIDENCE_KINDS, KINDS, STATUSES, STRANDS, Page, RecStatus

GAP_STATUSES = tuple(s for s in STATUSES if s != "evidenced")
UNKNOWN_FORCE = "unknown force"


def addressing_strands(page: Page, n: int, kinds: Iterable[str] = KINDS) -> tuple[str, ...]:
    """The strands carried by the segments of the given kinds that address recommendation ``n``."""
    wanted = set(kinds)
    found = {s for seg in page.segments if n in seg.recs and seg.kind in wanted for s in seg.strands}
    return tuple(s for s in STRANDS if s in found)


@dataclass
class Summary:
    """Counts over the recommendations selected (flagged or not); ``filters`` names the filters
    that selected them (option name → value), none when every recommendation counts."""

    pages: int = 0
    recommendations: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_force: dict[str, Counter] = field(default_factory=dict)
    coverage: Counter = field(default_factory=Counter)
    coverage_by_force: dict[str, Counter] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def flagged(self) -> int:
        return sum(self.by_status[s] for s in GAP_STATUSES)

    def add(self, page: Page, statuses: Iterable[RecStatus] | None = None) -> None:
        """Count a page and its recommendations (only ``statuses``, when given)."""
        force = page.force or UNKNOWN_FORCE
        per_force = self.by_force.setdefault(force, Counter())
        cover = self.coverage_by_force.setdefault(force, Counter())
        self.pages += 1
        for st in page.status if statuses is None else statuses:
            self.recommendations += 1
            self.by_status[st.status] += 1
            per_force.update(("recommendations", st.status))
            strands = addressing_strands(page, st.n, EVIDENCE_KINDS)
            self.coverage.update(strands)
            cover.update(strands)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages, "recommendations": self.recommendations, "flagged": self.flagged,
            "filters": dict(self.filters),
            "by_status": {s: self.by_status[s] for s in STATUSES},
            "by_force": {f: _force_counts(c) for f, c in sorted(self.by_force.items())},
            "coverage": {s: self.coverage[s] for s in STRANDS},
            "coverage_by_force": {f: {s: c[s] for s in STRANDS} for f, c in sorted(self.coverage_by_force.items())},
        }


def _force_counts(c: Counter) -> dict[str, int]:
    flagged = sum(c[s] for s in GAP_STATUSES)
    return {"recommendations": c["recommendations"], "flagged": flagged, **{s: c[s] for s in STATUSES}}
