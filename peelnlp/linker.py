"""Which of the page's recommendations a segment addresses: a pairwise model.

Every (segment, recommendation of this page) pair is scored from features that carry over to
pages and recommendations never seen in training: an explicit "recommendation N" reference (in
the segment or just before it), lexical similarity of the segment and its neighbours to the
recommendation, similarity in a latent space learned from linked pairs (so "LROs" finds "lead
responsible officers"), the recommendation's rank and margin among the page's recommendations,
the page's number of recommendations and the segment's kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .features import pack_vocabularies, unpack_vocabularies, words
from .records import KINDS
from .refs import explicit_refs

# "These observations have not been triangulated": a remark about the whole update, not one recommendation.
_GENERIC = re.compile(
    r"^(?:overall,?\s+|however,?\s+)?(?:these|this|such|the|all)\s+(?:\w+\s+){0,2}(?:observations?|measures?|activit(?:y|ies)|work|"
    r"progress|plans?|changes?|improvements?|findings?|recommendations?|updates?|actions?|developments?|areas?)\b"
    r"|\b(?:all (?:of )?(?:the|its|these) recommendations|overall|across (?:all|the) recommendations|each recommendation)\b",
    re.I)
PAIR_FEATURES = [
    "explicit", "explicit_other", "any_explicit", "context_ref", "context_ref_other",
    "cos", "cos_rank1", "cos_margin", "cos_ratio", "latent", "latent_rank1", "latent_margin", "latent_ratio",
    "context_cos", "context_rank1", "context_margin", "inv_n_recs", "first_rec", "last_rec",
    "contrast", "contrast_rank1", "contrast_margin", "contrast_ratio", "context_contrast", "context_contrast_rank1",
    "cos_x_ratio", "latent_x_ratio", "contrast_x_ratio", "segment_max_cos", "segment_max_contrast",
    "generic_remark", "content_words", *[f"kind_{k}" for k in KINDS],
]


class RecLinker(BaseEstimator):
    """Scores (segment, recommendation) pairs; ``link_proba`` gives a segments × recommendations matrix."""

    def __init__(self, n_components: int = 120, C: float = 1.0, random_state: int = 0) -> None:
        self.n_components = n_components
        self.C = C
        self.random_state = random_state

    def fit_space(self, pair_docs: list[str], texts: list[str]) -> RecLinker:
        """Learn the word space from all texts and the latent space from linked (segment + recommendation) pairs."""
        from sklearn.decomposition import TruncatedSVD

        self.tfidf_ = TfidfVectorizer(analyzer=words, min_df=1, sublinear_tf=True, dtype=np.float32)
        self.tfidf_.fit(texts + pair_docs)
        space = self.tfidf_.transform(pair_docs + texts)
        k = max(2, min(self.n_components, space.shape[1] - 1, space.shape[0] - 1))
        # Only the projection is kept: loading a model then needs no sklearn.decomposition import.
        self.components_ = TruncatedSVD(n_components=k, random_state=self.random_state).fit(space).components_
        return self

    def fit(self, X: np.ndarray, y: np.ndarray) -> RecLinker:
        if len(set(np.asarray(y).tolist())) < 2:
            # A corpus with no multi-recommendation page: two neutral rows keep the model defined (p ≈ 0.5).
            X = np.vstack([X.reshape(-1, len(PAIR_FEATURES)), np.zeros((2, len(PAIR_FEATURES)))])
            y = np.asarray([*np.asarray(y).tolist(), 0, 1])
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced"))
        self.model_.fit(X, y)
        return self

    def pair_features(self, segments: Sequence[str], contexts: Sequence[str], context_refs: Sequence[set[int]],
                      kinds: Sequence[str], recs: Sequence[str]) -> np.ndarray:
        """Features of every pair, shape (len(segments) * len(recs), n_features), segment-major."""
        vectors = self.tfidf_.transform([*segments, *contexts, *recs])
        m = len(segments)
        return self.pair_features_from(vectors[:m], vectors[m:2 * m], vectors[2 * m:], segments, context_refs, kinds)

    def vectorize(self, texts: Sequence[str]):  # noqa: ANN201 - sparse rows
        """TF-IDF rows for many texts in one call (a batch of pages), to slice per page."""
        return self.tfidf_.transform(list(texts))

    def pair_features_from(self, seg_w, ctx_w, rec_w, segments: Sequence[str],  # noqa: ANN001 - sparse rows
                           context_refs: Sequence[set[int]], kinds: Sequence[str]) -> np.ndarray:
        """As :meth:`pair_features`, from TF-IDF rows already computed."""
        n = rec_w.shape[0]
        cos = (seg_w @ rec_w.T).toarray()
        context = (ctx_w @ rec_w.T).toarray()
        weight = _page_weight(rec_w)
        latent = self._latent(seg_w @ weight) @ self._latent(rec_w @ weight).T
        contrast, context_contrast = _contrast(seg_w, rec_w, weight), _contrast(ctx_w, rec_w, weight)
        m = len(segments)
        columns = [*_ref_columns([explicit_refs(t) for t in segments], n), *_ref_columns(list(context_refs), n)[:2]]
        columns += [*_rank_columns(cos), *_rank_columns(latent), *_rank_columns(context)[:3]]
        columns += [np.full((m, n), 1.0 / n), _at(m, n, 0), _at(m, n, n - 1)]
        columns += [*_rank_columns(contrast), *_rank_columns(context_contrast)[:2]]
        columns += [columns[5] * columns[8], columns[9] * columns[12], columns[19] * columns[22]]
        per_segment = [cos.max(axis=1), contrast.max(axis=1),
                       [float(bool(_GENERIC.search(t))) for t in segments], [min(len(words(t)), 40) / 40 for t in segments],
                       *([float(k == kind) for k in kinds] for kind in KINDS)]
        columns += [np.repeat(np.asarray(v, dtype=np.float64)[:, None], n, axis=1) for v in per_segment]
        return np.stack(columns, axis=2).reshape(m * n, len(PAIR_FEATURES)).astype(np.float32)

    def __getstate__(self) -> dict:
        return pack_vocabularies(super().__getstate__(), ("tfidf_",))

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(unpack_vocabularies(state, ("tfidf_",)))

    def link_proba(self, X: np.ndarray, n_segments: int, n_recs: int) -> np.ndarray:
        return self.model_.predict_proba(X)[:, 1].reshape(n_segments, n_recs)

    def contributions(self, x: np.ndarray) -> list[tuple[str, float]]:
        scaler, lr = self.model_[0], self.model_[-1]
        values = lr.coef_[0] * (x - scaler.mean_) / np.where(scaler.scale_ == 0, 1, scaler.scale_)
        return sorted(zip(PAIR_FEATURES, values.tolist()), key=lambda kv: -kv[1])

    def _latent(self, vectors) -> np.ndarray:  # noqa: ANN001 - sparse TF-IDF rows
        z = np.asarray(vectors @ self.components_.T)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return z / np.where(norms == 0, 1, norms)


def _page_weight(recs):  # noqa: ANN001, ANN202 - sparse TF-IDF rows in, diagonal matrix out
    """Down-weight words that many of the page's recommendations share.

    On a page of five recommendations about serious and organised crime, "organised crime" tells
    them apart no better than "the"; "lead responsible officer" does."""
    n = recs.shape[0]
    df = np.asarray((recs > 0).sum(axis=0)).ravel()
    return sparse.diags(np.log((1.0 + n) / (1.0 + df)).astype(np.float32))


def _contrast(segments, recs, weight) -> np.ndarray:  # noqa: ANN001 - sparse matrices
    """Cosine of segments and recommendations after the page weighting."""
    s, r = segments @ weight, recs @ weight
    norms = lambda m: np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel()) + 1e-9  # noqa: E731
    return ((s @ r.T).toarray() / norms(s)[:, None]) / norms(r)[None, :]


def _at(m: int, n: int, j: int) -> np.ndarray:
    out = np.zeros((m, n))
    out[:, j] = 1.0
    return out


def _ref_columns(refs: list[set[int]], n: int) -> list[np.ndarray]:
    """named, names another, names any: one column each, for every (segment, recommendation) pair."""
    named = np.array([[float(j + 1 in r) for j in range(n)] for r in refs]).reshape(len(refs), n)
    any_ = np.repeat(np.array([float(bool(r)) for r in refs])[:, None], n, axis=1)
    return [named, any_ * (1 - named), any_]


def _rank_columns(values: np.ndarray) -> list[np.ndarray]:
    """For each pair: the value, whether it is the page's best, its margin over the best other, its ratio to the best."""
    m, n = values.shape
    best = values.max(axis=1, keepdims=True)
    if n > 1:
        top2 = np.sort(values, axis=1)[:, -2:-1]
        runner = np.where(np.arange(n)[None, :] == values.argmax(axis=1)[:, None], top2, best)
    else:
        runner = np.zeros((m, 1))
    ratio = np.divide(values, best, out=np.zeros_like(values, dtype=np.float64), where=best > 0)
    return [values.astype(np.float64), (values >= best - 1e-9).astype(np.float64), values - runner, ratio]
