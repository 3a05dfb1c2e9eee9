"""Evaluation's reading of gold records and its matching of gold pages to tagged ones."""

import json
from pathlib import Path

import pytest

from peelnlp.errors import InputError
from peelnlp.evaluate import evaluate_dirs, load_gold
from peelnlp.store import DEFAULT_MODEL

DATA = Path(__file__).parent / "data"
needs_model = pytest.mark.skipif(not (DEFAULT_MODEL / "meta.json").exists(), reason="no trained model in models/default")


def write_gold(folder: Path, name: str, record) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(record), encoding="utf-8")
    return folder


def without(record: dict, key: str) -> dict:
    return {k: v for k, v in record.items() if k != key}


def with_segment(record: dict, **change) -> dict:
    return {**record, "segments": [{**record["segments"][0], **change}, *record["segments"][1:]]}


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: [1], "expected a JSON object, found list"),
    (lambda r: without(r, "segments"), 'expected a "segments" list, found none'),
    (lambda r: without(r, "id"), 'expected an "id", found None'),
    (lambda r: {**r, "status": {"1": "evidenced"}}, 'expected a "status" list, found dict'),
    (lambda r: with_segment(r, kind="acton"), "segment kind 'acton' is not one of action"),
    (lambda r: with_segment(r, text=5), r"segments item 0 should be an object with entry \(int\), text \(str\), kind \(str\)"),
    (lambda r: {**r, "recommendations": [1]}, r"recommendations item 0 should be an object with n \(int\), text \(str\), found 1"),
    (lambda r: with_segment(r, recs=["x"]), r"segment recs \['x'\] should be a list of recommendation numbers"),
    (lambda r: with_segment(r, recs="1"), "segment recs '1' should be a list"),
    (lambda r: with_segment(r, strands=["bogus"]), r"segment strands \['bogus'\] should be a list of pursue"),
], ids=["an array", "no segments", "no id", "status not a list", "unknown kind", "segment text not text", "bad recommendation",
        "recs not numbers", "recs not a list", "unknown strand"])
def test_a_gold_record_that_is_not_a_page_record_is_named(tmp_path, seed_gold_dict, change, message):
    gold = write_gold(tmp_path / "gold", "page.json", change(seed_gold_dict))
    with pytest.raises(InputError, match=rf"gold/page.json: not a gold page record: {message}"):
        load_gold(gold)


def test_two_gold_records_of_one_page_are_refused(tmp_path, seed_gold_dict):
    write_gold(tmp_path / "gold", "a.json", seed_gold_dict)
    write_gold(tmp_path / "gold", "b.json", seed_gold_dict)
    with pytest.raises(InputError, match="b.json: page id '8929' is also the id of a.json"):
        load_gold(tmp_path / "gold")


@needs_model
def test_gold_pages_with_no_tagged_page_are_warnings(tmp_path, seed_gold_dict, seed_text):
    gold = write_gold(tmp_path / "gold", "a.json", seed_gold_dict)
    write_gold(gold, "b.json", {**seed_gold_dict, "id": "999"})
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "8929.txt").write_text(seed_text, encoding="utf-8")
    (pages / "empty.txt").write_text("", encoding="utf-8")
    evaluation = evaluate_dirs(pages, gold)
    assert evaluation.metrics["pages"] == 2 and evaluation.metrics["pages_missing"] == 1
    assert [w.split(":")[0] for w in evaluation.warnings] == [str(pages / "empty.txt"), "gold page 999"]
    assert "no page in" in evaluation.warnings[1] and "the number in brackets at the end of its title" in evaluation.warnings[1]


@needs_model
@pytest.mark.parametrize("pages", [[], ["8929.txt"]], ids=["no pages", "pages of other ids"])
def test_no_gold_page_with_a_tagged_page_is_an_error(tmp_path, seed_gold_dict, seed_text, pages):
    gold = write_gold(tmp_path / "gold", "a.json", {**seed_gold_dict, "id": "999"})
    (tmp_path / "pages").mkdir()
    for name in pages:
        (tmp_path / "pages" / name).write_text(seed_text, encoding="utf-8")
    found = "8929" if pages else "none"
    with pytest.raises(InputError, match=rf"no page here has the id of a gold record in .* \(gold ids: 999; page ids: {found}\)"):
        evaluate_dirs(tmp_path / "pages", gold)
