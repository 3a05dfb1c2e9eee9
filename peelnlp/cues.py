"""Cue features from token patterns: tense, voice, polarity and subject, found with array operations.

A cue is a short sequence of token classes ("has|have|had" then a past participle), matched over
the flat token list of a whole batch at once. Each raw token's classes are worked out once, on
first sight, and kept as a row of a table, so a batch costs a dict look-up per token plus numpy.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from .textvec import Tokens

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"

# Each cue is a list of patterns; a pattern is 1–3 token classes separated by spaces. A class lists
# words with "|"; "x*" matches words starting with x, "*x" words ending in x, "#" any number.
CUES: dict[str, list[str]] = {
    "future": ["will|shall|planned|scheduled|intend|intends|awaiting|anticipat*|propos*",
               "going|plan|plans|due|expected|aim|aims to",
               "to be introduced|launched|completed|reviewed|considered|finalised|finalized"],
    "perfect": ["has|have|had *ed|*en|*ne|*wn|*lt|*ht|*de",
                "has|have|had been|now|also|since|already *ed|*en|*ne|*wn|*lt|*ht|*de"],
    "progressive": ["is|are *ing", "is|are now|being|currently *ing", "is|are being", "continue|continues to",
                    "now in|held|has|have"],
    "past": [f"*ed in|on|by|at {_MONTHS}|#"],
    "past_verb": ["*ed"],
    "passive": ["was|were|been *ed|*en|*ne|*wn|*lt|*ht|*de"],
    "inspectorate": ["fll|hmicfrs|hmic|inspectorate|insight|reality", "force liaison", "our inspection|fieldwork|review",
                     "i am|have|will|met|visited|attended|reviewed|await",
                     "we found|will|have|met|visited|reviewed|note"],
    "satisfied": ["satisfied|confirmed", "found that|good|effective|evidence", "we found", "reality test*",
                  "is good at", "is now good", "has met|addressed|discharged", "has been met|addressed|discharged"],
    "negative": ["not|no|unable|lack*|insufficient|limited|concern*|inconsistent|gap|gaps|failed|weak*|cannot",
                 "yet to", "too early|soon"],
    "monitor": ["update requested", "update was|has|is requested|awaited", "requested an update", "await* update",
                "await* an update", "chased", "will review*|assess*|revisit*|test*|monitor*",
                "will be review*|assess*|revisit*|test*|monitor*", "follow up", "insight visit|activity|work"],
    "bare_claim": ["being progressed", "is|are progressing", "progress is being", "work is ongoing", "remains open"],
    "first_person": ["i|we|our|us"],
    "number": ["#"],
    "rec_ref": ["recommendation|recommendations #"],
    "evaluative": ["good|outstanding|inadequate|effective*|ineffective|well|appropriate*|strong|robust",
                   "require|requires improvement", "need|needs to improve|develop", "clear|good understanding"],
    "soc_terms": ["ocg|ocgs|ocgm|soc|socu|rocu|lro|lros|pursue|prevent|protect|prepare|exploitation|trafficking|fraud|"
                  "cyber|scpo|disrupt*|gang|gangs|4p|4ps", "organised|organized crime", "county line|lines",
                  "modern slavery", "asset recovery", "proceeds of", "lead responsible", "serious crime",
                  "drug|drugs supply|market|markets", "local profile|profiles"],
    "contrast": ["but|however|although|though|whereas"],
    "coordinating": ["but|however"],  # the main clause follows: "good work, but it has yet to …"
    "concessive": ["although|though|whereas|whilst"],  # the main clause is the other one
    "not_only": ["not only"],  # "not only … but also …" adds, it does not deny
    "but": ["but"],
    # The 4P strands in the words of a text: what a segment and a recommendation are about.
    "lex_pursue": ["disrupt*|arrest*|investigat*|prosecut*|enforcement|warrant*|seiz*|confiscat*|pursue|charg*|"
                   "convict*|raid*|tasking|mapping|mapped|proactive|forfeit*", "asset recovery"],
    "lex_prevent": ["prevent*|divert*|diversion*|deter*|reoffend*|school|schools|youth|mentor*|intervention*",
                    "at risk", "drawn into", "offender management"],
    "lex_protect": ["protect*|safeguard*|victim|victims|vulnerab*|awareness|fraud|cyber|scam*|exploit*|slavery|"
                    "trafficking|rescue*"],
    "lex_prepare": ["prepar*|capabilit*|capacity|training|trained|governance|analyst*|board|boards|structure*|"
                    "resourc*|measur*|performance|learning|lesson*|resilien*|profile|profiles|partnership*|strategy"],
    "positive": ["good|outstanding|effective*|well|strong|robust|improved|positive|appropriately", "in place"],
}
PRESENCE = ("future", "perfect", "progressive", "past", "past_verb", "passive", "inspectorate", "satisfied", "negative", "monitor",
            "bare_claim", "first_person", "number", "rec_ref", "evaluative")


def _parse_class(spec: str) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...], bool]:
    words, prefixes, suffixes, number = set(), [], [], False
    for item in spec.split("|"):
        if item == "#":
            number = True
        elif item.endswith("*"):
            prefixes.append(item[:-1])
        elif item.startswith("*"):
            suffixes.append(item[1:])
        else:
            words.add(item)
    return frozenset(words), tuple(prefixes), tuple(suffixes), number


_RECENT = 4  # token batches whose matches are kept
TOKEN_CACHE = 50_000  # word types whose cue classes are kept; memory must not grow with the input


class CueMatcher:
    """Finds every cue's patterns in a batch of token lists."""

    def __init__(self, cues: dict[str, list[str]] = CUES) -> None:
        specs = sorted({c for patterns in cues.values() for p in patterns for c in p.split(" ")})
        self._classes = [_parse_class(spec) for spec in specs]
        column = {spec: i for i, spec in enumerate(specs)}
        self.patterns = {name: [[column[c] for c in p.split(" ")] for p in patterns] for name, patterns in cues.items()}
        self._row: dict[str, int] = {}  # token → its row of the class table
        self._table = np.zeros((0, len(specs)), dtype=bool)
        self._recent: list[tuple[Tokens, dict[str, np.ndarray]]] = []
        self._lock = threading.Lock()  # dask workers share one model between threads

    def _classes_of(self, token: str) -> list[bool]:
        return [token in words or (number and token.isdigit()) or token.startswith(prefixes)
                or bool(suffixes and len(token) > 3 and token.endswith(suffixes))
                for words, prefixes, suffixes, number in self._classes]

    def classes(self, raw: list[str]) -> np.ndarray:
        """tokens × token classes, True where the token belongs to the class."""
        with self._lock:
            if len(self._row) > TOKEN_CACHE:
                self._row, self._table = {}, self._table[:0]
            new = [t for t in dict.fromkeys(raw) if t not in self._row]
            if new:
                rows = np.asarray([self._classes_of(t) for t in new], dtype=bool).reshape(len(new), -1)
                self._table = np.vstack([self._table, rows])
                self._row.update(zip(new, range(len(self._row), len(self._row) + len(new))))
            row, table = self._row, self._table
        return table[np.fromiter(map(row.__getitem__, raw), dtype=np.int64, count=len(raw))]

    def hits(self, tokens: Tokens) -> dict[str, np.ndarray]:
        """For every cue, a boolean array over the tokens: a match of the cue starts here.

        The results for the last few batches of (immutable) tokens are kept: the featurizer's cues,
        the page cues and the linker's strand profiles ask about the same segment tokens in turn,
        with the page topics' tokens in between."""
        for seen, found in list(self._recent):
            if seen is tokens:
                return found
        found = self._hits(tokens)
        self._recent = [(tokens, found), *self._recent[:_RECENT - 1]]
        return found

    def _hits(self, tokens: Tokens) -> dict[str, np.ndarray]:
        table, docs = self.classes(tokens.raw), tokens.raw_doc
        out = {}
        for name, patterns in self.patterns.items():
            found = np.zeros(len(docs), dtype=bool)
            for columns in patterns:
                found |= _match(table, docs, columns)
            out[name] = found
        if "not_only" in out:
            _additive(out, docs, tokens.n_docs)
        return out


def _additive(hits: dict[str, np.ndarray], docs: np.ndarray, n_docs: int) -> None:
    """"Not only X, but Y" adds Y to X: its "not" denies nothing and its "but" opens no contrast."""
    hits["negative"] &= ~hits["not_only"]
    position = np.arange(len(docs))
    first = np.full(n_docs, len(docs), dtype=np.int64)
    np.minimum.at(first, docs[hits["not_only"]], position[hits["not_only"]])
    additive_but = hits["but"] & (position > first[docs])
    for name in ("contrast", "coordinating"):
        hits[name] &= ~additive_but


def _match(table: np.ndarray, docs: np.ndarray, columns: list[int]) -> np.ndarray:
    n = len(docs)
    hit = table[:, columns[0]].copy()
    for k, column in enumerate(columns[1:], start=1):
        following = np.zeros(n, dtype=bool)
        following[: n - k] = table[k:, column] & (docs[k:] == docs[: n - k])
        hit &= following
    return hit


MATCHER = CueMatcher()
STRAND_CUES = ("lex_pursue", "lex_prevent", "lex_protect", "lex_prepare")


def strand_profile(tokens: Tokens, matcher: CueMatcher) -> np.ndarray:
    """texts × 4: the share of each 4P strand among the strand words of each text (zeros if none)."""
    hits = matcher.hits(tokens)
    counts = np.column_stack([per_text(hits[name], tokens.raw_doc, tokens.n_docs) for name in STRAND_CUES])
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def per_text(hit: np.ndarray, docs: np.ndarray, n_docs: int) -> np.ndarray:
    """How many matches each text has."""
    return np.bincount(docs[hit], minlength=n_docs).astype(np.float32)


def final_clause(hits: dict[str, np.ndarray], docs: np.ndarray, n_docs: int) -> dict[str, np.ndarray]:
    """Matches in each text's main clause, whose polarity the guide says decides a mixed sentence.

    The main clause follows the last "but"/"however" ("good work, but it has yet to …" ends
    negative); with none, it comes before a concessive "although" that does not open the text
    ("it disrupts groups well, although more is needed …" is positive); otherwise it is the whole
    text (an opening "Although …, X" cannot be cut without punctuation, which the tokens lack)."""
    position = np.arange(len(docs))
    last_but = np.full(n_docs, -1, dtype=np.int64)
    np.maximum.at(last_but, docs[hits["coordinating"]], position[hits["coordinating"]])
    first = np.full(n_docs, len(docs), dtype=np.int64)
    np.minimum.at(first, docs, position)
    concessive = hits["concessive"] & (position > first[docs]) if len(docs) else hits["concessive"]
    first_concessive = np.full(n_docs, len(docs), dtype=np.int64)
    np.minimum.at(first_concessive, docs[concessive], position[concessive])
    doc_but, doc_concessive = last_but[docs], first_concessive[docs]
    main = np.where(doc_but >= 0, position > doc_but, position < doc_concessive)
    return {name: per_text(hits[name] & main, docs, n_docs) > 0 for name in ("negative", "positive", "future")}


def token_counts(tokens: Tokens) -> np.ndarray:
    return np.bincount(tokens.raw_doc, minlength=tokens.n_docs).astype(np.float32)


def any_per_text(names: Sequence[str], hits: dict[str, np.ndarray], tokens: Tokens) -> np.ndarray:
    return np.column_stack([per_text(hits[n], tokens.raw_doc, tokens.n_docs) > 0 for n in names]).astype(np.float32)
