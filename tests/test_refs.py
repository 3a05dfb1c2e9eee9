from types import SimpleNamespace

import pytest

from peelnlp.refs import explicit_refs, heading_refs, is_heading


@pytest.mark.parametrize("text, numbers", [
    ("In relation to recommendation 2, the force has", {2}),
    ("(Recommendation 4) training", {4}),
    ("recommendations 1, 2 and 5 are closed", {1, 2, 5}),
    ("Recommendations 2-4 are complete", {2, 3, 4}),
    ("recommendations 1 to 3", {1, 2, 3}),
    ("recommendation 1 and recommendation 4", {1, 4}),
    ("For Recommendation 1a the force", {1}),
    ("Rec 3 is complete.", {3}),
    ("Recs 1 and 2 are done", {1, 2}),
    ("Rec. 5 – complete", {5}),
    ("Recommendation three has been met", {3}),
    ("recommendations two to four", {2, 3, 4}),
    ("Rec 4 – Two further accredited financial investigators", {4}),  # a count, not recommendation 2
    ("R1. The force has", {1}),
    ("R2 and R3 are complete", {2, 3}),
    ("R1-R3: see above", {1, 2, 3}),
    ("In respect of the second recommendation, the force", {2}),
    ("On the fourth recommendation the plan", {4}),
])
def test_references_are_read(text, numbers):
    assert explicit_refs(text) == numbers


@pytest.mark.parametrize("text", [
    "the recommendations 2018 report",  # a year, not recommendations 20 and 18
    "records 3 and 4 were checked",
    "the recommendation oneself",
    "Rec3",
    "R v Smith",
    "the first recommendations were",
    "recommendations were made",
])
def test_what_is_not_a_reference(text):
    assert explicit_refs(text) == frozenset()


@pytest.mark.parametrize("text, heading", [
    ("Recommendation 1.", True), ("Recommendation 2:", True), ("R1.", True), ("Recommendations 2 and 5:", True),
    ("Rec 3 –", True), ("Recommendation 2: the force has", False), ("R1. The force", False),
    ("recommendation 2 is complete", False), ("The force has done more.", False),
])
def test_a_heading_is_only_a_reference(text, heading):
    assert is_heading(text) is heading


def test_a_heading_names_what_follows_it_in_its_comment():
    texts = ["Recommendation 1:", "work", "more work", "R2.", "work on 2", "a new comment"]
    segments = [SimpleNamespace(text=t, entry=e) for t, e in zip(texts, [0, 0, 0, 0, 0, 1])]
    assert heading_refs(segments) == [frozenset(), {1}, {1}, frozenset(), {2}, frozenset()]
