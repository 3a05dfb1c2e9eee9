"""The review loop's terminal: whether it gets colour."""

import io

from peelnlp.terminal import wants_color


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_color(_Tty()) and not wants_color(io.StringIO())


def test_no_colour_when_no_color_is_set(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color(_Tty())
