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

from .features import SegmentContext, SegmentFeaturizer
from .gaps import page_status
from .linker import RecLinker
from .records import KINDS, STRANDS, SUBSTANTIVE, Page, Segment
from .refs import explicit_refs

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
    comments = dict(page.comments())
    segs = page.segments
    out, position, lead_in = [], 0, ""
    for i, seg in enumerate(segs):
        same = lambda k: 0 <= k < len(segs) and segs[k].entry == seg.entry  # noqa: E731
        position, lead_in = (position + 1, lead_in) if same(i - 1) else (0, "")
        out.append(SegmentContext(
            linked_recs=" ".join(recs[n] for n in seg.recs if n in recs),
            text=seg.text, prev_text=segs[i - 1].text if same(i - 1) else "",
            next_text=segs[i + 1].text if same(i + 1) else "", comment=comments.get(seg.entry, ""),
            page_topic=topic, position=position, n_recs=len(page.recommendations), lead_in=lead_in))
        if seg.text.rstrip().endswith(":"):
            lead_in = seg.text
    return out


def link_inputs(page: Page) -> tuple[list[str], list[set[int]]]:
    """Each segment's text with its neighbours, and the explicit references just before it."""
    segs, contexts, refs = page.segments, [], []
    for i, seg in enumerate(segs):
        prev = segs[i - 1] if i and segs[i - 1].entry == seg.entry else None
        nxt = segs[i + 1] if i + 1 < len(segs) and segs[i + 1].entry == seg.entry else None
        contexts.append(" ".join(s.text for s in (prev, seg, nxt) if s))
        refs.append(explicit_refs(prev.text) if prev and not explicit_refs(seg.text) else set())
    return contexts, refs


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
        X = self.models.featurizer.transform(contexts)
        kind_p = self.models.kind.predict_proba(X)
        link_vectors = self._link_vectors(pages)
        linked, offset = [], 0
        for page, vectors in zip(pages, link_vectors):
            rows = slice(offset, offset + len(page.segments))
            offset += len(page.segments)
            linked.append(self._link(page, kind_p[rows], vectors))
        texts = [text for _, _, page_texts in linked for text in page_texts]
        with_recs = [dataclasses.replace(c, linked_recs=text) for c, text in zip(contexts, texts)]
        Xs = self.models.featurizer.strand_matrix(X, with_recs)
        strand_p = np.column_stack([m.predict_proba(Xs)[:, 1] for m in self.models.strands])
        offset = 0
        for page, (link_p, recs, _) in zip(pages, linked):
            rows = slice(offset, offset + len(page.segments))
            offset += len(page.segments)
            segments = self._label(page, kind_p[rows], strand_p[rows], link_p, recs, Xs[rows] if explain else None)
            yield self._finish(page, segments)

    def _link(self, page: Page, kind_p: np.ndarray, vectors: Any) -> tuple[np.ndarray, list[tuple[int, ...]], list[str]]:
        """Each segment's link probabilities, chosen recommendations, and those recommendations' words."""
        kinds = [KINDS[int(k)] for k in kind_p.argmax(axis=1)]
        link_p = self._link_proba(page, kinds, vectors)
        n = len(page.recommendations)
        recs = [self._choose_recs(seg.text, kinds[i], link_p[i], n) for i, seg in enumerate(page.segments)]
        texts = {r.n: r.text for r in page.recommendations}
        return link_p, recs, [" ".join(texts[r] for r in chosen if r in texts) for chosen in recs]

    def _link_vectors(self, pages: list[Page]) -> list[Any]:
        """The linker's word vectors of every multi-recommendation page's texts, in one call per batch."""
        texts: list[str] = []
        spans = []
        for page in pages:
            if len(page.recommendations) < 2 or not page.segments:
                spans.append(None)
                continue
            contexts, refs = link_inputs(page)
            start = len(texts)
            texts += [s.text for s in page.segments] + contexts + [r.text for r in page.recommendations]
            spans.append((start, len(page.segments), len(page.recommendations), refs))
        matrix = self.models.linker.vectorize(texts) if texts else None
        out = []
        for span in spans:
            if span is None:
                out.append(None)
                continue
            start, m, n, refs = span
            out.append((matrix[start:start + m], matrix[start + m:start + 2 * m], matrix[start + 2 * m:start + 2 * m + n], refs))
        return out

    def _finish(self, page: Page, segments: list[Segment]) -> Page:
        tagged = dataclasses.replace(page, segments=tuple(segments), model=self.version)
        return dataclasses.replace(tagged, status=page_status(tagged))

    def _label(self, page: Page, kind_p: np.ndarray, strand_p: np.ndarray, link_p: np.ndarray,
               chosen: list[tuple[int, ...]], X: Any) -> list[Segment]:
        kinds = [KINDS[int(k)] for k in kind_p.argmax(axis=1)]
        t = self.models.thresholds
        out = []
        for i, seg in enumerate(page.segments):
            # Administrative and oversight text serves no strand (the guide; ≤ 1 % in the corpus), so a
            # segment that is surely one of those gets none; an unsure kind keeps its strands.
            admin = float(kind_p[i, KINDS.index("other")] + kind_p[i, KINDS.index("oversight")])
            strands = tuple(s for j, s in enumerate(STRANDS)
                            if strand_p[i, j] >= t["strands"][s] and admin < ADMIN_NO_STRANDS)
            recs = chosen[i]
            scores = {"kind": _rounded(KINDS, kind_p[i]), "strands": _rounded(STRANDS, strand_p[i]),
                      "recs": {str(n + 1): round(float(p), 3) for n, p in enumerate(link_p[i])}}
            out.append(dataclasses.replace(
                seg, kind=kinds[i], strands=strands, recs=recs, scores=scores,
                needs_review=self._uncertain(kind_p[i], strand_p[i], link_p[i], kinds[i]),
                explanation=self._explain(X[i], kinds[i], strands, page, i, link_p[i], recs) if X is not None else None))
        return out

    def _link_proba(self, page: Page, kinds: Sequence[str], vectors: Any) -> np.ndarray:
        n, m = len(page.recommendations), len(page.segments)
        if vectors is None:
            return np.ones((m, n))
        seg_w, ctx_w, rec_w, refs = vectors
        X = self.models.linker.pair_features_from(seg_w, ctx_w, rec_w, [s.text for s in page.segments], refs, kinds)
        return self.models.linker.link_proba(X, m, n)

    def _choose_recs(self, text: str, kind: str, link_p: np.ndarray, n: int) -> tuple[int, ...]:
        named = tuple(sorted(r for r in explicit_refs(text) if 1 <= r <= n))
        if kind not in SUBSTANTIVE or n == 0:
            return named
        if n == 1:
            return (1,)
        t = self.models.thresholds["link"][kind]
        chosen = [j + 1 for j, p in enumerate(link_p) if p >= t["link"]]
        if not chosen and link_p.max() >= t["link_min"]:
            chosen = [int(link_p.argmax()) + 1]
        return tuple(sorted(set(chosen) | set(named)))

    def _uncertain(self, kind_p: np.ndarray, strand_p: np.ndarray, link_p: np.ndarray, kind: str) -> bool:
        t = self.models.thresholds
        near_strand = any(abs(strand_p[j] - t["strands"][s]) < REVIEW_MARGIN for j, s in enumerate(STRANDS))
        near_link = (kind in SUBSTANTIVE and link_p.size > 1
                     and abs(float(link_p.max()) - t["link"][kind]["link"]) < REVIEW_MARGIN)
        return bool(kind_p.max() < KIND_REVIEW_BELOW or near_strand or near_link)

    def _explain(self, x: Any, kind: str, strands: tuple[str, ...], page: Page, i: int,
                 link_p: np.ndarray, recs: tuple[int, ...]) -> dict[str, list[str]]:
        from .explain import explain_segment

        return explain_segment(self, x, kind, strands, page, i, link_p, recs)


def _rounded(labels: Sequence[str], probs: np.ndarray) -> dict[str, float]:
    return {label: round(float(p), 3) for label, p in zip(labels, probs)}
