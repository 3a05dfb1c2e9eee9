"""Each recommendation's page-level status from its segments: the annotation guide's rule.

Read the segments that address a recommendation in document order:

- ``evidenced``: an action or verified segment addresses it and no concern comes after the last;
- ``concern``: a concern addresses it and no action or verified segment comes after it;
- ``planned-only``: only plans (and perhaps oversight or other) address it;
- ``no-activity``: nothing addresses it.

Every status but ``evidenced`` is a flagged gap. Pure logic: no model, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from .records import EVIDENCE_KINDS, Page, RecStatus, Segment


def rec_status(n: int, segments: Sequence[Segment]) -> RecStatus:
    """The status of recommendation ``n`` and the indexes of the segments that decided it."""
    addressing = [(i, s) for i, s in enumerate(segments) if n in s.recs]
    evidence = [i for i, s in addressing if s.kind in EVIDENCE_KINDS]
    concerns = [i for i, s in addressing if s.kind == "concern"]
    plans = [i for i, s in addressing if s.kind == "plan"]
    if evidence and (not concerns or concerns[-1] < evidence[-1]):
        later = [i for i in evidence if not concerns or i > concerns[-1]]
        return RecStatus(n, "evidenced", tuple(later), _quote("evidenced by", segments, later))
    if concerns:
        return RecStatus(n, "concern", (concerns[-1],), _quote("concern not answered by later evidence:", segments, concerns[-1:]))
    if plans:
        return RecStatus(n, "planned-only", tuple(plans), _quote("only plans, no action:", segments, plans))
    others = [i for i, _ in addressing]
    reason = "no segment addresses it" if not others else "only oversight or administrative notes address it"
    return RecStatus(n, "no-activity", tuple(others), reason)


def _quote(prefix: str, segments: Sequence[Segment], indexes: Sequence[int]) -> str:
    first = segments[indexes[0]].text
    short = first if len(first) <= 90 else first[:87].rstrip() + "…"
    more = f" (+{len(indexes) - 1} more)" if len(indexes) > 1 else ""
    return f"{prefix} “{short}”{more}"


def page_status(page: Page) -> tuple[RecStatus, ...]:
    return tuple(rec_status(r.n, page.segments) for r in page.recommendations)


def flagged(page: Page) -> list[RecStatus]:
    """The recommendations of a tagged page that show no evidenced activity."""
    return [s for s in page.status if s.is_gap]
