"""Batch scoring: many pages in, one results store out, in parallel and safe to interrupt.

The main process reads the inputs lazily and groups them into chunks of ``batch_size`` pages
(the workers that score them are in :mod:`peelnlp.executors`).
Pages this model already scored (same content hash and model version) are skipped; the other
pages go to workers (a local process pool, or a dask.distributed cluster), each of which loads the
model once. The main process writes each finished chunk in one transaction, in input order. Only
a few chunks are ever in flight, so memory stays flat whatever the size of the input.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .daskclient import DASK_CONNECT_TIMEOUT, check_dask_address
from .errors import InputError
from .executors import Future, Loader, executor, load_model
from .inputs import Task, count_pages, read_inputs
from .outpaths import check_output_folder, refuse_overwrite
from .resultfiles import open_sink, output_format, status_csv_path
from .results import Counts, ResultsSink, RunInfo
from .sources import expand_paths

DEFAULT_BATCH = 64
MAX_FAILURES_KEPT = 20


@dataclass(frozen=True)
class Progress:
    scored: int
    skipped: int
    failed: int
    total: int | None

    @property
    def done(self) -> int:
        return self.scored + self.skipped + self.failed


@dataclass(frozen=True)
class Summary:
    scored: int
    skipped: int
    failed: int
    out: Path
    format: str
    failures: tuple[str, ...]
    workers: int = 1  # worker processes on this machine (a dask cluster's are its own)
    warnings: tuple[str, ...] = ()  # the first few inputs read with a warning, each naming its source
    warned: int = 0  # how many inputs were


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run. ``saved``: the pages this run wrote before it (SQLite keeps them)."""

    def __init__(self, saved: int) -> None:
        super().__init__()
        self.saved = saved


# ---- the run --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Job:
    inputs: tuple[str, ...]
    model: Path | None
    workers: int
    batch_size: int
    dask: str | None
    dask_timeout: float
    loader: Loader
    on_progress: Callable[[Progress], None] | None


def score(
    inputs: Sequence[str], out: Path, *, to: str | None = None, model: Path | None = None,
    workers: int | None = None, batch_size: int = DEFAULT_BATCH, dask: str | None = None,
    dask_timeout: float = DASK_CONNECT_TIMEOUT,
    on_progress: Callable[[Progress], None] | None = None, loader: Loader | None = None,
) -> Summary:
    """Score every page of ``inputs`` into ``out``; pages already scored by this model are skipped.

    ``loader(model)`` returns a tagger (default: :func:`load_model`); it must be importable by
    name, because worker processes call it. ``on_progress`` is called after every batch.
    ``dask_timeout``: seconds to wait for the ``dask`` scheduler to answer.
    """
    if batch_size < 1 or (workers is not None and workers < 1):
        raise InputError(f"--batch-size and --workers must be at least 1; got {batch_size} and {workers}")
    if dask is not None:  # an empty address is a mistake, not a request to run locally
        check_dask_address(dask)
    cores = os.cpu_count() or 1
    # More processes than cores only share the cores, and each holds its own copy of the model.
    local = min(workers or cores, cores)
    job = _Job(tuple(inputs), model, local, batch_size, dask, dask_timeout, loader or load_model, on_progress)
    out, fmt = Path(out), output_format(Path(out), to)
    for written in (out, status_csv_path(out)) if fmt == "csv" else (out,):
        refuse_overwrite(written, _input_files(inputs, written), "--out")
    check_output_folder(out, "--out")
    sink, counts = open_sink(out, fmt), Counts()
    try:
        _score_into(sink, counts, job)
    except BaseException as exc:
        sink.abort(counts)  # keeps the committed batches (SQLite) or removes the .part files
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(counts.ok + counts.failed).with_traceback(exc.__traceback__) from None
        raise
    sink.finish(counts)
    return Summary(counts.ok, counts.skipped, counts.failed, out, fmt, tuple(counts.failures), local,
                   tuple(counts.warnings), counts.warned)


def _input_files(inputs: Sequence[str], out: Path) -> Iterator[tuple[str, Path]]:
    """The input files an output at ``out`` could be: those named, and the pages found in a named
    directory when ``out`` could be one of them (only ``*.txt`` files are read from directories)."""
    for item in inputs:
        if item == "-":
            continue
        if not Path(item).is_dir():
            yield "input", Path(item)
        elif out.suffix == ".txt":
            yield from (("input page", p) for p in expand_paths([item]) if isinstance(p, Path))


def _score_into(sink: ResultsSink, counts: Counts, job: _Job) -> None:
    total = count_pages(job.inputs) if job.on_progress else None
    ex = executor(job.loader, job.model, job.workers, job.dask, job.dask_timeout)
    try:
        version, corpus = ex.info()
        sink.start(RunInfo(version, corpus, job.inputs))
        report = _reporter(job.on_progress, counts, total)
        report()  # the progress bar appears as soon as the model is loaded
        _run(read_inputs(job.inputs), ex, sink, counts, job.batch_size, report)
    finally:
        ex.close()


def _reporter(on_progress: Callable[[Progress], None] | None, counts: Counts, total: int | None) -> Callable[[], None]:
    def report() -> None:
        if on_progress is not None:
            on_progress(Progress(counts.ok, counts.skipped, counts.failed, total))

    return report


def _run(tasks: Iterable[Task], ex: Any, sink: ResultsSink, counts: Counts, batch_size: int,
         report: Callable[[], None]) -> None:
    """Submit chunks, keeping at most ``ex.slots`` in flight; write each back in input order.

    A page is skipped when the store already has it, or when the same page is in flight already.
    """
    pending: deque[tuple[Future, list[Task]]] = deque()
    in_flight: set[str] = set()
    for chunk in _chunks(tasks, batch_size):
        done = sink.already_scored([t.key for t in chunk]) | in_flight
        todo = list({t.key: t for t in chunk if t.key not in done}.values())
        _note_warnings(todo, counts)  # a page skipped as scored was warned about when it was scored
        counts.skipped += len(chunk) - len(todo)
        if todo:
            in_flight.update(t.key for t in todo)
            pending.append((ex.submit(todo, sink.encoder), todo))
        else:
            report()
        while len(pending) >= ex.slots:
            _collect(pending.popleft(), in_flight, sink, counts, report)
    while pending:
        _collect(pending.popleft(), in_flight, sink, counts, report)


def _collect(job: tuple[Future, list[Task]], in_flight: set[str], sink: ResultsSink, counts: Counts,
             report: Callable[[], None]) -> None:
    future, tasks = job
    texts = {t.key: t.source.text for t in tasks}  # kept here so workers need not send texts back
    batch = [dataclasses.replace(item, raw=texts.get(item.key)) for item in future.result()]
    sink.write(batch)
    in_flight.difference_update(texts)
    for item in batch:
        if item.error is None:
            counts.ok += 1
        else:
            counts.failed += 1
            if len(counts.failures) < MAX_FAILURES_KEPT:
                counts.failures.append(item.error)
    report()


def _note_warnings(tasks: list[Task], counts: Counts) -> None:
    # Each warning is also kept with its page; these are for telling the user as the run ends.
    for task in tasks:
        if task.source.warning is not None:
            counts.warned += 1
            if len(counts.warnings) < MAX_FAILURES_KEPT:
                counts.warnings.append(task.source.warning)


def _chunks(items: Iterable[Task], size: int) -> Iterator[list[Task]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk
