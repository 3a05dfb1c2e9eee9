"""Shared fixtures: the sample page, its gold record, and small corpora written on the fly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
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


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``freeze(*files)``: copies the files into a new folder that this process cannot write, and
    returns the folder. Permissions do not stop root, so as root the folder is a read-only tmpfs
    mount (the test is skipped where mounting is not allowed)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    mounted = False

    def freeze(*files: Path) -> Path:
        nonlocal mounted
        if os.geteuid() == 0:
            if shutil.which("mount") is None or shutil.which("umount") is None:
                pytest.skip("a read-only folder for root needs the mount command")
            if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder)], capture_output=True).returncode:
                pytest.skip("a read-only folder for root needs permission to mount a tmpfs")
            mounted = True
        for file in files:
            shutil.copy(file, folder)
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            folder.chmod(0o555)
        return folder

    yield freeze
    if mounted:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)  # lazy: a file still open must not fail the run
    else:
        folder.chmod(0o755)
