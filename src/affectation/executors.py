"""Running many small tasks: in this process, on a process pool, or on any executor.

One home for what every long computation of the library does (Monte Carlo sweeps, the
pré-choix, careers over several semesters): tasks are small picklable values run by a
module-level function, on any ``concurrent.futures.Executor`` the user passes in (a process
pool, Dask's ``Client.get_executor()``, Ray's…), with a tqdm progress bar over finished tasks.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any, TypeVar

__all__ = ["IN_PROCESS", "PayloadCache", "registered", "run_tasks"]

T = TypeVar("T")
R = TypeVar("R")

IN_PROCESS = ("inline", "serial")
"""Values of ``executor`` that run every task in the calling process, one after another."""


class PayloadCache:
    """What a worker process keeps of a run's shared payload (the instance, the model…): sent
    pickled with each task, unpickled once per process and run, the last ``size`` runs kept.
    In an in-process run :meth:`registered` puts the caller's own object there, so the rules'
    caches hit by identity and the process keeps no copy afterwards. Thread-safe; the one home
    of the cache for the sweep, the pré-choix and the careers."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.lock = threading.Lock()
        self._items: OrderedDict[str, Any] = OrderedDict()

    def get(self, key: str, blob: bytes) -> Any:
        """The payload of run ``key``, unpickled from ``blob`` the first time."""
        with self.lock:
            payload = self._items.get(key)
            if payload is None:
                payload = pickle.loads(blob)
                self._items[key] = payload
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return payload

    def forget(self, key: str) -> None:
        with self.lock:
            self._items.pop(key, None)

    def registered(self, key: str, value: Any,
                   forget: Callable[[str], None] | None = None
                   ) -> contextlib.AbstractContextManager[None]:
        """:func:`registered` on this cache."""
        return registered(self._items, self.lock, key, value, forget)


@contextlib.contextmanager
def registered(
    registry: MutableMapping[str, Any],
    lock: threading.Lock,
    key: str,
    value: Any,
    forget: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """``registry[key] = value`` for the time of an in-process run (the ``inline`` context of
    :func:`run_tasks`): the tasks then find the caller's own objects, not copies; on exit
    ``forget(key)`` (default: drop the entry) leaves the process with no copy."""
    with lock:
        registry[key] = value
    try:
        yield
    finally:
        if forget is not None:
            forget(key)
        else:
            with lock:
                registry.pop(key, None)


def run_tasks(
    tasks: Sequence[T],
    run: Callable[[T], R],
    executor: concurrent.futures.Executor | str | None,
    *,
    progress: bool,
    desc: str,
    inline: contextlib.AbstractContextManager[Any] | None = None,
) -> list[R]:
    """``run(task)`` for every task; the outputs in the order they finish (callers sort).

    ``executor``: one of :data:`IN_PROCESS` runs in this process (inside ``inline``, a context
    the caller uses to hand its own objects to ``run`` instead of copies); ``None`` creates a
    ``ProcessPoolExecutor(os.cpu_count())`` and shuts it down; any executor is used as given
    and left open. After an error, the tasks not started are cancelled."""
    from tqdm.auto import tqdm

    if isinstance(executor, str):
        with inline or contextlib.nullcontext(), tqdm(
            total=len(tasks), disable=not progress, unit="task", desc=desc
        ) as bar:
            outputs = []
            for task in tasks:
                outputs.append(run(task))
                bar.update()
            return outputs
    own = executor is None
    # the pool starts before the progress bar's monitor thread (no fork with threads)
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count()) if own else executor
    submitted: list[concurrent.futures.Future] = []
    try:
        submitted = [pool.submit(run, task) for task in tasks]  # type: ignore[union-attr]
        with tqdm(total=len(tasks), disable=not progress, unit="task", desc=desc) as bar:
            outputs = []
            for future in concurrent.futures.as_completed(submitted):
                outputs.append(future.result())
                bar.update()
            return outputs
    finally:
        for future in submitted:
            future.cancel()  # after an error: drop what has not started
        if own:
            pool.shutdown(wait=True, cancel_futures=True)  # type: ignore[union-attr]
