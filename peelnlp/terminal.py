"""The review loop's terminal: key presses (single keys from a terminal, characters of lines
otherwise) and whether to highlight in colour."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TextIO

ESC = "\x1b"


def wants_color(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and not when the user set ``NO_COLOR`` (https://no-color.org)."""
    stream = stream or sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR")


def terminal_key_reader(stream: TextIO | None = None) -> Callable[[], str]:
    """Single key presses from a terminal; from anything else, the characters of each line in turn
    (type a whole command on one line there, e.g. ``r 1 3``), then ``""`` at the end."""
    stream = stream or sys.stdin
    if stream.isatty():
        try:
            import termios  # noqa: F401  (POSIX only)

            return lambda: _single_key(stream)
        except ImportError:
            pass
    return _line_reader(stream)


def _line_reader(stream: TextIO) -> Callable[[], str]:
    pending: list[str] = []

    def read() -> str:
        if not pending:
            line = stream.readline()
            if not line:
                return ""
            pending.extend(line.rstrip("\r\n") + "\n")
        return pending.pop(0)

    return read


def _single_key(stream: TextIO) -> str:
    """One key press in cbreak mode (no echo, no Enter needed; Ctrl-C still interrupts)."""
    import select
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        key = os.read(fd, 1).decode("utf-8", errors="replace")
        while key == ESC and select.select([fd], [], [], 0.02)[0]:
            os.read(fd, 8)  # an arrow or function key: drop the rest of its escape sequence
        return key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
