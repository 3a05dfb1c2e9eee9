"""The commands through typer's CliRunner: success paths and every kind of bad input."""

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peelnlp import __version__
from peelnlp.cli import app, collect_after_first
from peelnlp.store import DEFAULT_MODEL

DATA = Path(__file__).parent / "data"
SEED = str(DATA / "west-mercia-8929.txt")
runner = CliRunner()
needs_model = pytest.mark.skipif(not (DEFAULT_MODEL / "meta.json").exists(), reason="no trained model in models/default")


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout


@pytest.mark.parametrize("module", ["peelnlp", "peelnlp.cli"])
def test_python_dash_m_runs_every_command(module):
    root = str(Path(__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", module, "gaps", "--help"], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "peelnlp gaps" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["gaps"], "error: Missing argument 'RESULTS'. (see: peelnlp gaps --help)"),
    (["tag", "--bogus"], "error: No such option: --bogus (see: peelnlp tag --help)"),
    (["tag"], "error: give page files, or --recommendations FILE with --comment TEXT (see: peelnlp tag --help)"),
])
def test_a_mistake_in_using_a_command_is_one_error_line(args, message, capsys):
    from peelnlp.__main__ import run

    with pytest.raises(SystemExit) as stop:
        run(args)
    assert stop.value.code == 2
    assert capsys.readouterr().err == message + "\n"


def test_no_command_shows_the_help(capsys):
    from peelnlp.__main__ import run

    with pytest.raises(SystemExit) as stop:
        run([])
    assert stop.value.code == 2 and "Usage" in capsys.readouterr().out


def test_a_command_exit_status_passes_through(capsys):
    from peelnlp.__main__ import run

    with pytest.raises(SystemExit) as stop:
        run(["gaps", "no-such-results.sqlite"])
    assert stop.value.code == 1 and capsys.readouterr().err.startswith("error: no-such-results.sqlite: no such results file")


def test_parse_outline():
    result = runner.invoke(app, ["parse", SEED])
    assert result.exit_code == 0
    assert "Recommendations (5):" in result.stdout and "[3] 2018-09-25  comment:" in result.stdout
    assert gc.isenabled()


def test_parse_json_lines_for_several_pages(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("The force should act.\n\n[on]1 June 2018 [comment]It acted.[/comment][/on]")
    result = runner.invoke(app, ["parse", SEED, str(other), "--format", "json"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and [r["id"] for r in records] == ["8929", "other"]
    assert len(records[0]["segments"]) == 28


def test_parse_stdin():
    result = runner.invoke(app, ["parse", "-", "--format", "json"], input=Path(SEED).read_text())
    assert result.exit_code == 0 and json.loads(result.stdout)["id"] == "8929"


@pytest.mark.parametrize(("content", "message"), [
    pytest.param(b"", "empty", id="empty"),
    pytest.param(b"\x00\x01\x02\x03" * 50, "binary", id="binary"),
])
def test_bad_input_is_one_line_and_exit_1(tmp_path, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = runner.invoke(app, ["parse", str(bad), SEED, "--format", "json"])
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert json.loads(result.stdout)["id"] == "8929"  # the good page is still printed
    assert "Traceback" not in result.output


def test_missing_file():
    result = runner.invoke(app, ["parse", "no/such/page.txt"])
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_non_utf8_gives_partial_result_with_warning(tmp_path):
    page = tmp_path / "latin.txt"
    page.write_bytes("The force should act on café.\n\n[on]1 June 2018 [comment]Done.[/comment][/on]".encode("latin-1"))
    result = runner.invoke(app, ["parse", str(page)])
    assert result.exit_code == 0 and "not valid UTF-8" in result.stderr and "Recommendations (1)" in result.stdout


@needs_model
def test_tag_text_shows_statuses_and_labels():
    result = runner.invoke(app, ["tag", SEED])
    assert result.exit_code == 0
    assert "5. begin to measure" in result.stdout and "status: CONCERN" in result.stdout
    assert "[action | recs" in result.stdout
    assert gc.isenabled()


@needs_model
def test_tag_json_matches_schema():
    record = json.loads(runner.invoke(app, ["tag", SEED, "--format", "json"]).stdout)
    assert {"id", "title", "force", "recommendations", "timeline", "segments", "status"} <= set(record)
    seg = record["segments"][0]
    assert {"entry", "text", "kind", "recs", "strands", "scores", "needs_review"} <= set(seg)
    assert [s["n"] for s in record["status"]] == [1, 2, 3, 4, 5]


@needs_model
def test_tag_explain():
    result = runner.invoke(app, ["tag", SEED, "--explain"])
    assert result.exit_code == 0 and "why: kind=" in result.stdout


@needs_model
def test_tag_comment_against_recommendations(tmp_path):
    recs = tmp_path / "recs.txt"
    recs.write_text("assign lead responsible officers to every OCG\nmeasure activity across the 4Ps\n")
    result = runner.invoke(app, ["tag", "--recommendations", str(recs), "--comment", "-", "--format", "json"],
                           input="LROs have been assigned to every OCG.")
    record = json.loads(result.stdout)
    assert result.exit_code == 0 and len(record["recommendations"]) == 2 and record["segments"][0]["kind"] == "action"


def test_tag_needs_pages_or_a_comment():
    result = runner.invoke(app, ["tag"])
    assert result.exit_code == 2 and "give page files" in result.output


@pytest.mark.parametrize("args, missing", [
    (["--recommendations", "recs.txt"], "--recommendations FILE needs --comment TEXT"),
    (["--comment", "LROs trained."], "--comment needs --recommendations FILE"),
], ids=["recommendations-alone", "comment-alone"])
def test_tag_says_which_half_of_a_comment_is_missing(args, missing):
    result = runner.invoke(app, ["tag", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and missing in result.output


def test_tag_takes_pages_or_a_comment_not_both(tmp_path):
    recs = tmp_path / "recs.txt"
    recs.write_text("map all OCGs\ntrain LROs\n")
    result = runner.invoke(app, ["tag", SEED, "--recommendations", str(recs), "--comment", "LROs trained."])
    assert result.exit_code == 2 and "not both" in result.output


def test_tag_with_a_model_folder_that_is_not_one(tmp_path):
    result = runner.invoke(app, ["tag", SEED, "--model", str(tmp_path)])
    assert result.exit_code == 1 and "a folder with no meta.json" in result.stderr


def test_tag_with_no_such_model_folder(tmp_path):
    result = runner.invoke(app, ["tag", SEED, "--model", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "nope: no such folder; expected a model folder made by `peelnlp train`" in result.stderr
    assert gc.isenabled(), "a failed start-up must not leave the garbage collector off"


def test_collector_comes_back_after_the_first_page():
    seen = []
    gc.disable()
    for item in collect_after_first(["a", "b"]):
        seen.append((item, gc.isenabled()))
    assert seen == [("a", True), ("b", True)]


def test_corpus_check_reports_problems_with_locations(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"id": "1"}\nnot json\n')
    result = runner.invoke(app, ["corpus", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.jsonl:1:" in result.stdout and "bad.jsonl:2: not a JSON object" in result.stdout


def test_corpus_stats_json():
    result = runner.invoke(app, ["corpus", "stats", str(DATA / "corpus_tiny"), "--format", "json"])
    stats = json.loads(result.stdout)
    assert result.exit_code == 0 and stats["pages"] == 10 and sum(stats["kinds"].values()) == stats["segments"]


@pytest.fixture
def sample_dirs(tmp_path):
    """A pages folder holding the sample page and a gold folder holding its gold record."""
    pages, gold = tmp_path / "pages", tmp_path / "gold"
    pages.mkdir(), gold.mkdir()
    (pages / "8929.txt").write_text(Path(SEED).read_text())
    (gold / "8929.json").write_text((DATA / "west-mercia-8929.json").read_text())
    return pages, gold


@needs_model
def test_evaluate_on_the_sample(sample_dirs):
    pages, gold = sample_dirs
    result = runner.invoke(app, ["evaluate", "--pages", str(pages), "--gold", str(gold), "--format", "json"])
    scores = json.loads(result.stdout)
    assert result.exit_code == 0 and scores["boundary_f1"] == 1.0 and scores["rec_split_acc"] == 1.0
    assert set(scores["kind"]) == {"action", "plan", "verified", "concern", "oversight", "other"}


def test_evaluate_without_a_pages_folder(tmp_path):
    result = runner.invoke(app, ["evaluate", "--pages", str(tmp_path / "none"), "--gold", str(tmp_path)])
    assert result.exit_code == 1 and "none: not a folder; expected a folder of *.txt pages" in result.stderr


def test_train_on_a_corpus_file_that_is_not_text(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_bytes(b"\x80\x81 binary \xff\n" * 4)
    result = runner.invoke(app, ["train", "--corpus", str(corpus), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "not UTF-8 text" in result.stderr and "internal error" not in result.stderr


def test_train_to_a_folder_it_cannot_write_fails_before_training(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["train", "--corpus", str(DATA / "corpus_tiny"), "--out", str(blocker / "m")])
    assert result.exit_code == 1 and "cannot write a model folder here" in result.stderr
    assert "cross-validated" not in result.stdout and list(tmp_path.iterdir()) == [blocker]


def test_train_small_corpus(tmp_path):
    result = runner.invoke(app, ["train", "--corpus", str(DATA / "corpus_tiny"), "--out", str(tmp_path / "m"), "--folds", "2"])
    assert result.exit_code == 0 and "kind macro-F1" in result.stdout and (tmp_path / "m" / "meta.json").exists()


def test_train_without_corpus(tmp_path):
    result = runner.invoke(app, ["train", "--corpus", str(tmp_path / "none"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "no corpus here" in result.stderr


def test_a_bug_is_one_line_and_exit_code_70_unless_the_traceback_is_asked_for(monkeypatch):
    import peelnlp.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(peelnlp.pipeline, "segmented", broken)
    result = runner.invoke(app, ["parse", SEED])
    assert result.exit_code == 70
    assert result.stderr.count("\n") == 1 and "internal error (RuntimeError: boom)" in result.stderr
    monkeypatch.setenv("PEELNLP_DEBUG", "1")
    assert isinstance(runner.invoke(app, ["parse", SEED]).exception, RuntimeError)


def test_a_comment_longer_than_spacys_default_limit_is_cut(tmp_path):
    page = tmp_path / "long.txt"
    page.write_text("The force should act.\n\n[on]1 June 2018 [comment]" + "It acted on the plan. " * 50_000 + "[/comment][/on]")
    result = runner.invoke(app, ["parse", str(page), "--format", "json"])
    assert result.exit_code == 0 and len(json.loads(result.stdout)["segments"]) == 50_000


def test_train_refuses_an_out_folder_that_holds_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("important")
    result = runner.invoke(app, ["train", "--corpus", str(DATA / "corpus_tiny"), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "holds files that are not a peelnlp model (notes.txt)" in result.stderr
    assert "cross-validated" not in result.stdout and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("option", [["--folds", "1"], ["--folds", "0"], ["--folds", "-3"], ["--seed", "-1"],
                                    ["--seed", str(2**32)]], ids=" ".join)
def test_train_options_out_of_range_are_usage_errors(tmp_path, option):
    result = runner.invoke(app, ["train", "--corpus", str(DATA / "corpus_tiny"), "--out", str(tmp_path / "m"), *option])
    assert result.exit_code == 2 and f"Invalid value for '{option[0]}'" in result.output
    assert "internal error" not in result.output and not (tmp_path / "m").exists()


def test_evaluate_with_a_gold_file_that_is_not_a_page_record(tmp_path):
    (tmp_path / "8929.json").write_text("[1]")
    result = runner.invoke(app, ["evaluate", "--pages", str(DATA), "--gold", str(tmp_path)])
    assert result.exit_code == 1 and "8929.json: not a gold page record: expected a JSON object, found list" in result.stderr


@needs_model
def test_evaluate_warns_of_gold_pages_it_could_not_match(sample_dirs):
    pages, gold = sample_dirs
    (gold / "999.json").write_text(json.dumps({**json.loads((DATA / "west-mercia-8929.json").read_text()), "id": "999"}))
    result = runner.invoke(app, ["evaluate", "--pages", str(pages), "--gold", str(gold)])
    assert result.exit_code == 0 and "pages 2 (missing 1)" in result.stdout
    assert result.stderr.startswith("warning: gold page 999: no page in") and result.stderr.count("\n") == 1


def test_corpus_check_of_an_empty_folder_is_an_error(tmp_path):
    result = runner.invoke(app, ["corpus", "check", str(tmp_path)])
    assert result.exit_code == 1 and "the corpus has no page records" in result.stderr and "corpus OK" not in result.stdout


@pytest.mark.parametrize(("command", "json_is"), [(["evaluate"], "the metrics as one JSON object"),
                                                  (["corpus", "stats"], "the counts as one JSON object")], ids=["evaluate", "corpus stats"])
def test_format_help_says_what_the_json_is(command, json_is):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    text = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 0 and json_is in text and "page record (JSON Lines" not in text


@needs_model
def test_evaluate_names_ten_unmatched_gold_pages_then_counts_the_rest(tmp_path, seed_gold_dict, seed_text):
    gold, pages = tmp_path / "gold", tmp_path / "pages"
    gold.mkdir(), pages.mkdir()
    (pages / "8929.txt").write_text(seed_text, encoding="utf-8")
    for i in range(13):
        (gold / f"{i}.json").write_text(json.dumps({**seed_gold_dict, "id": str(9000 + i) if i else "8929"}), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--pages", str(pages), "--gold", str(gold)])
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert result.exit_code == 0 and len(warnings) == 11 and warnings[-1] == "warning: … and 2 more"


@needs_model
def test_a_comment_or_recommendations_not_utf8_are_read_with_a_warning(tmp_path):
    recs = tmp_path / "recs.txt"
    recs.write_bytes(b"assign lead officers \xff to every OCG\nmeasure activity\n")
    result = runner.invoke(app, ["tag", "-r", str(recs), "-c", "-"], input=b"LROs have been appointed.\xe9")
    assert result.exit_code == 0, result.output
    assert [line.split(": not valid UTF-8")[0] for line in result.stderr.splitlines()] == [
        f"warning: {recs}", "warning: the comment"]


@needs_model
def test_a_comment_too_large_is_refused(tmp_path):
    recs = tmp_path / "recs.txt"
    recs.write_text("assign lead officers\n")
    result = runner.invoke(app, ["tag", "-r", str(recs), "-c", "-"], input="word " * 1_200_000)
    assert result.exit_code == 1 and result.stderr == "error: the comment: more than 5,000,000 bytes; expected one progress comment\n"


@needs_model
def test_a_model_of_other_library_versions_gives_one_warning_line(tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, model)
    meta = json.loads((model / "meta.json").read_text())
    meta["versions"]["scikit-learn"] = "0.1"
    (model / "meta.json").write_text(json.dumps(meta))
    result = runner.invoke(app, ["tag", str(Path(__file__).parent / "data" / "west-mercia-8929.txt"), "--model", str(model)])
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: model trained with scikit-learn 0.1, running with ")
    assert result.stderr.count("\n") == 1


@needs_model
def test_tag_outline_wraps_at_the_terminal_width(tmp_path):
    recs = tmp_path / "recs.txt"
    recs.write_text("develop a county lines problem profile with partner agencies and share it with them\n"
                    "train response officers to identify and safeguard children at risk of criminal exploitation\n")
    comment = ("A county lines problem profile has been completed with the community safety partnership and "
               "shared with every partner agency. Training for response officers will start in May.")
    result = runner.invoke(app, ["tag", "-r", str(recs), "-c", comment, "--explain"], env={"COLUMNS": "70"})
    assert result.exit_code == 0 and max(len(line) for line in result.stdout.splitlines()) <= 70
    assert "        status: evidenced (confidence " in result.stdout


def test_a_page_warning_is_printed_once_on_stderr(tmp_path):
    page = tmp_path / "latin.txt"
    page.write_bytes("The force should act on café.\n\n[on]1 June 2018 [comment]Done.[/comment][/on]".encode("latin-1"))
    result = runner.invoke(app, ["parse", str(page)])
    assert result.exit_code == 0 and result.stderr.count("not valid UTF-8") == 1 and "warning" not in result.stdout


def test_an_empty_recommendations_file_is_named_as_one(tmp_path):
    recs = tmp_path / "recs.txt"
    recs.write_text("\n  \n")
    result = runner.invoke(app, ["tag", "-r", str(recs), "-c", "LROs have been trained."])
    assert result.exit_code == 1 and result.stderr.strip() == (
        f"error: {recs}: the file is empty; expected a list of recommendations, one per line or bullet")
