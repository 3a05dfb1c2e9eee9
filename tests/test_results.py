"""The results store (SQLite schema and round trip, the reader) and the JSON Lines and CSV outputs."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from pathlib import Path

import pytest

from peelnlp.errors import ResultsError
from peelnlp.gaps import page_status
from peelnlp.parse import parse_page
from peelnlp.records import KINDS, Page
from peelnlp.resultfiles import CsvSink, JsonlSink, output_format
from peelnlp.resultload import ResultPages, load_pages
from peelnlp.results import SCHEMA_VERSION, Counts, RunInfo, Scored, SQLiteSink
from peelnlp.segment import segment_pages

PAGES = Path(__file__).parent / "data" / "batch" / "pages"


def tagged_pages(model: str = "m-1") -> list[Page]:
    """The test pages, segmented and labelled with varied kinds, strands, scores and review flags."""
    raw = [parse_page(p.read_text(encoding="utf-8"), p.stem) for p in sorted(PAGES.rglob("*.txt"))]
    out = []
    for page in segment_pages(raw):
        segments = tuple(
            dataclasses.replace(
                s, kind=KINDS[i % len(KINDS)], recs=(1 + i % len(page.recommendations),) if i % 3 else (),
                strands=("pursue", "protect")[: i % 3], needs_review=i % 4 == 0,
                scores={"kind": {k: round(1 / (j + 2), 3) for j, k in enumerate(KINDS)}, "strands": {"pursue": 0.25},
                        "recs": {"1": 0.5}},
            )
            for i, s in enumerate(page.segments)
        )
        page = dataclasses.replace(page, segments=segments, model=model)
        out.append(dataclasses.replace(page, status=page_status(page)))
    return out


def write_db(path: Path, pages: list[Page], model: str = "m-1", failed: tuple[str, ...] = ()) -> None:
    sink = SQLiteSink(path)
    sink.start(RunInfo(model, "c" * 64, ("pages/",)))
    sink.write([Scored(f"key-{p.id}", p.id, f"{p.id}.txt", page=p, raw="text") for p in pages])
    sink.write([Scored(f"key-{name}", name, name, error=f"{name}: broken") for name in failed])
    sink.finish(Counts(ok=len(pages), failed=len(failed)))


def varied_pages() -> list[Page]:
    """The tagged test pages, one with parser warnings and one whose segments carry no scores."""
    pages = tagged_pages()
    pages[0] = dataclasses.replace(pages[0], warnings=("the last entry has no closing tag",))
    pages[1] = dataclasses.replace(pages[1], segments=tuple(
        dataclasses.replace(s, scores=None, needs_review=False) for s in pages[1].segments))
    return pages


def test_sqlite_round_trip_gives_equal_records(tmp_path: Path) -> None:
    pages = varied_pages()
    write_db(tmp_path / "r.sqlite", pages, failed=("bad",))
    loaded = list(load_pages(tmp_path / "r.sqlite"))
    assert [p.to_dict() for p in loaded] == [p.to_dict() for p in pages]
    assert [s.scores for p in loaded for s in p.segments] == [s.scores for p in pages for s in p.segments]
    assert loaded[0].warnings and loaded[1].segments and loaded[1].segments[0].scores is None


def test_round_trip_streams_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import peelnlp.resultload

    monkeypatch.setattr(peelnlp.resultload, "_CHUNK", 2)
    pages = varied_pages()
    write_db(tmp_path / "r.sqlite", pages)
    assert len(pages) > 2
    assert [p.to_dict() for p in load_pages(tmp_path / "r.sqlite")] == [p.to_dict() for p in pages]


def as_version_1(path: Path, pages: list[Page]) -> None:
    """Turn a results database back into schema version 1, which also kept each whole record."""
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE pages ADD COLUMN record TEXT")
    conn.executemany("UPDATE pages SET record = ? WHERE page_id = ? AND error IS NULL",
                     [(json.dumps(p.to_dict()), p.id) for p in pages])
    conn.execute("ALTER TABLE pages DROP COLUMN warnings")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_version_1_database_is_read_and_migrated(tmp_path: Path) -> None:
    pages = varied_pages()
    write_db(tmp_path / "r.sqlite", pages, failed=("bad",))
    as_version_1(tmp_path / "r.sqlite", pages)
    expected = [p.to_dict() for p in pages]
    assert [p.to_dict() for p in load_pages(tmp_path / "r.sqlite")] == expected  # read as it is
    SQLiteSink(tmp_path / "r.sqlite").abort(Counts())  # opening it for writing migrates it
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "record" not in {row[1] for row in conn.execute("PRAGMA table_info(pages)")}
    assert [p.to_dict() for p in load_pages(tmp_path / "r.sqlite")] == expected


def test_version_1_migrates_without_drop_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = varied_pages()
    write_db(tmp_path / "r.sqlite", pages)
    as_version_1(tmp_path / "r.sqlite", pages)
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 31, 1))  # before ALTER TABLE … DROP COLUMN
    SQLiteSink(tmp_path / "r.sqlite").abort(Counts())
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    assert conn.execute("SELECT count(*) FROM pages WHERE record IS NOT NULL").fetchone()[0] == 0
    assert [p.to_dict() for p in load_pages(tmp_path / "r.sqlite")] == [p.to_dict() for p in pages]


def test_jsonl_round_trip_gives_equal_records(tmp_path: Path) -> None:
    pages = tagged_pages()
    sink = JsonlSink(tmp_path / "r.jsonl")
    sink.start(RunInfo("m-1", None, ()))
    sink.write([Scored(p.id, p.id, "x", page=p) for p in pages] + [Scored("k", "bad", "bad.txt", error="broken")])
    assert not (tmp_path / "r.jsonl").exists()  # only the .part file until the run finishes
    sink.finish(Counts())
    assert [p.to_dict() for p in load_pages(tmp_path / "r.jsonl")] == [p.to_dict() for p in pages]
    last = json.loads((tmp_path / "r.jsonl").read_text().splitlines()[-1])
    assert last == {"id": "bad", "source": "bad.txt", "error": "broken"}


def jsonl_results(path: Path, pages: list[Page]) -> Path:
    sink = JsonlSink(path)
    sink.start(RunInfo("m-1", None, ()))
    sink.write([Scored("k", "bad", "bad.txt", error="broken")] + [Scored(p.id, p.id, "x", page=p) for p in pages])
    sink.finish(Counts())
    return path


RESULT_FORMS = ["sqlite", "sqlite-v1", "jsonl"]


def results_in(form: str, folder: Path, pages: list[Page]) -> Path:
    """``pages`` and one failed page, as a results database (schema 2 or 1) or JSON Lines file."""
    if form == "jsonl":
        return jsonl_results(folder / "r.jsonl", pages)
    write_db(folder / "r.sqlite", pages, failed=("bad",))
    if form == "sqlite-v1":
        as_version_1(folder / "r.sqlite", pages)
    return folder / "r.sqlite"


@pytest.mark.parametrize("form", RESULT_FORMS)
def test_a_scanned_page_is_fetched_again_by_its_reference(tmp_path: Path, form: str) -> None:
    pages = varied_pages()
    path = results_in(form, tmp_path, pages)
    with ResultPages(path) as results:
        refs = [ref for ref, _ in results.scan()]
        assert len(set(refs)) == len(pages)
        # Backwards and one at a time, as a reviewer going back through the queue reads them.
        fetched = [results.fetch(ref).to_dict() for ref in reversed(refs)]
    assert fetched == [p.to_dict() for p in reversed(pages)]


@pytest.mark.parametrize("form", RESULT_FORMS)
def test_load_pages_reads_only_the_pages_asked_for(tmp_path: Path, form: str) -> None:
    pages = varied_pages()
    path = results_in(form, tmp_path, pages)
    wanted = [pages[-1].id, pages[0].id, "bad", "not-there"]
    assert [p.to_dict() for p in load_pages(path, page_ids=wanted)] == [pages[0].to_dict(), pages[-1].to_dict()]
    assert list(load_pages(path, page_ids=[])) == []


def test_an_empty_results_file_is_a_results_error(tmp_path: Path) -> None:
    (tmp_path / "r.jsonl").write_text("")
    with pytest.raises(ResultsError, match="the results file is empty"):
        list(load_pages(tmp_path / "r.jsonl"))


def test_jsonl_results_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    pages = tagged_pages()
    path = jsonl_results(tmp_path / "r.jsonl", pages)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert [p.to_dict() for p in load_pages(path)] == [p.to_dict() for p in pages]


def test_jsonl_results_written_by_other_tools_may_hold_nan(tmp_path: Path) -> None:
    record = tagged_pages()[0].to_dict()
    record["segments"][0]["scores"]["kind"]["action"] = float("nan")
    (tmp_path / "r.jsonl").write_text(json.dumps(record) + "\n")  # json writes NaN; orjson would refuse it
    page, = load_pages(tmp_path / "r.jsonl")
    assert page.segments[0].scores["kind"]["action"] != page.segments[0].scores["kind"]["action"]  # NaN


@pytest.mark.parametrize("form", RESULT_FORMS)
def test_fetch_of_a_page_gone_since_the_scan_is_a_results_error(tmp_path: Path, form: str) -> None:
    path = results_in(form, tmp_path, tagged_pages())
    with ResultPages(path) as results:
        last = [ref for ref, _ in results.scan()][-1]
        if form == "jsonl":
            path.write_text("\n")
        else:
            with sqlite3.connect(path) as conn:
                conn.execute("DELETE FROM pages WHERE page_key = ?", (last,))
        with pytest.raises(ResultsError, match="no page record at byte|no longer in the database"):
            results.fetch(last)


def test_schema_version_indexes_and_tables(tmp_path: Path) -> None:
    pages = tagged_pages()
    write_db(tmp_path / "r.sqlite", pages, failed=("bad",))
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert dict(conn.execute("SELECT key, value FROM meta"))["schema_version"] == str(SCHEMA_VERSION)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    assert {"statuses_status", "pages_force", "pages_date", "segment_strands_strand"} <= indexes
    gaps = conn.execute("SELECT count(*) FROM statuses WHERE status != 'evidenced'").fetchone()[0]
    assert gaps == sum(s.is_gap for p in pages for s in p.status) == conn.execute("SELECT sum(n_gaps) FROM pages").fetchone()[0]
    failed = conn.execute("SELECT page_id, error, title, n_gaps FROM pages WHERE error IS NOT NULL").fetchall()
    assert failed == [("bad", "bad: broken", None, None)]
    assert conn.execute("SELECT count(*) FROM segments").fetchone()[0] == sum(len(p.segments) for p in pages)
    plan = " ".join(r[-1] for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM statuses WHERE status = 'concern'"))
    assert "statuses_status" in plan


def test_rewriting_a_page_replaces_it_and_its_parts(tmp_path: Path) -> None:
    pages = tagged_pages()
    write_db(tmp_path / "r.sqlite", pages)
    write_db(tmp_path / "r.sqlite", pages[:1])
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    assert conn.execute("SELECT count(*) FROM pages").fetchone()[0] == len(pages)
    assert conn.execute("SELECT count(*) FROM segments").fetchone()[0] == sum(len(p.segments) for p in pages)
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_load_pages_reads_the_latest_model_by_default(tmp_path: Path) -> None:
    write_db(tmp_path / "r.sqlite", tagged_pages("old"), model="old")
    write_db(tmp_path / "r.sqlite", tagged_pages("new")[:2], model="new")
    assert {p.model for p in load_pages(tmp_path / "r.sqlite")} == {"new"}
    assert len(list(load_pages(tmp_path / "r.sqlite", model="old"))) == len(tagged_pages())


def test_already_scored_ignores_failed_pages_and_other_models(tmp_path: Path) -> None:
    pages = tagged_pages()
    write_db(tmp_path / "r.sqlite", pages, failed=("bad",))
    sink = SQLiteSink(tmp_path / "r.sqlite")
    sink.start(RunInfo("m-1", None, ()))
    assert sink.already_scored([f"key-{pages[0].id}", "key-bad", "key-none"]) == {f"key-{pages[0].id}"}
    sink.model = "m-2"
    assert sink.already_scored([f"key-{pages[0].id}"]) == set()
    sink.abort(Counts())


def test_already_scored_handles_more_keys_than_sqlite_parameters(tmp_path: Path) -> None:
    write_db(tmp_path / "r.sqlite", tagged_pages())
    sink = SQLiteSink(tmp_path / "r.sqlite")
    sink.start(RunInfo("m-1", None, ()))
    keys = [f"other-{i}" for i in range(40_000)] + ["key-300035"]
    assert sink.already_scored(keys) == {"key-300035"}
    sink.abort(Counts())


def test_csv_writes_segments_and_statuses(tmp_path: Path) -> None:
    import csv

    pages = tagged_pages()
    sink = CsvSink(tmp_path / "r.csv")
    sink.start(RunInfo("m-1", None, ()))
    sink.write([Scored(p.id, p.id, "x", page=p) for p in pages] + [Scored("k", "bad", "bad.txt", error="broken")])
    sink.finish(Counts())
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert len(rows) == sum(len(p.segments) for p in pages) + 1 and rows[-1]["error"] == "broken"
    first = pages[0].segments[0]
    assert (rows[0]["text"], rows[0]["kind"], rows[0]["p_kind"]) == (first.text, first.kind, "0.5000")
    statuses = list(csv.DictReader((tmp_path / "r_status.csv").open(encoding="utf-8")))
    assert [(r["page_id"], r["n"], r["status"]) for r in statuses] == [
        (p.id, str(s.n), s.status) for p in pages for s in p.status]


def test_aborted_file_output_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("previous run\n")
    sink = CsvSink(tmp_path / "r.csv")
    sink.write([Scored(p.id, p.id, "x", page=p) for p in tagged_pages()])
    sink.abort(Counts())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]
    assert (tmp_path / "r.csv").read_text() == "previous run\n"


@pytest.mark.parametrize(("name", "to", "expected"), [
    ("r.sqlite", None, "sqlite"), ("r.db", None, "sqlite"), ("r", None, "sqlite"), ("r.JSONL", None, "jsonl"),
    ("r.csv", None, "csv"), ("r.csv", "sqlite", "sqlite"),
])
def test_output_format(name: str, to: str | None, expected: str) -> None:
    assert output_format(Path(name), to) == expected


def test_unknown_output_format_is_refused() -> None:
    with pytest.raises(ResultsError, match="not one of sqlite, jsonl, csv"):
        output_format(Path("r.sqlite"), "parquet")


def test_refuses_files_that_are_not_results_databases(tmp_path: Path) -> None:
    (tmp_path / "notes.sqlite").write_text("notes")
    with pytest.raises(ResultsError, match="not a SQLite database"):
        SQLiteSink(tmp_path / "notes.sqlite")
    other = sqlite3.connect(tmp_path / "other.sqlite")
    other.execute("CREATE TABLE birds (name TEXT)")
    other.commit()
    with pytest.raises(ResultsError, match="not a peelnlp results database"):
        SQLiteSink(tmp_path / "other.sqlite")
    newer = sqlite3.connect(tmp_path / "newer.sqlite")
    newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer.commit()
    with pytest.raises(ResultsError, match="newer than this peelnlp"):
        SQLiteSink(tmp_path / "newer.sqlite")


def test_load_pages_errors_name_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no such results file"):
        list(load_pages(tmp_path / "missing.sqlite"))
    (tmp_path / "r.jsonl").write_text("{oops\n[1, 2]\n")
    with pytest.raises(ResultsError, match=r"r.jsonl: no page record in the file \(2 line\(s\) are not page records; "
                                           r"line 1: found text that is not JSON"):
        list(load_pages(tmp_path / "r.jsonl"))


def test_records_that_are_not_pages_are_left_out_with_a_warning_each(tmp_path: Path) -> None:
    good = json.dumps(tagged_pages()[0].to_dict())
    failed = json.dumps({"id": "p9", "source": "p9.txt", "error": "p9.txt: empty"})
    bad = ["{oops", "[1, 2]", "null", '{"id": "x"}', '"text"', '{"id": "y", "timeline": 3}'] + ["7"] * 10
    (tmp_path / "r.jsonl").write_text("\n".join([good, failed, *bad, good]) + "\n")
    with ResultPages(tmp_path / "r.jsonl") as results:
        assert len(list(results.scan())) == 2
        warnings = results.warnings()
    assert warnings[:5] == [
        f"{tmp_path / 'r.jsonl'}:{n}: expected a page record (a JSON object with \"id\" and \"timeline\"), "
        f"found {found}; the line is left out"
        for n, found in [(3, "text that is not JSON (Expecting property name enclosed in double quotes)"),
                         (4, "a JSON array"), (5, "null"), (6, 'an object without "timeline"'), (7, "a JSON string")]]
    assert "found an object that is not a tagged page record (TypeError(" in warnings[5]
    assert len(warnings) == 11 and warnings[-1] == f"{tmp_path / 'r.jsonl'}: … and 6 more lines that are not page records, left out too"


def test_a_database_whose_log_holds_changes_is_not_read_stale_from_a_read_only_folder(
        tmp_path: Path, read_only_folder) -> None:
    from peelnlp.resultload import connect_readonly

    db = tmp_path / "r.sqlite"
    write_db(db, tagged_pages())
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")  # as a run still writing has it
    writer.execute("PRAGMA wal_autocheckpoint=0")  # the change stays in r.sqlite-wal
    writer.execute("UPDATE pages SET title = 'changed'")
    folder = read_only_folder(db, db.with_name("r.sqlite-wal"))
    writer.close()
    with pytest.raises(ResultsError, match="its folder is not writable and r.sqlite-wal holds changes not yet in the "
                                           "database; copy both files to a writable folder"):
        connect_readonly(folder / "r.sqlite")


class _NoSharedMemory:
    """The connection SQLite gives read-only where it cannot create the -shm file: its first read fails."""

    def execute(self, *args: object) -> None:
        exc = sqlite3.OperationalError("unable to open database file")
        exc.sqlite_errorcode = sqlite3.SQLITE_CANTOPEN
        raise exc

    def close(self) -> None:
        pass


def unwritable_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a folder that cannot be written does to SQLite, without needing one: root writes anywhere,
    and a read-only mount needs privileges a container may not have. The folder tests above cover
    the real thing where they can run."""
    from peelnlp import resultload

    real = resultload.connect_uri
    monkeypatch.setattr(resultload, "connect_uri", lambda path, flags: _NoSharedMemory() if flags == "mode=ro" else real(path, flags))
    real_access = resultload.os.access
    monkeypatch.setattr(resultload.os, "access", lambda path, mode: False if mode & os.W_OK else real_access(path, mode))


def test_a_database_sqlite_cannot_open_for_reading_is_read_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "r.sqlite"
    write_db(db, tagged_pages())
    unwritable_folder(monkeypatch)
    assert [p.id for p in load_pages(db)] == [p.id for p in tagged_pages()]


def test_a_database_with_changes_in_its_log_is_not_read_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from peelnlp.resultload import connect_readonly

    db = tmp_path / "r.sqlite"
    write_db(db, tagged_pages())
    db.with_name("r.sqlite-wal").write_bytes(b"changes")
    unwritable_folder(monkeypatch)
    with pytest.raises(ResultsError, match="r.sqlite-wal holds changes not yet in the database"):
        connect_readonly(db)
