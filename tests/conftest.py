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
