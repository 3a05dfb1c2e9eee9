"""Compare predicted page records with gold ones: per-label scores, confusion, links, gaps, boundaries.

Segments are aligned by text, not offsets: each segment is found in the page's white-space-normalised
comment text, and a gold segment is matched to the predicted segment that overlaps it most (at least
half of it). A segment end counts as a matching boundary within 6 characters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .records import KINDS, STRANDS, SUBSTANTIVE, Page, parse_json

BOUNDARY_TOLERANCE = 6


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def load_gold(gold_dir: Path) -> dict[str, Page]:
    files = sorted(Path(gold_dir).glob("*.json"))
    if not files:
        raise InputError(f"{gold_dir}: no *.json gold page records here; expected one record per page")
    gold: dict[str, Page] = {}
    where: dict[str, str] = {}
    for path in files:
        page = _gold_page(path)
        if page.id in gold:
            raise InputError(f"{path}: page id {page.id!r} is also the id of {where[page.id]}; keep one gold record per page")
        gold[page.id], where[page.id] = page, path.name
    return gold


def _gold_page(path: Path) -> Page:
    try:
        record = parse_json(path.read_bytes())
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise InputError(f"{path}: cannot read a JSON page record ({exc}); see docs/SCHEMA.md") from None
    problem, page = _gold_problem(record), None
    try:
        page = None if problem else Page.from_dict(record)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if page is None:
        raise InputError(f"{path}: not a gold page record: {problem}; see docs/SCHEMA.md")
    return page


# Each list of a gold record, and the typed keys every item of it needs: evaluation reads them all.
_GOLD_LISTS: dict[str, dict[str, type]] = {
    "recommendations": {"n": int, "text": str}, "timeline": {}, "segments": {"entry": int, "text": str, "kind": str},
    "status": {"n": int, "status": str}}


def _gold_problem(record: Any) -> str | None:
    """What a gold record lacks, or None."""
    if not isinstance(record, dict):
        return f"expected a JSON object, found {type(record).__name__}"
    if not isinstance(record.get("id"), (str, int)):
        return f"expected an \"id\", found {record.get('id')!r}"
    for key, needs in _GOLD_LISTS.items():
        items = record.get(key)
        if not isinstance(items, list):
            return f"expected a \"{key}\" list, found {type(items).__name__ if key in record else 'none'}"
        for i, item in enumerate(items):
            if not isinstance(item, dict) or any(not isinstance(item.get(k), t) for k, t in needs.items()):
                want = ", ".join(f"{k} ({t.__name__})" for k, t in needs.items())
                return f"{key} item {i} should be an object{' with ' + want if want else ''}, found {str(item)[:60]}"
    if any(not isinstance(e.get("comment", ""), (str, type(None))) for e in record["timeline"]):
        return "a timeline comment is not a string"
    return _label_problem(record["segments"])


def _label_problem(segments: list[dict[str, Any]]) -> str | None:
    for s in segments:
        if s["kind"] not in KINDS:
            return f"segment kind {s['kind']!r} is not one of {', '.join(KINDS)}"
        strands, recs = s.get("strands", []), s.get("recs", [])
        if not isinstance(strands, list) or any(x not in STRANDS for x in strands):
            return f"segment strands {strands!r} should be a list of {', '.join(STRANDS)}"
        if not isinstance(recs, list) or any(not isinstance(r, int) or isinstance(r, bool) for r in recs):
            return f"segment recs {recs!r} should be a list of recommendation numbers"
    return None


def _spans(page: Page, text: str) -> list[tuple[int, int, Any]]:
    out, pos = [], 0
    for seg in page.segments:
        t = _norm(seg.text)
        i = text.find(t, pos) if t else -1
        i = text.find(t) if i < 0 and t else i
        if i >= 0:
            out.append((i, i + len(t), seg))
            pos = i + 1
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "support": tp + fn}


def evaluate_pages(gold: dict[str, Page], predicted: Iterable[Page]) -> dict[str, Any]:
    pred = {p.id: p for p in predicted}
    c: Counter = Counter()
    kind_pairs: list[tuple[str, str | None]] = []
    for pid, g in gold.items():
        p = pred.get(pid)
        c["pages"] += 1
        c["missing"] += p is None
        c["rec_count_ok"] += p is not None and len(p.recommendations) == len(g.recommendations)
        _score_page(g, p, c, kind_pairs)
    return _summarise(c, kind_pairs)


def _score_page(g: Page, p: Page | None, c: Counter, kind_pairs: list) -> None:
    text = "\n".join(_norm(e.comment) for e in g.timeline if e.comment)
    gs, ps = _spans(g, text), _spans(p, text) if p else []
    _boundaries([e for _, e, _ in gs], [e for _, e, _ in ps], c)
    multi = len(g.recommendations) > 1
    for start, end, gseg in gs:
        best = max(ps, key=lambda s: min(end, s[1]) - max(start, s[0]), default=None)
        aligned = best is not None and min(end, best[1]) - max(start, best[0]) >= 0.5 * (end - start)
        pseg = best[2] if aligned else None
        kind_pairs.append((gseg.kind, pseg.kind if pseg else None))
        for s in STRANDS:
            c[f"strand_{s}_{_cell(s in gseg.strands, pseg is not None and s in pseg.strands)}"] += 1
        if gseg.kind in SUBSTANTIVE and multi:
            gr, pr = set(gseg.recs), set(pseg.recs if pseg else ())
            c["link_tp"], c["link_fp"], c["link_fn"] = c["link_tp"] + len(gr & pr), c["link_fp"] + len(pr - gr), c["link_fn"] + len(gr - pr)
    gstat = {s.n: s.status for s in g.status}
    pstat = {s.n: s.status for s in (p.status if p else ())}
    for n, st in gstat.items():
        c[f"gap_{_cell(st != 'evidenced', pstat.get(n, 'evidenced') != 'evidenced')}"] += 1


def _cell(truth: bool, guess: bool) -> str:
    return {(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}[(truth, guess)]


def _boundaries(gold_ends: list[int], pred_ends: list[int], c: Counter) -> None:
    used: set[int] = set()
    for b in gold_ends:
        hit = next((j for j, x in enumerate(pred_ends) if j not in used and abs(x - b) <= BOUNDARY_TOLERANCE), None)
        if hit is None:
            c["bound_fn"] += 1
        else:
            used.add(hit)
            c["bound_tp"] += 1
    c["bound_fp"] += len(pred_ends) - len(used)


def _summarise(c: Counter, kind_pairs: list[tuple[str, str | None]]) -> dict[str, Any]:
    kinds = {k: _prf(sum(g == k and p == k for g, p in kind_pairs), sum(g != k and p == k for g, p in kind_pairs),
                     sum(g == k and p != k for g, p in kind_pairs)) for k in KINDS}
    present = [v["f1"] for v in kinds.values() if v["support"]]
    strands = {s: _prf(c[f"strand_{s}_tp"], c[f"strand_{s}_fp"], c[f"strand_{s}_fn"]) for s in STRANDS}
    micro = _prf(*(sum(c[f"strand_{s}_{x}"] for s in STRANDS) for x in ("tp", "fp", "fn")))
    confusion = [[sum(g == a and p == b for g, p in kind_pairs) for b in (*KINDS, None)] for a in KINDS]
    return {
        "pages": c["pages"], "pages_missing": c["missing"], "rec_split_acc": round(c["rec_count_ok"] / max(c["pages"], 1), 3),
        "boundary_f1": _prf(c["bound_tp"], c["bound_fp"], c["bound_fn"])["f1"],
        "kind": kinds, "kind_macro_f1": round(sum(present) / max(len(present), 1), 3),
        "kind_confusion": {"labels": [*KINDS, "unaligned"], "rows": confusion},
        "strands": strands, "strand_micro_f1": micro["f1"],
        "link_multi": _prf(c["link_tp"], c["link_fp"], c["link_fn"]),
        "gaps": _prf(c["gap_tp"], c["gap_fp"], c["gap_fn"]),
    }


@dataclass(frozen=True)
class Evaluation:
    """The scores, and what the user should know about how far they reach."""

    metrics: dict[str, Any]
    warnings: tuple[str, ...] = ()


def evaluate_dirs(pages_dir: Path, gold_dir: Path, model_dir: Path | None = None) -> Evaluation:
    """Tag every ``*.txt`` page of ``pages_dir`` and score it against ``gold_dir``'s records.

    A page that cannot be tagged, or a gold page with no tagged page of its id, is a warning: it
    still counts, as all missed. When no gold page has a tagged page, nothing was measured, and
    that is an error."""
    from .pipeline import tag_sources
    from .records import Failure
    from .sources import read_sources
    from .store import load_tagger

    if not Path(pages_dir).is_dir():
        raise InputError(f"{pages_dir}: not a folder; expected a folder of *.txt pages to tag against the gold records")
    gold = load_gold(gold_dir)
    # Held in memory, unlike batch scoring: a gold set is hand-labelled, so hundreds of pages at most,
    # and matching needs every page's id before any is scored.
    tagged = list(tag_sources(read_sources([str(pages_dir)]), load_tagger(model_dir)))
    failed = [f"{item.error}; it is left out" for item in tagged if isinstance(item, Failure)]
    pages = [item for item in tagged if not isinstance(item, Failure)]
    missing = sorted(set(gold) - {p.id for p in pages})
    if len(missing) == len(gold):
        found = ", ".join(sorted(p.id for p in pages)[:5]) + (", …" if len(pages) > 5 else "") if pages else "none"
        raise InputError(f"{pages_dir}: no page here has the id of a gold record in {gold_dir} (gold ids: "
                         f"{', '.join(missing[:5])}{', …' if len(missing) > 5 else ''}; page ids: {found}); {ID_HINT}")
    unmatched = [f"gold page {pid}: no page in {pages_dir} has this id, so all its segments count as missed; "
                 f"{ID_HINT}" for pid in missing]
    return Evaluation(evaluate_pages(gold, pages), (*failed, *unmatched))


ID_HINT = "a page's id is the number in brackets at the end of its title, or else its file name without .txt"
