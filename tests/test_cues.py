"""Token-pattern cues, matched over a whole batch at once."""

import numpy as np
import pytest

from peelnlp.cues import MATCHER, CueMatcher, final_clause, per_text, strand_profile
from peelnlp.textvec import tokenize


def cues_of(text: str) -> set[str]:
    tokens = tokenize([text])
    return {name for name, hit in MATCHER.hits(tokens).items() if hit.any()}


@pytest.mark.parametrize(("text", "cue"), [
    ("LROs have been appointed for all mapped OCGs.", "perfect"),
    ("A new framework will be introduced in April.", "future"),
    ("The force is going to review its tasking.", "future"),
    ("OCG meetings are now being held monthly.", "progressive"),
    ("The profile was refreshed in June 2018.", "past"),
    ("The profile was refreshed in June 2018.", "passive"),
    ("We found that LROs understand their role.", "inspectorate"),
    ("The force has yet to show any improvement.", "negative"),
    ("An update was requested from the force.", "monitor"),
    ("This recommendation is being progressed.", "bare_claim"),
    ("See recommendation 3 above.", "rec_ref"),
    ("The force requires improvement.", "evaluative"),
])
def test_cue_found(text, cue):
    assert cue in cues_of(text)


@pytest.mark.parametrize(("text", "cue"), [
    ("LROs will be appointed in April.", "perfect"),
    ("The force has a plan.", "future"),
    ("Recommendations are tracked monthly.", "rec_ref"),
])
def test_cue_not_found(text, cue):
    assert cue not in cues_of(text)


def test_patterns_do_not_run_across_texts():
    """"has" ends one text and "appointed" starts the next: no perfect tense in either."""
    tokens = tokenize(["The force has", "appointed officers"])
    assert not MATCHER.hits(tokens)["perfect"].any()


def test_final_clause_takes_the_polarity_after_the_last_contrast():
    tokens = tokenize(["Good progress has been made but the force has yet to measure it.",
                       "There were gaps, but the force now has an effective plan."])
    final = final_clause(MATCHER.hits(tokens), tokens.raw_doc, tokens.n_docs)
    assert final["negative"].tolist() == [True, False]
    assert final["positive"].tolist() == [False, True]


def test_main_clause_comes_before_a_concessive_although():
    tokens = tokenize(["The force disrupts groups well, although more work is needed on prevention.",
                       "Although the force has improved, it has yet to show results.",
                       "It is good, although limited in places, but it has yet to assess it."])
    final = final_clause(MATCHER.hits(tokens), tokens.raw_doc, tokens.n_docs)
    assert final["positive"].tolist() == [True, True, False]
    assert final["negative"].tolist() == [False, True, True]


def test_not_only_is_not_a_negation():
    tokens = tokenize(["Not only are raids taking place, but arrests have risen.", "Raids are not taking place."])
    negative = per_text(MATCHER.hits(tokens)["negative"], tokens.raw_doc, tokens.n_docs)
    assert negative.tolist() == [0.0, 1.0]


def test_but_after_not_only_opens_no_contrast():
    tokens = tokenize(["Not only are raids taking place, but arrests have risen.",
                       "Arrests are up, but not only has mapping stopped, there is no analyst.",
                       "Good work was done but gaps remain."])
    hits = MATCHER.hits(tokens)
    for cue in ("contrast", "coordinating"):
        assert per_text(hits[cue], tokens.raw_doc, tokens.n_docs).tolist() == [0.0, 1.0, 1.0]


def test_counts_per_text():
    tokens = tokenize(["3 OCGs and 4 LROs", "none", "12"])
    counts = per_text(MATCHER.hits(tokens)["number"], tokens.raw_doc, tokens.n_docs)
    assert counts.tolist() == [2.0, 0.0, 1.0]


def test_strand_profile_names_the_4p_strand_of_a_text():
    tokens = tokenize(["joint prevention and diversion activity with schools",
                       "disruption, arrests and asset recovery", "the force wrote a letter"])
    profile = strand_profile(tokens, MATCHER)
    assert profile[0].argmax() == 1 and profile[1].argmax() == 0
    np.testing.assert_allclose(profile[:2].sum(axis=1), 1.0)
    assert profile[2].sum() == 0


def test_a_custom_cue_set():
    matcher = CueMatcher({"thanks": ["thank|thanks", "much obliged"]})
    tokens = tokenize(["Thanks to the team.", "We are much obliged.", "Much of it."])
    assert per_text(matcher.hits(tokens)["thanks"], tokens.raw_doc, 3).tolist() == [1.0, 1.0, 0.0]


def test_matches_of_a_batch_are_reused_after_another_batch_in_between():
    """Segment cues, page cues and the linker's strand profiles ask about a batch in turn."""
    matcher = CueMatcher()
    segments, topics = tokenize(["LROs have been trained."]), tokenize(["PEEL: serious and organised crime"])
    first = matcher.hits(segments)
    matcher.hits(topics)
    assert matcher.hits(segments) is first


def test_token_cache_stays_bounded_and_matches_alike(monkeypatch, novel_words):
    import peelnlp.cues

    monkeypatch.setattr(peelnlp.cues, "TOKEN_CACHE", 50)
    matcher = CueMatcher()
    filler = " ".join(novel_words(200))
    texts = ["The review has not yet been completed.", filler, "The force will introduce a new process."]
    first = {k: v.copy() for k, v in matcher.hits(tokenize(texts)).items()}
    assert len(matcher._row) <= 50 + 210
    matcher.hits(tokenize([" ".join(novel_words(200, 200))]))  # 200 new word types
    assert len(matcher._row) <= 50 + 210
    again = matcher.hits(tokenize(texts))
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert first["negative"].any() and first["future"].any()
