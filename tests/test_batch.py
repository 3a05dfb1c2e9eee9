"""Batch scoring: every input form, resuming, bad pages, worker pools, dask, and the CLI."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import shutil
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peelnlp import batch, inputs
from peelnlp.cli import app
from peelnlp.errors import InputError, ModelError, PeelnlpError
from peelnlp.gaps import page_status
from peelnlp.inputs import content_key, read_inputs
from peelnlp.records import Page
from peelnlp.resultload import load_pages

DATA = Path(__file__).parent / "data" / "batch"
PAGES = DATA / "pages"
MODEL = Path(__file__).resolve().parent.parent / "models" / "default"
runner = CliRunner()


class StandInTagger:
    """Labels every segment "action" for recommendation 1; raises on a page titled with BREAK."""

    version = "stand-in-1"
    meta = {"corpus_sha256": "0" * 64}

    def tag_pages(self, pages: Iterable[Page], explain: bool = False) -> Iterator[Page]:
        for page in pages:
            if "BREAK" in (page.title or ""):
                raise RuntimeError("the tagger cannot read this page")
            segments = tuple(
                dataclasses.replace(s, kind="action", recs=(1,), strands=("prepare",), needs_review=i % 2 == 1,
                                    scores={"kind": {"action": 0.9, "plan": 0.1}, "strands": {"prepare": 0.7},
                                            "recs": {"1": 0.8}})
                for i, s in enumerate(page.segments)
            )
            tagged = dataclasses.replace(page, segments=segments, model=self.version)
            yield dataclasses.replace(tagged, status=page_status(tagged))


def stand_in(path: Path | None = None) -> StandInTagger:
    return StandInTagger()


def counting_stand_in(log_dir: Path | None) -> StandInTagger:
    """A stand-in loader that records each load in a file named for the loading process."""
    assert log_dir is not None
    with (Path(log_dir) / str(os.getpid())).open("a") as fh:
        fh.write("loaded\n")
    return StandInTagger()


def loads(log_dir: Path) -> list[str]:
    return [p.read_text() for p in log_dir.iterdir()]


def page_texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(PAGES.rglob("*.txt"))}


def records(path: Path) -> list[dict]:
    return [p.to_dict() for p in load_pages(path)]


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table's content keyed by content hash rather than by row ids, which differ by run."""
    conn = sqlite3.connect(path)
    out = {"pages": sorted(conn.execute(
        "SELECT content_hash, page_id, model, source, title, force, last_comment_date, n_recommendations, "
        "n_gaps, warnings, error, raw FROM pages"))}
    for table in ("recommendations", "entries", "segments", "segment_strands", "statuses"):
        rows = conn.execute(f"SELECT p.content_hash, t.* FROM {table} t JOIN pages p USING (page_key)")
        out[table] = sorted((r[0], *r[2:]) for r in rows)
    conn.close()
    return out


# ---- inputs ---------------------------------------------------------------------------------

def test_inputs_directory_is_recursive_and_sorted() -> None:
    names = [t.source.name for t in read_inputs([str(PAGES)])]
    assert sorted(names) == sorted(page_texts()) and "300028" in names  # 300028 is in nested/


def test_inputs_jsonl_and_csv_keep_given_ids(tmp_path: Path) -> None:
    texts = page_texts()
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": f"j{k}", "text": t}) + "\n" for k, t in texts.items()))
    with (tmp_path / "in.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("id", "text"), *((f"c{k}", t) for k, t in texts.items())])
    tasks = list(read_inputs([str(tmp_path / "in.jsonl"), str(tmp_path / "in.csv")]))
    assert [t.source.name for t in tasks] == [f"j{k}" for k in texts] + [f"c{k}" for k in texts]
    assert all(t.fixed_id and t.source.text in texts.values() for t in tasks)
    assert tasks[0].source.path == f"{tmp_path / 'in.jsonl'}:1"


def test_inputs_csv_record_source_is_the_line_where_it_starts(tmp_path: Path) -> None:
    texts = page_texts()
    rows = [("id", "text"), ("a", texts["300035"]), ("b", texts["300028"])]
    with (tmp_path / "in.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
        fh.write("\r\n\n")  # blank lines between records are skipped
        csv.writer(fh).writerow(("", "Title (1)\r\n\r\nThe force should act."))
    starts = [2, 2 + texts["300035"].count("\n") + 1]
    starts.append(starts[1] + texts["300028"].count("\n") + 1 + 2)
    tasks = list(read_inputs([str(tmp_path / "in.csv")]))
    assert [t.source.path for t in tasks] == [f"{tmp_path / 'in.csv'}:{n}" for n in starts]
    assert [t.source.name for t in tasks] == ["a", "b", f"in-{starts[2]}"] and tasks[2].source.text.startswith("Title (1)")


def test_inputs_csv_error_names_the_record_it_is_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_PAGE_BYTES", 100)  # fields of more than 200 characters are refused
    (tmp_path / "in.csv").write_text('id,text\na,short\n\nb,"' + "a long line\n" * 20 + '"\n', encoding="utf-8")
    limit = csv.field_size_limit()
    try:
        tasks = list(read_inputs([str(tmp_path / "in.csv")]))
    finally:
        csv.field_size_limit(limit)  # the csv module's limit is global: later tests read large fields
    assert (tasks[1].source.error or "").startswith(f"{tmp_path / 'in.csv'}:4: unreadable CSV (field larger")


def test_inputs_jsonl_accepts_corpus_records_and_reports_bad_lines(tmp_path: Path) -> None:
    text = page_texts()["300035"]
    lines = [json.dumps({"id": "c1", "raw": text}), json.dumps({"id": "c2"}), "[1, 2]", json.dumps({"text": text})]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n\n")
    tasks = list(read_inputs([str(tmp_path / "in.jsonl")]))
    assert [(t.source.name, t.source.error is None) for t in tasks] == [
        ("c1", True), ("in-2", False), ("in-3", False), ("in-4", True)]
    assert 'expected an object with an "id" and a "text" string' in (tasks[1].source.error or "")
    assert not tasks[3].fixed_id  # no id given: the title's id is kept


LATIN = "Title (1)\n\nThe force should act caf\xe9.\n\n[on]1 June 2018 [comment]Done \xe9.[/comment][/on]\n"


def latin_inputs(folder: Path) -> list[Path]:
    """The same page, encoded in Latin-1 rather than UTF-8, in each input form."""
    (folder / "latin.txt").write_bytes(LATIN.encode("latin-1"))
    (folder / "latin.jsonl").write_bytes(json.dumps({"id": "j", "text": LATIN}, ensure_ascii=False).encode("latin-1") + b"\n")
    (folder / "latin.csv").write_bytes(b'id,text\nc,"' + LATIN.encode("latin-1") + b'"\n')
    return [folder / "latin.txt", folder / "latin.jsonl", folder / "latin.csv"]


def test_inputs_not_utf8_are_read_with_a_warning_in_every_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = list(read_inputs([str(p) for p in latin_inputs(tmp_path)]))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO((tmp_path / "latin.jsonl").read_bytes())))
    tasks += read_inputs(["-"])
    assert [t.source.error for t in tasks] == [None] * 4
    assert all(t.source.text == LATIN.replace("\xe9", "\ufffd") for t in tasks)
    where = [f"{tmp_path / 'latin.txt'}", f"{tmp_path / 'latin.jsonl'}:1", f"{tmp_path / 'latin.csv'}:4", "stdin:1"]
    assert [(t.source.warning or "").split(": not valid UTF-8 (")[0] for t in tasks] == where
    assert all((t.source.warning or "").endswith("undecodable bytes were replaced") for t in tasks)


def test_inputs_stdin_page_and_stdin_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    text = page_texts()["300035"]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    [task] = read_inputs(["-"])
    assert task.source.text == text and task.source.name == "stdin"
    lines = "\n" + json.dumps({"id": "a", "text": text}) + "\n" + json.dumps({"id": "b", "text": text}) + "\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    assert [t.source.name for t in read_inputs(["-"])] == ["a", "b"]


def test_content_key_depends_on_name_and_text() -> None:
    [task] = read_inputs([str(PAGES / "300035.txt")])
    [again] = read_inputs([str(PAGES / "300035.txt")])
    assert len(task.key) == 64 and task.key == again.key
    assert content_key(dataclasses.replace(task.source, text=task.source.text + " ")) != task.key
    assert content_key(dataclasses.replace(task.source, name="other")) != task.key


# ---- outputs --------------------------------------------------------------------------------

def test_sqlite_output_holds_every_page_and_part(tmp_path: Path) -> None:
    out = tmp_path / "r.sqlite"
    summary = batch.score([str(PAGES)], out, workers=1, loader=stand_in)
    assert (summary.scored, summary.skipped, summary.failed, summary.format) == (6, 0, 0, "sqlite")
    conn = sqlite3.connect(out)
    assert conn.execute("SELECT model, corpus_sha256, n_ok, n_failed, n_skipped, state FROM runs").fetchall() == [
        ("stand-in-1", "0" * 64, 6, 0, 0, "finished")]
    pages = records(out)
    assert len(pages) == 6 and all(p["model"] == "stand-in-1" for p in pages)
    n_segments = sum(len(p["segments"]) for p in pages)
    assert conn.execute("SELECT count(*) FROM segments").fetchone()[0] == n_segments
    assert conn.execute("SELECT count(*) FROM segment_strands WHERE strand = 'prepare'").fetchone()[0] == n_segments
    assert conn.execute("SELECT count(*) FROM statuses").fetchone()[0] == sum(len(p["status"]) for p in pages)
    assert conn.execute("SELECT raw FROM pages WHERE page_id = '300035'").fetchone()[0] == page_texts()["300035"]


def test_jsonl_and_csv_outputs_hold_the_same_records(tmp_path: Path) -> None:
    batch.score([str(PAGES)], tmp_path / "r.sqlite", workers=1, loader=stand_in)
    batch.score([str(PAGES)], tmp_path / "r.jsonl", workers=1, loader=stand_in)
    batch.score([str(PAGES)], tmp_path / "r.csv", workers=1, loader=stand_in)
    expected = records(tmp_path / "r.sqlite")
    assert records(tmp_path / "r.jsonl") == expected
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert all(set(line) >= {"id", "recommendations", "timeline", "segments", "status", "raw"} for line in lines)
    segment_rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    status_rows = list(csv.DictReader((tmp_path / "r_status.csv").open(encoding="utf-8")))
    assert len(segment_rows) == sum(len(p["segments"]) for p in expected)
    assert len(status_rows) == sum(len(p["status"]) for p in expected)
    assert {r["kind"] for r in segment_rows} == {"action"} and segment_rows[0]["p_kind"] == "0.9000"
    assert not list(tmp_path.glob("*.part"))


def test_progress_reports_the_total_and_every_batch(tmp_path: Path) -> None:
    seen: list[batch.Progress] = []
    batch.score([str(PAGES)], tmp_path / "r.sqlite", workers=1, batch_size=4, loader=stand_in, on_progress=seen.append)
    assert [(p.done, p.total) for p in seen] == [(0, 6), (4, 6), (6, 6)]


def test_to_overrides_the_suffix(tmp_path: Path) -> None:
    summary = batch.score([str(PAGES / "300035.txt")], tmp_path / "out.db", to="jsonl", workers=1, loader=stand_in)
    assert summary.format == "jsonl" and json.loads((tmp_path / "out.db").read_text())["id"] == "300035"


# ---- resuming and failures ------------------------------------------------------------------

class Stop:
    """A progress callback that interrupts the run once the first batch is written."""

    def __call__(self, progress: batch.Progress) -> None:
        if progress.done:
            raise KeyboardInterrupt


def test_interrupted_run_resumes_to_the_same_database(tmp_path: Path) -> None:
    batch.score([str(PAGES)], tmp_path / "full.sqlite", workers=1, batch_size=2, loader=stand_in)
    out = tmp_path / "resumed.sqlite"
    with pytest.raises(KeyboardInterrupt):
        batch.score([str(PAGES)], out, workers=1, batch_size=2, loader=stand_in, on_progress=Stop())
    conn = sqlite3.connect(out)
    assert conn.execute("SELECT state, n_ok FROM runs").fetchall() == [("interrupted", 2)]
    assert conn.execute("SELECT count(*) FROM pages").fetchone()[0] == 2
    conn.close()
    summary = batch.score([str(PAGES)], out, workers=1, batch_size=2, loader=stand_in)
    assert (summary.scored, summary.skipped) == (4, 2)
    assert table_rows(out) == table_rows(tmp_path / "full.sqlite")


def test_interrupted_file_output_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        batch.score([str(PAGES)], tmp_path / "r.jsonl", workers=1, batch_size=2, loader=stand_in, on_progress=Stop())
    assert list(tmp_path.iterdir()) == []


def interrupt_after_the_first_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's runs score with the stand-in tagger and are interrupted once a batch is written."""
    real = batch.score

    def score(inputs: list[str], out: Path, **options: object) -> batch.Summary:
        return real(inputs, out, **{**options, "workers": 1, "batch_size": 2, "loader": stand_in, "on_progress": Stop()})

    monkeypatch.setattr(batch, "score", score)


@pytest.mark.parametrize("name", ["r.jsonl", "r.csv"])
def test_cli_interrupted_file_output_says_nothing_was_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              name: str) -> None:
    out = tmp_path / name
    out.write_text("an earlier run's output\n")
    interrupt_after_the_first_batch(monkeypatch)
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(out)])
    assert result.exit_code == 130
    [line] = result.stderr.splitlines()
    assert line.startswith("error: interrupted; nothing was written: ") and "saved" not in line
    assert "any earlier output there is left as it was" in line and "a .sqlite file to be able to resume" in line
    assert out.read_text() == "an earlier run's output\n" and sorted(tmp_path.iterdir()) == [out]


def test_cli_interrupted_sqlite_output_keeps_finished_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.sqlite"
    interrupt_after_the_first_batch(monkeypatch)
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(out)])
    assert result.exit_code == 130
    assert result.stderr == (f"error: interrupted; finished batches are saved in {out}; "
                             "run the same command again to score the rest\n")
    assert len(records(out)) == 2


def interrupted(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def test_cli_interrupted_before_the_first_batch_says_nothing_was_saved(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r.sqlite"
    batch.score([str(PAGES)], out, workers=1, loader=stand_in)
    monkeypatch.setattr(batch, "executor", interrupted)  # Ctrl-C while connecting, or loading the model
    message = ("error: interrupted before the first batch was finished, so no pages were saved; "
               "run the same command again\n")
    for results in (out, tmp_path / "new.sqlite"):
        result = runner.invoke(app, ["score", str(PAGES), "--out", str(results)])
        assert (result.exit_code, result.stderr) == (130, message)
    assert sorted(tmp_path.iterdir()) == [out] and len(records(out)) == 6  # an earlier run's pages stay


def test_bad_pages_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    good = page_texts()["300035"]
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "break.txt").write_text(good.replace("Suffolk Constabulary (300035)", "BREAK (999)"))
    (tmp_path / "good.txt").write_text(good)
    (tmp_path / "in.jsonl").write_text('{"id": "x", "text": "' + "\n" + json.dumps({"id": "y", "text": good}) + "\n")
    summary = batch.score([str(tmp_path), str(tmp_path / "in.jsonl"), str(tmp_path / "missing.txt")],
                          tmp_path / "r.sqlite", workers=1, loader=stand_in)
    assert (summary.scored, summary.failed) == (2, 5)
    errors = dict(sqlite3.connect(tmp_path / "r.sqlite").execute("SELECT page_id, error FROM pages WHERE error IS NOT NULL"))
    assert set(errors) == {"binary", "empty", "break", "in-1", "missing"}
    assert "binary data" in errors["binary"] and "RuntimeError" in errors["break"] and "not valid JSON" in errors["in-1"]
    assert [p["id"] for p in records(tmp_path / "r.sqlite")] == ["300035", "y"]


def test_two_workers_give_the_same_records_as_one(tmp_path: Path) -> None:
    batch.score([str(PAGES)], tmp_path / "one.jsonl", workers=1, loader=stand_in)
    (tmp_path / "loads").mkdir()
    summary = batch.score([str(PAGES)], tmp_path / "two.jsonl", workers=2, batch_size=1, loader=counting_stand_in,
                          model=tmp_path / "loads")
    assert summary.scored == 6
    assert records(tmp_path / "two.jsonl") == records(tmp_path / "one.jsonl")
    assert loads(tmp_path / "loads") == ["loaded\n"] * 2  # once in each worker, for six tasks


def test_dask_cluster_gives_the_same_records(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    batch.score([str(PAGES)], tmp_path / "local.sqlite", workers=1, loader=stand_in)
    (tmp_path / "loads").mkdir()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = batch.score([str(PAGES)], tmp_path / "dask.sqlite", batch_size=1, loader=counting_stand_in,
                              model=tmp_path / "loads", dask=cluster.scheduler_address)
    assert summary.scored == 6
    assert table_rows(tmp_path / "dask.sqlite") == table_rows(tmp_path / "local.sqlite")
    assert 1 <= len(loads(tmp_path / "loads")) <= 2 and set(loads(tmp_path / "loads")) == {"loaded\n"}


def test_unreachable_dask_scheduler_is_a_clear_error_after_the_timeout(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(PeelnlpError, match=r"cannot reach a dask scheduler at 'tcp://127.0.0.1:1' \(no connection within 1 s"):
        batch.score([str(PAGES)], tmp_path / "r.sqlite", loader=stand_in, dask="tcp://127.0.0.1:1", dask_timeout=1)
    assert list(tmp_path.iterdir()) == []  # the database made for the run goes with it
    assert "dask client" not in {t.name for t in threading.enumerate()}


@pytest.mark.parametrize("address", ["garbage", "http://scheduler:8786", "tcp://scheduler:99999", "tcp://:8786"])
def test_malformed_dask_address_is_refused_before_connecting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             address: str) -> None:
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(distributed, "Client", None)  # connecting at all would fail with a TypeError
    with pytest.raises(InputError, match="--dask expects a scheduler address such as tcp://HOST:8786"):
        batch.score([str(PAGES)], tmp_path / "r.sqlite", loader=stand_in, dask=address)
    assert list(tmp_path.iterdir()) == []


class _Garbage(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"\xff" * 64)  # a frame header no dask message ever has
        while self.request.recv(1024):
            pass


@pytest.fixture
def not_a_scheduler() -> Iterator[str]:
    """The address of a server that answers, but not as a dask scheduler does."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Garbage)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """The address of a server that accepts connections and never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"


def score_in_a_program(out: Path, address: str) -> subprocess.CompletedProcess[str]:
    """`peelnlp score --dask ADDRESS` with a 1 s connect timeout, as a whole program: a client that
    fails half-way must leave nothing to print at exit, nor a thread that keeps the program alive."""
    program = ("import functools, sys; from peelnlp import batch; from peelnlp.cli import app; "
               "batch.score = functools.partial(batch.score, dask_timeout=1); sys.argv[0] = 'peelnlp'; app()")
    return subprocess.run([sys.executable, "-c", program, "score", str(PAGES), "--out", str(out), "--dask", address],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("server", "message"), [
    ("silent_listener", "error: cannot reach a dask scheduler at '{}' (it did not answer within 1 s); check the address "
                        "(e.g. tcp://scheduler:8786) and that the scheduler is running"),
    ("not_a_scheduler", "error: '{}' did not answer as a dask scheduler (it sent something else); give the address that "
                        "`dask scheduler` prints (port 8786 by default), not another service's"),
], ids=["silent listener", "not a scheduler"])
def test_cli_address_that_is_no_scheduler_is_one_line(tmp_path: Path, request: pytest.FixtureRequest,
                                                      server: str, message: str) -> None:
    pytest.importorskip("distributed")
    address = request.getfixturevalue(server)
    result = score_in_a_program(tmp_path / "r.sqlite", address)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [message.format(address)]
    assert list(tmp_path.iterdir()) == []


def test_cli_malformed_dask_address_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(tmp_path / "r.sqlite"), "--dask", "garbage"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: --dask expects a scheduler address such as tcp://HOST:8786; found "
                                          "'garbage' (missing port number in address 'garbage'); give the address "
                                          "that `dask scheduler` prints"]


def broken_loader(path: Path | None) -> StandInTagger:
    raise ImportError("a module the model needs is missing")


def test_unexpected_loader_error_in_workers_becomes_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot load the model in a worker process"):
        batch.score([str(PAGES)], tmp_path / "r.sqlite", workers=2, loader=broken_loader)
    assert list(tmp_path.iterdir()) == []  # a run that saved no page leaves no database it made


def test_model_error_in_workers_is_raised_once(tmp_path: Path) -> None:
    with pytest.raises(PeelnlpError):
        batch.score([str(PAGES)], tmp_path / "r.sqlite", workers=2, model=tmp_path / "no-model")


# ---- CLI (the real model) -------------------------------------------------------------------

needs_model = pytest.mark.skipif(not (MODEL / "meta.json").exists(), reason="no trained model in models/default")


@needs_model
def test_cli_summary_counts_one_page_as_one(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    shutil.copy(sorted(PAGES.glob("*.txt"))[0], tmp_path / "pages")
    result = runner.invoke(app, ["score", str(tmp_path / "pages"), "--out", str(tmp_path / "r.jsonl"), "--workers", "1"])
    assert result.exit_code == 0 and "scored 1 page, skipped 0 already scored" in result.stderr


@needs_model
def test_cli_scores_then_skips_what_is_done(tmp_path: Path) -> None:
    shutil.copytree(PAGES, tmp_path / "pages")
    out = tmp_path / "results.sqlite"
    result = runner.invoke(app, ["score", str(tmp_path / "pages"), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert f"scored 6 pages, skipped 0 already scored, 0 failed → {out}" in result.stderr
    assert all(s["kind"] and s["scores"] for p in records(out) for s in p["segments"])
    (tmp_path / "pages" / "bad.txt").write_bytes(b"\x00" * 50)
    result = runner.invoke(app, ["score", str(tmp_path / "pages"), "--out", str(out), "--workers", "1", "--quiet"])
    assert result.exit_code == 1
    assert "bad.txt: this looks like binary data" in result.stderr
    assert "scored 0 pages, skipped 6 already scored, 1 failed" in result.stderr


@needs_model
def test_cli_csv_from_stdin(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    text = page_texts()["300028"]
    result = runner.invoke(app, ["score", "-", "--out", str(out), "--workers", "1"], input=text)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and {r["page_id"] for r in rows} == {"300028"}
    assert len(list(csv.DictReader((tmp_path / "r_status.csv").open(encoding="utf-8")))) == 4  # 4 recommendations


@needs_model
def test_cli_warns_of_bytes_that_are_not_utf8_in_every_form(tmp_path: Path) -> None:
    inputs = latin_inputs(tmp_path)
    result = runner.invoke(app, ["score", *map(str, inputs), "--out", str(tmp_path / "r.jsonl"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert [w.split(": not valid UTF-8")[0] for w in warnings] == [
        f"warning: {inputs[0]}", f"warning: {inputs[1]}:1", f"warning: {inputs[2]}:4"]
    assert [p["warnings"][0] for p in records(tmp_path / "r.jsonl")] == [w.removeprefix("warning: ") for w in warnings]


def test_cli_warnings_are_not_a_flood(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    score_with_stand_in(monkeypatch)
    monkeypatch.setattr(batch, "MAX_FAILURES_KEPT", 3)
    (tmp_path / "in.jsonl").write_bytes((json.dumps({"text": LATIN}, ensure_ascii=False) + "\n").encode("latin-1") * 5)
    result = runner.invoke(app, ["score", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "r.jsonl"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings[3:] == ["warning: … and 2 more pages read with a warning (see their warnings in the results)"]
    assert [w.split(": not valid")[0] for w in warnings[:3]] == [f"warning: {tmp_path / 'in.jsonl'}:{n}" for n in (1, 2, 3)]


def test_cli_does_not_warn_again_of_pages_it_skips_as_scored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    score_with_stand_in(monkeypatch)
    (tmp_path / "in.jsonl").write_bytes((json.dumps({"text": LATIN}, ensure_ascii=False) + "\n").encode("latin-1"))
    command = ["score", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "r.sqlite"), "--workers", "1"]
    first, again = runner.invoke(app, command), runner.invoke(app, command)
    assert "not valid UTF-8" in first.stderr and "skipped 1 already scored" in again.stderr
    assert "warning:" not in again.stderr


def score_with_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    real = batch.score
    monkeypatch.setattr(batch, "score", lambda inputs, out, **options: real(inputs, out, **{**options, "loader": stand_in}))


@pytest.mark.parametrize("option", ["--format", "-f", "--to"])
def test_cli_format_option_overrides_the_suffix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str) -> None:
    score_with_stand_in(monkeypatch)
    out = tmp_path / "out.db"
    result = runner.invoke(app, ["score", str(PAGES / "300035.txt"), "--out", str(out), option, "jsonl", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["id"] == "300035"


def test_cli_format_is_documented_and_to_is_a_hidden_alias(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "--help"])
    assert "--format" in result.output and "-f" in result.output and "--to" not in result.output
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(tmp_path / "r"), "--format", "csv", "--to", "jsonl"])
    assert result.exit_code == 2 and "--format csv and --to jsonl disagree" in result.output
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_an_output_that_is_not_a_results_file(tmp_path: Path) -> None:
    (tmp_path / "notes.sqlite").write_text("my notes")
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(tmp_path / "notes.sqlite")])
    assert result.exit_code == 1
    assert "is not a SQLite database" in result.stderr and "Traceback" not in result.output


def test_workers_are_at_most_the_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch.os, "cpu_count", lambda: 1)
    summary = batch.score([str(PAGES)], tmp_path / "r.jsonl", workers=64, loader=stand_in)
    assert summary.workers == 1 and summary.scored == 6


def test_a_line_nested_too_deeply_fails_alone(tmp_path: Path) -> None:
    inputs = tmp_path / "in.jsonl"
    page = (PAGES / "300035.txt").read_text(encoding="utf-8")
    inputs.write_text("[" * 100_000 + "\n" + json.dumps({"id": "ok", "text": page}) + "\n")
    summary = batch.score([str(inputs)], tmp_path / "r.jsonl", workers=1, loader=stand_in)
    assert (summary.scored, summary.failed) == (1, 1) and "nested too deeply" in summary.failures[0]


@pytest.mark.parametrize(("name", "options"), [("in.jsonl", []), ("in.csv", []), ("in_status.csv", []),
                                               ("wm.txt", []), ("wm.txt", ["--format", "jsonl"])])
def test_cli_refuses_to_overwrite_an_input(tmp_path: Path, name: str, options: list[str]) -> None:
    page = (PAGES / "300035.txt").read_text(encoding="utf-8")
    source = tmp_path / name
    source.write_text(page if name.endswith(".txt") else
                      json.dumps({"id": "a", "text": page}) + "\n" if name.endswith(".jsonl") else "id,text\na,x\n")
    before = source.read_bytes()
    out = tmp_path / ("in.csv" if name == "in_status.csv" else name)  # in.csv also writes in_status.csv
    result = runner.invoke(app, ["score", str(source), "--out", str(out), *options])
    assert result.exit_code == 1 and "is the same file as the input" in result.stderr, result.output
    assert "choose another --out path" in result.stderr and "--format" not in result.stderr
    assert source.read_bytes() == before and sorted(tmp_path.iterdir()) == [source]


def test_cli_refuses_an_output_that_is_a_page_of_an_input_directory(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(PAGES, pages)
    page = next(pages.rglob("*.txt"))
    result = runner.invoke(app, ["score", str(pages), "--out", str(page), "--format", "jsonl"])
    assert result.exit_code == 1 and "is the same file as the input page" in result.stderr
    assert page.read_bytes() == next(PAGES.rglob(page.name)).read_bytes()


class Terminate:
    """A progress callback that sends this process SIGTERM once the first batch is written."""

    def __call__(self, progress: batch.Progress) -> None:
        if progress.done:
            os.kill(os.getpid(), signal.SIGTERM)


def not_handled(signum: int, frame: object) -> None:
    raise RuntimeError("SIGTERM reached the test's own handler: the score command did not handle it")


@pytest.mark.parametrize("name", ["r.jsonl", "r.csv"])
def test_cli_sigterm_is_handled_like_ctrl_c(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real = batch.score
    monkeypatch.setattr(batch, "score", lambda inputs, out, **options: real(
        inputs, out, **{**options, "workers": 1, "batch_size": 2, "loader": stand_in, "on_progress": Terminate()}))
    previous = signal.signal(signal.SIGTERM, not_handled)  # without the fix, SIGTERM would end pytest
    try:
        result = runner.invoke(app, ["score", str(PAGES), "--out", str(tmp_path / name)])
        assert signal.getsignal(signal.SIGTERM) is not_handled  # put back as the run ends
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 130, result.output
    assert result.stderr.startswith("error: interrupted; nothing was written: ")
    assert list(tmp_path.iterdir()) == []  # no .part file left


def test_cli_empty_dask_address_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(tmp_path / "r.sqlite"), "--dask", ""])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: --dask expects a scheduler address such as tcp://HOST:8786; found "
                                          "'' (it is empty); give the address that `dask scheduler` prints"]
    assert list(tmp_path.iterdir()) == []


def test_cli_workers_with_dask_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(tmp_path / "r.sqlite"), "--workers", "4",
                                 "--dask", "tcp://127.0.0.1:8786"])
    output = " ".join(result.output.replace("│", " ").split())  # as rich wraps it in a box
    assert result.exit_code == 2 and "give --workers or --dask, not both" in output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["r.sqlite", "r.jsonl"])
def test_cli_output_in_a_missing_folder_says_so(tmp_path: Path, name: str) -> None:
    out = tmp_path / "nodir" / name
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr == (f"error: --out {out}: expected an existing folder, but {out.parent} does not exist; "
                             "create it or choose a path in an existing folder\n")


def test_cli_output_in_a_read_only_folder_says_so(tmp_path: Path, read_only_folder) -> None:
    folder = read_only_folder()
    out = folder / "r.sqlite"
    result = runner.invoke(app, ["score", str(PAGES), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr == (f"error: --out {out}: the folder {folder} cannot be written (read-only media, or no "
                             "write permission); choose a path in a writable folder\n")


def test_inputs_csv_header_names_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "pages.csv"
    path.write_text('ID,Text\nmine,"The force should act.\n\n[on]1 June 2018 [comment]It acted.[/comment][/on]"\n')
    [task] = list(read_inputs([str(path)]))
    assert task.source.name == "mine" and task.fixed_id and task.source.text.startswith("The force should act.")


def test_inputs_csv_without_a_header_quotes_only_the_start_of_its_first_row(tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    fields = ["a" * 5000, "b" * 5000, "c", "d", "e"]
    path.write_text(",".join(fields) + "\n")
    [task] = list(read_inputs([str(path)]))
    error = task.source.error
    assert error == (f"{path}: expected a header row with id,text columns; found ['{'a' * 60}…', '{'b' * 60}…', 'c'], "
                     "… and 2 more fields; add an id,text header row")
