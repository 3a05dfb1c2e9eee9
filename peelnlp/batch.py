"""Batch scoring: many pages in, one results store out, in parallel and safe to interrupt.

The main process reads the inputs lazily and groups them into chunks of ``batch_size`` pages.
Pages this model already scored (same content hash and model version) are skipped; the other
pages go to workers (a local process pool, or a dask.distributed cluster), each of which loads the
model once. The main process writes each finished chunk in one transaction, in input order. Only
a few chunks are ever in flight, so memory stays flat whatever the size of the input.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import InputError, ModelError, PeelnlpError
from .inputs import Task, count_pages, read_inputs
from .pipeline import tag_sources
from .records import Failure, Page
from .resultfiles import open_sink, output_format
from .results import Counts, ResultsSink, RunInfo, Scored

DEFAULT_BATCH = 64
MAX_FAILURES_KEPT = 20
Loader = Callable[[Path | None], Any]
Encoder = Callable[[Page], Any]


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


# ---- workers --------------------------------------------------------------------------------

def load_model(path: Path | None) -> Any:
    """The default loader: the tagger in ``path`` (default: the committed model)."""
    from .store import load_tagger

    tagger = load_tagger(path)
    _one_blas_thread()  # after loading: only the thread pools of libraries already loaded are limited
    return tagger


def _one_blas_thread() -> None:
    """The matrices of a batch are small: BLAS threads only contend with the other workers' processes."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def tagger_info(tagger: Any) -> tuple[str, str | None]:
    return str(tagger.version), (getattr(tagger, "meta", None) or {}).get("corpus_sha256")


def score_tasks(tasks: Sequence[Task], tagger: Any, encode: Encoder | None = None) -> list[Scored]:
    """Parse, segment and tag a chunk of pages; a page that fails gets its error, never the chunk.

    ``encode``: the results sink's encoder, applied here so the writing process need not."""
    try:
        items = list(tag_sources([t.source for t in tasks], tagger))
    except Exception as exc:  # a page that breaks a stage must not take its chunk down with it
        if len(tasks) > 1:
            return [s for t in tasks for s in score_tasks([t], tagger, encode)]
        where = tasks[0].source.path or tasks[0].source.name
        items = [Failure(tasks[0].source.name, f"{where}: scoring failed ({type(exc).__name__}: {exc}); "
                                               "check the page text or report it with the page attached")]
    return [_scored(t, item, encode) for t, item in zip(tasks, items, strict=True)]


def _scored(task: Task, item: Page | Failure, encode: Encoder | None) -> Scored:
    where = task.source.path or task.source.name
    if isinstance(item, Failure):
        return Scored(task.key, task.source.name, where, error=item.error)
    if task.fixed_id and item.id != task.source.name:
        item = dataclasses.replace(item, id=task.source.name)
    if encode is not None:
        return Scored(task.key, item.id, where, encoded=encode(item))
    return Scored(task.key, item.id, where, page=item)


_WORKER: dict[Any, Any] = {}
_WORKER_LOCK = threading.Lock()


def _init_worker(loader: Loader, model: Path | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    # A failing initializer would make the pool start new workers forever: keep the error instead
    # and raise it at the first call, so the main process reports it once.
    try:
        _WORKER["tagger"] = loader(model)
    except PeelnlpError as exc:
        _WORKER["error"] = exc
    except Exception as exc:
        _WORKER["error"] = ModelError(f"cannot load the model in a worker process ({type(exc).__name__}: {exc}); "
                                      "check that `peelnlp tag` works with the same --model")


def _worker_tagger() -> Any:
    if "error" in _WORKER:
        raise _WORKER["error"]
    return _WORKER["tagger"]


def _pool_info() -> tuple[str, str | None]:
    return tagger_info(_worker_tagger())


def _pool_score(tasks: Sequence[Task], encode: Encoder | None) -> list[Scored]:
    return score_tasks(tasks, _worker_tagger(), encode)


def _cached_tagger(loader: Loader, model: Path | None) -> Any:
    """One tagger per dask worker process, loaded at its first task (threads share it)."""
    key = (getattr(loader, "__module__", ""), getattr(loader, "__qualname__", repr(loader)), str(model))
    with _WORKER_LOCK:
        if key not in _WORKER:
            _WORKER[key] = loader(model)
        return _WORKER[key]


def _dask_info(loader: Loader, model: Path | None) -> tuple[str, str | None]:
    return tagger_info(_cached_tagger(loader, model))


def _dask_score(tasks: Sequence[Task], loader: Loader, model: Path | None, encode: Encoder | None) -> list[Scored]:
    return score_tasks(tasks, _cached_tagger(loader, model), encode)


class _Future(Protocol):
    def result(self) -> list[Scored]: ...


@dataclass
class _Ready:
    value: list[Scored]

    def result(self) -> list[Scored]:
        return self.value


class _InProcess:
    """``--workers 1``: no pool, no pickling."""

    def __init__(self, loader: Loader, model: Path | None) -> None:
        self.tagger, self.slots = loader(model), 1

    def info(self) -> tuple[str, str | None]:
        return tagger_info(self.tagger)

    def submit(self, tasks: Sequence[Task], encode: Encoder | None) -> _Future:
        return _Ready(score_tasks(tasks, self.tagger, encode))

    def close(self) -> None:
        pass


class _PoolFuture:
    def __init__(self, async_result: Any) -> None:
        self.async_result = async_result

    def result(self) -> list[Scored]:
        return self.async_result.get()


class _Pool:
    """A local process pool; the initializer loads the model once in each worker."""

    def __init__(self, loader: Loader, model: Path | None, workers: int) -> None:
        import multiprocessing

        self.pool = multiprocessing.Pool(workers, initializer=_init_worker, initargs=(loader, model))
        self.slots = 2 * workers  # keeps every worker busy while the main process writes

    def info(self) -> tuple[str, str | None]:
        return self.pool.apply(_pool_info)

    def submit(self, tasks: Sequence[Task], encode: Encoder | None) -> _Future:
        return _PoolFuture(self.pool.apply_async(_pool_score, (tasks, encode)))

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


class _Dask:
    """An existing dask.distributed cluster: chunks become tasks; results come back to write here."""

    def __init__(self, address: str, loader: Loader, model: Path | None) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise PeelnlpError("--dask needs dask.distributed; install it with: pip install 'peelnlp[dask]'") from None
        try:
            self.client = Client(address, set_as_default=False)  # connect timeout: dask's config
        except (OSError, TimeoutError, ValueError) as exc:
            raise PeelnlpError(f"cannot reach a dask scheduler at {address!r} ({exc}); check the address "
                               "(e.g. tcp://scheduler:8786) and that the scheduler is running") from None
        self.loader, self.model = loader, model
        self.slots = max(2, 2 * len(self.client.scheduler_info().get("workers", {})))

    def info(self) -> tuple[str, str | None]:
        return self.client.submit(_dask_info, self.loader, self.model, pure=False).result()

    def submit(self, tasks: Sequence[Task], encode: Encoder | None) -> _Future:
        return self.client.submit(_dask_score, list(tasks), self.loader, self.model, encode, pure=False)

    def close(self) -> None:
        self.client.close()


def _executor(loader: Loader, model: Path | None, workers: int, dask: str | None) -> Any:
    if dask:
        # Workers load the model from their own disk: pass a path that exists there too.
        return _Dask(dask, loader, model.resolve() if model else None)
    return _InProcess(loader, model) if workers == 1 else _Pool(loader, model, workers)


# ---- the run --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Job:
    inputs: tuple[str, ...]
    model: Path | None
    workers: int
    batch_size: int
    dask: str | None
    loader: Loader
    on_progress: Callable[[Progress], None] | None


def score(
    inputs: Sequence[str], out: Path, *, to: str | None = None, model: Path | None = None,
    workers: int | None = None, batch_size: int = DEFAULT_BATCH, dask: str | None = None,
    on_progress: Callable[[Progress], None] | None = None, loader: Loader | None = None,
) -> Summary:
    """Score every page of ``inputs`` into ``out``; pages already scored by this model are skipped.

    ``loader(model)`` returns a tagger (default: :func:`load_model`); it must be importable by
    name, because worker processes call it. ``on_progress`` is called after every batch.
    """
    if batch_size < 1 or (workers is not None and workers < 1):
        raise InputError(f"--batch-size and --workers must be at least 1; got {batch_size} and {workers}")
    job = _Job(tuple(inputs), model, workers or os.cpu_count() or 1, batch_size, dask, loader or load_model, on_progress)
    out, fmt = Path(out), output_format(Path(out), to)
    sink, counts = open_sink(out, fmt), Counts()
    try:
        _score_into(sink, counts, job)
    except BaseException:
        sink.abort(counts)  # keeps the committed batches (SQLite) or removes the .part files
        raise
    sink.finish(counts)
    return Summary(counts.ok, counts.skipped, counts.failed, out, fmt, tuple(counts.failures))


def _score_into(sink: ResultsSink, counts: Counts, job: _Job) -> None:
    total = count_pages(job.inputs) if job.on_progress else None
    ex = _executor(job.loader, job.model, job.workers, job.dask)
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
    pending: deque[tuple[_Future, list[Task]]] = deque()
    in_flight: set[str] = set()
    for chunk in _chunks(tasks, batch_size):
        done = sink.already_scored([t.key for t in chunk]) | in_flight
        todo = list({t.key: t for t in chunk if t.key not in done}.values())
        counts.skipped += len(chunk) - len(todo)
        if todo:
            in_flight.update(t.key for t in todo)
            pending.append((ex.submit(todo, getattr(sink, "encoder", None)), todo))
        else:
            report()
        while len(pending) >= ex.slots:
            _collect(pending.popleft(), in_flight, sink, counts, report)
    while pending:
        _collect(pending.popleft(), in_flight, sink, counts, report)


def _collect(job: tuple[_Future, list[Task]], in_flight: set[str], sink: ResultsSink, counts: Counts,
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


def _chunks(items: Iterable[Task], size: int) -> Iterator[list[Task]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk
