"""Gap listing, filters, sorting and the summary, over tagged page records (JSON Lines and SQLite).

tests/data/tagged_pages.jsonl holds the four pages of tests/data/gap_pages, labelled by hand with
made-up probabilities (model "standin-test"), so these tests need no trained model.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peelnlp.cli import app
from peelnlp.errors import InputError, ResultsError
from peelnlp.gapquery import GapFilter, collect, load_pages, query_gaps, rec_confidence, segment_confidence
from peelnlp.records import Segment

DATA = Path(__file__).parent / "data"
TAGGED = DATA / "tagged_pages.jsonl"
runner = CliRunner()



def keys(gaps) -> list[tuple[str, int]]:
    return [(g.page_id, g.n) for g in gaps]


def test_every_flagged_recommendation_is_listed_with_why() -> None:
    found = query_gaps(TAGGED)
    assert keys(found.gaps) == [("200101", 2), ("200101", 3), ("200103", 1), ("200103", 2), ("200104", 1), ("200104", 2)]
    kent2 = found.gaps[0]
    assert kent2.status == "concern" and kent2.force == "Kent Police" and kent2.last_comment_date == "2020-01-22"
    assert kent2.evidence == ("However, several 4P plans contained no prevent activity and HMICFRS has yet to see LROs "
                              "held to account for progress.",)
    assert kent2.reason.startswith("concern not answered by later evidence")
    assert found.gaps[-1].reason == "no segment addresses it" and found.gaps[-1].evidence == ()


def test_summary_counts_by_status_force_and_4p_coverage() -> None:
    s = query_gaps(TAGGED).summary.to_dict()
    assert (s["pages"], s["recommendations"], s["flagged"]) == (4, 8, 6)
    assert s["by_status"] == {"evidenced": 2, "concern": 3, "planned-only": 1, "no-activity": 2}
    assert s["by_force"]["Kent Police"] == {"recommendations": 3, "flagged": 2, "evidenced": 1, "concern": 2,
                                            "planned-only": 0, "no-activity": 0}
    # Evidenced activity = an action/verified segment of that strand addressing the recommendation.
    assert s["coverage"] == {"pursue": 3, "prevent": 0, "protect": 2, "prepare": 2}
    assert s["coverage_by_force"]["Northumbria Police"] == {"pursue": 1, "prevent": 0, "protect": 1, "prepare": 1}


@pytest.mark.parametrize(("filt", "expected"), [
    (GapFilter(force="KENT"), [("200101", 2), ("200101", 3)]),
    (GapFilter(status="planned-only"), [("200103", 2)]),
    (GapFilter(since="2019-09-01"), [("200101", 2), ("200101", 3)]),
    (GapFilter(until="2019-08-20"), [("200103", 1), ("200103", 2), ("200104", 1), ("200104", 2)]),
    (GapFilter(since="2019-01-01", until="2019-12-31"), [("200103", 1), ("200103", 2)]),
    (GapFilter(strand="prevent"), [("200101", 2), ("200104", 1)]),
    (GapFilter(strand="protect"), [("200103", 1)]),
    (GapFilter(title="effectiveness 2017"), [("200104", 1), ("200104", 2)]),
    (GapFilter(min_confidence=0.8), [("200101", 3), ("200103", 1), ("200104", 2)]),
    (GapFilter(force="kent", status="concern", strand="prepare"), [("200101", 2), ("200101", 3)]),
], ids=["force", "status", "since", "until", "date-range", "strand-prevent", "strand-protect", "title",
        "min-confidence", "combined"])
def test_filters(filt: GapFilter, expected: list[tuple[str, int]]) -> None:
    assert keys(query_gaps(TAGGED, filt).gaps) == expected


def test_page_filters_also_scope_the_summary() -> None:
    s = query_gaps(TAGGED, GapFilter(force="northumbria")).summary
    assert (s.pages, s.recommendations, s.flagged) == (1, 1, 0)


@pytest.mark.parametrize(("filt", "counts", "by_status"), [
    (GapFilter(min_confidence=0.9), (1, 1, 1), {"no-activity": 1}),
    (GapFilter(strand="pursue"), (2, 3, 1), {"evidenced": 2, "concern": 1}),
    (GapFilter(status="concern"), (2, 3, 3), {"concern": 3}),
    (GapFilter(force="kent", strand="prepare"), (1, 2, 2), {"concern": 2}),
], ids=["min-confidence", "strand", "status", "page-and-recommendation-filters"])
@pytest.mark.parametrize("form", ["jsonl", "sqlite"])
def test_recommendation_filters_scope_the_summary_to_what_is_listed(
        filt: GapFilter, counts: tuple[int, int, int], by_status: dict[str, int], form: str, tagged_db: Path) -> None:
    found = query_gaps(TAGGED if form == "jsonl" else tagged_db, filt)
    s = found.summary
    assert (s.pages, s.recommendations, s.flagged) == counts
    assert s.flagged == len(found.gaps)
    assert {k: v for k, v in s.by_status.items() if v} == by_status
    assert s.to_dict()["filters"] == filt.given()


def test_cli_summary_of_no_force_says_so() -> None:
    result = runner.invoke(app, ["gaps", str(TAGGED), "--summary", "--force", "nobody"])
    assert result.exit_code == 0 and "\nby force:    none\n4P coverage" in result.output


def test_cli_summary_names_the_filters_it_counts_under() -> None:
    result = runner.invoke(app, ["gaps", str(TAGGED), "--min-confidence", "0.9", "--title", "police effectiveness"])
    assert result.exit_code == 0, result.output
    assert ("1 flagged of 1 recommendations on 1 page (filters: --title 'police effectiveness' --min-confidence 0.9)\n"
            "by status:   evidenced 0   concern 0   planned-only 0   no-activity 1\n") in result.output
    plain = runner.invoke(app, ["gaps", str(TAGGED), "--summary"])
    assert plain.output.startswith("6 flagged of 8 recommendations on 4 pages\n")


@pytest.mark.parametrize(("by", "first", "last"), [
    ("confidence", ("200103", 2), ("200104", 2)),
    ("date", ("200104", 1), ("200101", 3)),
    ("status", ("200101", 2), ("200104", 2)),
    ("force", ("200103", 1), ("200101", 3)),
])
def test_sorting(by: str, first: tuple[str, int], last: tuple[str, int]) -> None:
    gaps = keys(query_gaps(TAGGED, sort=by).gaps)
    assert (gaps[0], gaps[-1]) == (first, last)


@pytest.mark.parametrize("filt", [
    {"status": "evidenced"}, {"strand": "pursuit"}, {"since": "2019-13-01"}, {"until": "01/02/2019"},
])
def test_bad_filters_say_what_is_expected(filt: dict) -> None:
    with pytest.raises(InputError, match=r"expected|is not one of"):
        GapFilter(**filt)


def test_bad_sort_key() -> None:
    with pytest.raises(InputError, match="page, force, status, date, confidence"):
        query_gaps(TAGGED, sort="colour")


def test_sqlite_results_give_the_same_gaps(tagged_db: Path, tmp_path: Path) -> None:
    assert [g.to_dict() for g in query_gaps(tagged_db).gaps] == [g.to_dict() for g in query_gaps(TAGGED).gaps]


def test_confidence_definitions() -> None:
    pages = {p.id: p for p in load_pages(TAGGED)}
    kent = pages["200101"]
    seg = kent.segments[7]  # concern p=0.58 deciding rec 2
    assert segment_confidence(seg) == pytest.approx(0.58)
    assert rec_confidence(kent, kent.status[1]) == pytest.approx(0.58)
    cumbria = pages["200104"]  # nothing addresses rec 2: 1 − max P(action or verified) × P(rec 2)
    assert rec_confidence(cumbria, cumbria.status[1]) == pytest.approx(1 - (0.41 + 0.02) * 0.08)
    assert segment_confidence(Segment(0, 0, 3, "abc", kind="action", recs=(1,))) == 1.0  # hand labels


def test_records_without_status_get_it_computed(tmp_path: Path) -> None:
    records = [json.loads(line) for line in TAGGED.read_text(encoding="utf-8").splitlines()]
    for r in records:
        r.pop("status")
    path = tmp_path / "nostatus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert keys(query_gaps(path).gaps) == keys(query_gaps(TAGGED).gaps)


def test_untagged_records_are_refused(tmp_path: Path) -> None:
    page = next(load_pages(TAGGED))
    bare = dataclasses.replace(page, segments=tuple(dataclasses.replace(s, kind=None) for s in page.segments), status=())
    path = tmp_path / "parsed.jsonl"
    path.write_text(json.dumps(bare.to_dict()) + "\n", encoding="utf-8")
    with pytest.raises(ResultsError, match="without labels"):
        list(load_pages(path))


def test_collect_takes_any_page_iterable() -> None:
    assert len(collect(load_pages(TAGGED)).gaps) == 6


# --- the command ---------------------------------------------------------------------------


def test_formats_come_a_gap_at_a_time() -> None:
    from peelnlp.gapformat import gaps_csv, gaps_json, report_text

    found = query_gaps(TAGGED)
    n = len(found.gaps)
    assert n > 2
    assert len(list(report_text(found))) == n + 1  # each gap, then the summary
    assert len(list(gaps_csv(found.gaps))) == n + 1  # the header, then each gap
    pieces = list(gaps_json(found))
    assert len(pieces) == n + 1
    assert "".join(pieces) == json.dumps([g.to_dict() for g in found.gaps], ensure_ascii=False, indent=1)
    assert "".join(gaps_json(collect([]))) == "[]"


def test_cli_text_lists_gaps_then_summary() -> None:
    result = runner.invoke(app, ["gaps", str(TAGGED), "--status", "concern"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "200101  rec 2  CONCERN  Kent Police  last comment 2020-01-22  confidence 0.58" in out
    assert "PLANNED-ONLY" not in out
    assert "3 flagged of 3 recommendations on 2 pages (filters: --status concern)" in out
    assert "pursue 1   prevent 0   protect 1   prepare 1" in out


def test_cli_json_is_an_array_of_gap_objects(tagged_db: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["gaps", str(tagged_db), "--format", "json", "--sort", "date"])
    assert result.exit_code == 0, result.output
    gaps = json.loads(result.output)
    assert isinstance(gaps, list) and len(gaps) == 6
    need = {"page_id", "title", "force", "n", "recommendation", "status", "reason", "evidence", "last_comment_date"}
    assert need <= set(gaps[0]) and isinstance(gaps[0]["evidence"], list)
    assert gaps[0]["last_comment_date"] == "2018-05-30"


def test_cli_json_summary() -> None:
    result = runner.invoke(app, ["gaps", str(TAGGED), "--summary", "-f", "json"])
    assert json.loads(result.output)["by_status"]["concern"] == 3


def test_cli_csv() -> None:
    result = runner.invoke(app, ["gaps", str(TAGGED), "-f", "csv", "--min-confidence", "0.9"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["page_id"], r["n"], r["status"]) for r in rows] == [("200104", "2", "no-activity")]


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "yesterday"], "--since 'yesterday' is not a date; expected YYYY-MM-DD"),
    (["--status", "evidenced"], "--status 'evidenced' is not one of concern, planned-only, no-activity"),
    (["--summary", "-f", "csv"], "--summary prints text or json"),
])
def test_cli_bad_options(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["gaps", str(TAGGED), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such results file"),
    ('{"id": "1", "timeline": [], "segments": [{"text": "x"}]}\n', "not a tagged page record"),
    ("{not json\n", "found text that is not JSON"),
    ('[1,2]\nnull\n{"id":"x"}\n', "no page record in the file (3 line(s) are not page records; line 1: found a JSON array)"),
])
def test_cli_bad_results_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "results.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["gaps", str(path)])
    assert result.exit_code == 1
    assert message in result.output and result.output.count("\n") == 1


def test_cli_warns_of_each_record_left_out_and_lists_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(TAGGED.read_text(encoding="utf-8") + '[1,2]\nnull\n{"id":"x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["gaps", str(path), "--summary"])
    assert result.exit_code == 0, result.output
    assert [line.split(": expected")[0] for line in result.output.splitlines() if line.startswith("warning:")] == [
        f"warning: {path}:{n}" for n in (5, 6, 7)]
    assert "6 flagged of 8 recommendations on 4 pages" in result.output


def test_cli_reads_a_database_in_a_read_only_folder(tagged_db: Path, read_only_folder) -> None:
    db = read_only_folder(tagged_db) / tagged_db.name
    result = runner.invoke(app, ["gaps", str(db), "--summary"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("6 flagged of 8 recommendations on 4 pages\n")


def test_reading_a_database_leaves_nothing_beside_it(tagged_db: Path) -> None:
    """A finished run's database is one file, and reading it adds none (no -wal or -shm)."""
    before = sorted(p.name for p in tagged_db.parent.iterdir())
    assert runner.invoke(app, ["gaps", str(tagged_db), "--summary"]).exit_code == 0
    assert sorted(p.name for p in tagged_db.parent.iterdir()) == before == [tagged_db.name]


def test_cli_gaps_on_a_directory_says_it_is_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["gaps", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (f"error: {tmp_path}: is a directory, not a results file; expected the SQLite database "
                             "or JSON Lines file `peelnlp score --out FILE` wrote: give that file's path\n")


def test_cli_status_and_strand_in_any_case() -> None:
    upper = runner.invoke(app, ["gaps", str(TAGGED), "--status", "CONCERN", "--strand", "Prepare", "-f", "csv"])
    lower = runner.invoke(app, ["gaps", str(TAGGED), "--status", "concern", "--strand", "prepare", "-f", "csv"])
    assert upper.exit_code == 0, upper.output
    assert upper.output == lower.output and upper.output.count("\n") == 3


def test_cli_gaps_text_wraps_at_the_terminal_width() -> None:
    result = runner.invoke(app, ["gaps", str(TAGGED)], env={"COLUMNS": "60"})
    gap_lines = [line for line in result.stdout.split("\n\n")[0].splitlines()[1:]]  # under the first gap's facts
    assert result.exit_code == 0 and len(gap_lines) > 3 and max(len(line) for line in gap_lines) <= 60
