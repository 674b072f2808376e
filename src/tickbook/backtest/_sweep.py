"""Parameter sweeps: run a function over every point of a grid, in parallel.

Locally the points go to a process pool (``workers`` processes, the CPU count by default;
``workers=0`` runs them in this process). Given a Dask ``scheduler`` (an address such as
``"tcp://10.0.0.5:8786"``, or a ``distributed.Client``) they go to that cluster instead. The
function and its arguments must pickle: a module-level function, or a ``functools.partial``
of one. Results come back in grid order whatever order they finish in.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tickbook.core._checks import check_int, refuse

__all__ = ["param_grid", "sweep"]

Progress = bool | Callable[[int, int], None]


def param_grid(grid: Mapping[str, Sequence[Any]] | Iterable[Mapping[str, Any]]) -> list[dict]:
    """Return the points of ``grid``: the product of a mapping of lists, or a list of dicts.

    ``{"lookback": [63, 126], "top": [3, 5]}`` gives four points, in row-major order.
    """
    if isinstance(grid, Mapping):
        names = list(grid)
        for name in names:
            values = grid[name]
            if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
                raise refuse(f"grid[{name!r}]", "a non-empty list of values", values)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]
    if isinstance(grid, str | bytes) or not isinstance(grid, Iterable):
        raise refuse("grid", "a mapping of lists, or a list of dicts", grid)
    points = []
    for point in grid:
        if not isinstance(point, Mapping):
            raise refuse("grid", "a mapping of lists, or a list of dicts", point)
        points.append(dict(point))
    return points


class _Bar:
    """A rich progress bar on stderr, or the caller's callback, or nothing."""

    def __init__(self, progress: Progress, total: int, label: str) -> None:
        self._callback = progress if callable(progress) else None
        self._rich = None
        self.total = total
        if progress is True:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._rich = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._rich.add_task(label, total=total)

    def __enter__(self) -> _Bar:
        if self._rich is not None:
            self._rich.start()
        return self

    def advance(self, done: int) -> None:
        if self._rich is not None:
            self._rich.update(self._task, completed=done)
        if self._callback is not None:
            self._callback(done, self.total)

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()


def sweep(
    fn: Callable[..., Any],
    grid: Mapping[str, Sequence[Any]] | Iterable[Mapping[str, Any]],
    *,
    scheduler: Any = None,
    workers: int | None = None,
    progress: Progress = False,
) -> list[tuple[dict[str, Any], Any]]:
    """Call ``fn(**point)`` for every point of ``grid``; return ``[(point, result), ...]``.

    Args:
        fn: the work for one point; it must pickle (see the module docstring).
        grid: a mapping of parameter name to values (their product is swept), or a list of
            parameter dicts.
        scheduler: a Dask scheduler address or ``distributed.Client``: run on that cluster.
        workers: local processes (default: the CPU count; 0: run here, one by one).
        progress: ``True`` for a progress bar on stderr, or a callback ``(done, total)``.
    """
    points = param_grid(grid)
    if not callable(fn):
        raise refuse("fn", "a callable", fn)
    if workers is not None:
        workers = check_int(workers, "workers", lo=0, hi=1024, expected="an integer >= 0")
    with _Bar(progress, len(points), "sweep") as bar:
        if scheduler is not None:
            results = _on_dask(fn, points, scheduler, bar)
        elif workers == 0 or len(points) <= 1:
            results = []
            for k, point in enumerate(points):
                results.append(fn(**point))
                bar.advance(k + 1)
        else:
            results = _on_pool(fn, points, workers or os.cpu_count() or 1, bar)
    return list(zip(points, results, strict=True))


def _call(fn: Callable[..., Any], point: dict[str, Any]) -> Any:
    return fn(**point)


def _on_pool(fn: Callable[..., Any], points: list[dict], workers: int, bar: _Bar) -> list:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # forkserver: workers start clean (no copied threads or locks), load tickbook once each
    context = multiprocessing.get_context("forkserver")
    results: list[Any] = [None] * len(points)
    with ProcessPoolExecutor(max_workers=min(workers, len(points)), mp_context=context) as pool:
        futures = {pool.submit(_call, fn, point): k for k, point in enumerate(points)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            bar.advance(done)
    return results


def _on_dask(fn: Callable[..., Any], points: list[dict], scheduler: Any, bar: _Bar) -> list:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImportError("sweep(scheduler=...) needs Dask: pip install 'tickbook[dask]'") from None

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = [client.submit(_call, fn, point, pure=False) for point in points]
        index = {f.key: k for k, f in enumerate(futures)}
        results: list[Any] = [None] * len(points)
        for done, future in enumerate(as_completed(futures), start=1):
            results[index[future.key]] = future.result()
            bar.advance(done)
        return results
    finally:
        if own:
            client.close()
