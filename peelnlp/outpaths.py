"""Checks on where a command writes, made before it does any work."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError, ResultsError


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file, through symlinks and hard links."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where each would be
        return Path(a).resolve() == Path(b).resolve()


def refuse_overwrite(out: Path, kept: Iterable[tuple[str, Path]], option: str) -> None:
    """Refuse an output path that is one of the ``kept`` files (what each is, its path): writing
    the output would replace it, and with it the user's input or results."""
    for what, path in kept:
        if same_file(Path(out), Path(path)):
            raise InputError(f"{option} {out} is the same file as the {what} {path}, which writing it would "
                             f"replace; choose another {option} path")


def check_output_folder(out: Path, option: str) -> None:
    """Refuse an output whose folder is missing or cannot be written, naming the folder: SQLite
    itself says only "unable to open database file" (and needs the folder writable for its journal,
    the file outputs for their ``.part`` files)."""
    folder = Path(out).parent
    if not folder.is_dir():
        raise ResultsError(f"{option} {out}: expected an existing folder, but {folder} does not exist; "
                           f"create it or choose a path in an existing folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ResultsError(f"{option} {out}: the folder {folder} cannot be written (read-only media, or no write "
                           f"permission); choose a path in a writable folder")
