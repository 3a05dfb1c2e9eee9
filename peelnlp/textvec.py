"""TF-IDF built for batch scoring: one tokenisation per batch, numpy for everything else.

scikit-learn's ``TfidfVectorizer`` calls a Python analyzer for every text and counts terms in
Python dicts: scoring thousands of pages spent most of its time there. Here a batch of texts is
tokenised once (``re.findall`` and dict look-ups run through ``map``, so in C), each term space
turns the flat token list into column numbers with numpy, and counts, bigrams, IDF weights and
norms are array operations. The weighting is scikit-learn's: sublinear TF, smooth IDF, L2 norm.
The character n-gram space cuts each distinct word of a batch into grams once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat

import numpy as np
import Stemmer
from scipy import sparse

_TOKEN = re.compile(r"[a-z0-9]+")
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


# PyStemmer is Snowball in C: the same stems as the pure-Python snowballstemmer, which takes a
# tenth of a second to import (it builds every language's stemmer), at every start.
_SNOWBALL = Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """The Snowball (Porter 2) stem: "prevention" and "preventative" meet "prevent"."""
    return _SNOWBALL.stemWord(word)


def normalise(token: str) -> tuple[str, ...]:
    """A raw lower-case token's stem, followed by the stems of its expansion if it is an abbreviation."""
    singular = token[:-1] if token.endswith("s") and token[:-1] in GLOSSARY else token
    expansion = GLOSSARY.get(singular)
    return (stem(token), *(stem(w) for w in expansion.split())) if expansion else (stem(token),)


STEM_CACHE = 50_000  # word types; a batch run's memory must not grow with its vocabulary


class _Stems(dict):
    """raw token → its stems; filled on first sight, emptied when it holds STEM_CACHE types."""

    def __missing__(self, token: str) -> tuple[str, ...]:
        if len(self) >= STEM_CACHE:
            self.clear()
        value = self[token] = normalise(token)
        return value


_STEMS = _Stems()


@dataclass(frozen=True)
class Tokens:
    """The tokens of a batch of texts, flat, with the text each belongs to."""

    raw: list[str]  # lower-case word tokens, for token-pattern cues
    raw_doc: np.ndarray
    stems: list[str]  # normalised stems (abbreviations expanded), for the term spaces
    stem_doc: np.ndarray
    n_docs: int


def tokenize(texts: Sequence[str]) -> Tokens:
    per_text = list(map(_TOKEN.findall, map(str.lower, texts)))
    raw = list(chain.from_iterable(per_text))
    raw_doc = np.repeat(np.arange(len(per_text)), np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text)))
    normalised = list(map(_STEMS.__getitem__, raw))
    stems = list(chain.from_iterable(normalised))
    stem_doc = np.repeat(raw_doc, np.fromiter(map(len, normalised), dtype=np.int64, count=len(normalised)))
    return Tokens(raw, raw_doc, stems, stem_doc, len(per_text))


# Words that say nothing of a text's subject: for telling which recommendation a segment is about,
# "if", "when" and "these" are noise that TF-IDF still weighs (they are not in every text).
FUNCTION_WORDS = frozenset(
    "a an the this that these those it its they them their theirs we our ours us i me my you your he him his she "
    "her is are was were be been being am has have having had do does did doing will would shall should can could "
    "may might must of in on at to for from by with without about as into onto over under between through during "
    "before after above below up down out off than then so and or but nor not no if when where while whilst which "
    "who whom whose what how why also there here such each all any both either neither some other others same "
    "very more most less further again once only own too just within upon whether".split())


class TermSpace:
    """Unigram (and optionally bigram) stem features with TF-IDF weights, fitted on a batch of texts."""

    def __init__(self, bigrams: bool = False, min_df: int = 1, max_features: int | None = None,
                 skip_function_words: bool = False) -> None:
        self.bigrams = bigrams
        self.min_df = min_df
        self.max_features = max_features
        self.skip_function_words = skip_function_words

    # ---- fitting -------------------------------------------------------------------------------

    def fit(self, tokens: Tokens) -> TermSpace:
        skipped = {stem(w) for w in FUNCTION_WORDS} if self.skip_function_words else set()
        self.stems_ = "\0".join(sorted(set(tokens.stems) - skipped))
        self._index = None
        keys, docs = self._keys(tokens)
        pairs = np.unique(np.stack([docs, keys]), axis=1)  # (doc, key) once each: document frequency
        uniq, df = np.unique(pairs[1], return_counts=True)
        total = np.bincount(np.searchsorted(uniq, keys), minlength=len(uniq))
        keep = df >= self.min_df
        if self.max_features is not None and keep.sum() > self.max_features:
            order = np.lexsort((uniq, -total * keep))[: self.max_features]
            keep = np.zeros_like(keep)
            keep[order] = True
        self.keys_, df = uniq[keep], df[keep]
        self.idf_ = smooth_idf(df, tokens.n_docs)
        return self

    @property
    def n_features(self) -> int:
        return len(self.keys_)

    def feature_names(self) -> list[str]:
        names = self._stem_list()
        n = len(names)
        return [names[k] if k < n else f"{names[k // n - 1]} {names[k % n]}" for k in self.keys_.tolist()]

    # ---- transforming --------------------------------------------------------------------------

    def counts(self, tokens: Tokens) -> sparse.csr_matrix:
        """Raw term counts, one row per text of the batch."""
        keys, docs = self._keys(tokens)
        cols = np.searchsorted(self.keys_, keys)
        found = cols < len(self.keys_)
        found[found] = self.keys_[cols[found]] == keys[found]
        data = np.ones(int(found.sum()), dtype=np.float32)
        matrix = sparse.csr_matrix((data, (docs[found], cols[found])), shape=(tokens.n_docs, self.n_features))
        matrix.sum_duplicates()
        return matrix

    def weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Counts → sublinear TF × IDF, each row scaled to unit length."""
        return tfidf(counts, self.idf_)

    def transform(self, tokens: Tokens) -> sparse.csr_matrix:
        return self.weigh(self.counts(tokens))

    # ---- internals -----------------------------------------------------------------------------

    def _stem_list(self) -> list[str]:
        return self.stems_.split("\0") if self.stems_ else []

    def _ids(self, tokens: Tokens) -> np.ndarray:
        if self._index is None:
            self._index = {s: i for i, s in enumerate(self._stem_list())}
        return np.fromiter(map(self._index.get, tokens.stems, repeat(-1)), dtype=np.int64, count=len(tokens.stems))

    def _keys(self, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
        """Every term occurrence as an integer key (stem id, or (a + 1) × n + b for a bigram) and its text."""
        ids, docs = self._ids(tokens), tokens.stem_doc
        known = ids >= 0
        keys, key_docs = [ids[known]], [docs[known]]
        if self.bigrams and len(ids) > 1:
            n = max(len(self._index), 1)
            pair = known[:-1] & known[1:] & (docs[:-1] == docs[1:])
            keys.append((ids[:-1][pair] + 1) * n + ids[1:][pair])
            key_docs.append(docs[:-1][pair])
        return np.concatenate(keys), np.concatenate(key_docs)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_index"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._index = None


def smooth_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """scikit-learn's smooth IDF: as if one more text held every term."""
    return (np.log((1 + n_docs) / (1 + df)) + 1).astype(np.float32)


def tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Counts → sublinear TF × IDF, each row scaled to unit length."""
    out = counts.astype(np.float32, copy=True)
    out.data = (1 + np.log(out.data)) * idf[out.indices]
    norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
    out.data /= np.repeat(np.where(norms == 0, 1, norms), np.diff(out.indptr)).astype(np.float32)
    return out


def char_grams(word: str, sizes: tuple[int, ...] = (4, 5)) -> list[str]:
    """The character n-grams of a word padded with a space either side ("referral" and "referring"
    share " ref", "refe", "efer"). Words of fewer than four characters have none: they are function
    words, whose grams every text shares, or abbreviations, which the word stems expand."""
    if len(word) < 4:
        return []
    padded = f" {word} "
    return [padded[i:i + n] for n in sizes for i in range(len(padded) - n + 1)]


class CharSpace:
    """Character 4- and 5-grams of words with TF-IDF weights: a fuzzy match for words that their
    stems keep apart ("referral" and "referring", "analysts" and "analysis")."""

    def __init__(self, min_df: int = 2) -> None:
        self.min_df = min_df

    def fit(self, tokens: Tokens) -> CharSpace:
        grams_of = {word: char_grams(word) for word in set(tokens.raw)}  # each distinct word cut once
        df: dict[str, int] = {}
        starts = np.searchsorted(tokens.raw_doc, np.arange(1, tokens.n_docs))
        for doc in np.split(np.asarray(tokens.raw, dtype=object), starts):
            for gram in set(chain.from_iterable(map(grams_of.__getitem__, set(doc)))):
                df[gram] = df.get(gram, 0) + 1
        kept = sorted(g for g, n in df.items() if n >= self.min_df)
        self.grams_ = "\0".join(kept)
        self.idf_ = smooth_idf(np.asarray([df[g] for g in kept]), tokens.n_docs)
        self._words: _Words | None = None
        return self

    def counts(self, tokens: Tokens, docs: np.ndarray | None = None) -> sparse.csr_matrix:
        """Raw gram counts, one row per text of the batch (or per text numbered in ``docs``).

        Texts × words, then words × grams: only the batch's distinct words are cut into grams."""
        if self._words is None:
            self._words = _Words(self.feature_names())
        words, raw_doc, n_docs = tokens.raw, tokens.raw_doc, tokens.n_docs
        if docs is not None:  # only these texts' words are looked up, not the whole batch's
            row = np.full(n_docs, -1, dtype=np.int64)
            row[docs] = np.arange(len(docs))
            keep = row[raw_doc] >= 0
            words, raw_doc, n_docs = list(compress(words, keep.tolist())), row[raw_doc[keep]], len(docs)
        ids = self._words.ids(words)
        used, column = np.unique(ids, return_inverse=True)
        text_words = sparse.csr_matrix((np.ones(len(ids), np.float32), (raw_doc, column)), shape=(n_docs, len(used)))
        return (text_words @ self._words.grams(used, len(self.idf_))).tocsr()

    def weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        return tfidf(counts, self.idf_)

    def feature_names(self) -> list[str]:
        return self.grams_.split("\0") if self.grams_ else []

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_words"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._words = None


class _Words:
    """The words seen so far, numbered, each with the columns of its known grams; forgotten at
    STEM_CACHE words, so a batch run's memory does not grow with its vocabulary."""

    def __init__(self, grams: list[str]) -> None:
        self.index = {g: i for i, g in enumerate(grams)}
        self.number: dict[str, int] = {}
        self.columns: list[tuple[int, ...]] = []

    def ids(self, words: list[str]) -> np.ndarray:
        ids = np.fromiter(map(self.number.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        missing = np.flatnonzero(ids < 0).tolist()
        if missing:
            new = sorted({words[i] for i in missing})
            if len(self.number) + len(new) > STEM_CACHE:
                self.number.clear()
                self.columns.clear()
                new = sorted(set(words))
                missing = list(range(len(words)))
            for word in new:
                self.number[word] = len(self.columns)
                self.columns.append(tuple(i for i in map(self.index.get, char_grams(word)) if i is not None))
            ids[missing] = [self.number[words[i]] for i in missing]
        return ids

    def grams(self, ids: np.ndarray, width: int) -> sparse.csr_matrix:
        """The gram counts of the words numbered ``ids``, one row each."""
        per_word = [self.columns[i] for i in ids.tolist()]
        lengths = np.fromiter(map(len, per_word), dtype=np.int64, count=len(per_word))
        cols = np.fromiter(chain.from_iterable(per_word), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(len(per_word)), lengths)
        matrix = sparse.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(per_word), width))
        matrix.sum_duplicates()
        return matrix
