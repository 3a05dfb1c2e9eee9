import pytest

from peelnlp.reclist import recommendation_list


@pytest.mark.parametrize(("text", "items"), [
    pytest.param("map groups\ntrain staff\n", ["map groups", "train staff"], id="lines"),
    pytest.param("1. assign lead officers\n   to every group\n2. measure activity", ["assign lead officers to every group",
                 "measure activity"], id="wrapped-numbered"),
    pytest.param("• assign lead officers\nto every group\n• measure activity", ["assign lead officers to every group",
                 "measure activity"], id="wrapped-bullets"),
    pytest.param("map groups\n  across the region\ntrain staff", ["map groups across the region", "train staff"], id="indented"),
    pytest.param("The force should: • map groups • train staff", ["map groups", "train staff"], id="lead-in-and-run-in-bullets"),
    pytest.param("The force should:\n1. map groups\n2. train staff", ["map groups", "train staff"], id="lead-in-line"),
    pytest.param("1. The force should review its approach to:\n   - vetting\n   - training\n2. The force should publish its plan.",
                 ["The force should review its approach to: vetting; training", "The force should publish its plan"], id="sub-items"),
    pytest.param("• map groups, including:\n◦ urban groups\n• train staff", ["map groups, including: urban groups", "train staff"],
                 id="second-level-bullets"),
    pytest.param("The force should:\n- review vetting\n- train staff\nThe force should also publish its plan.",
                 ["review vetting", "train staff", "The force should also publish its plan"], id="a-line-after-the-list"),
    pytest.param("e.g. map groups\ntrain staff", ["e.g. map groups", "train staff"], id="no-letter-without-a-bracket"),
    pytest.param("\n\n", [], id="empty"),
    pytest.param("i. map groups\nii. train staff", ["map groups", "train staff"], id="roman-numerals-with-stops"),
    pytest.param("Recommendation 1\nmap groups\nRecommendation 2\ntrain staff", ["map groups", "train staff"], id="headings"),
    pytest.param("The force should:", [], id="a-lead-in-alone"),
])
def test_recommendation_list(text, items):
    assert recommendation_list(text) == (items, [])


def test_written_numbers_are_not_kept_and_a_warning_says_so():
    items, [warning] = recommendation_list("3. improve training\n5. publish a profile")
    assert items == ["improve training", "publish a profile"]
    assert warning.startswith("the recommendations are numbered by their order in the list (1–2), not by the numbers written there (3, 5)")
