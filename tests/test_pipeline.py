"""Composing the stages: a page made of a typed list of recommendations and one comment."""

import pytest

from peelnlp.errors import InputError
from peelnlp.pipeline import comment_page

RECS = "1. develop a county lines problem profile\n2. train officers to spot child criminal exploitation\n"


@pytest.mark.parametrize("comment, named", [
    ("Rec 3 has been completed: a diversion scheme was launched in May.", "names recommendation 3,"),
    ("Work on recommendation three has started.", "names recommendation 3,"),
    ("Recommendations 3 and 5 are awaiting funding.", "names recommendations 3 and 5,"),
], ids=["rec-3", "in-words", "two-of-them"])
def test_a_comment_naming_a_recommendation_off_the_list_is_warned_about(comment, named):
    page = comment_page(RECS, comment)
    assert len(page.warnings) == 1 and named in page.warnings[0] and "lists only 2" in page.warnings[0]


def test_a_comment_naming_listed_recommendations_has_no_warning():
    assert comment_page(RECS, "The profile for recommendation 1 was completed (rec 2 is next).").warnings == ()


def test_an_empty_comment_is_refused():
    with pytest.raises(InputError, match="the comment is empty"):
        comment_page(RECS, "  \n")


def test_a_comment_page_says_what_it_is():
    assert comment_page(RECS, "Work has started.").title == "A comment tagged against 2 recommendations"
