import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peelnlp.dates import to_iso
from peelnlp.errors import PageError
from peelnlp.parse import MAX_PAGE_CHARS, parse_page
from peelnlp.recsplit import clean_rec


def norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def test_seed_recommendations_match_gold(seed_text, seed_gold):
    page = parse_page(seed_text, "west-mercia-8929")
    assert [clean_rec(r.text) for r in page.recommendations] == [clean_rec(r.text) for r in seed_gold.recommendations]


@pytest.mark.parametrize(("raw", "clean"), [
    ("• review its crime management unit;  and", "review its crime management unit"),
    ("(a) train officers, or", "train officers"),
    ("improve the data: - monitor it.\n2. publish it ;", "improve the data: monitor it. publish it"),
    ("work with the brand", "work with the brand"),  # "and" only as a word
    ("and develop a plan AND", "develop a plan"),
    ("ensure that . ; , or and", "ensure that"),
    ("", ""),
])
def test_clean_rec_drops_marks_and_trailing_joiners(raw, clean):
    assert clean_rec(raw) == clean


@given(st.text(alphabet=st.sampled_from(["a", "A", "n", "d", "o", "r", " ", "\n", ";", ",", ".", "-", "•", "1", ")", ":", "_"]),
               max_size=40))
def test_clean_rec_ends_cleanly(raw):
    clean = clean_rec(raw)
    assert clean == clean.strip() and not clean.endswith((";", ",", "."))
    assert not re.search(r"\b(?:and|or)$", clean, re.I)


def test_seed_timeline_matches_gold(seed_text, seed_gold):
    page = parse_page(seed_text)
    got = [(e.date, e.status, norm(e.comment)) for e in page.timeline]
    want = [(e.date, e.status, norm(e.comment)) for e in seed_gold.timeline]
    assert got == want


def test_seed_header(seed_text):
    page = parse_page(seed_text)
    assert (page.id, page.force) == ("8929", "West Mercia Police")
    assert page.title.startswith("PEEL: police effectiveness 2017")
    assert page.warnings == ()


PLAIN = """Crime data integrity inspection – Kent Police (4411)

The force should audit its crime-recording decisions every month.

3rd March 2017 awaiting-review

14 June 2018

The force now audits 200 incidents a month.

Results go to the crime registrar.

2 July 2018 complete
"""

NO_DATES = """Cause of concern

Victims are not updated.

The force should tell victims how their case is progressing.

Victim updates are now sent by text message.

The FLL has asked for the audit results.
"""

CUT_OFF = """Title of the page (12)

The force should do one thing.

[on]1 June 2018 [status]being-progressed[/status][/on][on]2 June 2018 [comment]

First comment.

[/comment][/on][on]01/10/2018 [comment]

The last comment has no closing tags"""


def test_plain_form():
    page = parse_page(PLAIN)
    assert [(e.date, e.status) for e in page.timeline if e.status] == [("2017-03-03", "awaiting-review"), ("2018-07-02", "complete")]
    comments = [e for e in page.timeline if e.comment]
    assert len(comments) == 1 and "crime registrar" in comments[0].comment and comments[0].date == "2018-06-14"


def test_no_dates_each_paragraph_is_a_comment():
    page = parse_page(NO_DATES, "p1")
    assert [r.text for r in page.recommendations] == ["The force should tell victims how their case is progressing"]
    assert [(e.date, e.comment) for e in page.timeline] == [
        (None, "Victim updates are now sent by text message."), (None, "The FLL has asked for the audit results.")]
    assert page.title is None and page.id == "p1"


def test_cut_off_last_entry():
    page = parse_page(CUT_OFF)
    assert page.timeline[-1].comment == "The last comment has no closing tags"
    assert page.timeline[-1].date == "2018-10-01"


@pytest.mark.parametrize(("rec_text", "expected"), [
    pytest.param("The force should immediately: take steps to audit; ensure that X; and ensure that Y.",
                 ["take steps to audit", "ensure that X", "ensure that Y"], id="semicolon-items"),
    pytest.param("The force should take steps to: • do A; • do B; and • do C.", ["do A", "do B", "do C"], id="run-in-bullets"),
    pytest.param("The force should develop a plan. This plan should draw on: • data; and • analysis.",
                 ["The force should develop a plan. This plan should draw on: data; and analysis"], id="detail-bullets"),
    pytest.param("1. The force should do A.\n2. The force should do B.", ["The force should do A", "The force should do B"], id="numbered-lines"),
    pytest.param("Within six months forces should do A.\n\nWithin six months forces should do B.",
                 ["Within six months forces should do A", "Within six months forces should do B"], id="paragraphs"),
    pytest.param("Recommendation 5\n\nBy 2018 forces should do A.", ["By 2018 forces should do A"], id="heading"),
    pytest.param("The force should: (a) do A; (b) do B; and (c) do C.", ["do A", "do B", "do C"], id="lettered"),
    pytest.param("The force should: 1. Map all groups. 2. Assign officers. 3. Train staff.",
                 ["Map all groups", "Assign officers", "Train staff"], id="run-in-numbers"),
    pytest.param("The force should: (a) map all groups (b) assign officers (c) train staff.",
                 ["map all groups", "assign officers", "train staff"], id="run-in-letters"),
    pytest.param("The force should: 1. map all groups; 2. assign officers; and 3. train staff.",
                 ["map all groups", "assign officers", "train staff"], id="run-in-numbers-and"),
    pytest.param("1. The force should map groups. 2. The force should train staff.",
                 ["The force should map groups", "The force should train staff"], id="numbered-run-in-from-the-start"),
    pytest.param("The force should: 1. Map all groups, (a) urban and (b) rural. 2. Assign officers.",
                 ["Map all groups, (a) urban and (b) rural", "Assign officers"], id="nested-items-stay-in-their-item"),
    pytest.param("The force should:\n1. Map all groups\n2. Assign officers", ["Map all groups", "Assign officers"],
                 id="short-numbered-lines"),
    pytest.param("Cause of concern: The force does not map groups. To address this, the force should:• do A;• do B.",
                 ["do A", "do B"], id="run-in-cause-of-concern"),
    pytest.param("Cause of concern: The force does not map groups. Recommendations: the force should do A.",
                 ["the force should do A"], id="cause-of-concern-then-label"),
    pytest.param("Recommendation 7\n\nCause of concern\n\nThe force does not understand demand.\n\nRecommendation\n\n"
                 "The force should review its demand model.", ["The force should review its demand model"],
                 id="a-finding-after-a-heading"),
    pytest.param("Cause of concern\n\nFinding A.\n\nRecommendation\n\nThe force should do A.\n\nCause of concern\n\n"
                 "Finding B.\n\nRecommendation\n\nThe force should do B.", ["The force should do A", "The force should do B"],
                 id="two-concerns-each-with-its-recommendation"),
    pytest.param("The force should:\n\n• map all groups\n\n• train staff", ["map all groups", "train staff"],
                 id="bullet-paragraphs-are-no-headings"),
    pytest.param("The force should:\n\na) map all groups\n\nb) train staff", ["map all groups", "train staff"],
                 id="lettered-paragraphs"),
    pytest.param("The force should:\ni) map all groups;\nii) train staff;\niii) review plans.",
                 ["map all groups", "train staff", "review plans"], id="roman-lines"),
    pytest.param("Recommendation 3\n\nThe force should audit files.\n\nRecommendation 4\n\nThe force should train staff.",
                 ["The force should audit files", "The force should train staff"], id="a-heading-each"),
    pytest.param("Recommendation 3: The force should audit files.\n\nRecommendation 4 – The force should train staff.",
                 ["The force should audit files", "The force should train staff"], id="a-label-each"),
    pytest.param("Within six months forces should do A.\n\u00a0\nWithin six months forces should do B.",
                 ["Within six months forces should do A", "Within six months forces should do B"], id="no-break-space-line"),
    pytest.param("The force should:\n• map all groups, including:\n  ◦ urban groups;\n  ◦ rural groups;\n• train all staff.",
                 ["map all groups, including: urban groups; rural groups", "train all staff"], id="second-level-bullets"),
    pytest.param("The force should:\n• map all groups, including:\n    • urban groups;\n• train all staff.",
                 ["map all groups, including: urban groups", "train all staff"], id="deeper-bullets"),
    pytest.param("The force should:\n  • map all groups; and\n  • train all staff.", ["map all groups", "train all staff"],
                 id="indented-bullets-alike"),
    pytest.param("The force should:\no map all groups;\no train staff.", ["map all groups", "train staff"], id="word-bullets"),
    pytest.param("The force should:\n\uf0b7 map all groups;\n\uf0b7 train staff.", ["map all groups", "train staff"],
                 id="symbol-font-bullets"),
    pytest.param("The force should:\n\u00a0-\u00a0map all groups;\n\u00a0-\u00a0train staff.", ["map all groups", "train staff"],
                 id="dashes-after-no-break-spaces"),
])
def test_recommendation_splitting(rec_text, expected):
    page = parse_page(f"A page (1)\n\n{rec_text}\n\n[on]1 June 2018 [status]awaiting-review[/status][/on]")
    assert [r.text for r in page.recommendations] == expected


def test_heading_in_an_undated_comment_leaves_the_recommendation_alone():
    page = parse_page("A page (1)\n\nThe force should map all groups.\n\nRecommendation 1\nThe force has mapped all groups."
                      "\n\nThe force has trained staff.")
    assert [r.text for r in page.recommendations] == ["The force should map all groups"]
    assert len([e for e in page.timeline if e.comment]) == 2


@pytest.mark.parametrize(("text", "iso"), [
    ("9th April 2018", "2018-04-09"), ("1 June 2018", "2018-06-01"), ("01/10/2017", "2017-10-01"),
    ("22nd March 2018", "2018-03-22"), ("31/02/2018", None), ("no date", None),
    ("Friday 3rd March 2017", "2017-03-03"), ("1st of June 2018", "2018-06-01"), ("1-Jun-2018", "2018-06-01"),
    ("01/06/18", "2018-06-01"), ("March 3, 2017", "2017-03-03"), ("1.6.18", None),
])
def test_dates(text, iso):
    assert to_iso(text) == iso


def test_stray_url_and_missing_title():
    page = parse_page("https://example.org/recs\n\nThe force should act.\n\n[on]1 June 2018 [comment]Done.[/comment][/on]", "x")
    assert page.title is None and [r.text for r in page.recommendations] == ["The force should act"]


def test_page_without_recommendation_or_timeline_warns():
    page = parse_page("Just a heading", "x")
    assert "no timeline entries found" in page.warnings


def test_huge_page_is_refused():
    with pytest.raises(PageError, match="characters"):
        parse_page("a" * (MAX_PAGE_CHARS + 1))


PLAIN_STATUSES = """A page (5)

The force should audit its vetting files.

Friday 4th March 2019 awaiting-review

12 June 2019 Being Progressed.

12 June 2019

The force sent this log:

2 May 2019 – new policy published

1st of July 2019 – training began

01/09/19 complete
"""


def test_plain_statuses_are_read_in_any_case_and_log_lines_stay_in_the_comment():
    page = parse_page(PLAIN_STATUSES)
    assert [(e.date, e.status) for e in page.timeline if e.status] == [
        ("2019-03-04", "awaiting-review"), ("2019-06-12", "being-progressed"), ("2019-09-01", "complete")]
    [comment] = [e for e in page.timeline if e.comment]
    assert comment.date == "2019-06-12" and norm(comment.comment).endswith("1st of July 2019 – training began")


def test_markup_entry_with_a_status_and_a_comment_keeps_both():
    page = parse_page("T (3)\n\nThe force should act.\n\n[on]9th April 2018 [status]Being progressed[/status]"
                      "[comment]The force has appointed a lead.[/comment][/on]")
    assert [(e.status, e.comment) for e in page.timeline] == [("being-progressed", None), (None, "The force has appointed a lead.")]


def test_plain_status_lines_before_the_markup_are_status_changes():
    page = parse_page("T (3)\n\nThe force should act.\n\n3rd June 2015 awaiting-review\n12th January 2016 being-progressed\n"
                      "[on]12th January 2016 [comment]The force has appointed a lead.[/comment][/on]")
    assert [r.text for r in page.recommendations] == ["The force should act"]
    assert [(e.date, e.status, e.comment) for e in page.timeline] == [
        ("2015-06-03", "awaiting-review", None), ("2016-01-12", "being-progressed", None),
        ("2016-01-12", None, "The force has appointed a lead.")]


def test_text_after_the_markup_is_kept_with_a_warning():
    page = parse_page("T (3)\n\nThe force should act.\n\n[on]9th April 2018 [comment]First.[/comment][/on]\n\nSecond.")
    assert [(e.date, e.comment) for e in page.timeline] == [("2018-04-09", "First."), ("2018-04-09", "Second.")]
    assert any("outside the timeline" in w for w in page.warnings)


def test_page_furniture_after_the_markup_is_dropped():
    page = parse_page("T (3)\n\nThe force should act.\n\n[on]9th April 2018 [comment]First.[/comment][/on]\n\n"
                      "https://www.example.org/page\n\nBack to top")
    assert [e.comment for e in page.timeline] == ["First."] and not page.warnings


def test_unlisted_plain_statuses():
    page = parse_page("T (3)\n\nThe force should act.\n\n12 June 2019 no further action\n\n3 July 2019 – pending\n\n"
                      "1 August 2019\n\nThe force has acted.")
    assert [r.text for r in page.recommendations] == ["The force should act"]
    assert [e.status or e.comment for e in page.timeline] == ["no-further-action", "pending", "The force has acted."]


def test_unbalanced_markup_is_read():
    page = parse_page("T (3)\n\nThe force should act.\n\n[on]1 June 2018 [comment]A [comment] B[/on][on]2 June 2018 [status]complete")
    assert [e.comment or e.status for e in page.timeline] == ["A   B", "complete"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*"ab .:;•-(\n", "[on]", "[comment]", "[/comment]", "[status]", "[/status]", "[/on]",
                                 "1 June 2018", "01/10/2017", "should", "Recommendation 2", "1.", "Cause of concern"]),
                max_size=80).map("".join))
def test_parser_never_raises_on_page_like_text(text):
    page = parse_page(text)
    assert all(r.text for r in page.recommendations)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parser_never_raises_on_any_text(text):
    parse_page(text)



def test_a_date_that_cannot_be_is_a_warning():
    page = parse_page("T (1)\n\nThe force should act.\n\n31/02/2019 complete\n\n1 June 2019\n\nDone.")
    assert [e.date for e in page.timeline] == [None, "2019-06-01"]
    assert page.warnings == ("'31/02/2019' is not a date (numeric dates are day first); the entry is undated",)


def test_a_status_on_the_line_after_its_date():
    page = parse_page("T (1)\n\nThe force should act.\n\nFriday 3rd March 2017\nBeing Progressed.\n\n3 Sept 2019\nComplete\n\n"
                      "1 October 2019\n\nThe force has acted.")
    assert [(e.date, e.status or e.comment) for e in page.timeline] == [
        ("2017-03-03", "being-progressed"), ("2019-09-03", "complete"), ("2019-10-01", "The force has acted.")]
