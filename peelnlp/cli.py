"""The ``peelnlp`` command. Each command parses options, calls one library function and formats.

Only this module prints or exits. Heavy libraries are imported inside the commands that need
them, so ``peelnlp --help`` and a one-comment ``peelnlp tag`` start quickly.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import __version__
from .errors import PeelnlpError

app = typer.Typer(
    help="Read HMICFRS recommendation pages, tag what each progress comment evidences, and flag the gaps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="Check and describe the annotated training corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

F = TypeVar("F", bound=Callable[..., Any])


class Format(str, Enum):
    text = "text"
    json = "json"


class TableFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


PagesArg = Annotated[list[str], typer.Argument(help="Page files, directories of *.txt pages, or - for stdin.", show_default=False)]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="text: a readable outline; json: the page record (JSON Lines for several pages).")]


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


def handle_errors(func: F) -> F:
    """Map every peelnlp error to one line on stderr and exit code 1; Ctrl-C to exit code 130."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PeelnlpError as exc:
            fail(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            fail("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None

    return wrapper  # type: ignore[return-value]


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"peelnlp {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """peelnlp: parse, tag and review HMICFRS recommendation pages."""


def emit_pages(items: Iterable[Any], fmt: Format) -> int:
    """Print each page as it comes (outline or JSON line); failures go to stderr. Returns the failure count."""
    from .records import Failure
    from .render import page_json, page_outline

    failures, first = 0, True
    for item in items:
        if isinstance(item, Failure):
            failures += 1
            fail(item.error)
            continue
        for warning in item.warnings:
            typer.echo(f"warning: {item.id}: {warning}", err=True)
        if fmt is Format.json:
            typer.echo(page_json(item))
        else:
            typer.echo(("" if first else "\n" + "─" * 60 + "\n") + page_outline(item))
        first = False
    return failures


@app.command()
@handle_errors
def parse(pages: PagesArg, fmt: FormatOpt = Format.text) -> None:
    """Parse pages into recommendations, timeline and comment segments (no labels).

    Example: peelnlp parse examples/west-mercia-8929.txt --format json
    """
    from .pipeline import segmented
    from .sources import read_sources

    failures = emit_pages(segmented(read_sources(pages)), fmt)
    if failures:
        raise typer.Exit(1)
