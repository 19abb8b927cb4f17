"""The task runner of ``newsetl run``: Prefect's process pool, with workers that share one copy of the models.

Prefect's ``ProcessPoolTaskRunner`` spawns its workers: every worker imports everything and loads every
model itself (~800 MB and ~10 s each). :class:`SharedModelsTaskRunner` is the same runner (the same task
submission, log and event forwarding) on a ``forkserver`` context whose server process imports
:mod:`newsetl.preload` first: the models are loaded once, and each worker is forked from that process, so
it starts at once and shares the models' memory copy-on-write. The server starts (and loads) when the first
batch with documents is submitted (Prefect submits from a resolver thread: the flow goes on extracting the
next batches meanwhile); a run with nothing to process (all unchanged) never loads a model.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from typing import Any, TypeVar

import prefect.task_runners as prefect_runners
from prefect.context import FlowRunContext
from prefect.task_runners import ProcessPoolTaskRunner

PRELOAD = "newsetl.preload"
_LOCK = threading.Lock()
T = TypeVar("T")


class _Context:
    """What ``prefect.task_runners`` sees as ``multiprocessing`` while the pool is created: the same module,
    whose ``get_context`` hands out the forkserver context."""

    def __init__(self, ctx: Any):
        self._ctx = ctx

    def get_context(self, method: str | None = None) -> Any:
        return self._ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(multiprocessing, name)


class SharedModelsTaskRunner(ProcessPoolTaskRunner):
    def __enter__(self):  # noqa: ANN204
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([PRELOAD])
        with _LOCK:  # Prefect 3.8's runner hard-codes "spawn": hand it our context for the pool it creates
            prefect_runners.multiprocessing = _Context(ctx)
            try:
                return super().__enter__()
            finally:
                prefect_runners.multiprocessing = multiprocessing

    def release(self) -> None:
        """Stop the worker processes and their forkserver now (the runner stays entered: ``__exit__`` copes)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        forkserver._forkserver._stop()  # noqa: SLF001 - restarted on demand by the next pool that needs it


def release_workers() -> None:
    """After a flow's last batch: stop its workers and their forkserver (with the models: ~1 GB), so that what the
    flow process does next (story grouping) does not run beside idle workers. A no-op on other task runners."""
    ctx = FlowRunContext.get()
    if ctx is not None and isinstance(ctx.task_runner, SharedModelsTaskRunner):
        ctx.task_runner.release()


def run_isolated(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a short-lived process forked from the workers' forkserver (models already loaded), when
    the flow runs on :class:`SharedModelsTaskRunner`; in this process otherwise. For one-off work of the flow
    process that builds big transient objects (the reference tables: ~250 MB): what it allocates goes back to
    the system when the process exits, instead of staying in the flow process's heap for the whole run."""
    ctx = FlowRunContext.get()
    if ctx is None or not isinstance(ctx.task_runner, SharedModelsTaskRunner):
        return fn(*args)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
        return pool.submit(fn, *args).result()
