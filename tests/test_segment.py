import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peelnlp.boundaries import segment_spans
from peelnlp.parse import parse_page
from peelnlp.segment import make_nlp, segment_pages, segment_text


def cut(text: str) -> list[str]:
    return [text[a:b] for a, b in segment_spans(text)]


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("One. Two.", ["One.", "Two."], id="sentences"),
    pytest.param("Met Det.Supt. Loader and DCC Smith. Then left.", ["Met Det.Supt. Loader and DCC Smith.", "Then left."], id="det-supt"),
    pytest.param("Led by Supt. Jones. Done.", ["Led by Supt. Jones.", "Done."], id="supt"),
    pytest.param("Tools e.g. ANPR. Also i.e. CCTV.", ["Tools e.g. ANPR.", "Also i.e. CCTV."], id="eg-ie"),
    pytest.param("See No. 5 on the list. Next.", ["See No. 5 on the list.", "Next."], id="number-abbrev"),
    pytest.param("Partners (inc. Trading Standards. Councils) met. Next.", ["Partners (inc. Trading Standards. Councils) met.", "Next."], id="brackets"),
    pytest.param("A review (conducted in 2017. Derbyshire). It helped.", ["A review (conducted in 2017. Derbyshire).", "It helped."], id="no-cut-in-brackets"),
    pytest.param("Dated 01/10/2017 and closed. Next.", ["Dated 01/10/2017 and closed.", "Next."], id="numeric-date"),
    pytest.param("The force took action:• An audit; • a review; and• a plan.",
                 ["The force took action:", "An audit;", "a review; and", "a plan."], id="run-in-bullets"),
    pytest.param("Progress includes: training for LROs; a new OCGM meeting; and a local profile.",
                 ["Progress includes:", "training for LROs;", "a new OCGM meeting; and", "a local profile."], id="semicolons-after-colon"),
    pytest.param("The plan is in place; it is reviewed monthly.", ["The plan is in place; it is reviewed monthly."], id="semicolon-no-list"),
    pytest.param("First paragraph\n\nSecond paragraph", ["First paragraph", "Second paragraph"], id="paragraphs"),
    pytest.param("Awaiting a reply.In the meantime, training began.", ["Awaiting a reply.", "In the meantime, training began."], id="missing-space"),
    pytest.param("We found that:The force is good.", ["We found that:", "The force is good."], id="colon-lead-in"),
    pytest.param("Actions:\n- audit done\n- review done", ["Actions:", "audit done", "review done"], id="dash-bullets"),
    pytest.param("Audits are done by the teamThe board reviews them. Staff use LinkedIn and Thereafter.",
                 ["Audits are done by the team", "The board reviews them.", "Staff use LinkedIn and Thereafter."],
                 id="run-on-paragraphs"),
    pytest.param("Meeting at 10:30 went well.", ["Meeting at 10:30 went well."], id="time"),
    pytest.param("Ten officers have been trained as LROs, we are now training the analysts.",
                 ["Ten officers have been trained as LROs,", "we are now training the analysts."], id="comma-splice"),
    pytest.param("To reach every team quickly, they have started with the control room.",
                 ["To reach every team quickly, they have started with the control room."], id="opening-clause-not-a-splice"),
    pytest.param("The audit has finished, we are told, and a report is due.",
                 ["The audit has finished, we are told, and a report is due."], id="aside-not-a-splice"),
    pytest.param("In the meantime, we have written to partners.", ["In the meantime, we have written to partners."],
                 id="no-verb-before-the-comma"),
    pytest.param("The force took action: 1. An audit of LROs. 2. A peer review. 3. Training.",
                 ["The force took action:", "An audit of LROs.", "A peer review.", "Training."], id="run-in-numbers"),
    pytest.param("The force took action: (a) An audit of LROs (b) A peer review (c) Training for staff.",
                 ["The force took action:", "An audit of LROs", "A peer review", "Training for staff."], id="run-in-letters"),
    pytest.param("Update: (i) LROs appointed (ii) training delivered (iii) reviews held.",
                 ["Update:", "LROs appointed", "training delivered", "reviews held."], id="run-in-roman"),
    pytest.param("The force has: 1) appointed an LRO; 2) trained staff; and 3) reviewed its policy.",
                 ["The force has:", "appointed an LRO;", "trained staff; and", "reviewed its policy."], id="and-before-a-marker"),
    pytest.param("Areas for improvement:\n\n1. The force should act.\n\n2. The force should review.",
                 ["Areas for improvement:", "The force should act.", "The force should review."], id="numbered-lines"),
    pytest.param("Actions:\n1. An audit of OCGs; and\n2. a review of plans.",
                 ["Actions:", "An audit of OCGs; and", "a review of plans."], id="and-before-the-next-line"),
    pytest.param("Arrests: 12. Seizures: 4. Charges: 1. Done.", ["Arrests: 12.", "Seizures: 4.", "Charges: 1.", "Done."],
                 id="numbers-that-are-no-list"),
    pytest.param("This is recommendation 2. The force acted.", ["This is recommendation 2.", "The force acted."],
                 id="number-ends-a-sentence"),
    pytest.param("Conditions: (a) and (b) were met.", ["Conditions: (a) and (b) were met."], id="letters-that-are-no-list"),
    pytest.param("Results: OCGs disrupted: 1. OCGs archived: 2. OCGs mapped: 4.",
                 ["Results:", "OCGs disrupted: 1.", "OCGs archived: 2.", "OCGs mapped: 4."], id="statistics-after-colons"),
    pytest.param("Priority No. 1. Map OCGs. Priority No. 2. Train staff.",
                 ["Priority No. 1.", "Map OCGs.", "Priority No. 2.", "Train staff."], id="number-after-an-abbreviation"),
    pytest.param("Actions: 1. An audit of recommendations 1 and 2. It found gaps.",
                 ["Actions: 1.", "An audit of recommendations 1 and 2.", "It found gaps."], id="numbers-joined-by-and"),
    pytest.param("Update: (a) an audit of groups (b) a review of plans. It meets part (c) of the plan.",
                 ["Update:", "an audit of groups", "a review of plans.", "It meets part (c) of the plan."],
                 id="a-reference-after-a-list"),
    pytest.param("Update: (a) an audit of groups (b) a review of plans.\n\nThe plan is (c) in draft.",
                 ["Update:", "an audit of groups", "a review of plans.", "The plan is (c) in draft."], id="a-list-ends-at-a-paragraph"),
    pytest.param("The board met at 10:30 and agreed the plan; it was signed off.",
                 ["The board met at 10:30 and agreed the plan; it was signed off."], id="a-time-opens-no-list"),
    pytest.param("The guidance at https://example.org/app was adopted; staff were briefed.",
                 ["The guidance at https://example.org/app was adopted; staff were briefed."], id="an-address-opens-no-list"),
    pytest.param("It is led by D/Supt. Green under s. 136 of the Act.", ["It is led by D/Supt. Green under s. 136 of the Act."],
                 id="ranks-with-a-slash-and-sections"),
    pytest.param("The plan is owned by the ACC. Progress is reviewed by DCI Jones.",
                 ["The plan is owned by the ACC.", "Progress is reviewed by DCI Jones."], id="a-rank-in-capitals-ends-a-sentence"),
    pytest.param("Action:\n- a field was added;\n- a nurse now works there; and\n- reports go to the board.",
                 ["Action:", "a field was added;", "a nurse now works there; and", "reports go to the board."], id="and-before-a-dash-line"),
    pytest.param("Results: the desk was made permanent; and- a visit plan was agreed.",
                 ["Results:", "the desk was made permanent; and", "a visit plan was agreed."], id="a-dash-run-into-and"),
    pytest.param("The force has: added a field; trained staff; and agreed a protocol.",
                 ["The force has:", "added a field;", "trained staff; and", "agreed a protocol."], id="and-stays-with-its-item"),
    pytest.param("Since then the force has:\n\nadded a field;\ntrained staff; and\nagreed a protocol.",
                 ["Since then the force has:", "added a field;", "trained staff; and", "agreed a protocol."],
                 id="items-in-the-paragraph-after-a-lead-in"),
    pytest.param("Update from force:\n\nAn audit found gaps; a reminder has been issued.",
                 ["Update from force:", "An audit found gaps; a reminder has been issued."], id="a-label-is-no-lead-in"),
    pytest.param("Met DCI Carver on 2 Nov. DCI Carver showed the register, updated on 3 Nov. 2018.",
                 ["Met DCI Carver on 2 Nov.", "DCI Carver showed the register, updated on 3 Nov. 2018."], id="a-month-before-a-word-ends-a-sentence"),
    pytest.param("It awaits the standard.A data audit is planned.", ["It awaits the standard.", "A data audit is planned."],
                 id="a-run-on-before-a"),
    pytest.param("The team is well-resourced and- as a result- able to respond.",
                 ["The team is well-resourced and- as a result- able to respond."], id="a-dash-after-and-in-prose"),
    pytest.param("It follows section 4.A of the guidance.", ["It follows section 4.A of the guidance."], id="a-section-number"),
    pytest.param("Rates rose from 10 … 12 per cent.", ["Rates rose from 10 … 12 per cent."], id="an-ellipsis-before-a-number"),
    pytest.param("The force told us:\n\n'the plan is in draft; it will be signed off in May.'",
                 ["The force told us:", "'the plan is in draft; it will be signed off in May.'"], id="a-quotation-after-a-lead-in"),
    pytest.param("Comment from the force:\n\nthere has been progress; however, more work is needed.",
                 ["Comment from the force:", "there has been progress; however, more work is needed."], id="a-clause-after-a-label"),
    pytest.param("The review found gaps… The force issued guidance.", ["The review found gaps…", "The force issued guidance."],
                 id="an-ellipsis-ends-a-sentence"),
    pytest.param("Actions taken:\no mapped all groups\n\uf0b7 trained staff", ["Actions taken:", "mapped all groups", "trained staff"],
                 id="pasted-bullets"),
])
def test_cuts(text, expected):
    assert cut(text) == expected


def test_seed_segments_match_gold(seed_text, seed_gold):
    page = next(segment_pages([parse_page(seed_text)]))
    norm = lambda s: re.sub(r"\s+", " ", s).strip()  # noqa: E731
    assert [norm(s.text) for s in page.segments] == [norm(s.text) for s in seed_gold.segments]
    assert [s.entry for s in page.segments] == [s.entry for s in seed_gold.segments]


def test_offsets_point_into_the_comment(seed_text):
    page = next(segment_pages([parse_page(seed_text)]))
    for seg in page.segments:
        assert page.timeline[seg.entry].comment[seg.start:seg.end] == seg.text


def test_nlp_sentences_are_the_segments():
    nlp = make_nlp()
    doc = nlp("The force took action:• An audit; • a review. HMICFRS will check.")
    assert [s.text.strip(" •") for s in doc.sents] == ["The force took action:", "An audit;", "a review.", "HMICFRS will check."]


def test_pipe_with_two_processes_gives_the_same_segments():
    nlp = make_nlp()
    texts = ["One. Two; three.", "Led by: A; B; and C.", "No cut e.g. here. Cut."] * 4
    one = [[s.text for s in d.sents] for d in nlp.pipe(texts)]
    two = [[s.text for s in d.sents] for d in nlp.pipe(texts, n_process=2, batch_size=3)]
    assert one == two


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"aB .:;•()\n-1", "e.g.", "Det.Supt.", "; and", ":•", "\n\n"]), max_size=80).map("".join))
def test_segments_lie_inside_in_order_without_overlap(text):
    spans = segment_spans(text)
    end = 0
    for a, b in spans:
        assert end <= a < b <= len(text)
        assert text[a:b].strip() == text[a:b]
        end = b


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_segmenter_never_raises(text):
    assert all(t for _, _, t in segment_text(text))


def test_shared_pipeline_is_rebuilt_before_its_vocabulary_grows_without_bound(monkeypatch, novel_words):
    import peelnlp.segment

    monkeypatch.setattr(peelnlp.segment, "VOCAB_LIMIT", 200)
    text = "Monthly meetings are held. A review is planned: • one • two"
    before = segment_text(text)
    first = peelnlp.segment.shared_nlp()
    for k in range(5):
        segment_text(" ".join(novel_words(150, 150 * k)) + ".")
        assert len(peelnlp.segment.shared_nlp().vocab) <= 200 + 160
    assert peelnlp.segment.shared_nlp() is not first
    assert segment_text(text) == before


def test_splices_after_splices_and_long_runs_without_cuts():
    assert cut("We have met the board, we have trained staff, they are now deployed.") == [
        "We have met the board,", "we have trained staff,", "they are now deployed."]
    # Many commas followed by "we" and no cut: each clause is read once, not from the text's start.
    long = "plans to act soon, we also look at more data and more " * 3000
    assert cut(long) == [long.strip()]


def test_a_long_run_without_spaces_is_segmented_from_the_text_as_given():
    # The tokenizer gets a space every 100 characters of such a run; the segments must not.
    text = "See https://example.org/" + "a/" * 80 + "page. " + "." * 250 + " Done."
    assert [s for _, _, s in segment_text(text)] == [text[:-len(" Done.")], "Done."]
