"""The readable outline of a page: wrapping at the width it is given, and the width it picks."""

import io
from pathlib import Path

import pytest

from peelnlp.records import Page, parse_json
from peelnlp.render import WIDTH, output_width, page_outline

TAGGED = Path(__file__).parent / "data" / "tagged_pages.jsonl"


def tagged_page() -> Page:
    return Page.from_dict(parse_json(TAGGED.read_text(encoding="utf-8").splitlines()[0]))


@pytest.mark.parametrize("width", [60, 80, WIDTH])
def test_every_line_but_the_title_fits_the_width(width):
    lines = page_outline(tagged_page(), width).splitlines()
    assert lines[0].startswith("PEEL") and max(len(line) for line in lines[1:]) <= width


def test_status_lines_wrap_under_their_label():
    lines = page_outline(tagged_page(), 60).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("        status: "))
    assert lines[first + 1].startswith(" " * len("        status: ")) and lines[first + 1].strip()


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_width_is_the_terminals_up_to_the_widest(monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    assert output_width(_Stream(tty=True)) == 72
    monkeypatch.setenv("COLUMNS", "240")
    assert output_width(_Stream(tty=True)) == WIDTH
    monkeypatch.setenv("COLUMNS", "10")
    assert output_width(_Stream(tty=True)) == 40


def test_a_pipe_gets_the_fixed_width(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert output_width(_Stream(tty=False)) == WIDTH


def test_each_status_shows_the_confidence_gaps_gives_it():
    from peelnlp.gapquery import query_gaps

    page = tagged_page()
    text = " ".join(page_outline(page).split())
    gaps = [g for g in query_gaps(TAGGED).gaps if g.page_id == page.id]
    assert gaps and all(f"{g.status.upper()} (confidence {g.confidence:.2f}) — " in text for g in gaps)
