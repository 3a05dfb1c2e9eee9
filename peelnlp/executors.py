"""Where batch scoring runs: in this process, a local process pool, or a dask.distributed cluster.

Each executor loads the model once per worker process and scores chunks of pages with
:func:`score_tasks`; results come back to the process that writes them.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .daskclient import DASK_CONNECT_TIMEOUT, DaskClient
from .errors import ModelError, PeelnlpError
from .inputs import Task
from .pipeline import tag_sources
from .records import Failure, Page
from .results import Scored

Loader = Callable[[Path | None], Any]
Encoder = Callable[[Page], Any]


def load_model(path: Path | None) -> Any:
    """The default loader: the tagger in ``path`` (default: the committed model)."""
    from .store import load_tagger

    return load_tagger(path)


def _load(loader: Loader, model: Path | None) -> Any:
    """Load a worker's tagger, then settle the worker for a long run.

    BLAS is held to one thread: the matrices of a batch are small, and BLAS threads only contend
    with the other workers' processes (only the thread pools of libraries already loaded can be
    limited, hence after loading). What is loaded by now (spaCy, scikit-learn, the model) lives as
    long as the worker, so it is frozen out of the garbage collector's scans, which otherwise walk
    it again at every full collection: about a sixth of the tagging time.
    """
    import gc

    from threadpoolctl import threadpool_limits

    tagger = loader(model)
    threadpool_limits(limits=1)
    gc.freeze()
    return tagger


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
    from .store import ModelVersionWarning

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    warnings.simplefilter("ignore", ModelVersionWarning)  # the main process has warned
    # A forked worker inherits the main process's SIGTERM handler; the pool ends its workers with
    # SIGTERM, which must simply end them.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A failing initializer would make the pool start new workers forever: keep the error instead
    # and raise it at the first call, so the main process reports it once.
    try:
        _WORKER["tagger"] = _load(loader, model)
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
            _WORKER[key] = _load(loader, model)
        return _WORKER[key]


def _dask_info(loader: Loader, model: Path | None) -> tuple[str, str | None]:
    return tagger_info(_cached_tagger(loader, model))


def _dask_score(tasks: Sequence[Task], loader: Loader, model: Path | None, encode: Encoder | None) -> list[Scored]:
    return score_tasks(tasks, _cached_tagger(loader, model), encode)


class Future(Protocol):
    def result(self) -> list[Scored]: ...


@dataclass
class _Ready:
    value: list[Scored]

    def result(self) -> list[Scored]:
        return self.value


class _InProcess:
    """``--workers 1``: no pool, no pickling."""

    def __init__(self, loader: Loader, model: Path | None) -> None:
        self.tagger, self.slots = _load(loader, model), 1

    def info(self) -> tuple[str, str | None]:
        return tagger_info(self.tagger)

    def submit(self, tasks: Sequence[Task], encode: Encoder | None) -> Future:
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

        from .store import warn_versions

        warn_versions(model)  # once, here: each worker would print its own copy
        self.pool = multiprocessing.Pool(workers, initializer=_init_worker, initargs=(loader, model))
        self.slots = 2 * workers  # keeps every worker busy while the main process writes

    def info(self) -> tuple[str, str | None]:
        return self.pool.apply(_pool_info)

    def submit(self, tasks: Sequence[Task], encode: Encoder | None) -> Future:
        return _PoolFuture(self.pool.apply_async(_pool_score, (tasks, encode)))

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


class _Dask:
    """An existing dask.distributed cluster: chunks become tasks; results come back to write here."""

    def __init__(self, address: str, loader: Loader, model: Path | None, timeout: float) -> None:
        self.connection = DaskClient(address, timeout)
        self.client = self.connection.client
        self.loader, self.model = loader, model
        self.slots = max(2, 2 * len(self.client.scheduler_info().get("workers", {})))

    def info(self) -> tuple[str, str | None]:
        return self.client.submit(_dask_info, self.loader, self.model, pure=False).result()

    def submit(self, tasks: Sequence[Task], encode: Encoder | None) -> Future:
        return self.client.submit(_dask_score, list(tasks), self.loader, self.model, encode, pure=False)

    def close(self) -> None:
        self.connection.close()


def executor(loader: Loader, model: Path | None, workers: int, dask: str | None,
             dask_timeout: float = DASK_CONNECT_TIMEOUT) -> Any:
    if dask:
        # Workers load the model from their own disk: pass a path that exists there too.
        return _Dask(dask, loader, model.resolve() if model else None, dask_timeout)
    return _InProcess(loader, model) if workers == 1 else _Pool(loader, model, workers)
