"""The shared segment features: cue columns by name, and the kind and strand matrices."""

import dataclasses

import numpy as np

from peelnlp.classify import page_contexts
from peelnlp.features import CUE_NAMES, SegmentFeaturizer, cue_matrix
from peelnlp.parse import parse_page
from peelnlp.segment import segment_pages
from peelnlp.textvec import tokenize

PAGE = """Serious and organised crime – Kent Police (5001)

The force should tackle serious and organised crime with its partners.

[on]1st May 2019 [status]being-progressed[/status][/on][on]1st May 2019 [comment]

Since the inspection the force has taken the following action: • appointed LROs for all mapped OCGs; • trained two analysts.

2019 – Funded two financial investigators. A new board will meet in June.

[/comment][/on]"""


def contexts():
    page = next(segment_pages([parse_page(PAGE)]))
    return page_contexts(page)


def cues_by_name(ctxs):
    matrix = cue_matrix(ctxs, tokenize([c.text for c in ctxs]))
    assert matrix.shape == (len(ctxs), len(CUE_NAMES))
    return [dict(zip(CUE_NAMES, row.tolist())) for row in matrix]


def test_cue_columns_follow_the_segment_context():
    ctxs = contexts()
    texts = [c.text for c in ctxs]
    assert texts[0].endswith("following action:") and texts[-1] == "A new board will meet in June."
    cues = cues_by_name(ctxs)
    assert cues[0]["ends_colon"] == 1 and "first_in_comment" not in cues[0]
    assert cues[1]["after_colon"] == 1 and cues[1]["in_list_block"] == 1 and cues[1]["perfect"] == 0
    year = texts.index("2019 – Funded two financial investigators.")
    assert cues[year]["starts_with_year"] == 1 and cues[year]["past_verb"] == 1
    assert cues[year]["next_is_future"] == 1 and cues[-1]["future"] == 1
    assert all(c["soc_page"] > 0 for c in cues) and "multi_rec_page" not in cues[0]


def fitted():
    ctxs = contexts()
    featurizer = SegmentFeaturizer().fit(ctxs * 3)
    X = featurizer.transform(ctxs)
    n_chars = len(featurizer.char_feature_names())
    assert n_chars > 0
    return ctxs, featurizer, X, X.shape[1] - n_chars


def test_kind_matrix_copies_the_features_on_tracked_pages_only():
    ctxs, featurizer, X, shared = fitted()
    Xk = featurizer.kind_matrix(X, ctxs)
    assert Xk.shape == (X.shape[0], 2 * shared) and all(c.tracked for c in ctxs)  # no character n-grams
    np.testing.assert_array_equal(Xk[:, shared:].toarray(), Xk[:, :shared].toarray())
    soc = featurizer.words_.n_features + CUE_NAMES.index("soc_page")
    assert X[:, soc].min() > 0 and Xk[:, soc].nnz == 0 and Xk[:, shared + soc].nnz == 0  # strands only
    others = np.delete(np.arange(shared), soc)
    np.testing.assert_array_equal(Xk[:, others].toarray(), X[:, others].toarray())
    untracked = [dataclasses.replace(c, tracked=False) for c in ctxs]
    assert featurizer.kind_matrix(X, untracked)[:, shared:].nnz == 0
    assert len(featurizer.kind_feature_names()) == Xk.shape[1]


def test_strand_matrix_adds_linked_words_a_soc_page_copy_and_the_character_grams():
    ctxs, featurizer, X, shared = fitted()
    Xs = featurizer.strand_matrix(X, [ctxs[0].page_topic] * len(ctxs))
    assert Xs.shape[1] == len(featurizer.strand_feature_names())
    n_chars = X.shape[1] - shared
    copied = Xs[:, : Xs.shape[1] - n_chars]
    half = copied.shape[1] // 2
    np.testing.assert_array_equal(copied[:, :half].toarray(), copied[:, half:].toarray())  # a SOC page: the copy is live
    np.testing.assert_array_equal(Xs[:, -n_chars:].toarray(), X[:, shared:].toarray())
    assert featurizer.strand_feature_names()[-1].startswith("chars:")


def test_character_grams_reach_a_word_the_featurizer_never_saw():
    ctxs, featurizer, _, shared = fitted()
    # "finance" stems apart from "financial" (on the page), but shares its opening grams.
    X = featurizer.transform([dataclasses.replace(ctxs[0], text="Finance")])
    assert X[:, : featurizer.words_.n_features].nnz == 0
    grams = {featurizer.char_feature_names()[k] for k in X[:, shared:].indices}
    assert {"chars:fina", "chars:finan"} <= grams
