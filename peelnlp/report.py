"""One self-contained HTML report of a results file: headline counts, 4P coverage by force, a
sortable and filterable table of flagged gaps, and every page's timeline with its segments
highlighted and labelled.

The file opens offline: style, script and graphics are inline, and a Content-Security-Policy
forbids any network request. Every piece of page text goes through :func:`html.escape`, and the
policy only lets the report's own script run (by its hash), so a comment holding markup shows
as text and runs nothing. Colour is never the only signal: every highlight and badge has a text
label, and the heat map prints its numbers.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from urllib.parse import quote

from . import __version__
from .gapquery import Gap, GapReport, collect, load_pages, scan_tagged
from .gapsummary import GAP_STATUSES, UNKNOWN_FORCE, Summary
from .outpaths import refuse_overwrite
from .records import KINDS, STATUSES, STRANDS, Page, Segment
from .report_assets import CSS, JS
from .reviewstore import results_files, write_atomic

STATUS_LABEL = {"evidenced": "Evidenced", "concern": "Concern", "planned-only": "Planned only", "no-activity": "No activity"}
STATUS_COLOUR = {"evidenced": "#1e6b3a", "concern": "#b3261e", "planned-only": "#c08400", "no-activity": "#7b8794"}
OPEN_PAGES_UP_TO = 10  # with more pages, page sections start closed and the gap table links open them


def e(value: object) -> str:
    """Escape anything for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class ReportResult:
    path: Path
    pages: int
    gaps: int
    size: int
    warnings: tuple[str, ...] = ()  # records of the results file left out, and why


def write_report(results: Path, out: Path) -> ReportResult:
    """The one call behind ``peelnlp report``: read a results file, write the HTML atomically.

    The results are read twice, once for the summary and the gap table and once for the pages'
    timelines, which are written as they come: memory follows the number of gaps, not of pages."""
    from .resultload import ResultPages

    results = Path(results)
    refuse_overwrite(Path(out), results_files(results), "--html")
    with ResultPages(results) as first_read:
        survey = _survey(page for _, page in scan_tagged(first_read))
        warnings = tuple(first_read.warnings())
    size = write_atomic(Path(out), _parts(survey, lambda: load_pages(results), results.name))
    return ReportResult(Path(out), survey.report.summary.pages, survey.report.summary.flagged, size, warnings)


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode()
    return f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'"


@dataclass(frozen=True)
class _Survey:
    """What the top of the report needs from all the pages: their gaps, summary and models."""

    report: GapReport
    models: str


def _survey(pages: Iterable[Page]) -> _Survey:
    models: set[str] = set()

    def noting_models(pages: Iterable[Page]) -> Iterator[Page]:
        for page in pages:
            if page.model:
                models.add(page.model)
            yield page

    report = collect(noting_models(pages))
    return _Survey(report, ", ".join(sorted(models)) or "unknown")


def render_report(pages: list[Page], source: str, generated: str | None = None) -> str:
    """The whole HTML document for these tagged pages."""
    return "".join(_parts(_survey(pages), lambda: pages, source, generated))


def _parts(survey: _Survey, pages: Callable[[], Iterable[Page]], source: str,
           generated: str | None = None) -> Iterator[str]:
    """The HTML document in pieces; ``pages`` gives the pages again for their timelines."""
    summary = survey.report.summary
    generated = generated or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    yield (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
           f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">\n'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
           f"<title>Flagged gaps – {e(source)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n")
    yield (f'<a class="skip" href="#gaps">Skip to the gap table</a>\n<header class="top"><h1>Flagged gaps in '
           f"recommendation progress</h1><p>{e(source)} · {summary.pages} pages · model {e(survey.models)} · "
           f"generated {e(generated)} by peelnlp {e(__version__)}</p></header>\n<nav class=\"toc\" "
           'aria-label="Sections"><a href="#summary">Summary</a><a href="#coverage">4P coverage</a>'
           '<a href="#gaps">Flagged gaps</a><a href="#pages">Pages</a></nav>\n<main>\n')
    yield from (_summary(summary), _coverage(summary))
    yield from _gap_table(survey.report.gaps)
    yield from _pages(pages(), is_open=summary.pages <= OPEN_PAGES_UP_TO)
    yield ("</main>\n<footer>Statuses follow the annotation guide: a recommendation is evidenced when an action "
           "or verified segment addresses it and no concern follows.</footer>\n"
           f"<script>{JS}</script>\n</body>\n</html>\n")


def _summary(s: Summary) -> str:
    share = f"{100 * s.flagged / s.recommendations:.0f}% of recommendations" if s.recommendations else "none"
    cards = [("Pages", s.pages, ""), ("Recommendations", s.recommendations, ""),
             ("Flagged gaps", f"{s.flagged} <small>{share}</small>", "c-concern")]
    cards += [(STATUS_LABEL[st], s.by_status[st], f"c-{st}") for st in STATUSES]
    items = "".join(f'<div class="{cls}"><dt>{e(label)}</dt><dd>{value}</dd></div>' for label, value, cls in cards)
    return (f'<section id="summary" aria-labelledby="h-summary"><h2 id="h-summary">Summary</h2>'
            f'<dl class="cards">{items}</dl>{_status_bar(s)}</section>\n')


def _status_bar(s: Summary) -> str:
    """A stacked bar of statuses; its numbers are in the cards above and in its text label."""
    if not s.recommendations:
        return ""
    label = ", ".join(f"{STATUS_LABEL[st].lower()} {s.by_status[st]}" for st in STATUSES)
    x, rects = 0.0, []
    for st in STATUSES:
        width = 1000 * s.by_status[st] / s.recommendations
        if width:
            name = f"{e(STATUS_LABEL[st])} {s.by_status[st]}"
            text = f'<text x="{x + 6:.1f}" y="15" fill="#fff" font-size="12">{name}</text>' if width > 110 else ""
            rects.append(f'<rect x="{x:.1f}" width="{width:.1f}" height="22" fill="{STATUS_COLOUR[st]}"><title>'
                         f"{e(STATUS_LABEL[st])}: {s.by_status[st]}</title></rect>{text}")
        x += width
    return (f'<figure class="statusbar"><svg viewBox="0 0 1000 22" preserveAspectRatio="none" role="img" '
            f'aria-label="Status of {s.recommendations} recommendations: {e(label)}">{"".join(rects)}</svg></figure>')


def _heat_colour(share: float) -> str:
    """Light grey-blue at 0 % to deep blue at 100 %, with text that stays readable on it."""
    low, high = (241, 245, 249), (31, 78, 121)
    rgb = tuple(round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    return f"background:rgb{rgb};color:{'#fff' if share > 0.5 else '#1d2733'}"


def _heat_cells(count: Counter, total: int) -> str:
    cells = []
    for st in STRANDS:
        share = count[st] / total if total else 0.0
        cells.append(f'<td style="{_heat_colour(share)}">{count[st]} of {total}<span>{share:.0%}</span></td>')
    return "".join(cells)


def _coverage(s: Summary) -> str:
    heads = "".join(f'<th scope="col">{st.capitalize()}</th>' for st in STRANDS)
    rows = "".join(f'<tr><th scope="row">{e(force)}</th><td class="num">{c["recommendations"]}</td>'
                   f"{_heat_cells(s.coverage_by_force[force], c['recommendations'])}</tr>"
                   for force, c in sorted(s.by_force.items()))
    foot = (f'<tfoot><tr><th scope="row">All forces</th><td class="num">{s.recommendations}</td>'
            f"{_heat_cells(s.coverage, s.recommendations)}</tr></tfoot>")
    legend = ('<p class="legend" aria-hidden="true">Share of the force\'s recommendations: '
              + "".join(f'<i style="{_heat_colour(x / 4)}"></i>{x * 25}%' for x in range(5)) + "</p>")
    return (f'<section id="coverage" aria-labelledby="h-coverage"><h2 id="h-coverage">4P coverage by force</h2>'
            f'<table class="heat"><caption>Recommendations with evidenced activity (an action or verified segment '
            f"addressing them) in each strand of the serious and organised crime strategy, by force: count, of the "
            f'force\'s recommendations, and share.</caption><thead><tr><th scope="col">Force</th>'
            f'<th scope="col" class="num">Recommendations</th>{heads}</tr></thead><tbody>{rows}</tbody>{foot}</table>'
            f"{legend}</section>\n")


def _options(values: Iterable[str], label: str) -> str:
    return f'<option value="">{e(label)}</option>' + "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)


def _filters(gaps: list[Gap]) -> str:
    forces = sorted({g.force or UNKNOWN_FORCE for g in gaps})
    return ('<div class="filters" role="search" aria-label="Filter the gaps">'
            '<label for="f-text">Search text<input id="f-text" type="search" placeholder="page, force, words…"></label>'
            f'<label for="f-status">Status<select id="f-status">{_options(GAP_STATUSES, "All statuses")}</select></label>'
            f'<label for="f-force">Force<select id="f-force">{_options(forces, "All forces")}</select></label>'
            f'<label for="f-strand">Strand<select id="f-strand">{_options(STRANDS, "All strands")}</select></label>'
            f'<output id="f-count" for="f-text f-status f-force f-strand" aria-live="polite">{len(gaps)} of '
            f"{len(gaps)} gaps shown</output></div>")


def _gap_row(order: int, g: Gap) -> str:
    data = {"order": order, "page": g.page_id, "force": g.force or UNKNOWN_FORCE, "n": g.n, "status": g.status,
            "rank": STATUSES.index(g.status), "strands": " ".join(g.strands), "date": g.last_comment_date or "",
            "confidence": f"{g.confidence:.3f}"}
    attrs = " ".join(f'data-{k}="{e(v)}"' for k, v in data.items())
    return (f'<tr {attrs}><td><a href="#page-{e(quote(g.page_id))}">{e(g.page_id)}</a></td><td>{e(g.force or UNKNOWN_FORCE)}</td>'
            f'<td class="num">{g.n}</td><td class="rec">{e(g.recommendation)}</td>'
            f'<td><span class="badge s-{g.status}">{e(STATUS_LABEL[g.status])}</span></td>'
            f'<td class="why">{e(g.reason)}</td><td>{e(g.last_comment_date or "undated")}</td>'
            f'<td class="num">{g.confidence:.2f}</td></tr>')


def _gap_table(gaps: list[Gap]) -> Iterator[str]:
    """The table of gaps, a row at a time: a large results file has tens of thousands."""
    cols = [("Page", "page", ""), ("Force", "force", ""), ("Rec", "n", "num"), ("Recommendation", "", ""),
            ("Status", "rank", "num"), ("Why", "", ""), ("Last comment", "date", ""), ("Confidence", "confidence", "num")]
    heads = "".join(
        f'<th scope="col" data-key="{k}" data-type="{t}" aria-sort="none"><button type="button">{c}</button></th>'
        if k else f'<th scope="col">{c}</th>' for c, k, t in cols)
    yield (f'<section id="gaps" aria-labelledby="h-gaps"><h2 id="h-gaps">Flagged gaps</h2>{_filters(gaps)}'
           f'<table id="gap-table"><caption>Recommendations with no evidenced activity (status other than evidenced). '
           f"Select a column heading to sort; the page number opens the page below.</caption><thead><tr>{heads}"
           f"</tr></thead><tbody>")
    yield from (_gap_row(i, g) for i, g in enumerate(gaps))
    yield ('</tbody></table><p id="no-rows" class="empty" hidden>No gaps match these filters.</p></section>\n')


def _pages(pages: Iterable[Page], is_open: bool) -> Iterator[str]:
    keys = "".join(f'<span class="key k-{k}">{k}</span>' for k in KINDS)
    yield (f'<section id="pages" aria-labelledby="h-pages"><h2 id="h-pages">Pages</h2><p class="keys">Each '
           f"highlighted segment starts with its label: kind ({keys}), the recommendations it addresses and its "
           "4P strands; “check” marks a segment the model was unsure of.</p>")
    yield from (_page(p, is_open) for p in pages)
    yield "</section>\n"


def _page(page: Page, is_open: bool) -> str:
    statuses = {s.n: s for s in page.status}
    flagged = sum(1 for s in page.status if s.is_gap)
    recs = "".join(
        f'<li value="{r.n}"><span class="badge s-{statuses[r.n].status}">{e(STATUS_LABEL[statuses[r.n].status])}</span> '
        f'{e(r.text)}<span class="why">{e(statuses[r.n].reason)}</span></li>' if r.n in statuses else f"<li>{e(r.text)}</li>"
        for r in page.recommendations)
    sub = (f"{e(page.force or UNKNOWN_FORCE)} · page {e(page.id)} · last comment {e(page.last_comment_date() or 'undated')}"
           f" · {len(page.recommendations)} recommendations, {flagged} flagged")
    return (f'<details class="page" id="page-{e(page.id)}"{" open" if is_open else ""}><summary><h3>'
            f'{e(page.title or "(untitled page " + page.id + ")")}</h3><span class="sub">{sub}</span></summary>'
            f'<div class="page-body"><h4>Recommendations</h4><ol class="recs">{recs}</ol><h4>Timeline</h4>'
            f'<ol class="timeline">{_timeline(page)}</ol></div></details>\n')


def _timeline(page: Page) -> str:
    by_entry: dict[int, list[tuple[int, Segment]]] = {}
    for i, seg in enumerate(page.segments):
        by_entry.setdefault(seg.entry, []).append((i, seg))
    items = []
    for i, entry in enumerate(page.timeline):
        when = f'<time datetime="{e(entry.date)}">{e(entry.date)}</time>' if entry.date else "<time>undated</time>"
        if entry.comment is None:
            items.append(f'<li class="st">{when}status <strong>{e(entry.status)}</strong></li>')
        else:
            items.append(f'<li class="cm">{when}comment<div class="comment">'
                         f"{_comment(entry.comment, by_entry.get(i, []))}</div></li>")
    return "".join(items)


def _comment(comment: str, segments: list[tuple[int, Segment]]) -> str:
    """The comment text with each segment wrapped in a labelled ``<mark>``; text between stays plain."""
    out, pos = [], 0
    for i, seg in sorted(segments, key=lambda t: t[1].start):
        start = seg.start if comment[seg.start:seg.end] == seg.text else comment.find(seg.text, pos)
        if start < pos or seg.kind is None:
            continue  # offsets that do not match the comment: leave the text unmarked rather than garble it
        out += [e(comment[pos:start]), _mark(i, seg)]
        pos = start + len(seg.text)
    out.append(e(comment[pos:]))
    return "".join(out)


def _mark(i: int, seg: Segment) -> str:
    label = [seg.kind or "unlabelled"]
    if seg.recs:
        label.append(("recs " if len(seg.recs) > 1 else "rec ") + ", ".join(map(str, seg.recs)))
    if seg.strands:
        label.append(", ".join(seg.strands))
    if seg.needs_review:
        label.append("check")
    kind_p = (seg.scores or {}).get("kind", {}).get(seg.kind)
    hover = f"segment #{i}" + (f", kind probability {kind_p:.2f}" if kind_p is not None else "")
    review = " review" if seg.needs_review else ""
    return (f'<mark class="seg k-{e(seg.kind)}{review}" title="{e(hover)}"><span class="tag">{e(" · ".join(label))}'
            f"</span>{e(seg.text)}</mark>")
