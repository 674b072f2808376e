import math

import pytest

from tickbook.backtest import param_grid, sweep
from tickbook.core import ValidationError


def power(base, exponent):
    return base**exponent


def test_param_grid_is_the_product_in_row_major_order():
    assert param_grid({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"},
    ]  # fmt: skip
    assert param_grid([{"a": 1}, {"a": 5}]) == [{"a": 1}, {"a": 5}]
    with pytest.raises(ValidationError) as info:
        param_grid({"a": []})
    assert info.value.field == "grid['a']"


def test_serial_sweep_reports_progress_in_grid_order():
    seen = []
    out = sweep(
        power,
        {"base": [2, 3], "exponent": [2, 3]},
        workers=0,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert [r for _, r in out] == [4, 8, 9, 27]
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_process_pool_gives_the_serial_answer():
    grid = {"base": [2, 3, 5], "exponent": [0.5, 2]}
    assert sweep(power, grid, workers=2) == sweep(power, grid, workers=0)


def test_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    grid = {"base": [2, 3], "exponent": [1, 2, 3]}
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        done = []
        out = sweep(
            power, grid, scheduler=cluster.scheduler_address, progress=lambda d, t: done.append(d)
        )
        with distributed.Client(cluster) as client:
            again = sweep(power, grid, scheduler=client)
    assert out == again == sweep(power, grid, workers=0)
    assert sorted(done) == list(range(1, 7))


def test_a_failing_point_raises():
    with pytest.raises(ZeroDivisionError):
        sweep(lambda x: 1 / x, {"x": [1, 0]}, workers=0)
    assert math.isclose(sweep(lambda x: 1 / x, {"x": [4]})[0][1], 0.25)
