import pytest

from peelnlp.gaps import page_status, rec_status
from peelnlp.records import Segment


def seg(kind: str, recs: tuple[int, ...] = (1,)) -> Segment:
    return Segment(entry=0, start=0, end=1, text=f"{kind} text", kind=kind, recs=recs)


@pytest.mark.parametrize(("kinds", "status"), [
    pytest.param([], "no-activity", id="nothing"),
    pytest.param(["oversight", "other"], "no-activity", id="only-admin"),
    pytest.param(["plan", "oversight"], "planned-only", id="plans"),
    pytest.param(["plan", "action"], "evidenced", id="action"),
    pytest.param(["verified"], "evidenced", id="verified"),
    pytest.param(["action", "concern"], "concern", id="concern-after-action"),
    pytest.param(["concern", "action"], "evidenced", id="action-after-concern"),
    pytest.param(["concern", "plan"], "concern", id="plan-does-not-answer-concern"),
])
def test_rule(kinds, status):
    assert rec_status(1, [seg(k) for k in kinds]).status == status


def test_evidence_and_reason_name_the_deciding_segment():
    st = rec_status(1, [seg("action"), seg("concern"), seg("other")])
    assert st.evidence == (1,) and "concern text" in st.reason and st.is_gap


def test_segments_for_other_recommendations_do_not_count():
    assert rec_status(2, [seg("action", (1,))]).status == "no-activity"


def test_seed_gold_statuses(seed_gold, seed_gold_dict):
    assert [s.status for s in page_status(seed_gold)] == [s["status"] for s in seed_gold_dict["status"]]
