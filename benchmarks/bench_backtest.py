"""The weights bridge: tickbook's ``backtest_weights`` against nanobook's and vectorbt's.

One workload per panel size (bars x symbols: 252x50, 2520x500, 2520x3000): random prices in
cents, random fully-invested target weights rebalanced every bar, 15 bps fees, fractional
quantities, fills at the signal bar's close. Each library gets the arrays and does what its
users must do with them:

- tickbook: ``backtest_weights(weights, prices, ...)`` on the arrays (result with metrics,
  holdings and symbol returns);
- nanobook 0.19: turn the arrays into its list-of-tuples input (``(symbol, BarPrices)`` and
  ``(symbol, weight)`` rows), then ``backtest_weights`` with ``quantity_step=1`` (micro-shares);
- vectorbt: ``Portfolio.from_orders(size_type="targetpercent", group_by=True,
  cash_sharing=True, call_seq="auto", fees=...)`` and its ``value()``.

A last case starts both from the reference documents' rows of ``(symbol, int price)`` and
``(symbol, weight)``: tickbook reads them as they are, nanobook 0.19 needs its prices wrapped
in ``BarPrices`` first. ns per op is per (bar, symbol) cell. ``extras`` prints the final
equity of each and the gap between them (nanobook does not sell before it buys; see
tests/backtest).
"""

from __future__ import annotations

import numpy as np

from benchmarks._harness import Case

try:
    import nanobook
except ImportError:  # the tables then show the others alone
    nanobook = None
try:
    import pandas as pd
    import vectorbt
except ImportError:
    vectorbt = None

FEE_BPS = 15
CASH = 1_000_000_00


def panel(n_bars: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random-walk prices in cents and random weights summing to 1 at every bar."""
    rng = np.random.default_rng(seed)
    close = np.round(100_00 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_bars, n)), axis=0)))
    close = np.maximum(close, 1.0)
    weights = rng.random((n_bars, n))
    weights /= weights.sum(axis=1, keepdims=True)
    return weights, close


def run_tickbook(weights: np.ndarray, close: np.ndarray):
    from tickbook.backtest import backtest_weights

    return backtest_weights(weights, close, CASH, FEE_BPS, quantity_step=0).equity_curve


def run_nanobook(weights: np.ndarray, close: np.ndarray):
    bar = nanobook.BarPrices
    names = [f"S{i:04d}" for i in range(close.shape[1])]
    prices = [
        [(s, bar(p, p, p, p)) for s, p in zip(names, row, strict=True)]
        for row in close.astype(np.int64).tolist()
    ]
    targets = [list(zip(names, row, strict=True)) for row in weights.tolist()]
    result = nanobook.backtest_weights(
        targets,
        prices,
        CASH,
        nanobook.CostModel(commission_bps=FEE_BPS),
        nanobook.FillPolicy.SignalBarClose,
        quantity_step=1,
    )
    return np.asarray(result["equity_curve"][1:], dtype=np.float64)


def run_vectorbt(weights: np.ndarray, close: np.ndarray):
    pf = vectorbt.Portfolio.from_orders(
        pd.DataFrame(close),
        pd.DataFrame(weights),
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        fees=FEE_BPS / 1e4,
        init_cash=CASH,
    )
    return pf.value().to_numpy()


def reference_rows(weights: np.ndarray, close: np.ndarray) -> tuple[list, list]:
    """The reference documents' input: rows of (symbol, weight) and (symbol, int price)."""
    names = [f"S{i:04d}" for i in range(close.shape[1])]
    prices = [list(zip(names, row, strict=True)) for row in close.astype(np.int64).tolist()]
    targets = [list(zip(names, row, strict=True)) for row in weights.tolist()]
    return targets, prices


def run_tickbook_rows(targets: list, prices: list):
    from tickbook.backtest import backtest_weights

    return backtest_weights(targets, prices, CASH, FEE_BPS, quantity_step=0).equity_curve


def run_nanobook_rows(targets: list, prices: list):
    bar = nanobook.BarPrices
    wrapped = [[(s, bar(p, p, p, p)) for s, p in row] for row in prices]
    result = nanobook.backtest_weights(
        targets,
        wrapped,
        CASH,
        nanobook.CostModel(commission_bps=FEE_BPS),
        nanobook.FillPolicy.SignalBarClose,
        quantity_step=1,
    )
    return np.asarray(result["equity_curve"][1:], dtype=np.float64)


def _runners(weights, close, peers=True):
    out = {"tickbook": lambda: run_tickbook(weights, close)}
    if peers and nanobook is not None:
        out["nanobook"] = lambda: run_nanobook(weights, close)
    if peers and vectorbt is not None:
        out["vectorbt"] = lambda: run_vectorbt(weights, close)
    return out


SIZES = [
    ((252, 50), ""),
    ((2520, 500), ">=10x nb, >=3x vbt"),
    ((2520, 3000), "< 1 s (132 ns/cell)"),
]


def cases(quick: bool) -> list[Case]:
    """The bridge on each panel; ``quick`` leaves the peers out of the largest one."""
    out = []
    for (n_bars, n), target in SIZES:
        weights, close = panel(n_bars, n)
        big = n_bars * n > 2_000_000
        case = Case(
            "backtest",
            f"backtest_weights {n_bars}x{n}",
            n_bars * n,
            _runners(weights, close, peers=not (quick and big)),
            unit="cell",
            target=target,
            repeat=2 if big else 5,
        )
        out.append(case)
    targets, prices = reference_rows(*panel(2520, 500))
    runners = {"tickbook": lambda: run_tickbook_rows(targets, prices)}
    if nanobook is not None and not quick:
        runners["nanobook"] = lambda: run_nanobook_rows(targets, prices)
    out.append(Case("backtest", "rows input 2520x500", 2520 * 500, runners, unit="cell", repeat=3))
    return out


def extras(quick: bool) -> list[dict[str, str]]:
    """Final equity of each library on one panel, and the gaps between them."""
    shape = (252, 50) if quick else (2520, 500)
    weights, close = panel(*shape)
    mine = run_tickbook(weights, close)
    rows = []
    if vectorbt is not None:
        theirs = run_vectorbt(weights, close)
        gap = np.max(np.abs(mine / theirs - 1))
        rows.append(
            {
                "metric": f"{shape[0]}x{shape[1]}: max |tickbook / vectorbt - 1| over every bar",
                "tickbook": f"{gap:.1e}",
                "target": "< 1e-9",
            }
        )
    if nanobook is not None:
        nb = run_nanobook(weights, close)
        ref = theirs[-1] if vectorbt is not None else mine[-1]
        rows.append(
            {
                "metric": f"{shape[0]}x{shape[1]}: final equity off vectorbt's",
                "tickbook": f"{mine[-1] / ref - 1:+.2e}",
                "nanobook": f"{nb[-1] / ref - 1:+.2%}",
                "target": "tickbook 0",
            }
        )
    return rows
