"""Shared text features, computed once per segment and used by all three models.

A segment is seen with its context: the comment it sits in, its neighbours, and the page's
recommendations (the page's topic decides whether "training was delivered" serves a 4P strand).
Words are normalised the same way for segments and recommendations: lower case, a light stemmer,
and the abbreviations of these texts expanded ("LROs" → "lead responsible officer").
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

GLOSSARY = {
    "lro": "lead responsible officer", "ocg": "organised crime group", "ocgm": "organised crime group management",
    "soc": "serious organised crime", "socu": "serious organised crime unit", "rocu": "regional organised crime unit",
    "csp": "community safety partnership", "pcc": "police crime commissioner", "opcc": "police crime commissioner office",
    "socta": "serious organised crime threat assessment", "cse": "child sexual exploitation", "cce": "child criminal exploitation",
    "msht": "modern slavery human trafficking", "poca": "proceeds crime act", "scpo": "serious crime prevention order",
    "fll": "force liaison lead", "hmicfrs": "inspectorate", "hmic": "inspectorate", "pnc": "police national computer",
    "tcg": "tasking co-ordinating group", "mash": "multi agency safeguarding hub", "nca": "national crime agency",
    "ipa": "integrated peel assessment", "peel": "peel inspection", "cdi": "crime data integrity",
    "nrm": "national referral mechanism", "ncrs": "national crime recording standard", "dcc": "chief officer",
    "acc": "chief officer", "dci": "detective", "ds": "detective", "dc": "detective", "cid": "detective",
    "mosovo": "sex offender management", "iom": "integrated offender management", "arv": "asset recovery",
    "vaw": "violence women", "vawg": "violence women girls", "ctu": "counter terrorism", "asb": "anti social behaviour",
}
_TOKEN = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ments", "ment", "ies", "ied", "ed", "es", "ly", "s")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


def words(text: str) -> list[str]:
    """Normalised word stems of a text, abbreviations followed by their expansion."""
    return list(_words(text))


@lru_cache(maxsize=65_536)
def _words(text: str) -> tuple[str, ...]:
    """Cached: the kind, strand and link models all read the same segment's words."""
    out: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        singular = token[:-1] if token.endswith("s") and token[:-1] in GLOSSARY else token
        out.append(stem(token))
        if singular in GLOSSARY:
            out.extend(stem(w) for w in GLOSSARY[singular].split())
    return tuple(out)


CUES: dict[str, str] = {
    "future": r"\b(?:will|shall|going to|plans? to|planned|scheduled|due to|intends?|anticipat\w*|propos\w*|expected to|aims? to|awaiting|to be (?:introduced|launched|completed|reviewed|considered|finali[sz]ed))\b",
    "perfect": r"\b(?:has|have|had) (?:been |now |also |since |already )?\w+(?:ed|en|ne|wn|lt|ht|de)\b",
    "progressive": r"\b(?:is|are) (?:now |being |currently )\w+ing\b|\b(?:is|are) being\b|\bcontinues? to\b|\bnow (?:in place|held|has|have)\b",
    "past": r"\b\w+ed (?:in|on|by|at) (?:january|february|march|april|may|june|july|august|september|october|november|december|\d)",
    "inspectorate": r"\b(?:fll|force liaison|hmicfrs|hmic|inspectorate|insight|our (?:inspection|fieldwork|review)|reality[- ]test\w*|i (?:am|have|will|met|visited|attended|reviewed|await)|we (?:found|will|have|met|visited|reviewed|note))\b",
    "satisfied": r"\b(?:satisfied|confirmed|found (?:that|good|effective|evidence)|we found|reality[- ]test\w* (?:showed|confirmed|found)|is (?:now )?good at|has (?:been )?(?:met|addressed|discharged))\b",
    "negative": r"\b(?:not|no|yet to|unable|lack\w*|insufficient|limited|remains? (?:a )?concern|concern\w*|inconsistent|too (?:early|soon)|gaps?|failed|weak\w*|cannot)\b",
    "monitor": r"\b(?:update (?:requested|was requested|has been requested|is awaited)|requested an update|await\w* (?:an )?update|chased|will (?:be )?(?:review|assess|revisit|test|monitor)\w*|follow[- ]up|insight (?:visit|activity|work))\b",
    "bare_claim": r"\b(?:being progressed|is progressing|are progressing|progress is being made|work is ongoing|remains open)\b",
    "first_person": r"\b(?:i|we|our|us)\b",
    "number": r"\b\d+\b",
    "rec_ref": r"\brecommendations?\s+\d+",
    "evaluative": r"\b(?:good|outstanding|requires? improvement|inadequate|effective\w*|ineffective|well|appropriate\w*|needs? to (?:improve|develop|do more)|strong|robust|clear understanding|good understanding)\b",
}
_CUE_RES = {name: re.compile(rx, re.I) for name, rx in CUES.items()}
# The page title says whose voice the comments are in: an inspection report, or a force's own page.
_INSPECTION_TITLE = re.compile(r"\b(?:peel|inspection|inspectorate|hmic\w*|thematic|effectiveness|re-?inspection)\b", re.I)
_OWN_PAGE_TITLE = re.compile(r"\b(?:page|website|annual report|minutes|scrutiny|commissioner|pcc|partnership|council|board|strategy|plan)\b", re.I)
_FINDING_LEAD_IN = re.compile(
    r"\b(?:found|find|reported|noted|concluded|observed|identified|inspection|inspectors?|hmicfrs|hmic|we)\b[^.]*:\s*$", re.I)
SOC_TERMS = re.compile(
    r"\b(?:organi[sz]ed crime|ocgs?|ocgm|soc|socu|rocu|lros?|lead responsible|4 ?ps?|pursue|prevent|protect|prepare|"
    r"county lines?|exploitation|modern slavery|trafficking|fraud|cyber|asset recovery|proceeds of crime|scpo|"
    r"serious crime prevention|disrupt\w*|drugs? (?:supply|markets?)|gangs?|local profiles?)\b", re.I)


@dataclass(frozen=True)
class SegmentContext:
    """What a model sees of one segment."""

    text: str
    prev_text: str
    next_text: str
    comment: str
    page_topic: str  # title and recommendation texts
    position: int  # index of the segment within its comment
    n_recs: int
    lead_in: str = ""  # the latest earlier segment of the comment that ends with a colon
    linked_recs: str = ""  # the texts of the recommendations the segment addresses (strands only)


def cue_vector(ctx: SegmentContext) -> list[float]:
    text = ctx.text
    values = [float(bool(rx.search(text))) for rx in _CUE_RES.values()]
    prev_colon = ctx.prev_text.rstrip().endswith(":")
    found_block = bool(_FINDING_LEAD_IN.search(ctx.lead_in))
    values += [
        float(text.rstrip().endswith(":")), float(prev_colon), float(found_block), float(bool(ctx.lead_in)),
        float(ctx.position == 0),
        min(len(text.split()), 60) / 60, float(text[:1].islower()),
        float(bool(_CUE_RES["future"].search(ctx.next_text))),
        min(len(SOC_TERMS.findall(text)), 4) / 4, float(ctx.n_recs > 1),
        *_comment_cues(ctx.comment), *_page_cues(ctx.page_topic), *_final_clause_cues(text),
    ]
    return values


CUE_NAMES = [*CUES, "ends_colon", "after_colon", "in_finding_block", "in_list_block", "first_in_comment", "length",
             "starts_lower", "next_is_future", "soc_terms", "multi_rec_page",
             "inspectorate_comment", "evaluative_comment", "soc_page", "inspection_title", "own_page_title",
             "final_clause_negative", "final_clause_positive", "final_clause_future", "mixed_polarity"]


_CONTRAST = re.compile(r"[,;]?\s\b(?:but|however|although|though|yet|whereas)\b", re.I)
_POSITIVE = re.compile(r"\b(?:good|outstanding|effective\w*|well|strong|robust|improved|positive|appropriately|in place)\b", re.I)


def _final_clause_cues(text: str) -> tuple[float, float, float, float]:
    """A sentence of mixed polarity takes its kind from its final clause ("good work, but it has yet to …")."""
    parts = _CONTRAST.split(text)
    final = parts[-1]
    return (float(bool(_CUE_RES["negative"].search(final))), float(bool(_POSITIVE.search(final))),
            float(bool(_CUE_RES["future"].search(final))), float(len(parts) > 1))


# A comment and a page are shared by many segments: their cues are computed once each.
@lru_cache(maxsize=4096)
def _comment_cues(comment: str) -> tuple[float, float]:
    return (float(bool(_CUE_RES["inspectorate"].search(comment[:400]))),
            min(len(_CUE_RES["evaluative"].findall(comment)), 6) / 6)


@lru_cache(maxsize=4096)
def _page_cues(topic: str) -> tuple[float, float, float]:
    return (min(len(SOC_TERMS.findall(topic)), 10) / 10, float(bool(_INSPECTION_TITLE.search(topic[:200]))),
            float(bool(_OWN_PAGE_TITLE.search(topic[:200]))))


def pack_vocabularies(state: dict, names: tuple[str, ...]) -> dict:
    """Pickle state with each vectorizer's vocabulary as one string.

    joblib unpickles in pure Python, where a dict of 30,000 terms costs a tenth of a second at every
    start; one NUL-joined string costs nothing and rebuilds in C."""
    state = dict(state)
    for name in names:
        if name in state:
            vec = copy.copy(state[name])
            terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
            vec.vocabulary_ = "\0".join(terms)
            state[name] = vec
    return state


def unpack_vocabularies(state: dict, names: tuple[str, ...]) -> dict:
    for name in names:
        vec = state.get(name)
        if vec is not None and isinstance(vec.vocabulary_, str):
            terms = vec.vocabulary_.split("\0") if vec.vocabulary_ else []
            vec.vocabulary_ = dict(zip(terms, range(len(terms))))
    return state


class SegmentFeaturizer(TransformerMixin, BaseEstimator):
    """SegmentContext list → sparse matrix: word n-grams, character n-grams, cue features, page topic."""

    def __init__(self, max_char_features: int = 40000) -> None:
        self.max_char_features = max_char_features

    def fit(self, contexts: list[SegmentContext], y: object = None) -> SegmentFeaturizer:
        self.words_ = TfidfVectorizer(analyzer=_word_ngrams, min_df=2, sublinear_tf=True, dtype=np.float32)
        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True,
                                      max_features=self.max_char_features, lowercase=True, dtype=np.float32)
        self.topic_ = TfidfVectorizer(analyzer=words, min_df=3, sublinear_tf=True, max_features=3000, dtype=np.float32)
        self.words_.fit([c.text for c in contexts])
        self.chars_.fit([c.text for c in contexts])
        self.topic_.fit(sorted({c.page_topic for c in contexts}))
        return self

    def transform(self, contexts: list[SegmentContext]) -> sparse.csr_matrix:
        texts = [c.text for c in contexts]
        cues = sparse.csr_matrix(np.array([cue_vector(c) for c in contexts], dtype=np.float32).reshape(len(contexts), -1))
        topics = {t: i for i, t in enumerate(dict.fromkeys(c.page_topic for c in contexts))}
        topic = (self.topic_.transform(list(topics)) * 0.5)[[topics[c.page_topic] for c in contexts]]
        return sparse.hstack([self.words_.transform(texts), self.chars_.transform(texts), cues, topic], format="csr")

    def __getstate__(self) -> dict:
        return pack_vocabularies(super().__getstate__(), ("words_", "chars_", "topic_"))

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(unpack_vocabularies(state, ("words_", "chars_", "topic_")))

    def strand_matrix(self, X: sparse.csr_matrix, contexts: list[SegmentContext]) -> sparse.csr_matrix:
        """The shared features plus the words of the recommendations each segment addresses.

        A segment about "identify those at risk of being drawn in" serves prevent whatever its
        own words; the strand models read the linked recommendation's words too."""
        linked = self.topic_.transform([c.linked_recs for c in contexts]) * 0.5
        return sparse.hstack([X, linked], format="csr")

    def strand_feature_names(self) -> list[str]:
        return self.feature_names() + [f"linked:{t}" for t in self.topic_.get_feature_names_out()]

    def feature_names(self) -> list[str]:
        return ([f"word:{w}" for w in self.words_.get_feature_names_out()]
                + [f"chars:{c}" for c in self.chars_.get_feature_names_out()]
                + [f"cue:{c}" for c in CUE_NAMES]
                + [f"topic:{t}" for t in self.topic_.get_feature_names_out()])


def _word_ngrams(text: str) -> list[str]:
    tokens = words(text)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
