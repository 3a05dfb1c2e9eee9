"""Which of the page's recommendations a segment addresses: a pairwise model.

Every (segment, recommendation of this page) pair is scored from features that carry over to
pages and recommendations never seen in training: an explicit "recommendation N" reference (in
the segment or just before it), lexical similarity of the segment and its neighbours to the
recommendation (of their word stems, and of their words' character n-grams), similarity in a
latent space learned from linked pairs (so "LROs" finds "lead responsible officers"), the
recommendation's rank and margin among the page's recommendations, the page's number of
recommendations and the segment's kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .cues import MATCHER, strand_profile
from .records import KINDS
from .refs import explicit_refs
from .textvec import CharSpace, TermSpace, Tokens, tokenize

# "These observations have not been triangulated", "HMICFRS has not yet tested these arrangements": a
# remark about the whole update, not one recommendation. Only a demonstrative marks it: "the plan"
# or "the force plans to" usually name one recommendation's work.
_GENERIC = re.compile(
    r"\b(?:these|this|such|those)\s+(?:\w+\s+){0,2}(?:observations?|measures?|arrangements?|activit(?:y|ies)|work|"
    r"progress|changes?|improvements?|findings?|updates?|actions?|developments?|information|steps|initiatives?)\b"
    r"|\b(?:all (?:of )?(?:the|its|these) recommendations|overall|across (?:all|the) recommendations|each recommendation)\b",
    re.I)
PAIR_FEATURES = [
    "explicit", "explicit_other", "any_explicit", "context_ref", "context_ref_other",
    "cos", "cos_rank1", "cos_margin", "cos_ratio", "latent", "latent_rank1", "latent_margin", "latent_ratio",
    "context_cos", "context_rank1", "context_margin", "inv_n_recs", "first_rec", "last_rec",
    "contrast", "contrast_rank1", "contrast_margin", "contrast_ratio", "context_contrast", "context_contrast_rank1",
    "cos_x_ratio", "latent_x_ratio", "contrast_x_ratio", "strand_match", "strand_match_rank1", "strand_match_margin",
    "chars", "chars_rank1", "chars_margin", "chars_ratio", "context_chars", "context_chars_rank1", "context_chars_margin",
    "segment_max_cos", "segment_max_contrast", "generic_remark", "content_words", *[f"kind_{k}" for k in KINDS],
]


@dataclass(frozen=True)
class LinkBatch:
    """What the linker reads of a batch of pages that have several recommendations each."""

    seg_counts: sparse.csr_matrix  # term counts of each segment, in the linker's term space
    ctx_counts: sparse.csr_matrix  # … of each segment with its neighbours in the comment
    rec_counts: sparse.csr_matrix  # … of each recommendation, page after page
    seg_page: np.ndarray  # the page (0 … P-1) of each segment
    n_recs: np.ndarray  # recommendations per page
    texts: Sequence[str]  # the segments' own texts
    context_refs: Sequence[Set[int]]  # recommendations named just before each segment
    kinds: Sequence[str]
    content: np.ndarray  # the number of content words of each segment
    seg_strands: np.ndarray  # segments × 4: the 4P strands in the words of each segment
    rec_strands: np.ndarray  # recommendations × 4: … of each recommendation
    seg_chars: sparse.csr_matrix  # character n-gram counts of each segment
    ctx_chars: sparse.csr_matrix  # … of each segment with its neighbours in the comment
    rec_chars: sparse.csr_matrix  # … of each recommendation

    @property
    def rec_start(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.n_recs)[:-1]]).astype(np.int64)


class RecLinker(BaseEstimator):
    """Scores (segment, recommendation) pairs; ``proba`` gives a segments × recommendations matrix."""

    def __init__(self, n_components: int = 120, C: float = 1.0, random_state: int = 0) -> None:
        self.n_components = n_components
        self.C = C
        self.random_state = random_state

    def fit_space(self, pair_docs: list[str], texts: list[str]) -> RecLinker:
        """Learn the word space from all texts and the latent space from linked (segment + recommendation) pairs."""
        from sklearn.decomposition import TruncatedSVD

        self.space_ = TermSpace(skip_function_words=True).fit(tokenize(texts + pair_docs))
        self.chars_ = CharSpace().fit(tokenize(texts))
        space = self.space_.transform(tokenize(pair_docs + texts))
        k = max(2, min(self.n_components, space.shape[1] - 1, space.shape[0] - 1))
        # An exact SVD: the randomized one gives each seed its own latent space, and with it moved
        # the links on real pages whose recommendations share most of their words (dev link F1
        # 0.63, 0.56 and 0.50 for seeds 0, 1 and 2). ARPACK needs fewer components than either
        # dimension, which only a corpus of a handful of texts lacks. Only the projection is kept:
        # loading a model then needs no sklearn.decomposition import.
        algorithm = "arpack" if k < min(space.shape) else "randomized"
        svd = TruncatedSVD(n_components=k, algorithm=algorithm, random_state=self.random_state)
        self.components_ = svd.fit(space).components_
        self.components_ = self.components_.astype(np.float32)
        return self

    def fit(self, X: np.ndarray, y: np.ndarray) -> RecLinker:
        if len(set(np.asarray(y).tolist())) < 2:
            # A corpus with no multi-recommendation page: two neutral rows keep the model defined (p ≈ 0.5).
            X = np.vstack([X.reshape(-1, len(PAIR_FEATURES)), np.zeros((2, len(PAIR_FEATURES)))])
            y = np.asarray([*np.asarray(y).tolist(), 0, 1])
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced"))
        self.model_.fit(X, y)
        return self

    def page_batch(self, segments: Sequence[str], contexts: Sequence[str], context_refs: Sequence[Set[int]],
                   kinds: Sequence[str], recs: Sequence[str]) -> LinkBatch:
        """The batch of one page, from texts (segments, each with its neighbours, and recommendations)."""
        seg_tokens, ctx_tokens, rec_tokens = tokenize(segments), tokenize(contexts), tokenize(recs)
        return LinkBatch(self.space_.counts(seg_tokens), self.space_.counts(ctx_tokens),
                         self.space_.counts(rec_tokens), np.zeros(len(segments), np.int64),
                         np.asarray([len(recs)]), segments, context_refs, kinds, content_words(seg_tokens),
                         strand_profile(seg_tokens, MATCHER), strand_profile(rec_tokens, MATCHER),
                         *(self.chars_.counts(t) for t in (seg_tokens, ctx_tokens, rec_tokens)))

    def pair_features(self, segments: Sequence[str], contexts: Sequence[str], context_refs: Sequence[Set[int]],
                      kinds: Sequence[str], recs: Sequence[str]) -> np.ndarray:
        """Features of every pair of one page, shape (len(segments) * len(recs), n_features), segment-major."""
        X, _ = self.batch_features(self.page_batch(segments, contexts, context_refs, kinds, recs))
        return X

    def batch_features(self, b: LinkBatch) -> tuple[np.ndarray, np.ndarray]:
        """Features of every (segment, recommendation of its page) pair, segment-major, and the
        (segments × most recommendations) mask saying which cells of a padded matrix they fill."""
        n = b.n_recs[b.seg_page]
        width = int(b.n_recs.max())
        mask = np.arange(width)[None, :] < n[:, None]
        cols = np.where(mask, b.rec_start[b.seg_page][:, None] + np.arange(width)[None, :], 0)
        gather = lambda full: np.take_along_axis(np.asarray(full), cols, axis=1)  # noqa: E731
        seg_w, ctx_w, rec_w = (self.space_.weigh(m) for m in (b.seg_counts, b.ctx_counts, b.rec_counts))
        page_w = _page_weights(b.rec_counts, b.n_recs)
        rec_page = np.repeat(np.arange(len(b.n_recs)), b.n_recs)
        seg_p, ctx_p, rec_p = (_unit(_weighted(m, pages, page_w)) for m, pages in
                               ((seg_w, b.seg_page), (ctx_w, b.seg_page), (rec_w, rec_page)))
        cos, context = gather((seg_w @ rec_w.T).toarray()), gather((ctx_w @ rec_w.T).toarray())
        latent = gather(self._latent(seg_p) @ self._latent(rec_p).T)
        contrast, context_contrast = gather((seg_p @ rec_p.T).toarray()), gather((ctx_p @ rec_p.T).toarray())
        strands = gather(_unit_rows(b.seg_strands) @ _unit_rows(b.rec_strands).T)
        named = _named(list(map(explicit_refs, b.texts)), width)
        context_named = _named(b.context_refs, width)
        j = np.arange(width)[None, :]
        columns = [*_ref_columns(named), *_ref_columns(context_named)[:2]]
        columns += [*_rank_columns(cos, mask), *_rank_columns(latent, mask), *_rank_columns(context, mask)[:3]]
        columns += [np.repeat(1.0 / n[:, None], width, axis=1), np.broadcast_to(j == 0, mask.shape) * 1.0, (j == n[:, None] - 1) * 1.0]
        columns += [*_rank_columns(contrast, mask), *_rank_columns(context_contrast, mask)[:2]]
        columns += [columns[5] * columns[8], columns[9] * columns[12], columns[19] * columns[22]]
        columns += _rank_columns(strands, mask)[:3]
        seg_c, ctx_c, rec_c = (self.chars_.weigh(m) for m in (b.seg_chars, b.ctx_chars, b.rec_chars))
        chars, context_chars = gather((seg_c @ rec_c.T).toarray()), gather((ctx_c @ rec_c.T).toarray())
        columns += [*_rank_columns(chars, mask), *_rank_columns(context_chars, mask)[:3]]
        per_segment = [np.where(mask, cos, -np.inf).max(axis=1), np.where(mask, contrast, -np.inf).max(axis=1),
                       np.fromiter((bool(_GENERIC.search(t)) for t in b.texts), dtype=np.float64, count=len(b.texts)),
                       np.minimum(b.content, 40) / 40, *(np.asarray([k == kind for k in b.kinds], float) for kind in KINDS)]
        columns += [np.repeat(np.asarray(v, dtype=np.float64)[:, None], width, axis=1) for v in per_segment]
        return np.stack(columns, axis=2)[mask].astype(np.float32), mask

    def proba(self, b: LinkBatch) -> np.ndarray:
        """Link probabilities, segments × (most recommendations on a page); 0 beyond a page's own."""
        X, mask = self.batch_features(b)
        out = np.zeros(mask.shape)
        if len(X):
            out[mask] = self.model_.predict_proba(X)[:, 1]
        return out

    def contributions(self, x: np.ndarray) -> list[tuple[str, float]]:
        scaler, lr = self.model_[0], self.model_[-1]
        values = lr.coef_[0] * (x - scaler.mean_) / np.where(scaler.scale_ == 0, 1, scaler.scale_)
        return sorted(zip(PAIR_FEATURES, values.tolist()), key=lambda kv: -kv[1])

    def _latent(self, vectors: sparse.csr_matrix) -> np.ndarray:
        return _unit_rows(np.asarray(vectors @ self.components_.T))


def content_words(tokens: Tokens) -> np.ndarray:
    return np.bincount(tokens.stem_doc, minlength=tokens.n_docs)


def _page_weights(rec_counts: sparse.csr_matrix, n_recs: np.ndarray) -> np.ndarray:
    """Per page and word: down-weight words that many of the page's recommendations share.

    On a page of five recommendations about serious and organised crime, "organised crime" tells
    them apart no better than "the"; "lead responsible officer" does."""
    rec_page = np.repeat(np.arange(len(n_recs)), n_recs)
    per_page = sparse.csr_matrix((np.ones(len(rec_page)), (rec_page, np.arange(len(rec_page)))),
                                 shape=(len(n_recs), rec_counts.shape[0]))
    df = (per_page @ (rec_counts > 0).astype(np.float32)).toarray()
    return np.log((1.0 + n_recs[:, None]) / (1.0 + df)).astype(np.float32)


def _weighted(m: sparse.csr_matrix, row_page: np.ndarray, page_w: np.ndarray) -> sparse.csr_matrix:
    out = m.copy()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    out.data = out.data * page_w[row_page[rows], out.indices]
    return out


def _unit(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel()) + 1e-9
    return sparse.diags(1 / norms) @ m


def _unit_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1, norms)


def _named(refs: Sequence[Set[int]], width: int) -> np.ndarray:
    out = np.zeros((len(refs), width))
    for i, r in enumerate(refs):
        for n in r:
            if 1 <= n <= width:
                out[i, n - 1] = 1.0
    return out


def _ref_columns(named: np.ndarray) -> list[np.ndarray]:
    """names this one, names another, names any: one column each, for every pair."""
    any_ = np.repeat(named.max(axis=1, initial=0)[:, None], named.shape[1], axis=1)
    return [named, any_ * (1 - named), any_]


def _rank_columns(values: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    """For each pair: the value, whether it is the page's best, its margin over the best other, its ratio to the best."""
    padded = np.where(mask, values, -np.inf)
    best = padded.max(axis=1, keepdims=True)
    second = np.sort(padded, axis=1)[:, -2:-1] if values.shape[1] > 1 else np.zeros_like(best)
    second = np.where(np.isfinite(second), second, 0.0)
    runner = np.where(np.arange(values.shape[1])[None, :] == padded.argmax(axis=1)[:, None], second, best)
    ratio = np.divide(values, best, out=np.zeros_like(values, dtype=np.float64), where=best > 0)
    return [values.astype(np.float64), (values >= best - 1e-9).astype(np.float64), values - runner, ratio]
