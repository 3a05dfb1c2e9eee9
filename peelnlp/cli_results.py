"""The results-side commands: ``score`` pages in bulk, then list the ``gaps``, write a ``report``
and ``review`` them. They register on the ``peelnlp`` app defined in :mod:`peelnlp.cli`."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .cli import TableFormat, app, fail, handle_errors, warn_all


class ResultsFormat(str, Enum):
    sqlite = "sqlite"
    jsonl = "jsonl"
    csv = "csv"


@app.command()
@handle_errors
def score(
    inputs: Annotated[list[str], typer.Argument(
        help="Page files, directories of *.txt pages, *.jsonl files ({\"id\", \"text\"} per line), "
             "*.csv files (id,text columns), or - for stdin.", metavar="INPUT", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results file: .sqlite (default), .jsonl or .csv.", show_default=False)],
    fmt: Annotated[ResultsFormat | None, typer.Option(
        "--format", "-f", help="Output format (default: from the --out suffix, else sqlite).", show_default=False)] = None,
    to: Annotated[ResultsFormat | None, typer.Option("--to", hidden=True, help="Older name of --format.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default and most: the machine's cores).", show_default=False)] = None,
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
    from .batch import Interrupted
    from .batch import score as score_pages
    from .render import ProgressBar

    if fmt and to and fmt != to:
        raise typer.BadParameter(f"--format {fmt.value} and --to {to.value} disagree; give --format alone")
    if workers is not None and dask is not None:
        raise typer.BadParameter("--workers sets local worker processes, but with --dask the workers are the "
                                 "cluster's (`dask worker --nworkers N`); give --workers or --dask, not both")
    given = fmt or to  # --to is the older name of --format, kept for existing scripts
    chosen = given.value if given else None
    bar = ProgressBar()
    try:
        with _sigterm_as_interrupt():
            summary = score_pages(inputs, out, to=chosen, model=model, workers=workers,
                                  batch_size=batch_size, dask=dask,
                                  on_progress=None if quiet or not sys.stderr.isatty() else bar.update)
    except KeyboardInterrupt as exc:
        bar.close()
        fail(_interrupted(out, chosen, exc.saved if isinstance(exc, Interrupted) else 0))
        raise typer.Exit(130) from None
    finally:
        bar.close()
    warn_all(summary.warnings, more=summary.warned - len(summary.warnings),
             of=" pages read with a warning (see their warnings in the results)")
    for message in summary.failures:
        fail(message)
    if summary.failed > len(summary.failures):
        fail(f"… and {summary.failed - len(summary.failures)} more failed pages (see their error in the results)")
    typer.echo(f"scored {summary.scored} page{'' if summary.scored == 1 else 's'}, skipped {summary.skipped} already scored, "
               f"{summary.failed} failed → {summary.out}", err=True)
    if summary.failed:
        raise typer.Exit(1)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill`, a job scheduler's stop) as Ctrl-C, so a stopped run cleans up the same way."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread, where no handler can be set: SIGTERM keeps its default
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted(out: Path, to: str | None, saved: int) -> str:
    """What an interrupted run left: SQLite keeps each finished batch; the files are written whole or not at all."""
    from .resultfiles import output_format, status_csv_path

    fmt = output_format(out, to)
    if fmt == "sqlite" and saved:
        return f"interrupted; finished batches are saved in {out}; run the same command again to score the rest"
    if fmt == "sqlite":
        return "interrupted before the first batch was finished, so no pages were saved; run the same command again"
    files = f"{out} and {status_csv_path(out)} are" if fmt == "csv" else f"{out} is"
    return (f"interrupted; nothing was written: {files} written only when a run finishes, and any earlier "
            f"output there is left as it was; run the same command again to score every page from the start, "
            f"or score into a .sqlite file to be able to resume")


ResultsArg = Annotated[Path, typer.Argument(
    help="A results database from `peelnlp score`, or a JSON Lines file of tagged page records.", metavar="RESULTS",
    show_default=False)]


@app.command()
@handle_errors
def gaps(
    results: ResultsArg,
    force: Annotated[str | None, typer.Option(help="Only forces whose name contains this (any case).")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status: concern, planned-only or no-activity (any case).")] = None,
    since: Annotated[str | None, typer.Option(help="Only pages last commented on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only pages last commented on or before this date (YYYY-MM-DD).")] = None,
    strand: Annotated[str | None, typer.Option(help="Only recommendations addressed by segments of this 4P strand: pursue, prevent, protect or prepare (any case).")] = None,
    title: Annotated[str | None, typer.Option(help="Only pages whose title contains this (any case).")] = None,
    min_confidence: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Only gaps the model is at least this sure of (0-1).")] = None,
    sort: Annotated[str, typer.Option(help="page, force, status, date (oldest first) or confidence (least sure first).")] = "page",
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="text, csv (one row per gap) or json (an array of gaps; with --summary, the summary object).")] = TableFormat.text,
    summary: Annotated[bool, typer.Option("--summary", help="Print only the summary: counts by status and force, and 4P coverage.")] = False,
) -> None:
    """List the flagged recommendations (status other than evidenced) with why, and summarise them.

    Example: peelnlp gaps results.sqlite --force kent --status concern --sort date
    """
    from .gapformat import gaps_csv, gaps_json, report_text
    from .gapquery import GapFilter, query_gaps
    from .render import output_width

    if summary and fmt is TableFormat.csv:
        raise typer.BadParameter("--summary prints text or json, not csv")
    found = query_gaps(results, GapFilter(force, status, since, until, strand, title, min_confidence), sort)
    warn_all(found.warnings)
    pieces = (gaps_csv(found.gaps) if fmt is TableFormat.csv else
              gaps_json(found, summary) if fmt is TableFormat.json else report_text(found, summary, output_width()))
    for piece in pieces:
        typer.echo(piece, nl=False)
    if fmt is not TableFormat.csv:
        typer.echo()


@app.command()
@handle_errors
def report(
    results: ResultsArg,
    # No square brackets in help: typer's rich help reads them as markup and drops them, text and all.
    html: Annotated[Path | None, typer.Option("--html", help="The HTML file to write (self-contained; opens offline); "
                                              "report.html when neither --html nor --out is given.", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Another name for --html, as in `score`.", show_default=False)] = None,
) -> None:
    """Write one HTML report: headline counts, 4P coverage by force, the gap table, every page's timeline.

    Example: peelnlp report results.sqlite --html report.html
    """
    from .outpaths import same_file
    from .report import write_report

    if html is not None and out is not None and not same_file(html, out):
        raise typer.BadParameter(f"--html {html} and --out {out} name two files; give one of them")
    done = write_report(results, html or out or Path("report.html"))
    warn_all(done.warnings)
    typer.echo(f"wrote {done.path}: {done.pages} pages, {done.gaps} flagged gaps, {done.size / 1024:.0f} KiB")


@app.command()
@handle_errors
def review(
    results: ResultsArg,
    export: Annotated[Path | None, typer.Option("--export", help="Instead of reviewing, write the reviewed pages as corpus records to this .jsonl file (e.g. corpus/feedback/NAME.jsonl).", show_default=False)] = None,
) -> None:
    """Review flagged gaps and unsure segments one key at a time; every decision is saved at once.

    Keys:
    a accept · n skip · u undo · q quit
    k change kind, then a action, p plan, v verified, c concern, o oversight or x other
    r change recs: type numbers, then Enter (0 for none)
    s toggle strands: 1 pursue, 2 prevent, 3 protect, 4 prepare, then Enter

    Piped in, each line is read as keys: printf 'a\\nkc\\nr 1 3\\nq\\n' | peelnlp review RESULTS

    Decisions go to the review_decisions table of the results database
    (for a .jsonl results file, to RESULTS.review.sqlite beside it); run the command again to resume.
    Then: peelnlp review RESULTS --export corpus/feedback/NAME.jsonl
    """
    if export is not None:
        from .reviewexport import export_feedback

        done = export_feedback(results, export)
        typer.echo(f"wrote {done.path}: {done.pages} reviewed page(s), {done.segments_reviewed} segment(s) "
                   f"reviewed; {'`peelnlp train` now learns from them' if done.read_by_train else _not_trained(done.path)}")
        return
    from .render import output_width
    from .review import run_review
    from .terminal import terminal_key_reader, wants_color

    outcome = run_review(results, terminal_key_reader(), lambda text: typer.echo(text, nl=False),
                         color=wants_color(), warn=lambda line: warn_all([line]), width=output_width())
    if outcome.store is not None:
        typer.echo(f"{outcome.accepted} accepted, {outcome.corrected} corrected, {outcome.skipped} skipped, "
                   f"{outcome.remaining} not reached; decisions saved in {outcome.store}")


def _not_trained(path: Path) -> str:
    from .corpus import DEFAULT_CORPUS

    corpus = DEFAULT_CORPUS.relative_to(Path.cwd()) if DEFAULT_CORPUS.is_relative_to(Path.cwd()) else DEFAULT_CORPUS
    return (f"`peelnlp train` reads only the *.jsonl files under {corpus}/ (or under its --corpus folder): move it to "
            f"{corpus / 'feedback' / (path.stem + '.jsonl')} for train to learn from it")
