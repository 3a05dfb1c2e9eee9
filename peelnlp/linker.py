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

from .features import words
from .records import KINDS, SUBSTANTIVE

# "These observations have not been triangulated": a remark about the whole update, not one recommendation.
_GENERIC = re.compile(
    r"^(?:overall,?\s+|however,?\s+)?(?:these|this|such|the|all)\s+(?:\w+\s+){0,2}(?:observations?|measures?|activit(?:y|ies)|work|"
    r"progress|plans?|changes?|improvements?|findings?|recommendations?|updates?|actions?|developments?|areas?)\b"
    r"|\b(?:all (?:of )?(?:the|its|these) recommendations|overall|across (?:all|the) recommendations|each recommendation)\b",
    re.I)
_REF = re.compile(r"\brecommendations?\s*(?:no\.?\s*)?((?:\d{1,2}\s*(?:,|and|&|or|-|–|to)?\s*)+)", re.I)
PAIR_FEATURES = [
    "explicit", "explicit_other", "any_explicit", "context_ref", "context_ref_other",
    "cos", "cos_rank1", "cos_margin", "cos_ratio", "latent", "latent_rank1", "latent_margin", "latent_ratio",
    "context_cos", "context_rank1", "context_margin", "inv_n_recs", "first_rec", "last_rec",
    "contrast", "contrast_rank1", "contrast_margin", "contrast_ratio", "context_contrast", "context_contrast_rank1",
    "cos_x_ratio", "latent_x_ratio", "contrast_x_ratio", "segment_max_cos", "segment_max_contrast",
    "generic_remark", "content_words", *[f"kind_{k}" for k in KINDS],
]


def explicit_refs(text: str) -> set[int]:
    """Recommendation numbers a text names: "(recommendation 3)", "recommendations 1 and 2", "1-3"."""
    found: set[int] = set()
    for m in _REF.finditer(text):
        numbers = [int(x) for x in re.findall(r"\d{1,2}", m.group(1))]
        if re.search(r"\d\s*(?:-|–|to)\s*\d", m.group(1)) and len(numbers) == 2 and numbers[0] < numbers[1] <= 20:
            numbers = list(range(numbers[0], numbers[1] + 1))
        found.update(n for n in numbers if n > 0)
    return found


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
        n = len(recs)
        seg_w, ctx_w, rec_w = (self.tfidf_.transform(list(t)) for t in (segments, contexts, recs))
        cos = (seg_w @ rec_w.T).toarray()
        context = (ctx_w @ rec_w.T).toarray()
        weight = _page_weight(rec_w)
        latent = self._latent(seg_w @ weight) @ self._latent(rec_w @ weight).T
        contrast, context_contrast = _contrast(seg_w, rec_w, weight), _contrast(ctx_w, rec_w, weight)
        rows = []
        for i, text in enumerate(segments):
            refs = explicit_refs(text)
            for j in range(n):
                row = self._row(j, n, refs, context_refs[i], cos[i], latent[i], context[i])
                row += _rank_features(contrast[i], j) + _rank_features(context_contrast[i], j)[:2]
                row += [row[5] * row[8], row[9] * row[12], row[19] * row[22], float(cos[i].max()), float(contrast[i].max()),
                        float(bool(_GENERIC.search(text))), min(len(words(text)), 40) / 40]
                rows.append(row + [float(kinds[i] == k) for k in KINDS])
        return np.asarray(rows, dtype=np.float32).reshape(len(segments) * n, len(PAIR_FEATURES))

    def link_proba(self, X: np.ndarray, n_segments: int, n_recs: int) -> np.ndarray:
        return self.model_.predict_proba(X)[:, 1].reshape(n_segments, n_recs)

    def contributions(self, x: np.ndarray) -> list[tuple[str, float]]:
        scaler, lr = self.model_[0], self.model_[-1]
        values = lr.coef_[0] * (x - scaler.mean_) / np.where(scaler.scale_ == 0, 1, scaler.scale_)
        return sorted(zip(PAIR_FEATURES, values.tolist()), key=lambda kv: -kv[1])

    @staticmethod
    def _row(j: int, n: int, refs: set[int], ctx_refs: set[int],
             cos: np.ndarray, latent: np.ndarray, context: np.ndarray) -> list[float]:
        rec = j + 1
        row = [float(rec in refs), float(bool(refs) and rec not in refs), float(bool(refs)),
               float(rec in ctx_refs), float(bool(ctx_refs) and rec not in ctx_refs)]
        for values in (cos, latent):
            row += _rank_features(values, j)
        row += _rank_features(context, j)[:3]
        row += [1.0 / n, float(j == 0), float(j == n - 1)]
        return row

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


def _rank_features(values: np.ndarray, j: int) -> list[float]:
    best = float(values.max())
    others = np.delete(values, j)
    runner = float(others.max()) if others.size else 0.0
    return [float(values[j]), float(values[j] >= best - 1e-9), float(values[j] - runner),
            float(values[j] / best) if best > 0 else 0.0]
