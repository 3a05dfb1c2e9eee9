"""The corpus checker catches each kind of error; the shipped corpus passes it and meets its minimums."""

import copy
import json
from pathlib import Path

import pytest

from peelnlp.corpus import DEFAULT_CORPUS, check_corpus, corpus_stats, fingerprint, load_corpus
from peelnlp.errors import CorpusError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def good_record(seed_gold_dict_module):
    return seed_gold_dict_module


@pytest.fixture(scope="module")
def seed_gold_dict_module():
    record = json.loads((DATA / "west-mercia-8929.json").read_text())
    record["raw"] = (DATA / "west-mercia-8929.txt").read_text()
    record["theme"] = "soc-peel"
    return record


def problems_of(tmp_path, record) -> list[str]:
    (tmp_path / "c.jsonl").write_text(json.dumps(record) + "\n")
    return check_corpus(tmp_path)


def broken(record, change):
    r = copy.deepcopy(record)
    change(r)
    return r


def test_good_record_passes(tmp_path, good_record):
    assert problems_of(tmp_path, good_record) == []


@pytest.mark.parametrize(("change", "message"), [
    pytest.param(lambda r: r["segments"][0].update(kind="acton"), "kind 'acton' is not one of", id="kind"),
    pytest.param(lambda r: r["segments"][1].update(strands=["pursuit"]), "strands ['pursuit']", id="strand"),
    pytest.param(lambda r: r["segments"][1].update(recs=[9]), "recs [9]: expected numbers from 1 to 5", id="rec-range"),
    pytest.param(lambda r: r["segments"][2].update(text="not in the comment"), "is not in comment", id="segment-text"),
    pytest.param(lambda r: r["segments"].pop(3), "text before it is in no segment", id="coverage"),
    pytest.param(lambda r: r["status"][4].update(status="evidenced"), "disagrees with the guide's rule", id="status-rule"),
    pytest.param(lambda r: r["recommendations"].pop(), "parses to 5 recommendations, the record has 4", id="raw-recs"),
    pytest.param(lambda r: r["timeline"][0].update(date="22/03/2018"), "is not YYYY-MM-DD", id="date"),
    pytest.param(lambda r: r["timeline"].append({"date": None}), "exactly one of 'status' or 'comment'", id="entry"),
    pytest.param(lambda r: r.pop("raw"), "field 'raw' should be a str", id="missing-field"),
    pytest.param(lambda r: r["segments"][0].update(entry=0), "is not the index of a comment", id="entry-index"),
])
def test_each_error_is_caught(tmp_path, good_record, change, message):
    problems = problems_of(tmp_path, broken(good_record, change))
    assert any(message in p for p in problems), problems
    assert all(p.startswith("c.jsonl:1: ") for p in problems)


def first_comment(record) -> dict:
    return next(e for e in record["timeline"] if "comment" in e)


@pytest.mark.parametrize(("change", "message"), [
    pytest.param(lambda r: r["segments"][0].update(text=5), "segment 0 should be an object whose text is a non-empty string",
                 id="segment-text-type"),
    pytest.param(lambda r: r["segments"].__setitem__(0, 5), "segment 0 should be an object", id="segment-type"),
    pytest.param(lambda r: r["timeline"].__setitem__(0, 5), "timeline entry 0 should have exactly one", id="entry-type"),
    pytest.param(lambda r: first_comment(r).update(comment=5), "comment should be text, found 5", id="comment-type"),
    pytest.param(lambda r: r["status"].__setitem__(0, 5), 'status 0 should be {"n": 1, "status": …}, found 5', id="status-type"),
    pytest.param(lambda r: r["segments"][0].update(strands=3), "strands 3: expected a list", id="strands-type"),
    pytest.param(lambda r: r["recommendations"].__setitem__(0, {"n": 1, "text": 5}), "recommendation 1 should be",
                 id="recommendation-text-type"),
])
def test_a_record_of_the_wrong_shape_is_a_problem_not_a_crash(tmp_path, good_record, change, message):
    problems = problems_of(tmp_path, broken(good_record, change))
    assert any(message in p for p in problems), problems
    with pytest.raises(CorpusError, match="c.jsonl:1: .*; run `peelnlp corpus check` for every problem"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="c.jsonl:1: "):
        corpus_stats(tmp_path)


def test_a_record_with_an_unknown_label_cannot_be_loaded(tmp_path, good_record):
    problems_of(tmp_path, broken(good_record, lambda r: r["segments"][0].update(kind="acton")))
    with pytest.raises(CorpusError, match="c.jsonl:1: segment 0 kind 'acton' is not one of"):
        load_corpus(tmp_path)


def test_an_unknown_status_cannot_be_counted(tmp_path, good_record):
    problems_of(tmp_path, broken(good_record, lambda r: r["status"][0].update(status="bogus")))
    with pytest.raises(CorpusError, match="c.jsonl:1: status 0 'bogus' is not one of"):
        corpus_stats(tmp_path)


@pytest.mark.parametrize("content", ["", "\n\n"], ids=["no file", "blank lines"])
def test_an_empty_corpus_fails_the_check_as_it_fails_training(tmp_path, content):
    if content:
        (tmp_path / "c.jsonl").write_text(content)
    with pytest.raises(CorpusError, match="the corpus has no page records; add \\*.jsonl files"):
        check_corpus(tmp_path)
    with pytest.raises(CorpusError, match="the corpus has no page records"):
        load_corpus(tmp_path)


def test_all_problems_are_reported_at_once(tmp_path, good_record):
    bad = broken(good_record, lambda r: (r["segments"][0].update(kind="x"), r["segments"][1].update(recs=[0])))
    (tmp_path / "c.jsonl").write_text(json.dumps(bad) + "\n" + json.dumps(good_record) + "\n{broken\n")
    problems = check_corpus(tmp_path)
    assert len([p for p in problems if p.startswith("c.jsonl:1:")]) >= 2
    assert any(p.startswith("c.jsonl:2: id '8929' already used") for p in problems)
    assert any(p.startswith("c.jsonl:3: not a JSON object") for p in problems)


def test_a_line_that_is_not_utf8_is_reported(tmp_path, good_record):
    (tmp_path / "c.jsonl").write_bytes(json.dumps(good_record).encode() + b"\n{\"id\": \"caf\xe9\"}\n")
    assert check_corpus(tmp_path) == ["c.jsonl:2: not UTF-8 text (bad byte at column 12); save the file as UTF-8"]


def test_fingerprint_changes_with_content(tmp_path, good_record):
    problems_of(tmp_path, good_record)
    before = fingerprint(tmp_path)
    (tmp_path / "c.jsonl").write_text(json.dumps(good_record) + "\n\n")
    assert fingerprint(tmp_path) != before and len(before) == 64


def test_shipped_corpus_passes_the_check():
    assert check_corpus(DEFAULT_CORPUS) == []


def test_shipped_corpus_meets_its_minimums():
    stats = corpus_stats(DEFAULT_CORPUS)
    assert stats["pages"] >= 200 and stats["segments"] >= 3000
    assert min(stats["kinds"].values()) >= 150 and min(stats["strands"].values()) >= 150
    assert min(stats["statuses"].values()) >= 60
    assert stats["soc_share"] >= 0.4 and stats["pages_with_3plus_recs"] >= 60
    links = stats["links_on_3plus_pages"]
    assert links["implicit"] > links["explicit"]
