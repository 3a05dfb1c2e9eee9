"""Decision thresholds tuned on out-of-fold probabilities, and the cross-validated metrics stored with a model."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from .classify import choose_recs
from .gaps import rec_status
from .records import KINDS, STRANDS, SUBSTANTIVE
from .refs import explicit_refs, heading_refs

if TYPE_CHECKING:
    from .train import TrainData

GRID = np.round(np.arange(0.15, 0.86, 0.025), 3)
PLATEAU = 0.005  # F1 within this of the best counts as equally good


class PaddedClassifier(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose predict_proba is widened to ``n_classes`` columns (absent classes get 0)."""

    def __init__(self, model: Any, n_classes: int) -> None:
        self.model = model
        self.n_classes = n_classes

    @property
    def coef_(self) -> np.ndarray:
        coef = np.zeros((self.n_classes, self.model.coef_.shape[1]))
        coef[self.model.classes_] = self.model.coef_ if len(self.model.classes_) > 2 else 0
        return coef

    def predict_proba(self, X: Any) -> np.ndarray:
        out = np.zeros((X.shape[0], self.n_classes))
        out[:, self.model.classes_] = self.model.predict_proba(X)
        return out


def plateau_centre(scores: list[float], points: list[tuple[float, ...]]) -> tuple[float, ...]:
    """The middle of the points that score within PLATEAU of the best.

    Out-of-fold F1 is often flat near its peak, and the exact argmax then moves with any change to
    the corpus; the middle of the plateau is the choice least likely to sit on its edge."""
    best = max(scores)
    near = np.array([pt for sc, pt in zip(scores, points) if sc >= best - PLATEAU])
    return tuple(float(GRID[np.abs(GRID - v).argmin()]) for v in np.median(near, axis=0))


def _best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    if y.sum() == 0:
        return 0.5
    scores = [f1_score(y, p >= t, zero_division=0) for t in GRID]
    return plateau_centre(scores, [(t,) for t in GRID])[0]


def tune_strands(probs: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {s: _best_threshold(probs[:, j], truth[:, j]) for j, s in enumerate(STRANDS)}


def _segment_probs(oof: dict[str, Any]) -> dict[tuple[int, int], np.ndarray]:
    """Out-of-fold pair probabilities regrouped per (page, segment)."""
    out, pos = {}, 0
    for p, i, n in oof["link_index"]:
        out[(p, i)] = oof["link_p"][pos:pos + n]
        pos += n
    return out


def link_decisions(oof: dict[str, Any], data: TrainData, thresholds: dict[str, dict[str, float]],
                   probs: dict[tuple[int, int], np.ndarray] | None = None) -> dict[tuple[int, int], set[int]]:
    """Chosen recommendations per (page, segment) from out-of-fold pair probabilities.

    ``thresholds`` maps a kind to its {"link", "link_min"}: a segment links to every recommendation
    at or above "link", or else to its best one if that reaches "link_min"."""
    chosen = {}
    headings: dict[int, list[frozenset[int]]] = {}
    for (p, i), row in (probs or _segment_probs(oof)).items():
        segments = data.pages[p].page.segments
        if p not in headings:
            headings[p] = heading_refs(segments)
        seg = segments[i]
        t = thresholds[seg.kind] if seg.kind in thresholds else thresholds["action"]
        chosen[(p, i)] = choose_recs(row, t, {r for r in explicit_refs(seg.text) if r <= len(row)}, headings[p][i])
    return chosen


def _link_prf(chosen: dict[tuple[int, int], set[int]], data: TrainData) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for (p, i), picks in chosen.items():
        gold = set(data.pages[p].page.segments[i].recs)
        tp, fp, fn = tp + len(gold & picks), fp + len(picks - gold), fn + len(gold - picks)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def tune_link(oof: dict[str, Any], data: TrainData) -> dict[str, dict[str, float]]:
    """Link thresholds per kind: concluding concerns, say, are general remarks more often than actions are."""
    default = {"link": 0.5, "link_min": 0.3}
    probs = _segment_probs(oof)
    tuned = {}
    for kind in SUBSTANTIVE:
        mine = {key: row for key, row in probs.items() if data.pages[key[0]].page.segments[key[1]].kind == kind}
        if not mine:
            tuned[kind] = default
            continue
        points = [(t, m) for t in GRID[::3] for m in GRID[::3] if m <= t]
        scores = [_link_prf(link_decisions(oof, data, {kind: {"link": t, "link_min": m}}, mine), data)[2] for t, m in points]
        link, link_min = plateau_centre(scores, points)
        tuned[kind] = {"link": link, "link_min": min(link_min, link)}
    return tuned


def _prf(y_true: np.ndarray, y_pred: np.ndarray, labels: list[int]) -> list[dict[str, float]]:
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return [{"precision": round(float(a), 3), "recall": round(float(b), 3), "f1": round(float(c), 3), "support": int(d)}
            for a, b, c, d in zip(p, r, f, s)]


def cv_metrics(oof: dict[str, Any], data: TrainData, thresholds: dict[str, Any]) -> dict[str, Any]:
    kind_pred = oof["kind"].argmax(axis=1)
    kinds = dict(zip(KINDS, _prf(data.kinds, kind_pred, list(range(len(KINDS))))))
    strand_pred = np.column_stack([oof["strands"][:, j] >= thresholds["strands"][s] for j, s in enumerate(STRANDS)])
    strands = {s: _prf(data.strands[:, j], strand_pred[:, j], [1])[0] for j, s in enumerate(STRANDS)}
    chosen = link_decisions(oof, data, thresholds["link"])
    lp, lr, lf = _link_prf(chosen, data)
    return {
        "kind": kinds, "kind_macro_f1": round(float(np.mean([v["f1"] for v in kinds.values()])), 3),
        "kind_accuracy": round(float((kind_pred == data.kinds).mean()), 3),
        "kind_confusion": confusion_matrix(data.kinds, kind_pred, labels=list(range(len(KINDS)))).tolist(),
        "strands": strands,
        "strand_micro_f1": round(float(f1_score(data.strands, strand_pred, average="micro", zero_division=0)), 3),
        "link_multi": {"precision": round(lp, 3), "recall": round(lr, 3), "f1": round(lf, 3)},
        "gaps": _gap_metrics(data, kind_pred, chosen),
    }


def _gap_metrics(data: TrainData, kind_pred: np.ndarray, chosen: dict[tuple[int, int], set[int]]) -> dict[str, float]:
    """Flagged-gap precision/recall/F1 from out-of-fold kinds and links (status by the guide's rule)."""
    tp = fp = fn = 0
    row = 0
    for p, cp in enumerate(data.pages):
        page, n = cp.page, len(cp.page.recommendations)
        predicted = []
        for i, seg in enumerate(page.segments):
            kind = KINDS[kind_pred[row]]
            row += 1
            recs = (1,) if n == 1 and kind in SUBSTANTIVE else tuple(chosen.get((p, i), explicit_refs(seg.text) & set(range(1, n + 1))))
            predicted.append(dataclasses.replace(seg, kind=kind, recs=recs if kind in SUBSTANTIVE else ()))
        for r in page.recommendations:
            gold_gap = rec_status(r.n, page.segments).is_gap
            pred_gap = rec_status(r.n, predicted).is_gap
            tp, fp, fn = tp + (gold_gap and pred_gap), fp + (pred_gap and not gold_gap), fn + (gold_gap and not pred_gap)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(2 * prec * rec / (prec + rec), 3) if prec + rec else 0.0}
