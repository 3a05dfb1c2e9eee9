"""Why a segment got its labels: the few features that pushed each one hardest."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .classify import link_inputs
from .records import KINDS, STRANDS, Page
from .refs import explicit_refs, headings

if TYPE_CHECKING:
    from .classify import Tagger

TOP = 3


@lru_cache(maxsize=4)
def _names(featurizer: Any) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(featurizer.kind_feature_names(), dtype=object),
            np.asarray(featurizer.strand_feature_names(), dtype=object))


def _top_terms(coef: np.ndarray, x: Any, names: np.ndarray) -> list[str]:
    """The features of this row with the largest positive weight × value."""
    row = x.tocsr()
    contrib = coef[row.indices] * row.data
    order = np.argsort(-contrib)[:TOP]
    return [f"{names[row.indices[k]]} (+{contrib[k]:.2f})" for k in order if contrib[k] > 0]


def explain_segment(tagger: Tagger, x: tuple[Any, Any], kind: str, strands: tuple[str, ...], page: Page, i: int,
                    link_p: np.ndarray, recs: tuple[int, ...]) -> dict[str, list[str]]:
    models = tagger.models
    kind_names, strand_names = _names(models.featurizer)
    kind_x, strand_x = x  # the segment's rows of the kind and the strand matrices
    coef = models.kind.coef_
    out = {f"kind={kind}": _top_terms(coef[KINDS.index(kind)] - coef.mean(axis=0), kind_x, kind_names)}
    for s in strands:
        out[f"strand={s}"] = _top_terms(models.strands[STRANDS.index(s)].coef_[0], strand_x, strand_names)
    if recs and len(page.recommendations) > 1:
        out["recs=" + ",".join(map(str, recs))] = _link_reasons(tagger, page, i, recs[0], kind)
    return out


def _link_reasons(tagger: Tagger, page: Page, i: int, rec: int, kind: str) -> list[str]:
    heading = _heading_above(page, i)
    if rec in heading:  # the liaison lead's own heading decided it, whatever the words
        return [f"under the heading {heading[rec]!r}"]
    contexts, refs = link_inputs(page)
    X = tagger.models.linker.pair_features([page.segments[i].text], [contexts[i]], [refs[i]], [kind],
                                           [r.text for r in page.recommendations])
    top = tagger.models.linker.contributions(X[rec - 1])[:TOP]
    return [f"{name} (+{value:.2f})" for name, value in top if value > 0]


def _heading_above(page: Page, i: int) -> dict[int, str]:
    """The recommendations the heading over segment ``i`` names (none if the segment names its
    own), each with the heading's text."""
    heading = None if explicit_refs(page.segments[i].text) else headings(page.segments)[i]
    return {r: heading.strip() for r in explicit_refs(heading)} if heading else {}
