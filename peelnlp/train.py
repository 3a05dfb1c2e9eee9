"""Train the three models from the corpus, tune thresholds by cross-validation, save a model folder.

Cross-validation groups segments by page (a page is never split between train and test), so the
metrics and thresholds reflect pages the models have not seen. Everything is seeded: the same
corpus and seed give the same model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from .classify import Models, link_inputs, page_contexts
from .corpus import DEFAULT_CORPUS, CorpusPage, fingerprint, load_corpus
from .errors import CorpusError
from .features import SegmentContext, SegmentFeaturizer
from .linker import PAIR_FEATURES, RecLinker
from .records import KINDS, STRANDS, SUBSTANTIVE
from .store import DEFAULT_MODEL, save_model, writable_beside
from .tuning import cv_metrics, tune_link, tune_strands

KIND_C = 16.0
STRAND_C = 4.0


@dataclass
class TrainData:
    pages: list[CorpusPage]
    contexts: list[SegmentContext]
    kinds: np.ndarray  # index into KINDS per segment
    strands: np.ndarray  # (segments, 4) 0/1
    groups: np.ndarray  # page index per segment


def build_data(pages: list[CorpusPage]) -> TrainData:
    contexts, kinds, strands, groups = [], [], [], []
    for g, cp in enumerate(pages):
        contexts += page_contexts(cp.page)
        for seg in cp.page.segments:
            kinds.append(KINDS.index(seg.kind or "other"))
            strands.append([int(s in seg.strands) for s in STRANDS])
            groups.append(g)
    return TrainData(pages, contexts, np.asarray(kinds), np.asarray(strands).reshape(-1, 4), np.asarray(groups))


def link_pairs(linker: RecLinker, pages: list[CorpusPage]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, int]]]:
    """Pair features and labels for the substantive segments of multi-recommendation pages.

    Also returns (page, segment, n_recs) per segment so predictions can be regrouped."""
    X, y, index = [], [], []
    for p, cp in enumerate(pages):
        page, n = cp.page, len(cp.page.recommendations)
        keep = [i for i, s in enumerate(page.segments) if n > 1 and s.kind in SUBSTANTIVE]
        if not keep:
            continue
        contexts, refs = link_inputs(page)
        X.append(linker.pair_features([page.segments[i].text for i in keep], [contexts[i] for i in keep],
                                      [refs[i] for i in keep], [page.segments[i].kind for i in keep],
                                      [r.text for r in page.recommendations]))
        y += [int(j + 1 in page.segments[i].recs) for i in keep for j in range(n)]
        index += [(p, i, n) for i in keep]
    if not X:
        return np.zeros((0, len(PAIR_FEATURES)), np.float32), np.zeros(0, int), []
    return np.vstack(X), np.asarray(y), index


def fit_linker(pages: list[CorpusPage], seed: int) -> RecLinker:
    pair_docs, texts = [], []
    for cp in pages:
        recs = {r.n: r.text for r in cp.page.recommendations}
        texts += list(recs.values()) + [s.text for s in cp.page.segments]
        pair_docs += [f"{s.text} {recs[n]}" for s in cp.page.segments for n in s.recs if n in recs]
    linker = RecLinker(random_state=seed).fit_space(pair_docs, texts)
    X, y, _ = link_pairs(linker, pages)
    return linker.fit(X, y)


def fit_models(data: TrainData, rows: np.ndarray, seed: int) -> Models:
    contexts = [data.contexts[i] for i in rows]
    featurizer = SegmentFeaturizer().fit(contexts)
    X = featurizer.transform(contexts)
    kind = LogisticRegression(C=KIND_C, solver="saga", max_iter=300, tol=1e-3, class_weight="balanced", random_state=seed)
    kind.fit(featurizer.kind_matrix(X, contexts), data.kinds[rows])
    Xs = featurizer.strand_matrix(X, [c.linked_recs for c in contexts])
    strands = [_binary(Xs, data.strands[rows, j], seed) for j in range(len(STRANDS))]
    pages = [data.pages[g] for g in sorted(set(data.groups[rows].tolist()))]
    return Models(featurizer, _full_proba(kind), strands, fit_linker(pages, seed))


def _binary(X: Any, y: np.ndarray, seed: int) -> LogisticRegression:
    # The dual problem: with more features than segments, liblinear reaches the same weights in
    # two thirds of the time.
    model = LogisticRegression(C=STRAND_C, solver="liblinear", dual=True, max_iter=3000, class_weight="balanced",
                               random_state=seed)
    return model.fit(X, y) if len(set(y.tolist())) > 1 else _constant(X, int(y[0]) if len(y) else 0, seed)


def _constant(X: Any, label: int, seed: int) -> LogisticRegression:
    """A strand absent from a tiny corpus: a model that always says no (or yes)."""
    y = np.zeros(X.shape[0], int)
    y[0] = 1 - label
    return LogisticRegression(random_state=seed).fit(X[: max(len(y), 1)], y)


def _full_proba(kind: LogisticRegression) -> LogisticRegression:
    """Expand a model trained on a subset of the kinds so predict_proba always has all six columns."""
    if list(kind.classes_) == list(range(len(KINDS))):
        return kind
    from .tuning import PaddedClassifier

    return PaddedClassifier(kind, len(KINDS))


def _fold(data: TrainData, train_rows: np.ndarray, test_rows: np.ndarray, seed: int) -> dict[str, Any]:
    models = fit_models(data, train_rows, seed)
    contexts = [data.contexts[i] for i in test_rows]
    X = models.featurizer.transform(contexts)
    Xs = models.featurizer.strand_matrix(X, [c.linked_recs for c in contexts])
    test_pages = sorted(set(data.groups[test_rows].tolist()))
    lx, ly, index = link_pairs(models.linker, [data.pages[g] for g in test_pages])
    return {"rows": test_rows, "kind": models.kind.predict_proba(models.featurizer.kind_matrix(X, contexts)),
            "strands": np.column_stack([m.predict_proba(Xs)[:, 1] for m in models.strands]),
            "link_p": models.linker.model_.predict_proba(lx)[:, 1] if len(ly) else np.zeros(0), "link_y": ly,
            "link_index": [(test_pages[p], i, n) for p, i, n in index]}


def cross_validate(data: TrainData, seed: int, folds: int, n_jobs: int = 2) -> dict[str, Any]:
    """Out-of-fold probabilities for every segment and every link pair (folds run in parallel)."""
    from joblib import Parallel, delayed

    n_folds = min(folds, len(set(data.groups.tolist())))
    splits = GroupKFold(n_splits=n_folds).split(data.contexts, groups=data.groups)
    results = Parallel(n_jobs=n_jobs)(delayed(_fold)(data, tr, te, seed) for tr, te in splits)
    kind_p = np.zeros((len(data.contexts), len(KINDS)))
    strand_p = np.zeros((len(data.contexts), len(STRANDS)))
    for r in results:
        kind_p[r["rows"]], strand_p[r["rows"]] = r["kind"], r["strands"]
    return {"kind": kind_p, "strands": strand_p,
            "link_p": np.concatenate([r["link_p"] for r in results]),
            "link_y": np.concatenate([r["link_y"] for r in results]),
            "link_index": [x for r in results for x in r["link_index"]]}


@dataclass
class TrainReport:
    path: Path
    metrics: dict[str, Any]
    thresholds: dict[str, Any]
    seconds: float


def train_model(corpus: Path = DEFAULT_CORPUS, out_dir: Path = DEFAULT_MODEL, seed: int = 0, folds: int = 5) -> TrainReport:
    started = dt.datetime.now(dt.timezone.utc)
    out_dir = Path(out_dir)
    writable_beside(out_dir).rmdir()
    pages = load_corpus(corpus)
    if len(pages) < 2:
        raise CorpusError(f"{corpus}: the corpus has 1 page record, and cross-validation needs at least 2 (a page "
                          f"to learn from and one to test on); add *.jsonl page records")
    data = build_data(pages)
    oof = cross_validate(data, seed, folds)
    thresholds = {"strands": tune_strands(oof["strands"], data.strands), "link": tune_link(oof, data)}
    metrics = cv_metrics(oof, data, thresholds)
    models = fit_models(data, np.arange(len(data.contexts)), seed)
    models.thresholds = thresholds
    stamp = started.strftime("%Y%m%d")
    corpus_sha = fingerprint(corpus)
    meta = {"model_version": f"{out_dir.name}-{stamp}-{corpus_sha[:12]}", "corpus_sha256": corpus_sha,
            "corpus_pages": len(pages), "corpus_segments": len(data.contexts), "trained_at": started.isoformat(timespec="seconds"),
            "seed": seed, "cv_folds": folds, "metrics": metrics, "labels": {"kind": list(KINDS), "strands": list(STRANDS)}}
    path = save_model(models, meta, out_dir)
    seconds = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    return TrainReport(path, metrics, thresholds, seconds)
