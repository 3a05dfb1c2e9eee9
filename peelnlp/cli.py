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


CorpusArg = Annotated[Path | None, typer.Argument(help="A corpus folder or one .jsonl file (default: the shipped corpus/).", show_default=False)]


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
def corpus_stats_cmd(path: CorpusArg = None, fmt: FormatOpt = Format.text) -> None:
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
    seed: Annotated[int, typer.Option(help="Random seed; the same corpus and seed give the same model.")] = 0,
    folds: Annotated[int, typer.Option(help="Cross-validation folds (grouped by page) for metrics and thresholds.")] = 5,
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
    pages: Annotated[list[str] | None, typer.Argument(help="Page files, directories of *.txt pages, or - for stdin.", show_default=False)] = None,
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
    from .pipeline import tag_comment, tag_sources
    from .sources import read_sources
    from .store import load_tagger

    if (recommendations is None) != (comment is None):
        raise typer.BadParameter("--recommendations and --comment go together")
    if not pages and recommendations is None:
        raise typer.BadParameter("give page files, or --recommendations FILE with --comment TEXT")
    tagger = load_tagger(model)
    if recommendations is not None and comment is not None:
        text = sys.stdin.read() if comment == "-" else comment
        emit_pages([tag_comment(tagger, _read_text(recommendations), text, explain)], fmt)
        return
    if emit_pages(tag_sources(read_sources(pages or []), tagger, explain=explain), fmt):
        raise typer.Exit(1)


def _read_text(path: Path) -> str:
    from .errors import InputError
    from .sources import decode_page

    try:
        return decode_page(path.read_bytes(), str(path))[0]
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


class ResultsFormat(str, Enum):
    sqlite = "sqlite"
    jsonl = "jsonl"
    csv = "csv"


class _ScoreBar:
    """A progress bar on stderr: pages done, pages/s and ETA (tqdm), created at the first report."""

    def __init__(self) -> None:
        self.bar: Any = None

    def update(self, progress: Any) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=progress.total, unit="page", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        self.bar.set_postfix_str(f"{progress.skipped} skipped, {progress.failed} failed", refresh=False)
        self.bar.update(progress.done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@app.command()
@handle_errors
def score(
    inputs: Annotated[list[str], typer.Argument(
        help="Page files, directories of *.txt pages, *.jsonl files ({\"id\", \"text\"} per line), "
             "*.csv files (id,text columns), or - for stdin.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results file: .sqlite (default), .jsonl or .csv.", show_default=False)],
    to: Annotated[ResultsFormat | None, typer.Option("--to", help="Output format (default: from the --out suffix, else sqlite).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: all cores).", show_default=False)] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Pages per worker task and per committed transaction.")] = 64,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the committed models/default/).", show_default=False)] = None,
    dask: Annotated[str | None, typer.Option(
        help="Score on an existing dask.distributed cluster at this scheduler address (needs the dask extra).",
        show_default=False)] = None,
) -> None:
    """Score many pages into a results database or file; run it again to finish an interrupted run.

    Example: peelnlp score pages/ corpus.jsonl --out results.sqlite
    """
    from .batch import score as score_pages

    bar = _ScoreBar() if not quiet and sys.stderr.isatty() else None
    try:
        summary = score_pages(inputs, out, to=to.value if to else None, model=model, workers=workers,
                              batch_size=batch_size, dask=dask, on_progress=bar.update if bar else None)
    except KeyboardInterrupt:
        fail(f"interrupted; finished batches are saved in {out}; run the same command again to score the rest")
        raise typer.Exit(130) from None
    finally:
        if bar is not None:
            bar.close()
    for message in summary.failures:
        fail(message)
    if summary.failed > len(summary.failures):
        fail(f"… and {summary.failed - len(summary.failures)} more failed pages (see their error in the results)")
    typer.echo(f"scored {summary.scored} pages, skipped {summary.skipped} already scored, "
               f"{summary.failed} failed → {summary.out}", err=True)
    if summary.failed:
        raise typer.Exit(1)
