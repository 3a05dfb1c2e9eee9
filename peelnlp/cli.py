"""The ``peelnlp`` command. Each command parses options, calls one library function and formats.

Only this module prints or exits. Heavy libraries are imported inside the commands that need
them, so ``peelnlp --help`` and a one-comment ``peelnlp tag`` start quickly.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
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


PagesArg = Annotated[list[str], typer.Argument(help="Page files, directories of *.txt pages, or - for stdin.", metavar="PAGE",
                                               show_default=False)]


def format_option(text: str, json: str) -> Any:
    """The one output switch every command takes, with what its two forms hold for that command."""
    return Annotated[Format, typer.Option("--format", "-f", help=f"text: {text}; json: {json}.")]


FormatOpt = format_option("a readable outline", "the page record (JSON Lines for several pages)")


def warn_all(lines: Sequence[str], most: int | None = None, more: int = 0, of: str = "") -> None:
    """Each line as a `warning:`, the first ``most`` of them; then how many more there were (those
    left out here, plus ``more`` the caller did not keep), as "… and N more{of}"."""
    for line in lines[:most]:
        typer.echo(f"warning: {line}", err=True)
    more += max(0, len(lines) - most) if most is not None else 0
    if more:
        typer.echo(f"warning: … and {more} more{of}", err=True)


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    typer.echo(f"warning: {message}", err=True)


def handle_errors(func: F) -> F:
    """Map every peelnlp error to one line on stderr and exit code 1; Ctrl-C to exit code 130."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning  # one `warning:` line, not Python's two with a source line
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
        except Exception as exc:  # a bug: still one line, unless the traceback is asked for
            # typer's exits and usage errors carry their exit code (typer vendors click's classes)
            if isinstance(exc, (typer.Exit, typer.Abort)) or hasattr(exc, "exit_code") or os.environ.get("PEELNLP_DEBUG"):
                raise
            fail(f"internal error ({type(exc).__name__}: {exc}); this is a bug in peelnlp: please report it "
                 f"with the input that caused it (PEELNLP_DEBUG=1 shows the traceback)")
            raise typer.Exit(70) from None

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


def collect_after_first(items: Iterable[Any]) -> Iterator[Any]:
    """Yield ``items``, turning the cyclic garbage collector back on once the first has come.

    Until then a command builds only objects that live as long as the process: spaCy, scikit-learn,
    the model. Scanning them for cycles again and again as they pile up costs a one-page
    ``peelnlp tag`` about a tenth of its run; freezing them afterwards keeps later scans small.
    """
    for n, item in enumerate(items):
        if n == 0:
            gc.freeze()
            gc.enable()
        yield item


def emit_pages_promptly(items: Iterable[Any], fmt: Format) -> int:
    """:func:`emit_pages` with the garbage collector held off until the first page is out (see
    :func:`collect_after_first`): for commands whose start-up a user waits on."""
    gc.disable()
    try:
        return emit_pages(collect_after_first(items), fmt)
    finally:
        gc.enable()


def emit_pages(items: Iterable[Any], fmt: Format) -> int:
    """Print each page as it comes (outline or JSON line); failures go to stderr. Returns the failure count."""
    from .records import Failure
    from .render import output_width, page_json, page_outline

    failures, first, width = 0, True, output_width()
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
            typer.echo(("" if first else "\n" + "─" * 60 + "\n") + page_outline(item, width))
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

    if emit_pages_promptly(segmented(read_sources(pages)), fmt):
        raise typer.Exit(1)


CorpusArg = Annotated[Path | None, typer.Argument(help="A corpus folder or one .jsonl file (default: the shipped corpus/).",
                                                 metavar="CORPUS", show_default=False)]


@corpus_app.command("check")
@handle_errors
def corpus_check(path: CorpusArg = None) -> None:
    """Validate every corpus record; print each problem as file:line: message."""
    from .corpus import DEFAULT_CORPUS, check_corpus

    problems = check_corpus(path or DEFAULT_CORPUS)
    for problem in problems:
        typer.echo(problem)
    if problems:
        fail(f"{len(problems)} problem(s) in the corpus")
        raise typer.Exit(1)
    typer.echo("corpus OK")


@corpus_app.command("stats")
@handle_errors
def corpus_stats_cmd(
    path: CorpusArg = None,
    fmt: format_option("tables of counts", "the counts as one JSON object") = Format.text,
) -> None:
    """Count segments per kind, strand, kind × strand, status, recommendations per page and theme."""
    import json

    from .corpus import DEFAULT_CORPUS, corpus_stats
    from .render import stats_table

    stats = corpus_stats(path or DEFAULT_CORPUS)
    typer.echo(json.dumps(stats, indent=1) if fmt is Format.json else stats_table(stats))


@app.command()
@handle_errors
def train(
    corpus: Annotated[Path | None, typer.Option(help="Corpus folder of *.jsonl page records (default: corpus/).")] = None,
    out: Annotated[Path | None, typer.Option(help="Model folder to write (default: models/default/).")] = None,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="Random seed; the same corpus and seed give the same model.")] = 0,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds (grouped by page) for metrics and thresholds.")] = 5,
) -> None:
    """Train the kind, strand and recommendation-link models; print cross-validated metrics."""
    from .corpus import DEFAULT_CORPUS
    from .render import train_summary
    from .store import DEFAULT_MODEL
    from .train import train_model

    report = train_model(corpus or DEFAULT_CORPUS, out or DEFAULT_MODEL, seed=seed, folds=folds)
    typer.echo(train_summary(report.metrics, report.thresholds))
    typer.echo(f"saved {report.path} in {report.seconds:.0f} s")


ModelOpt = Annotated[Path | None, typer.Option("--model", help="Model folder (default: the shipped models/default/).")]


@app.command()
@handle_errors
def tag(
    pages: Annotated[list[str] | None, typer.Argument(help="Page files, directories of *.txt pages, or - for stdin.", metavar="PAGE",
                                                    show_default=False)] = None,
    fmt: FormatOpt = Format.text,
    explain: Annotated[bool, typer.Option("--explain", help="Show the features that pushed each label.")] = False,
    recommendations: Annotated[Path | None, typer.Option("--recommendations", "-r", help="With --comment: a file of recommendations, one per line or bullet.")] = None,
    comment: Annotated[str | None, typer.Option("--comment", "-c", help="With --recommendations: the comment text, or - to read it from stdin.")] = None,
    model: ModelOpt = None,
) -> None:
    """Tag every segment (kind, recommendations, 4P strands) and flag recommendations with no evidenced activity.

    Examples: peelnlp tag examples/west-mercia-8929.txt ·
    peelnlp tag --recommendations recs.txt --comment "LROs have been trained."
    """
    if comment is None and recommendations is not None:
        raise typer.BadParameter("--recommendations FILE needs --comment TEXT, the comment to tag against it "
                                 "(or --comment - to read it from stdin)")
    if recommendations is None and comment is not None:
        raise typer.BadParameter("--comment needs --recommendations FILE, the list of recommendations to tag it against")
    if not pages and recommendations is None:
        raise typer.BadParameter("give page files, or --recommendations FILE with --comment TEXT")
    if pages and recommendations is not None:
        raise typer.BadParameter("give page files or --recommendations with --comment, not both")
    if emit_pages_promptly(_tagged(pages, recommendations, comment, explain, model), fmt):
        raise typer.Exit(1)


def _tagged(pages: list[str] | None, recommendations: Path | None, comment: str | None,
            explain: bool, model: Path | None) -> Iterator[Any]:
    from .pipeline import tag_comment, tag_sources
    from .sources import MAX_PAGE_BYTES, decode_comment, read_recommendation_file, read_sources
    from .store import load_tagger

    tagger = load_tagger(model)
    if recommendations is not None and comment is not None:
        recs = _decoded(lambda: read_recommendation_file(recommendations))
        # Bytes, as for page files: a comment piped in or passed with bad bytes gets them replaced.
        data = sys.stdin.buffer.read(MAX_PAGE_BYTES + 1) if comment == "-" else comment.encode("utf-8", "surrogateescape")
        yield tag_comment(tagger, recs, _decoded(lambda: decode_comment(data)) if data.strip() else "", explain)
    else:
        yield from tag_sources(read_sources(pages or []), tagger, explain=explain)


def _decoded(read: Callable[[], tuple[str, str | None]]) -> str:
    text, warning = read()
    warn_all([warning] if warning else [])
    return text


@app.command()
@handle_errors
def evaluate(
    pages: Annotated[Path, typer.Option("--pages", help="Folder of *.txt pages to tag.")],
    gold: Annotated[Path, typer.Option("--gold", help="Folder of gold page records (*.json, one per page).")],
    fmt: format_option("tables of scores and the kind confusion matrix", "the metrics as one JSON object") = Format.text,
    model: ModelOpt = None,
) -> None:
    """Score the model on gold pages: per-label P/R/F1, kind confusion, links, gaps, boundaries."""
    import json

    from .evaluate import evaluate_dirs
    from .render import evaluation_table

    evaluation = evaluate_dirs(pages, gold, model)
    warn_all(evaluation.warnings, most=10)
    typer.echo(json.dumps(evaluation.metrics, indent=1) if fmt is Format.json else evaluation_table(evaluation.metrics))


# The results-side commands (score, gaps, report, review) live in their own module and register
# themselves on ``app`` when imported; after everything above, which they use, is defined.
from . import cli_results  # noqa: E402,F401

if __name__ == "__main__":
    # `python -m peelnlp.cli` runs this file as a second module, `__main__`; the results-side commands
    # registered on the app of `peelnlp.cli`, so run that one, or they would be missing.
    from peelnlp.__main__ import run

    run()
