"""Shared fixtures: the sample page, its gold record, and small corpora written on the fly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peelnlp.records import Page

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def seed_text() -> str:
    return (DATA / "west-mercia-8929.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_gold() -> Page:
    return Page.from_dict(json.loads((DATA / "west-mercia-8929.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def seed_gold_dict() -> dict:
    return json.loads((DATA / "west-mercia-8929.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def novel_words():
    """``novel_words(n, start)``: n word types no text has used ("novel0 novel1 …"), for the bounds
    that keep caches and the spaCy vocabulary from growing with a batch run."""
    return lambda n, start=0: [f"novel{i}" for i in range(start, start + n)]


@pytest.fixture
def tagged_db(tmp_path: Path) -> Path:
    """The hand-tagged fixture pages written to a results database the way `peelnlp score` writes them."""
    from peelnlp.results import Counts, RunInfo, Scored, SQLiteSink

    tagged = DATA / "tagged_pages.jsonl"
    db = tmp_path / "results.sqlite"
    sink = SQLiteSink(db)
    sink.start(RunInfo("standin-test", None, (str(tagged),)))
    records = [json.loads(line) for line in tagged.read_text(encoding="utf-8").splitlines()]
    sink.write([Scored(r["id"], r["id"], f"{r['id']}.txt", page=Page.from_dict(r), raw=r["raw"]) for r in records])
    sink.finish(Counts(ok=len(records)))
    return db
