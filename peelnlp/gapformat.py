"""Flagged gaps as text, CSV or JSON: the output of ``peelnlp gaps``, in pieces written as they come
(a large results file has tens of thousands of gaps). Strings only; nothing is printed."""

from __future__ import annotations

import csv
import io
import json
import shlex
import textwrap
from collections.abc import Iterable, Iterator

from .gapquery import Gap, GapReport
from .gapsummary import GAP_STATUSES, UNKNOWN_FORCE, Summary
from .records import STATUSES, STRANDS
from .render import WIDTH

CSV_FIELDS = ("page_id", "title", "force", "n", "recommendation", "status", "reason", "evidence",
              "last_comment_date", "confidence", "strands")


def gaps_csv(gaps: Iterable[Gap]) -> Iterator[str]:
    """CSV with a header row, a row at a time; several evidence texts or strands are joined with " | "."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    yield _taken(buf)
    for g in gaps:
        d = g.to_dict()
        d.update(evidence=" | ".join(g.evidence), strands=" | ".join(g.strands))
        writer.writerow([d[k] if d[k] is not None else "" for k in CSV_FIELDS])
        yield _taken(buf)


def _taken(buf: io.StringIO) -> str:
    text = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return text


def gaps_json(report: GapReport, summary_only: bool = False) -> Iterator[str]:
    """A JSON array of gap objects, a gap at a time (as ``json.dumps(…, indent=1)`` writes the
    whole array), or the summary object alone."""
    if summary_only:
        yield json.dumps(report.summary.to_dict(), ensure_ascii=False, indent=1)
        return
    if not report.gaps:
        yield "[]"
        return
    for i, g in enumerate(report.gaps):
        item = json.dumps(g.to_dict(), ensure_ascii=False, indent=1).replace("\n", "\n ")
        yield ("[\n " if i == 0 else ",\n ") + item
    yield "\n]"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def gap_text(g: Gap, width: int = WIDTH) -> str:
    """A few readable lines for one gap, none but the first (its facts) wider than ``width``."""
    head = (f"{g.page_id}  rec {g.n}  {g.status.upper()}  {g.force or UNKNOWN_FORCE}  "
            f"last comment {g.last_comment_date or 'undated'}  confidence {g.confidence:.2f}")
    lines = [head, textwrap.fill(" ".join(g.recommendation.split()), width, initial_indent="    ", subsequent_indent="    ")]
    # The reason quotes the first deciding segment; the lines below quote them all.
    lines.append(f"    why: {g.reason.split(' “')[0].rstrip(':') if g.evidence else g.reason}")
    lines += [textwrap.fill(f"#{i}: “{_clip(t, 110)}”", width, initial_indent="    ", subsequent_indent="        ")
              for i, t in zip(g.evidence_index, g.evidence, strict=True)]
    if g.strands:
        lines.append(f"    strands: {', '.join(g.strands)}")
    return "\n".join(lines)


def summary_text(s: Summary) -> str:
    """Counts by status and by force, and 4P coverage, as aligned text."""
    head = f"{s.flagged} flagged of {s.recommendations} recommendations on {s.pages} page{'s' * (s.pages != 1)}"
    if s.filters:  # the counts are of what the filters select, not of the whole results file
        head += " (filters: " + " ".join(f"--{name} {shlex.quote(str(value))}" for name, value in s.filters.items()) + ")"
    lines = [head,
             "by status:   " + "   ".join(f"{st} {s.by_status[st]}" for st in STATUSES),
             "by force:" if s.by_force else "by force:    none"]
    width = max((len(f) for f in s.by_force), default=10)
    for force, c in sorted(s.by_force.items()):
        flagged = sum(c[x] for x in GAP_STATUSES)
        detail = ", ".join(f"{x} {c[x]}" for x in GAP_STATUSES if c[x])
        detail = f"  ({detail})" if detail else ""
        lines.append(f"  {force:<{width}}  {c['recommendations']:>3} recs  {flagged:>3} flagged{detail}")
    lines.append(f"4P coverage (recommendations with evidenced activity in the strand, of {s.recommendations}):")
    lines.append("  " + "   ".join(f"{st} {s.coverage[st]}" for st in STRANDS))
    return "\n".join(lines)


def report_text(report: GapReport, summary_only: bool = False, width: int = WIDTH) -> Iterator[str]:
    """The text output of ``peelnlp gaps``, a gap at a time: each gap, then the summary."""
    if not summary_only:
        for g in report.gaps:
            yield gap_text(g, width) + "\n\n"
        if not report.gaps:
            yield "no flagged recommendations match\n\n"
    yield summary_text(report.summary)
