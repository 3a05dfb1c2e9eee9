"""The shipped model on the user's sample page (a golden test) and on a new comment."""

import pytest

from peelnlp.parse import parse_page
from peelnlp.pipeline import tag_comment
from peelnlp.segment import segment_pages
from peelnlp.store import DEFAULT_MODEL, load_tagger

pytestmark = pytest.mark.skipif(not (DEFAULT_MODEL / "meta.json").exists(), reason="no trained model in models/default")


@pytest.fixture(scope="module")
def tagger():
    return load_tagger()


@pytest.fixture(scope="module")
def seed_page(tagger, seed_text):
    return next(tagger.tag_pages(segment_pages([parse_page(seed_text)]), explain=True))


def test_seed_statuses(seed_page):
    statuses = [s.status for s in seed_page.status]
    assert statuses[4] == "concern"
    assert [statuses[i] for i in (0, 1, 3)] == ["evidenced"] * 3


def test_seed_recommendation_3_is_evidenced(seed_page):
    assert seed_page.status[2].status == "evidenced"


def test_seed_closing_general_remarks_address_no_recommendation(seed_page):
    closing = [s for s in seed_page.segments if "not been triangulated" in s.text or "yet to assess" in s.text]
    assert [s.kind for s in closing] == ["concern", "concern"]
    assert [s.recs for s in closing] == [(), ()]


def test_seed_recommendation_5_is_flagged_with_its_reason(seed_page):
    st = seed_page.status[4]
    deciding = seed_page.segments[st.evidence[-1]]
    assert st.is_gap and deciding.kind == "concern" and 5 in deciding.recs
    assert deciding.text[:40] in st.reason


def test_seed_kinds_mostly_right(seed_page, seed_gold):
    agree = sum(p.kind == g.kind for p, g in zip(seed_page.segments, seed_gold.segments))
    assert agree / len(seed_gold.segments) >= 0.6


def test_explicit_references_are_followed(seed_page):
    by_text = {s.text: s for s in seed_page.segments}
    seg = next(s for t, s in by_text.items() if t.endswith("(recommendation 3)."))
    assert 3 in seg.recs


def test_explanations_name_features(seed_page):
    seg = seed_page.segments[1]
    assert seg.explanation and any(k.startswith("kind=") for k in seg.explanation)


def test_new_comment_against_a_list_of_recommendations(tagger):
    recs = "• assign lead responsible officers to all organised crime groups\n• improve victim care for fraud"
    page = tag_comment(tagger, recs, "LROs have now been appointed for every mapped OCG. The force will introduce a fraud victim care unit in May.")
    first, second = page.segments
    assert first.kind == "action" and first.recs == (1,)
    assert second.kind == "plan"


def test_a_heading_links_the_work_under_it(tagger):
    """"Recommendation 2:" on its own, then sentences that name no recommendation: they are about 2,
    until the next heading, however little they share its words."""
    recs = ("1. improve the quality of crime recording for reports of rape\n"
            "2. review the support given to officers who investigate online child abuse\n"
            "3. make sure detainees have timely access to an appropriate adult")
    comment = ("Recommendation 2:\nStaff in the team now have mandatory psychological assessment every six months.\n"
               "Recommendation 3:\nThe scheme now covers nights and weekends.")
    page = tag_comment(tagger, recs, comment, explain=True)
    by_text = {s.text.strip(): s for s in page.segments}
    staff = by_text["Staff in the team now have mandatory psychological assessment every six months."]
    assert staff.recs == (2,) and staff.explanation["recs=2"] == ["under the heading 'Recommendation 2:'"]
    assert by_text["The scheme now covers nights and weekends."].recs == (3,)
