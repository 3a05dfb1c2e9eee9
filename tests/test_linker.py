"""The recommendation linker: one pass over a batch gives what page-by-page scoring gives."""

from pathlib import Path

import numpy as np
import pytest

from peelnlp.classify import link_inputs
from peelnlp.linker import PAIR_FEATURES
from peelnlp.parse import parse_page
from peelnlp.records import KINDS
from peelnlp.segment import segment_pages
from peelnlp.store import DEFAULT_MODEL, load_tagger
from peelnlp.textvec import tokenize

pytestmark = pytest.mark.skipif(not (DEFAULT_MODEL / "meta.json").exists(), reason="no trained model in models/default")
PAGES = Path(__file__).parent / "data" / "batch" / "pages"


@pytest.fixture(scope="module")
def tagger():
    return load_tagger()


@pytest.fixture(scope="module")
def pages():
    texts = [(PAGES / name).read_text(encoding="utf-8") for name in sorted(p.name for p in PAGES.glob("*.txt"))]
    return list(segment_pages([parse_page(t) for t in texts]))


def test_batch_link_probabilities_equal_page_by_page(tagger, pages):
    multi = [p for p in pages if len(p.recommendations) > 1]
    assert len(multi) >= 2, "the fixture needs at least two pages with several recommendations"
    linker = tagger.models.linker
    kinds = ["action"] * sum(len(p.segments) for p in pages)
    tokens = tokenize([s.text for p in pages for s in p.segments])
    starts = np.cumsum([0] + [len(p.segments) for p in pages])
    batched = tagger._link_proba(pages, tokens, kinds, starts)
    for page, together in zip(pages, batched, strict=True):
        if len(page.recommendations) < 2:
            assert np.all(together == 1.0)
            continue
        contexts, refs = link_inputs(page)
        alone = linker.proba(linker.page_batch([s.text for s in page.segments], contexts, refs,
                                               ["action"] * len(page.segments), [r.text for r in page.recommendations]))
        np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-5)


def test_pair_features_are_segment_major_with_one_column_each(tagger, pages):
    page = next(p for p in pages if len(p.recommendations) > 2)
    contexts, refs = link_inputs(page)
    m, n = len(page.segments), len(page.recommendations)
    X = tagger.models.linker.pair_features([s.text for s in page.segments], contexts, refs,
                                           [KINDS[0]] * m, [r.text for r in page.recommendations])
    assert X.shape == (m * n, len(PAIR_FEATURES))
    first_rec = PAIR_FEATURES.index("first_rec")
    assert X[:, first_rec].tolist() == [1.0 if j == 0 else 0.0 for _ in range(m) for j in range(n)]
    assert np.isfinite(X).all()


def test_explicit_reference_decides_the_pair(tagger, pages):
    page = next(p for p in pages if len(p.recommendations) > 2)
    texts = [r.text for r in page.recommendations]
    linker = tagger.models.linker
    probs = linker.proba(linker.page_batch(["This addresses recommendation 2 in full."], [""], [frozenset()],
                                           ["action"], texts))
    assert probs[0].argmax() == 1



def test_latent_space_does_not_depend_on_the_seed():
    """The word space's projection is an exact SVD: the same texts give the same latent space
    whatever the seed, so a retrain does not move the links by chance."""
    from peelnlp.linker import RecLinker

    words = ("lead responsible officer trained group mapped scored profile partner council plan measure "
             "activity diversion young people risk fraud advice resident tasking meeting monthly").split()
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, size=8)) for _ in range(60)]
    projectors = []
    for seed in (0, 1, 7):
        components = RecLinker(n_components=5, random_state=seed).fit_space(texts[:30], texts[30:]).components_
        projectors.append(components.T @ components)  # the subspace itself, whatever basis spans it
    for other in projectors[1:]:
        np.testing.assert_allclose(other, projectors[0], atol=1e-4)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")  # one text: no variance to explain
@pytest.mark.parametrize(("pairs", "texts"), [(["lro trained"], ["groups mapped"]), (["lro trained officers"], [])])
def test_latent_space_of_a_handful_of_texts(pairs, texts):
    """Too few texts for an exact SVD: the space is still learnt (the randomized way)."""
    from peelnlp.linker import RecLinker

    linker = RecLinker().fit_space(pairs, texts)
    assert linker.components_.shape[1] == linker.space_.n_features


@pytest.mark.parametrize("text, general", [
    ("These SOC observations have not been triangulated.", True),
    ("HMICFRS has not yet tested these arrangements.", True),
    ("Overall, progress has been good.", True),
    ("The force plans to recruit three more analysts by March.", False),
    ("The plan is owned by ACC Parr and reviewed every quarter.", False),
])
def test_a_general_remark_is_marked_by_a_demonstrative_not_by_the(text, general):
    from peelnlp.linker import _GENERIC

    assert bool(_GENERIC.search(text)) is general


def test_character_grams_match_words_whose_stems_differ(tagger):
    recs = ["establish a process for referring people at risk to partner services",
            "make sure that every mapped group has a disruption plan"]
    segment = "Referral pathway used 23 times."
    X = tagger.models.linker.pair_features([segment], [segment], [frozenset()], ["action"], recs)
    chars, cos = PAIR_FEATURES.index("chars"), PAIR_FEATURES.index("cos")
    assert X[0, cos] == X[1, cos] == 0  # no stem in common with either recommendation
    assert X[0, chars] > 0 and X[1, chars] == 0


def test_each_feature_name_names_its_column(tagger, pages):
    page = next(p for p in pages if len(p.recommendations) > 2)
    contexts, refs = link_inputs(page)
    m, n = len(page.segments), len(page.recommendations)
    X = tagger.models.linker.pair_features([s.text for s in page.segments], contexts, refs,
                                           ["plan"] * m, [r.text for r in page.recommendations]).reshape(m, n, -1)
    col = {name: X[:, :, i] for i, name in enumerate(PAIR_FEATURES)}
    for value in ("cos", "contrast"):
        np.testing.assert_allclose(col[f"segment_max_{value}"], col[value].max(axis=1, keepdims=True).repeat(n, axis=1))
    for value in ("cos", "contrast", "chars"):
        best = col[value].max(axis=1, keepdims=True)
        np.testing.assert_array_equal(col[f"{value}_rank1"], (col[value] >= best - 1e-6) * 1.0)
    np.testing.assert_allclose(col["inv_n_recs"], 1 / n)
    np.testing.assert_allclose(col["cos_x_ratio"], col["cos"] * col["cos_ratio"], rtol=1e-5)
    np.testing.assert_array_equal(col["kind_plan"], 1.0)
    np.testing.assert_array_equal(col["first_rec"][:, 0], 1.0)
