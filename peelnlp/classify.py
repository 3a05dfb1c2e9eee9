"""Label every segment (kind, strands, recommendations) and decide each recommendation's status.

The three models share one feature matrix per batch of pages: the text features of a segment are
computed once. Every label carries a probability; labels near their decision threshold mark the
segment ``needs_review``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from .cues import MATCHER, strand_profile
from .features import SegmentContext, SegmentFeaturizer
from .gaps import page_status
from .linker import LinkBatch, RecLinker, content_words
from .records import KINDS, STRANDS, SUBSTANTIVE, Page, Segment
from .refs import explicit_refs, heading_refs
from .textvec import Tokens, tokenize

REVIEW_MARGIN = 0.1
KIND_REVIEW_BELOW = 0.55
ADMIN_NO_STRANDS = 0.75


@dataclass
class Models:
    """The fitted models and their tuned thresholds: what a model folder stores."""

    featurizer: SegmentFeaturizer
    kind: Any  # a fitted classifier with predict_proba over KINDS
    strands: list[Any]  # one fitted binary classifier per strand, in STRANDS order
    linker: RecLinker
    thresholds: dict[str, Any] = field(default_factory=dict)


def page_contexts(page: Page) -> list[SegmentContext]:
    """The context of every segment of a page: its comment, neighbours and the page's topic."""
    topic = " ".join([page.title or "", *(r.text for r in page.recommendations)])
    recs = {r.n: r.text for r in page.recommendations}
    out, position, lead_in = [], 0, ""
    tracked = any(e.status for e in page.timeline)
    for seg, (prev, nxt) in zip(page.segments, in_comment(page.segments)):
        position, lead_in = (position + 1, lead_in) if prev else (0, "")
        out.append(SegmentContext(
            linked_recs=rec_words(recs, seg.recs), text=seg.text, prev_text=prev.text if prev else "",
            next_text=nxt.text if nxt else "", page_topic=topic, position=position,
            n_recs=len(page.recommendations), lead_in=lead_in, tracked=tracked))
        if seg.text.rstrip().endswith(":"):
            lead_in = seg.text
    return out


def in_comment(segs: Sequence[Segment]) -> list[tuple[Segment | None, Segment | None]]:
    """Each segment's previous and next segment when they are in the same comment, else None."""
    return [(segs[i - 1] if i and segs[i - 1].entry == seg.entry else None,
             segs[i + 1] if i + 1 < len(segs) and segs[i + 1].entry == seg.entry else None)
            for i, seg in enumerate(segs)]


def link_inputs(page: Page) -> tuple[list[str], list[frozenset[int]]]:
    """Each segment's text with its neighbours, and the explicit references just before it."""
    contexts = [" ".join(s.text for s in (prev, seg, nxt) if s)
                for seg, (prev, nxt) in zip(page.segments, in_comment(page.segments))]
    return contexts, context_refs(page)


def context_refs(page: Page) -> list[frozenset[int]]:
    """The recommendations named just before each segment (in the previous segment of its comment),
    when the segment names none itself: "Recommendation 2: … " then the work on it."""
    return [explicit_refs(prev.text) if prev and not explicit_refs(seg.text) else frozenset()
            for seg, (prev, _) in zip(page.segments, in_comment(page.segments))]


def linked(link_p: np.ndarray, t: dict[str, float]) -> set[int]:
    """The recommendations (1-based) a segment links to by its kind's thresholds ``t``: every one
    at or above "link", or else its best one if that reaches "link_min"."""
    picks = {int(j) + 1 for j in np.flatnonzero(link_p >= t["link"])}
    if not picks and len(link_p) and link_p.max() >= t["link_min"]:
        picks = {int(link_p.argmax()) + 1}
    return picks


def choose_recs(link_p: np.ndarray, t: dict[str, float], named: set[int], heading: frozenset[int]) -> set[int]:
    """A segment's recommendations: those it names, and those :func:`linked` gives. Under a heading
    that names recommendations (and with none named in the segment), the heading's, as a reference
    in the segment would be (among several, the model picks), and any other at or above "link"."""
    under = [r for r in sorted(heading) if 1 <= r <= len(link_p)]
    if not under or named:
        return linked(link_p, t) | named
    picks = {r for r in under if link_p[r - 1] >= t["link_min"]} or {max(under, key=lambda r: link_p[r - 1])}
    return picks | {int(j) + 1 for j in np.flatnonzero(link_p >= t["link"])}


def rec_words(texts: dict[int, str], recs: Iterable[int]) -> str:
    """The texts of the recommendations ``recs`` (numbers into ``texts``), joined: what the strand
    models read of the recommendations a segment addresses."""
    return " ".join(texts[n] for n in recs if n in texts)


def _linked_texts(pages: Sequence[Page], chosen: Sequence[tuple[int, ...]]) -> list[str]:
    """The texts of the recommendations each segment addresses, joined."""
    out: list[str] = []
    recs = iter(chosen)
    for page in pages:
        texts = {r.n: r.text for r in page.recommendations}
        out += [rec_words(texts, next(recs)) for _ in page.segments]
    return out


def _neighbours(pages: Sequence[Page]) -> sparse.csr_matrix:
    """Segments × segments: each segment with itself and its neighbours in the same comment."""
    entries = np.asarray([(p, s.entry) for p, page in enumerate(pages) for s in page.segments]).reshape(-1, 2)
    n = len(entries)
    rows, cols = [np.arange(n)], [np.arange(n)]
    if n > 1:
        same = (entries[1:] == entries[:-1]).all(axis=1)
        rows += [np.arange(1, n)[same], np.arange(n - 1)[same]]
        cols += [np.arange(n - 1)[same], np.arange(1, n)[same]]
    rows_, cols_ = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(len(rows_), np.float32), (rows_, cols_)), shape=(n, n))


class Tagger:
    """Tags segmented pages with a loaded model folder's models."""

    def __init__(self, models: Models, meta: dict[str, Any], version: str) -> None:
        self.models = models
        self.meta = meta
        self.version = version

    def tag_pages(self, pages: Iterable[Page], explain: bool = False, chunk: int = 64) -> Iterator[Page]:
        batch: list[Page] = []
        for page in pages:
            batch.append(page)
            if len(batch) >= chunk:
                yield from self._tag_batch(batch, explain)
                batch = []
        if batch:
            yield from self._tag_batch(batch, explain)

    def _tag_batch(self, pages: list[Page], explain: bool) -> Iterator[Page]:
        contexts = [c for page in pages for c in page_contexts(page)]
        if not contexts:
            yield from (self._finish(p, []) for p in pages)
            return
        tokens = tokenize([c.text for c in contexts])
        X = self.models.featurizer.transform(contexts, tokens)
        Xk = self.models.featurizer.kind_matrix(X, contexts)
        kind_p = self.models.kind.predict_proba(Xk)
        kinds = [KINDS[int(k)] for k in kind_p.argmax(axis=1)]
        starts = np.cumsum([0] + [len(p.segments) for p in pages])
        link_p = self._link_proba(pages, tokens, kinds, starts)
        # Only a page of several recommendations has a heading to choose between them.
        headings = [h for page in pages for h in (heading_refs(page.segments) if len(page.recommendations) > 1
                                                  else [frozenset()] * len(page.segments))]
        chosen = [self._choose_recs(c.text, kinds[i], p, c.n_recs, headings[i])
                  for i, (c, p) in enumerate(zip(contexts, (row for page_p in link_p for row in page_p)))]
        Xs = self.models.featurizer.strand_matrix(X, _linked_texts(pages, chosen))
        strand_p = np.column_stack([m.predict_proba(Xs)[:, 1] for m in self.models.strands])
        for k, page in enumerate(pages):
            rows = slice(starts[k], starts[k + 1])
            segments = self._label(page, kind_p[rows], kinds[rows], strand_p[rows], link_p[k], chosen[rows],
                                   (Xk[rows], Xs[rows]) if explain else None)
            yield self._finish(page, segments)

    def _link_proba(self, pages: list[Page], tokens: Tokens, kinds: list[str], starts: np.ndarray) -> list[np.ndarray]:
        """Per page, segments × recommendations link probabilities; all multi-recommendation pages
        of the batch are scored in one go."""
        out = [np.ones((len(p.segments), len(p.recommendations))) for p in pages]
        multi = [k for k, p in enumerate(pages) if len(p.recommendations) > 1 and p.segments]
        if not multi:
            return out
        linker = self.models.linker
        rows = np.concatenate([np.arange(starts[k], starts[k + 1]) for k in multi])
        group = [pages[k] for k in multi]
        seg_counts = linker.space_.counts(tokens)[rows]
        n_recs = np.asarray([len(p.recommendations) for p in group])
        rec_tokens = tokenize([r.text for p in group for r in p.recommendations])
        neighbours = _neighbours(group)
        seg_chars = linker.chars_.counts(tokens, rows)
        batch = LinkBatch(
            seg_counts, neighbours @ seg_counts, linker.space_.counts(rec_tokens),
            np.repeat(np.arange(len(group)), [len(p.segments) for p in group]), n_recs,
            [s.text for p in group for s in p.segments], [r for p in group for r in context_refs(p)],
            [kinds[i] for i in rows], content_words(tokens)[rows],
            strand_profile(tokens, MATCHER)[rows], strand_profile(rec_tokens, MATCHER),
            seg_chars, neighbours @ seg_chars, linker.chars_.counts(rec_tokens))
        proba = linker.proba(batch)
        for k, page, start in zip(multi, group, np.cumsum([0] + [len(p.segments) for p in group])):
            out[k] = proba[start:start + len(page.segments), : len(page.recommendations)]
        return out

    def _finish(self, page: Page, segments: list[Segment]) -> Page:
        tagged = dataclasses.replace(page, segments=tuple(segments), model=self.version)
        return dataclasses.replace(tagged, status=page_status(tagged))

    def _label(self, page: Page, kind_p: np.ndarray, kinds: list[str], strand_p: np.ndarray, link_p: np.ndarray,
               chosen: list[tuple[int, ...]], X: tuple[Any, Any] | None) -> list[Segment]:
        t = self.models.thresholds
        # Administrative and oversight text serves no strand (the guide; ≤ 1 % in the corpus), so a
        # segment that is surely one of those gets none; an unsure kind keeps its strands.
        admin = kind_p[:, KINDS.index("other")] + kind_p[:, KINDS.index("oversight")]
        cut = np.asarray([t["strands"][s] for s in STRANDS])
        has = ((strand_p >= cut) & (admin < ADMIN_NO_STRANDS)[:, None]).tolist()
        review = self._uncertain(kind_p, strand_p, link_p, kinds, cut).tolist()
        kind_r, strand_r, link_r = (np.round(a.astype(np.float64), 3).tolist() for a in (kind_p, strand_p, link_p))
        rec_names = [str(n + 1) for n in range(link_p.shape[1])]
        out = []
        for i, seg in enumerate(page.segments):
            strands = tuple(s for s, yes in zip(STRANDS, has[i]) if yes)
            scores = {"kind": dict(zip(KINDS, kind_r[i])), "strands": dict(zip(STRANDS, strand_r[i])),
                      "recs": dict(zip(rec_names, link_r[i]))}
            explanation = (self._explain((X[0][i], X[1][i]), kinds[i], strands, page, i, link_p[i], chosen[i])
                           if X is not None else None)
            out.append(Segment(seg.entry, seg.start, seg.end, seg.text, kinds[i], chosen[i], strands, scores,
                               review[i], explanation))
        return out

    def _choose_recs(self, text: str, kind: str, link_p: np.ndarray, n: int, heading: frozenset[int]) -> tuple[int, ...]:
        named = {r for r in explicit_refs(text) if 1 <= r <= n}
        if kind not in SUBSTANTIVE or n == 0:
            return tuple(sorted(named))
        if n == 1:
            return (1,)
        return tuple(sorted(choose_recs(link_p, self.models.thresholds["link"][kind], named, heading)))

    def _uncertain(self, kind_p: np.ndarray, strand_p: np.ndarray, link_p: np.ndarray, kinds: list[str],
                   cut: np.ndarray) -> np.ndarray:
        """Segments with a label near its decision threshold, or an unsure kind."""
        near_strand = (np.abs(strand_p - cut) < REVIEW_MARGIN).any(axis=1)
        link_cut = np.asarray([self.models.thresholds["link"][k]["link"] if k in SUBSTANTIVE else np.inf for k in kinds])
        best = link_p.max(axis=1) if link_p.shape[1] > 1 else np.full(len(kinds), -np.inf)
        return (kind_p.max(axis=1) < KIND_REVIEW_BELOW) | near_strand | (np.abs(best - link_cut) < REVIEW_MARGIN)

    def _explain(self, x: tuple[Any, Any], kind: str, strands: tuple[str, ...], page: Page, i: int,
                 link_p: np.ndarray, recs: tuple[int, ...]) -> dict[str, list[str]]:
        from .explain import explain_segment

        return explain_segment(self, x, kind, strands, page, i, link_p, recs)

