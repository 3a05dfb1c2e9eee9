"""The review loop driven by scripted keys, decision storage, and export as corpus records.

tests/data/tagged_pages.jsonl holds the four pages of tests/data/gap_pages, labelled by hand with
made-up probabilities (model "standin-test"); the slow test trains real models on the small corpus
in tests/data/corpus_tiny.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peelnlp.cli import app
from peelnlp.corpus import check_corpus, load_corpus
from peelnlp.errors import ResultsError
from peelnlp.gapquery import load_pages
from peelnlp.records import Page, Segment
from peelnlp.review import KIND_KEYS, ReviewLoop, highlighted, run_review
from peelnlp.reviewexport import export_feedback
from peelnlp.reviewqueue import review_queue
from peelnlp.reviewstore import DecisionStore, Labels
from peelnlp.terminal import terminal_key_reader

DATA = Path(__file__).parent / "data"
TAGGED = DATA / "tagged_pages.jsonl"
runner = CliRunner()


@pytest.fixture
def results(tmp_path: Path) -> Path:
    path = tmp_path / "results.jsonl"
    shutil.copy(TAGGED, path)
    return path



def keys(script: Iterable[str]):
    """A key reader playing a script, then end of input ("")."""
    it = iter(list(script))
    return lambda: next(it, "")


def review(path: Path, script: Iterable[str]) -> tuple[str, object]:
    out: list[str] = []
    outcome = run_review(path, keys(script), out.append)
    return "".join(out), outcome


def decisions(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT page_id, segment, action, kind, recs, strands, undone FROM review_decisions "
                            "ORDER BY id").fetchall()


def test_loop_reads_back_only_the_pages_it_shows(tmp_path: Path) -> None:
    pages = list(load_pages(TAGGED))
    items = review_queue(enumerate(pages))
    fetched: list[int] = []

    def fetch(ref: int) -> Page:
        fetched.append(ref)
        return pages[ref]

    out: list[str] = []
    (tmp_path / "results.jsonl").write_text("")
    store = DecisionStore(tmp_path / "results.jsonl")
    ReviewLoop(items, fetch, store, keys(["a", "k", "c", "q"]), out.append).run()
    store.close()
    assert set(fetched) == {items[0].page_ref, items[1].page_ref}  # two items seen, of eight
    assert f"page {items[1].page_id} " in "".join(out) and "[3/8]" not in "".join(out)


def test_screen_shows_segment_in_comment_recs_and_predictions(results: Path) -> None:
    text, _ = review(results, "q")
    assert "[1/8]  page 200103 · Avon and Somerset Constabulary · segment #4 · confidence 0.47" in text
    assert "»Recruitment of the analysts is\n  still awaiting national guidance on cyber funding.«" in text
    assert "  2. [planned-only] improve its understanding of cyber-dependent crime" in text
    assert "predicted: kind plan (0.47; next action 0.45) · recs 2 (0.52) · strands prepare (0.57)" in text
    assert "[a] accept  [k] kind  [r] recs  [s] strands  [n] skip  [u] undo  [q] quit" in text


def test_cli_screen_wraps_at_the_terminal_width(results: Path) -> None:
    result = runner.invoke(app, ["review", str(results)], input="q\n", env={"COLUMNS": "60"})
    screen = result.stdout.split("Comment of ", 1)[1].split("\npredicted:", 1)[0]
    assert result.exit_code == 0 and "─" * 60 + "\n" in result.stdout and "─" * 61 not in result.stdout
    assert max(len(line) for line in screen.splitlines()) <= 60


def test_highlight_uses_reverse_video_in_colour() -> None:
    page = next(p for p in load_pages(TAGGED) if p.id == "200102")
    seg = page.segments[1]
    shown = highlighted(page.timeline[seg.entry].comment or "", seg, color=True)
    assert "\x1b[1;7m»Operation Harbour" in shown and "addresses.«\x1b[0m" in shown


def test_long_comments_are_cut_around_the_segment_on_word_boundaries() -> None:
    comment = "word " * 200 + "The segment here." + " tail" * 200
    start = comment.index("The segment")
    shown = highlighted(comment, Segment(0, start, start + 17, "The segment here."), color=False)
    assert shown.startswith("  …word word") and shown.endswith("tail tail…")
    assert "»The segment here.«" in shown and len(shown) < 1000


def test_accept_correct_skip_and_every_decision_saved_at_once(results: Path) -> None:
    script = ["a",                       # item 1 (Avon #4): accept as predicted
              "k", "a",                  # item 2 (Cumbria #2): other → action (saved now)
              "s", "2", "3", "\n",       # toggle prevent off, protect on (saved now)
              "a",                       # confirm: no second row, move on
              "n",                       # item 3: skip
              "r", "1", " ", "2", "\n",  # item 4 (Kent #5): recs 1 and 2
              "q"]
    text, outcome = review(results, script)
    rows = decisions(Path(str(results) + ".review.sqlite"))
    assert rows == [
        ("200103", 4, "accept", "plan", "[2]", '["prepare"]', 0),
        ("200104", 2, "correct", "action", "[1]", '["prevent"]', 0),
        ("200104", 2, "correct", "action", "[1]", '["protect"]', 0),
        ("200101", 5, "correct", "action", "[1, 2]", '["pursue"]', 0),
    ]
    assert (outcome.accepted, outcome.corrected, outcome.skipped, outcome.queued) == (1, 2, 1, 8)
    assert "now: kind action · recs 1 · strands protect  (saved)" in text


def test_an_item_corrected_then_skipped_counts_once_as_corrected(results: Path) -> None:
    _, outcome = review(results, ["k", "c", "n", "q"])  # item 1: kind → concern (saved), then n to move on
    assert (outcome.accepted, outcome.corrected, outcome.skipped, outcome.remaining) == (0, 1, 0, 7)


def test_decisions_survive_a_crash(results: Path) -> None:
    script = iter(["k", "c"])

    def crashing() -> str:
        try:
            return next(script)
        except StopIteration:
            raise RuntimeError("terminal went away") from None

    with pytest.raises(RuntimeError):
        run_review(results, crashing, lambda _: None)
    assert decisions(Path(str(results) + ".review.sqlite")) == [("200103", 4, "correct", "concern", "[2]", '["prepare"]', 0)]


def test_undo_goes_back_and_restores(results: Path) -> None:
    # Item 1: kind → concern; confirm; item 2: accept; then undo both, one at a time.
    text, outcome = review(results, ["k", "c", "a", "a", "u", "u", "q"])
    rows = decisions(Path(str(results) + ".review.sqlite"))
    assert [r[2:4] + r[-1:] for r in rows] == [("correct", "concern", 1), ("accept", "other", 1)]
    assert "undone: decision on item 2" in text and "undone: decision on item 1" in text
    last_screen = text.rsplit("[1/8]", 1)[1]
    assert "now:" not in last_screen  # back to the predicted labels
    assert (outcome.accepted, outcome.corrected) == (0, 0)


def test_undo_one_edit_keeps_the_earlier_one(results: Path) -> None:
    text, outcome = review(results, ["k", "c", "r", "0", "\n", "u", "q"])
    assert [r[-1] for r in decisions(Path(str(results) + ".review.sqlite"))] == [0, 1]
    assert "now:       kind concern · recs none" not in text.rsplit("undone", 1)[1]
    assert "now:       kind concern · recs 2 · strands prepare  (saved)" in text.rsplit("undone", 1)[1]
    assert outcome.corrected == 1


def test_undo_with_nothing_done(results: Path) -> None:
    text, _ = review(results, ["u", "q"])
    assert "nothing to undo" in text


def test_bad_recs_and_cancelled_edits_change_nothing(results: Path) -> None:
    text, _ = review(results, ["r", "7", "\n", "r", "\n", "k", "z", "s", "1", "\x1b", "q"])
    assert "recs unchanged (expected numbers from 1 to 2)" in text
    assert "kind unchanged" in text and "strands unchanged" in text
    assert decisions(Path(str(results) + ".review.sqlite")) == []


def test_recs_zero_means_none(results: Path) -> None:
    review(results, ["r", "0", "\n", "q"])
    assert decisions(Path(str(results) + ".review.sqlite"))[0][4] == "[]"


def test_resume_skips_decided_segments(results: Path) -> None:
    review(results, ["a", "a", "q"])
    text, outcome = review(results, ["q"])
    assert outcome.queued == 6 and "[1/6]  page 200103 · Avon and Somerset Constabulary · segment #2" in text


def test_sqlite_results_keep_decisions_in_the_same_database(tagged_db: Path, tmp_path: Path) -> None:
    db = tagged_db
    review(db, ["k", "v", "q"])
    assert decisions(db)[0][:4] == ("200103", 4, "correct", "verified")
    assert not list(tmp_path.glob("*.review.sqlite"))


def test_decisions_are_in_the_database_file_itself_after_a_review(tagged_db: Path, tmp_path: Path) -> None:
    run_review(tagged_db, keys("kc"), lambda text: None)
    shutil.copy(tagged_db, tmp_path / "copy.sqlite")  # without its -wal file
    assert len(decisions(tmp_path / "copy.sqlite")) == 1


def test_a_review_leaves_the_database_one_file(tagged_db: Path) -> None:
    run_review(tagged_db, keys("kc"), lambda text: None)
    assert [p.name for p in tagged_db.parent.iterdir()] == [tagged_db.name]
    assert sqlite3.connect(tagged_db).execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_store_effective_ignores_undone(tagged_db: Path, tmp_path: Path) -> None:
    page = next(p for p in load_pages(TAGGED) if p.id == "200104")
    store = DecisionStore(tagged_db)
    first = store.record(page, 2, Labels("action", (1,), ()))
    store.record(page, 2, Labels("plan", (1,), ()))
    store.undo(first + 1)
    assert list(store.effective().values()) == [Labels("action", (1,), ())]
    store.close()


def test_line_mode_reader_gives_each_character_then_end() -> None:
    read = terminal_key_reader(io.StringIO("r 1 3\nq\n"))
    assert [read() for _ in range(9)] == ["r", " ", "1", " ", "3", "\n", "q", "\n", ""]


# --- export ---------------------------------------------------------------------------------


def test_export_writes_corpus_records_with_corrections_and_new_statuses(results: Path, tmp_path: Path) -> None:
    review(results, ["n", "k", "a", "a", "q"])  # Cumbria #2: other → action, so rec 1 is now evidenced
    out = tmp_path / "corpus" / "feedback" / "mine.jsonl"
    done = export_feedback(results, out)
    assert (done.pages, done.segments_reviewed) == (1, 1)
    [record] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["theme"] == "feedback" and record["raw"].startswith("PEEL: police effectiveness 2017 – Cumbria")
    assert [s["kind"] for s in record["segments"]] == ["other", "oversight", "action", "oversight"]
    assert record["status"] == [{"n": 1, "status": "evidenced"}, {"n": 2, "status": "no-activity"}]
    assert check_corpus(out.parent.parent) == []
    assert [cp.theme for cp in load_corpus(out.parent.parent)] == ["feedback"]
    assert not list(out.parent.glob("*.part"))


def test_export_without_decisions_writes_nothing(results: Path, tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no review decisions to export"):
        export_feedback(results, tmp_path / "fb.jsonl")
    assert not (tmp_path / "fb.jsonl").exists()
    assert not Path(str(results) + ".review.sqlite").exists()  # reading decisions creates no store


def test_nothing_to_review_creates_no_store(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    evidenced_only = [line for line in TAGGED.read_text().splitlines() if '"200102"' in line.split(",")[0]]
    results.write_text("\n".join(evidenced_only) + "\n")
    text, outcome = review(results, "q")
    assert text == "nothing to review: no flagged gap or unsure segment is left undecided\n"
    assert outcome.store is None and not Path(str(results) + ".review.sqlite").exists()


def test_export_from_sqlite(tagged_db: Path, tmp_path: Path) -> None:
    db = tagged_db
    review(db, ["a", "q"])
    done = export_feedback(db, tmp_path / "fb.jsonl")
    assert done.pages == 1 and check_corpus(tmp_path / "fb.jsonl") == []


def test_export_needs_the_raw_text(tmp_path: Path) -> None:
    path = tmp_path / "noraw.jsonl"
    records = [json.loads(line) for line in TAGGED.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "raw"}) + "\n" for r in records))
    review(path, ["a", "q"])
    with pytest.raises(ResultsError, match="page 200103: the results keep no raw page text"):
        export_feedback(path, tmp_path / "fb.jsonl")
    assert not (tmp_path / "fb.jsonl").exists()


def test_export_refuses_raw_text_of_another_page(tmp_path: Path) -> None:
    path = tmp_path / "wrong.jsonl"
    records = [json.loads(line) for line in TAGGED.read_text(encoding="utf-8").splitlines()]
    records[0]["raw"] = records[1]["raw"]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    review(path, ["a", "q"])
    with pytest.raises(ResultsError, match="would not pass `peelnlp corpus check`"):
        export_feedback(path, tmp_path / "fb.jsonl")


# --- the command ----------------------------------------------------------------------------


def test_cli_review_help_gives_the_keys_of_each_edit_and_how_to_pipe_them() -> None:
    result = runner.invoke(app, ["review", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("x other", "0 for none", "4 prepare", "each line is read as keys"):
        assert text in result.output


def test_cli_review_reads_lines_when_not_a_terminal(results: Path) -> None:
    result = runner.invoke(app, ["review", str(results)], input="kc\na\nn\nq\n")
    assert result.exit_code == 0, result.output
    assert "8 segment(s) to review, least certain first" in result.output
    assert "0 accepted, 1 corrected, 1 skipped, 6 not reached" in result.output


def test_cli_review_export_then_corpus_check(results: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["review", str(results)], input="a\nq\n")
    out = tmp_path / "feedback" / "review.jsonl"
    result = runner.invoke(app, ["review", str(results), "--export", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 reviewed page(s), 1 segment(s) reviewed" in result.output
    check = runner.invoke(app, ["corpus", "check", str(out.parent)])
    assert check.exit_code == 0 and "corpus OK" in check.output


def test_records_left_out_are_warned_of_before_the_review(results: Path) -> None:
    with results.open("a", encoding="utf-8") as fh:
        fh.write("[1, 2]\n")
    out: list[str] = []
    run_review(results, keys("q"), lambda text: out.append(("screen", text)), warn=lambda line: out.append(("warn", line)))
    assert out[0] == ("warn", f"{results}:5: expected a page record (a JSON object with \"id\" and \"timeline\"), "
                              "found a JSON array; the line is left out")
    assert out[1][0] == "screen"


def test_review_in_a_read_only_folder_says_where_to_review_instead(tagged_db: Path, read_only_folder) -> None:
    db = read_only_folder(tagged_db) / tagged_db.name
    result = runner.invoke(app, ["review", str(db)], input="a\nq\n")
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert result.output == (f"error: {db}: review decisions cannot be saved: {db.parent} is not writable (read-only "
                             "media, or no write permission); copy results.sqlite to a writable folder and review "
                             "the copy\n")


def test_review_of_json_lines_in_a_read_only_folder_names_the_decisions_file(results: Path, read_only_folder) -> None:
    path = read_only_folder(results) / results.name
    result = runner.invoke(app, ["review", str(path)], input="a\nq\n")
    assert result.exit_code == 1
    assert ("copy results.jsonl (with results.jsonl.review.sqlite, if there is one) to a writable folder"
            in result.output)


def test_decisions_export_from_a_read_only_folder(tagged_db: Path, read_only_folder, tmp_path: Path) -> None:
    runner.invoke(app, ["review", str(tagged_db)], input="kc\nq\n")
    db = read_only_folder(tagged_db) / tagged_db.name
    out = tmp_path / "feedback.jsonl"
    result = runner.invoke(app, ["review", str(db), "--export", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 reviewed page(s), 1 segment(s) reviewed" in result.output


@pytest.mark.parametrize(("name", "trained"), [("feedback/r.jsonl", True), ("feedback/r.txt", False), (None, False)],
                         ids=["in-corpus", "not-jsonl", "outside-corpus"])
def test_cli_export_says_train_learns_only_where_train_reads(
        results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str | None, trained: bool) -> None:
    import peelnlp.corpus

    monkeypatch.setattr(peelnlp.corpus, "DEFAULT_CORPUS", tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    runner.invoke(app, ["review", str(results)], input="a\nq\n")
    out = tmp_path / "corpus" / name if name else tmp_path / "elsewhere.jsonl"
    result = runner.invoke(app, ["review", str(results), "--export", str(out)])
    assert result.exit_code == 0, result.output
    said = result.output.split("reviewed; ")[1]
    assert said == ("`peelnlp train` now learns from them\n" if trained else
                    "`peelnlp train` reads only the *.jsonl files under corpus/ (or under its --corpus folder): move it "
                    f"to {Path('corpus', 'feedback', out.stem + '.jsonl')} for train to learn from it\n")


def test_cli_review_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["review", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 1 and "no such results file" in result.output and "Traceback" not in result.output


# --- the loop closes: review → export → retrain → a different answer --------------------------


def tag_page(model: Path, page_file: Path) -> Page:
    from peelnlp.pipeline import tag_sources
    from peelnlp.sources import read_sources
    from peelnlp.store import load_tagger

    [page] = list(tag_sources(read_sources([str(page_file)]), load_tagger(model)))
    assert isinstance(page, Page)
    return page


@pytest.mark.slow
def test_a_review_correction_changes_the_retrained_model(tmp_path: Path) -> None:
    from peelnlp.train import train_model

    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "corpus_tiny", corpus)
    model_a = train_model(corpus, tmp_path / "model-a", seed=0, folds=2).path
    db = tmp_path / "results.sqlite"
    scored = runner.invoke(app, ["score", str(DATA / "gap_pages"), "--out", str(db), "--model", str(model_a),
                                 "--workers", "1", "--quiet"])
    assert scored.exit_code == 0, scored.output

    # The reviewer corrects the kind the model was least sure of to its runner-up kind.
    pages = list(load_pages(db))
    queue = review_queue(enumerate(pages))
    segments = [pages[item.page_ref].segments[item.index] for item in queue]
    position = min(range(len(segments)), key=lambda i: segments[i].scores["kind"][segments[i].kind])
    target, target_segment = queue[position], segments[position]
    kind_p = target_segment.scores["kind"]
    corrected = sorted((k for k in kind_p if k != target_segment.kind), key=lambda k: -kind_p[k])[0]
    kind_key = next(key for key, kind in KIND_KEYS.items() if kind == corrected)
    review(db, ["n"] * position + ["k", kind_key, "q"])
    runner.invoke(app, ["review", str(db), "--export", str(corpus / "feedback" / "review.jsonl")])
    assert check_corpus(corpus) == []

    model_b = train_model(corpus, tmp_path / "model-b", seed=0, folds=2).path
    page_file = next((DATA / "gap_pages").glob(f"*-{target.page_id}.txt"))
    before = next(s for s in tag_page(model_a, page_file).segments if s.text == target_segment.text)
    after = next(s for s in tag_page(model_b, page_file).segments if s.text == target_segment.text)
    assert before.kind == target_segment.kind != corrected
    assert after.kind == corrected, (target_segment.text, before.scores["kind"], after.scores["kind"])
    assert after.scores["kind"][corrected] > before.scores["kind"][corrected]


def test_cli_review_on_a_directory_says_it_is_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["review", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (f"error: {tmp_path}: is a directory, not a results file; expected the SQLite database "
                             "or JSON Lines file `peelnlp score --out FILE` wrote: give that file's path\n")


def test_review_where_the_folder_cannot_be_written_refuses_before_ranking(tagged_db: Path, monkeypatch) -> None:
    # os.access stands in for a folder that cannot be written, which root (CI) cannot otherwise meet.
    from peelnlp import reviewstore

    real_access = reviewstore.os.access
    monkeypatch.setattr(reviewstore.os, "access", lambda path, mode: False if mode & os.W_OK else real_access(path, mode))
    result = runner.invoke(app, ["review", str(tagged_db)], input="a\nq\n")
    assert result.exit_code == 1 and "review decisions cannot be saved" in result.output, result.output


@pytest.mark.parametrize("target", ["results", "link", "sidecar"])
def test_cli_export_refuses_to_overwrite_the_results_or_their_decisions(results: Path, tmp_path: Path, target: str) -> None:
    runner.invoke(app, ["review", str(results)], input="a\nq\n")
    sidecar = Path(str(results) + ".review.sqlite")
    before = results.read_bytes(), sidecar.read_bytes()
    out = {"results": results, "sidecar": sidecar, "link": tmp_path / "link.jsonl"}[target]
    if target == "link":
        out.symlink_to(results)
    result = runner.invoke(app, ["review", str(results), "--export", str(out)])
    assert result.exit_code == 1 and "is the same file as the" in result.stderr
    assert "choose another --export path" in result.stderr
    assert (results.read_bytes(), sidecar.read_bytes()) == before
