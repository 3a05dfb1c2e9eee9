"""The batch TF-IDF: the same weights as scikit-learn's, from one tokenisation of a batch."""

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from peelnlp.textvec import CharSpace, TermSpace, char_grams, normalise, stem, tokenize

TEXTS = [
    "LROs have been appointed for all mapped OCGs.",
    "The force has appointed lead responsible officers; training is planned.",
    "Prevention activity with schools continues. Preventative work continues.",
    "",
    "2019 – Funded two financial investigators for asset recovery.",
]


def test_abbreviations_are_followed_by_their_expansion():
    assert normalise("lros") == (stem("lros"), "lead", "respons", "offic")
    assert normalise("ocg") == ("ocg", "organis", "crime", "group")


def test_snowball_stems_join_word_families():
    assert stem("prevention") == stem("preventative") == stem("prevent")
    assert stem("activities") == stem("activity")


def test_tokens_keep_their_text_of_origin():
    tokens = tokenize(TEXTS)
    assert tokens.n_docs == len(TEXTS)
    assert len(tokens.raw) == len(tokens.raw_doc) and len(tokens.stems) == len(tokens.stem_doc)
    assert 3 not in set(tokens.raw_doc.tolist())  # the empty text has no tokens
    assert tokens.raw[:3] == ["lros", "have", "been"]


@pytest.mark.parametrize("bigrams", [False, True])
def test_weights_equal_scikit_learns(bigrams):
    """Sublinear TF, smooth IDF and L2 norm, as TfidfVectorizer computes them on the same terms."""
    tokens = tokenize(TEXTS)
    space = TermSpace(bigrams=bigrams).fit(tokens)
    ours = space.transform(tokens).toarray()

    def analyzer(text):
        stems = tokenize([text]).stems
        return stems + ([f"{a} {b}" for a, b in zip(stems, stems[1:])] if bigrams else [])

    reference = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True).fit(TEXTS)
    theirs = reference.transform(TEXTS).toarray()
    columns = [reference.vocabulary_[name] for name in space.feature_names()]
    assert sorted(space.feature_names()) == sorted(reference.vocabulary_)
    np.testing.assert_allclose(ours, theirs[:, columns], rtol=1e-5, atol=1e-6)


def test_min_df_and_max_features_select_terms():
    tokens = tokenize(TEXTS)
    frequent = TermSpace(min_df=2).fit(tokens).feature_names()
    assert "appoint" in frequent and "continu" not in frequent  # twice, but in one text: df 1
    assert len(TermSpace(max_features=3).fit(tokens).feature_names()) == 3


def test_unseen_words_are_ignored_and_rows_stay_aligned():
    space = TermSpace(bigrams=True).fit(tokenize(TEXTS))
    X = space.transform(tokenize(["zzz qqq", "appointed officers", ""]))
    assert X.shape == (3, space.n_features)
    assert X[0].nnz == 0 and X[2].nnz == 0 and X[1].nnz > 0
    np.testing.assert_allclose(np.linalg.norm(X[1].toarray()), 1.0, rtol=1e-6)


def test_term_space_survives_pickling():
    import pickle

    space = TermSpace(bigrams=True).fit(tokenize(TEXTS))
    copy = pickle.loads(pickle.dumps(space))
    np.testing.assert_array_equal(space.transform(tokenize(TEXTS)).toarray(), copy.transform(tokenize(TEXTS)).toarray())


def test_stem_cache_stays_bounded(monkeypatch, novel_words):
    import peelnlp.textvec

    monkeypatch.setattr(peelnlp.textvec, "STEM_CACHE", 100)
    monkeypatch.setattr(peelnlp.textvec, "_STEMS", peelnlp.textvec._Stems())
    words = novel_words(500)
    first = tokenize([" ".join(words)]).stems
    assert len(peelnlp.textvec._STEMS) <= 100
    assert tokenize([" ".join(words)]).stems == first == [stem(w) for w in words]


def test_char_grams_pad_each_word():
    assert char_grams("refer") == [" ref", "refe", "efer", "fer ", " refe", "refer", "efer "]
    assert char_grams("the") == []  # function words and short abbreviations have none


def test_char_weights_equal_scikit_learns():
    tokens = tokenize(TEXTS)
    space = CharSpace(min_df=1).fit(tokens)
    ours = space.weigh(space.counts(tokens)).toarray()

    def analyzer(text):
        return [g for word in tokenize([text]).raw for g in char_grams(word)]

    reference = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True).fit(TEXTS)
    theirs = reference.transform(TEXTS).toarray()
    columns = [reference.vocabulary_[g] for g in space.grams_.split("\0")]
    np.testing.assert_allclose(ours, theirs[:, columns], rtol=1e-5, atol=1e-6)


def test_char_space_joins_words_their_stems_keep_apart():
    texts = ["Referral pathway used 23 times.", "establish a process for referring people", "analysts trained"]
    space = CharSpace(min_df=1).fit(tokenize(texts))
    assert stem("referral") != stem("referring")
    sims = (lambda m: (m @ m.T).toarray())(space.weigh(space.counts(tokenize(texts))))
    assert sims[0, 1] > 0.05 and sims[0, 2] == 0


def test_char_space_survives_pickling_without_its_cache():
    tokens = tokenize(TEXTS)
    space = CharSpace(min_df=2).fit(tokens)
    before = space.counts(tokens).toarray()
    restored = pickle.loads(pickle.dumps(space))
    assert "_words" not in pickle.loads(pickle.dumps(space)).__getstate__()
    np.testing.assert_array_equal(restored.counts(tokens).toarray(), before)


def test_char_counts_of_chosen_texts_are_their_rows():
    tokens = tokenize(TEXTS)
    space = CharSpace(min_df=1).fit(tokens)
    chosen = np.asarray([4, 0, 2])
    np.testing.assert_array_equal(space.counts(tokens, chosen).toarray(), space.counts(tokens).toarray()[chosen])


def test_char_counts_are_the_same_when_the_word_cache_is_full(monkeypatch):
    import peelnlp.textvec as textvec

    tokens = tokenize(TEXTS)
    space = CharSpace(min_df=1).fit(tokens)
    expected = space.counts(tokens).toarray()
    monkeypatch.setattr(textvec, "STEM_CACHE", 5)  # fewer than one batch's distinct words
    small = pickle.loads(pickle.dumps(space))
    np.testing.assert_array_equal(small.counts(tokens).toarray(), expected)
    np.testing.assert_array_equal(small.counts(tokens).toarray(), expected)
    assert len(small._words.number) == len(set(tokens.raw))


def test_function_words_can_be_left_out_of_a_term_space():
    tokens = tokenize(["The force has made contact with the Home Office about these rules, if asked."])
    kept = TermSpace(skip_function_words=True).fit(tokens).feature_names()
    assert kept == sorted(["forc", "made", "contact", "home", "offic", "rule", "ask"])
    assert {"the", "has", "these", "if", "with"} <= set(TermSpace().fit(tokens).feature_names())
