"""Flagged gaps as text, CSV or JSON: the output of ``peelnlp gaps``. Strings only; nothing is printed."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterable
from typing import Any

from .gapquery import GAP_STATUSES, UNKNOWN_FORCE, Gap, GapReport, Summary
from .records import STATUSES, STRANDS

CSV_FIELDS = ("page_id", "title", "force", "n", "recommendation", "status", "reason", "evidence",
              "last_comment_date", "confidence", "strands")


def gaps_csv(gaps: Iterable[Gap]) -> str:
    """CSV with a header row; several evidence texts or strands are joined with " | "."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for g in gaps:
        d = g.to_dict()
        d.update(evidence=" | ".join(g.evidence), strands=" | ".join(g.strands))
        writer.writerow([d[k] if d[k] is not None else "" for k in CSV_FIELDS])
    return buf.getvalue()


def gaps_json(report: GapReport, summary_only: bool = False) -> str:
    """A JSON array of gap objects, or the summary object alone."""
    data: Any = report.summary.to_dict() if summary_only else [g.to_dict() for g in report.gaps]
    return json.dumps(data, ensure_ascii=False, indent=1)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def gap_text(g: Gap) -> str:
    """A few readable lines for one gap."""
    head = (f"{g.page_id}  rec {g.n}  {g.status.upper()}  {g.force or UNKNOWN_FORCE}  "
            f"last comment {g.last_comment_date or 'undated'}  confidence {g.confidence:.2f}")
    lines = [head, textwrap.fill(" ".join(g.recommendation.split()), 100, initial_indent="    ", subsequent_indent="    ")]
    # The reason quotes the first deciding segment; the lines below quote them all.
    lines.append(f"    why: {g.reason.split(' “')[0].rstrip(':') if g.evidence else g.reason}")
    lines += [f"    #{i}: “{_clip(t, 110)}”" for i, t in zip(g.evidence_index, g.evidence, strict=True)]
    if g.strands:
        lines.append(f"    strands: {', '.join(g.strands)}")
    return "\n".join(lines)


def summary_text(s: Summary) -> str:
    """Counts by status and by force, and 4P coverage, as aligned text."""
    lines = [f"{s.flagged} flagged of {s.recommendations} recommendations on {s.pages} page{'s' * (s.pages != 1)}",
             "by status:   " + "   ".join(f"{st} {s.by_status[st]}" for st in STATUSES), "by force:"]
    width = max((len(f) for f in s.by_force), default=10)
    for force, c in sorted(s.by_force.items()):
        flagged = sum(c[x] for x in GAP_STATUSES)
        detail = ", ".join(f"{x} {c[x]}" for x in GAP_STATUSES if c[x])
        detail = f"  ({detail})" if detail else ""
        lines.append(f"  {force:<{width}}  {c['recommendations']:>3} recs  {flagged:>3} flagged{detail}")
    lines.append(f"4P coverage (recommendations with evidenced activity in the strand, of {s.recommendations}):")
    lines.append("  " + "   ".join(f"{st} {s.coverage[st]}" for st in STRANDS))
    return "\n".join(lines)


def report_text(report: GapReport, summary_only: bool = False) -> str:
    """The text output of ``peelnlp gaps``: each gap, then the summary."""
    parts = [] if summary_only else [gap_text(g) for g in report.gaps]
    if not summary_only and not report.gaps:
        parts.append("no flagged recommendations match")
    parts.append(summary_text(report.summary))
    return "\n\n".join(parts)
