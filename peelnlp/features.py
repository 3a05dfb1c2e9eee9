"""Shared text features, computed once per segment and used by all three models.

A segment is seen with its context: the comment it sits in, its neighbours, and the page's
recommendations (the page's topic decides whether "training was delivered" serves a 4P strand).
Words are normalised the same way for segments and recommendations (``textvec``: lower case,
Snowball stems, abbreviations expanded); cues are token patterns (``cues``). Both work on a whole
batch's tokens at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse

from .cues import MATCHER, PRESENCE, any_per_text, final_clause, per_text, token_counts
from .textvec import CharSpace, TermSpace, Tokens, tokenize

# The page title says whose voice the comments are in: an inspection report, or a force's own page.
_INSPECTION_TITLE = re.compile(r"\b(?:peel|inspection|inspectorate|hmic\w*|thematic|effectiveness|re-?inspection)\b", re.I)
_OWN_PAGE_TITLE = re.compile(r"\b(?:page|website|annual report|minutes|scrutiny|commissioner|pcc|partnership|council|board|strategy|plan)\b", re.I)
_FINDING_LEAD_IN = re.compile(
    r"\b(?:found|find|reported|noted|concluded|observed|identified|inspection|inspectors?|hmicfrs|hmic|we)\b[^.]*:\s*$", re.I)
# "2019 – Funded two financial investigators": a dated entry of a commissioner's or force's own record.
_YEAR_START = re.compile(r"\s*(?:19|20)\d\d\b")


@dataclass(frozen=True)
class SegmentContext:
    """What a model sees of one segment."""

    text: str
    prev_text: str
    next_text: str
    page_topic: str  # title and recommendation texts
    position: int  # index of the segment within its comment
    n_recs: int
    lead_in: str = ""  # the latest earlier segment of the comment that ends with a colon
    tracked: bool = False  # the page has status changes: a liaison lead's follow-up page
    linked_recs: str = ""  # the texts of the recommendations the segment addresses (strands only)


# No cue describes the page's layout: where a segment sits in its comment, or how many
# recommendations the page has. Corpus pages open with lead-ins and context where real paragraphs
# open with their substance, and its pages with several SOC recommendations are follow-up pages
# about structures and training; such cues taught the models how the corpus was written (first
# sentences administrative, anything on those pages `prepare`) and added nothing under
# cross-validation, by page or by whole corpus file.
CUE_NAMES = [*PRESENCE, "ends_colon", "after_colon", "in_finding_block", "in_list_block", "length",
             "starts_lower", "next_is_future", "soc_terms",
             "inspectorate_comment", "evaluative_comment", "soc_page", "inspection_title", "own_page_title",
             "final_clause_negative", "final_clause_positive", "final_clause_future", "mixed_polarity", "starts_with_year"]


CHAR_MIN_DF = 3  # character n-grams in fewer segments are noise, and would grow the model for nothing


# Cues read from the segment's form and its neighbours in the comment rather than from its words.
_CONTEXT_CUES = {
    "ends_colon": lambda c: c.text.rstrip().endswith(":"),
    "after_colon": lambda c: c.prev_text.rstrip().endswith(":"),
    "in_finding_block": lambda c: _finding_block(c.lead_in),
    "in_list_block": lambda c: bool(c.lead_in),
    "starts_lower": lambda c: c.text[:1].islower(),
    "starts_with_year": lambda c: bool(_YEAR_START.match(c.text)),
}


def cue_matrix(contexts: Sequence[SegmentContext], tokens: Tokens,
               topics: tuple[list[str], Tokens] | None = None) -> np.ndarray:
    """The cue features of every segment (columns in ``CUE_NAMES`` order), from the batch's tokens
    (``tokenize`` of the segment texts); ``topics``: the batch's distinct page topics and their
    tokens, when the caller has them already."""
    hits = MATCHER.hits(tokens)
    docs, n = tokens.raw_doc, tokens.n_docs
    column: dict[str, Any] = dict(zip(PRESENCE, any_per_text(PRESENCE, hits, tokens).T))
    following = [i + 1 < len(contexts) and contexts[i + 1].text == c.next_text != "" for i, c in enumerate(contexts)]
    column["next_is_future"] = np.where(following, np.roll(column["future"], -1), 0.0)
    column["inspectorate_comment"], column["evaluative_comment"] = _comment_cues(
        contexts, column["inspectorate"], per_text(hits["evaluative"], docs, n))
    page = _page_cues(*(topics or _topic_tokens(contexts)))
    column["soc_page"], column["inspection_title"], column["own_page_title"] = (
        np.asarray([page[c.page_topic] for c in contexts], dtype=np.float32).reshape(-1, 3).T)
    column.update({name: [test(c) for c in contexts] for name, test in _CONTEXT_CUES.items()})
    column["length"] = np.minimum(token_counts(tokens), 60) / 60
    column["soc_terms"] = np.minimum(per_text(hits["soc_terms"], docs, n), 4) / 4
    final = final_clause(hits, docs, n)
    column.update({f"final_clause_{k}": final[k] for k in ("negative", "positive", "future")})
    column["mixed_polarity"] = per_text(hits["contrast"], docs, n) > 0
    return np.column_stack([np.asarray(column[name], dtype=np.float32).reshape(len(contexts)) for name in CUE_NAMES])


def _comment_cues(contexts: Sequence[SegmentContext], inspectorate: np.ndarray,
                  evaluative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per comment, shared by its segments: does the inspectorate speak early in it, how evaluative is it."""
    comment = np.cumsum([c.position == 0 for c in contexts], dtype=np.int64) - 1
    early = np.asarray([c.position < 3 for c in contexts])
    n = int(comment[-1]) + 1 if len(contexts) else 0
    speaks = np.bincount(comment, weights=inspectorate * early, minlength=n) > 0
    judged = np.minimum(np.bincount(comment, weights=evaluative, minlength=n), 6) / 6
    return speaks[comment].astype(np.float32), judged[comment].astype(np.float32)


@lru_cache(maxsize=4096)
def _finding_block(lead_in: str) -> bool:
    return bool(lead_in) and bool(_FINDING_LEAD_IN.search(lead_in))


def _topic_tokens(contexts: Sequence[SegmentContext]) -> tuple[list[str], Tokens]:
    unique = list(dict.fromkeys(c.page_topic for c in contexts))
    return unique, tokenize(unique)


def _page_cues(unique: list[str], tokens: Tokens) -> dict[str, tuple[float, float, float]]:
    """Per page topic: how much it is about serious and organised crime, and whose page it is."""
    soc = per_text(MATCHER.hits(tokens)["soc_terms"], tokens.raw_doc, len(unique))
    return {t: (min(float(n), 10) / 10, float(bool(_INSPECTION_TITLE.search(t[:200]))),
                float(bool(_OWN_PAGE_TITLE.search(t[:200])))) for t, n in zip(unique, soc)}


class SegmentFeaturizer:
    """SegmentContext list → sparse matrix: word stems and stem bigrams, cue features, the page
    topic, and last the character n-grams of the segment's words, which only the strand models read.

    The n-grams carry a word to the words it shares a root with where the stems keep them apart
    ("financial" to "finance", "cybercrime" to "cyber", "analysis" to "analysts"), and real
    paragraphs use words the corpus does not: they raised strand F1 under cross-validation, most
    where whole corpus files are held out, and on real pages. The kind model does without them:
    cross-validation liked them there too, but on real pages they swapped descriptions of work
    and inspection findings between `action` and `verified`, more often wrongly than rightly."""

    def fit(self, contexts: Sequence[SegmentContext]) -> SegmentFeaturizer:
        tokens = tokenize([c.text for c in contexts])
        self.words_ = TermSpace(bigrams=True, min_df=2).fit(tokens)
        self.chars_ = CharSpace(min_df=CHAR_MIN_DF).fit(tokens)
        self.topic_ = TermSpace(min_df=3, max_features=3000).fit(tokenize(sorted({c.page_topic for c in contexts})))
        return self

    def transform(self, contexts: Sequence[SegmentContext], tokens: Tokens | None = None) -> sparse.csr_matrix:
        """``tokens``: ``tokenize`` of the segment texts, when the caller has it already."""
        if tokens is None:
            tokens = tokenize([c.text for c in contexts])
        unique, topic_tokens = _topic_tokens(contexts)
        row = {t: i for i, t in enumerate(unique)}
        topic = (self.topic_.transform(topic_tokens) * 0.5)[[row[c.page_topic] for c in contexts]]
        cues = sparse.csr_matrix(cue_matrix(contexts, tokens, (unique, topic_tokens)))
        chars = self.chars_.weigh(self.chars_.counts(tokens))
        return sparse.hstack([self.words_.transform(tokens), cues, topic, chars], format="csr")

    def kind_matrix(self, X: sparse.csr_matrix, contexts: Sequence[SegmentContext]) -> sparse.csr_matrix:
        """The shared features plus a copy live only on pages with status changes.

        A liaison lead's follow-up page and a paragraph from a report or a commissioner's page
        say "the force has …" with different intent; the copy lets the kind model weigh the same
        words apart in the two."""
        tracked = np.asarray([c.tracked for c in contexts], dtype=np.float32)
        X = self._without_soc_share(self._split_chars(X)[0])  # the n-grams are dropped before the copy
        return sparse.hstack([X, sparse.diags(tracked) @ X], format="csr")

    def _split_chars(self, X: sparse.csr_matrix) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """``X`` without, and with only, its character n-grams (its last columns). The n-grams are
        not copied for SOC pages: they stand in for words the corpus lacks, and a copy would
        double the largest block of the strand models."""
        n = X.shape[1] - len(self.chars_.idf_)
        return X[:, :n], X[:, n:]

    def _without_soc_share(self, X: sparse.csr_matrix) -> sparse.csr_matrix:
        """``X`` with the page's SOC share blanked, for the kind model.

        Whether a page is about serious and organised crime says which strands its segments serve,
        not what kind of statement they are: in the corpus, SOC pages carry more lead-ins and
        context (`other`), which is how pages were written, not how the inspectorate writes."""
        X = X.copy()
        X.data[X.indices == self.words_.n_features + CUE_NAMES.index("soc_page")] = 0
        X.eliminate_zeros()
        return X

    def strand_matrix(self, X: sparse.csr_matrix, linked_recs: Sequence[str]) -> sparse.csr_matrix:
        """The shared features plus the words of the recommendations each segment addresses.

        A segment about "identify those at risk of being drawn in" serves prevent whatever its
        own words; the strand models read the linked recommendation's words too."""
        texts = {t: i for i, t in enumerate(dict.fromkeys(linked_recs))}
        linked = (self.topic_.transform(tokenize(list(texts))) * 0.5)[[texts[t] for t in linked_recs]]
        X, chars = self._split_chars(X)
        shared = sparse.hstack([X, linked], format="csr")
        # The same words serve a strand on a page about serious and organised crime and none on a
        # page about, say, stop and search: a second copy of the features, live only on SOC pages,
        # lets the strand models weigh them differently there.
        soc_page = np.asarray(X[:, self.words_.n_features + CUE_NAMES.index("soc_page")].todense()).ravel() > 0
        return sparse.hstack([shared, sparse.diags(soc_page.astype(np.float32)) @ shared, chars], format="csr")

    def kind_feature_names(self) -> list[str]:
        names = self.feature_names()
        return names + [f"tracked-page {n}" for n in names]

    def strand_feature_names(self) -> list[str]:
        names = self.feature_names() + [f"linked:{t}" for t in self.topic_.feature_names()]
        return names + [f"soc-page {n}" for n in names] + self.char_feature_names()

    def feature_names(self) -> list[str]:
        """The names of the features copied for tracked or SOC pages: all but the character n-grams."""
        return ([f"word:{w}" for w in self.words_.feature_names()] + [f"cue:{c}" for c in CUE_NAMES]
                + [f"topic:{t}" for t in self.topic_.feature_names()])

    def char_feature_names(self) -> list[str]:
        return [f"chars:{g.strip()}" for g in self.chars_.feature_names()]
