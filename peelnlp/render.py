"""Turn records into text for people: the outline of a page, tagged or not."""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from collections.abc import Iterable
from typing import Any

from .gapquery import rec_confidence
from .records import Page, RecStatus, Segment

WIDTH = 100  # the widest a line gets: longer lines of prose read badly, however wide the terminal
MIN_WIDTH = 40
_STATUS_MARK = {"evidenced": "ok ", "concern": "GAP", "planned-only": "GAP", "no-activity": "GAP"}


def page_json(page: Page) -> str:
    return json.dumps(page.to_dict(), ensure_ascii=False)


def output_width(stream: Any = None) -> int:
    """The width to wrap text for ``stream``: a terminal's own (or ``COLUMNS``) up to :data:`WIDTH`;
    :data:`WIDTH` for a pipe or file, so saved output does not depend on where it was made."""
    stream = stream or sys.stdout
    if not (os.environ.get("COLUMNS") or (hasattr(stream, "isatty") and stream.isatty())):
        return WIDTH
    return max(MIN_WIDTH, min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))


def _wrap(text: str, indent: str, width: int = WIDTH, hang: int = 2) -> str:
    return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=" " * (len(indent) + hang))


def page_outline(page: Page, width: int = WIDTH) -> str:
    """A readable outline: title, numbered recommendations, the timeline and each comment's segments,
    every line of prose wrapped at ``width``."""
    lines = [page.title or f"(untitled page {page.id})", f"id: {page.id}    force: {page.force or 'unknown'}", ""]
    lines.extend(_status_lines(page, width) if page.status else _rec_lines(page, width))
    lines += ["", "Timeline:"]
    by_entry: dict[int, list[tuple[int, Segment]]] = {}
    for i, seg in enumerate(page.segments):
        by_entry.setdefault(seg.entry, []).append((i, seg))
    for i, entry in enumerate(page.timeline):
        date = entry.date or "undated"
        if entry.comment is None:
            lines.append(f"  [{i}] {date}  status: {entry.status}")
            continue
        lines.append(f"  [{i}] {date}  comment:")
        lines.extend(_segment_line(n, seg, width) for n, seg in by_entry.get(i, []))
    return "\n".join(lines)  # the page's warnings go to stderr, once, as every command's do


def _rec_lines(page: Page, width: int) -> list[str]:
    lines = [f"Recommendations ({len(page.recommendations)}):"]
    lines.extend(_wrap(r.text, f"  {r.n}. ", width) for r in page.recommendations)
    return lines


def _status_lines(page: Page, width: int) -> list[str]:
    gaps = sum(1 for s in page.status if s.is_gap)
    lines = [f"Recommendations ({len(page.recommendations)}, {gaps} flagged):"]
    texts = {r.n: r.text for r in page.recommendations}
    for st in page.status:
        lines.append(_wrap(texts.get(st.n, ""), f"  {_STATUS_MARK[st.status]} {st.n}. ", width))
        status = st.status.upper() if st.is_gap else st.status
        # The same confidence `peelnlp gaps` prints, so a gap can be judged here without scoring first.
        line = f"{status} (confidence {rec_confidence(page, st):.2f}) — {_reason(st, page)}"
        lines.append(_wrap(line, "        status: ", width, hang=0))
    return lines


def _reason(st: RecStatus, page: Page) -> str:
    cited = ", ".join(f"#{i}" for i in st.evidence) or "no segment"
    return f"{st.reason} (evidence: {cited})" if st.reason else f"evidence: {cited}"


def _segment_line(n: int, seg: Segment, width: int) -> str:
    if seg.kind is None:
        return _wrap(seg.text, f"      #{n} ", width)
    recs = ",".join(map(str, seg.recs)) or "-"
    strands = ",".join(seg.strands) or "-"
    conf = ""
    if seg.scores:
        conf = f" p={seg.scores.get('kind', {}).get(seg.kind, 0):.2f}"
    flag = "  ?review" if seg.needs_review else ""
    head = f"      #{n} [{seg.kind} | recs {recs} | {strands}{conf}]{flag}"
    body = [head, _wrap(seg.text, "          ", width)]
    if seg.explanation:
        why = "; ".join(f"{k}: {', '.join(v)}" for k, v in seg.explanation.items())
        body.append(_wrap(why, "          why: ", width, hang=0))
    return "\n".join(body)


def outlines(pages: Iterable[Page]) -> Iterable[str]:
    for page in pages:
        yield page_outline(page)


def stats_table(stats: dict) -> str:
    """The corpus statistics as markdown tables (they paste into the datasheet)."""
    lines = [f"pages {stats['pages']} · segments {stats['segments']} · recommendations {stats['recommendations']} · "
             f"SOC pages {stats['soc_pages']} ({stats['soc_share']:.0%}) · pages with 3+ recommendations "
             f"{stats['pages_with_3plus_recs']}", ""]
    for title in ("kinds", "strands", "statuses", "recs_per_page", "links_on_3plus_pages", "themes"):
        lines += [f"| {title} | count |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in stats[title].items()]
        lines.append("")
    lines += ["| kind × strand | count |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in stats["kind_x_strand"].items()]
    return "\n".join(lines)


def train_summary(metrics: dict, thresholds: dict) -> str:
    """Cross-validated metrics of a training run, per label."""
    lines = ["cross-validated (grouped by page):", "", "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for group in ("kind", "strands"):
        for label, m in metrics[group].items():
            lines.append(f"| {group}:{label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    link, gaps = metrics["link_multi"], metrics["gaps"]
    lines.append(f"| recs (multi-rec pages) | {link['precision']:.3f} | {link['recall']:.3f} | {link['f1']:.3f} | |")
    lines.append(f"| flagged gaps | {gaps['precision']:.3f} | {gaps['recall']:.3f} | {gaps['f1']:.3f} | |")
    lines += ["", f"kind macro-F1 {metrics['kind_macro_f1']:.3f} · kind accuracy {metrics['kind_accuracy']:.3f} · "
              f"strand micro-F1 {metrics['strand_micro_f1']:.3f}",
              "thresholds: " + ", ".join(f"{k} {v}" for k, v in thresholds["strands"].items())
              + "; link " + ", ".join(f"{k} {v['link']}/{v['link_min']}" for k, v in thresholds["link"].items())]
    return "\n".join(lines)


def evaluation_table(r: dict) -> str:
    """An evaluation result as markdown: per-label scores, then the kind confusion matrix."""
    lines = [f"pages {r['pages']} (missing {r['pages_missing']}) · recommendation count accuracy {r['rec_split_acc']:.3f} · "
             f"boundary F1 {r['boundary_f1']:.3f}", "", "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    rows = [(f"kind:{k}", v) for k, v in r["kind"].items()] + [(f"strand:{k}", v) for k, v in r["strands"].items()]
    rows += [("recs (multi-rec pages)", r["link_multi"]), ("flagged gaps", r["gaps"])]
    lines += [f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |" for name, m in rows]
    lines += ["", f"kind macro-F1 {r['kind_macro_f1']:.3f} · strand micro-F1 {r['strand_micro_f1']:.3f}", "",
              "kind confusion (rows gold, columns predicted):", "",
              "| gold \\ predicted | " + " | ".join(r["kind_confusion"]["labels"]) + " |",
              "|---|" + "---:|" * len(r["kind_confusion"]["labels"])]
    for label, row in zip(r["kind_confusion"]["labels"], r["kind_confusion"]["rows"]):
        lines.append(f"| {label} | " + " | ".join(map(str, row)) + " |")
    return "\n".join(lines)


class ProgressBar:
    """A progress bar on stderr for batch scoring: pages done, pages/s and ETA (tqdm), created at the first report."""

    def __init__(self) -> None:
        self.bar: Any = None

    def update(self, progress: Any) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=progress.total, unit="page", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        self.bar.set_postfix_str(f"{progress.skipped} skipped, {progress.failed} failed", refresh=False)
        self.bar.update(progress.done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
