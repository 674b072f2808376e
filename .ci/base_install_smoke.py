"""What the README shows, on a plain base install (``pip install .``, no extras).

Run with the base venv's Python from outside the source tree, so that the installed package
is the one imported. Exits non-zero (an assertion or a traceback) if any of it fails.
"""

from __future__ import annotations

import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

import tickbook
from tickbook import analytics, backtest

if "--dev" not in sys.argv:  # --dev: try the script on a development venv
    assert "site-packages" in tickbook.__file__, f"not the installed: {tickbook.__file__}"
caps = set(tickbook.capabilities())
for name in (
    "backtest_weights", "backtest_walk_forward", "backtest_tear_sheet", "garch_forecast",
    "optimize_min_variance", "value_at_risk", "indicator:rsi", "lob",
):  # fmt: skip
    assert name in caps, name
for name in ("backtest_optuna_search", "backtest_sweep_dask", "panel_parquet"):
    assert name not in caps or "--dev" in sys.argv, f"{name} listed, its extra is not installed"

rng = np.random.default_rng(7)
dates = pd.bdate_range("2020-01-01", periods=500)
dollars = pd.DataFrame(
    100 * np.exp(np.cumsum(rng.normal(3e-4, 0.012, (500, 4)), axis=0)), dates, list("ABCD")
)
returns = dollars.pct_change().dropna()

# the exchange
ex = tickbook.Exchange()
ex.submit_limit("sell", 10_050, 50)
assert ex.submit_limit("buy", 10_100, 20).filled_quantity == 20

# a backtest: dollar prices with their tick size, and the refusal without it
weights = backtest.EqualWeight(21).weights(dollars)
result = tickbook.backtest_weights(weights, dollars, 1_000_000_00, 5, tick_size=0.01)
assert result.metrics is not None and np.isfinite(result.equity_curve).all()
try:
    tickbook.backtest_weights(weights, dollars)
except tickbook.ValidationError as error:
    assert "tick_size" in str(error)
else:
    raise AssertionError("dollar prices without a tick size were taken as ticks")

# walk-forward (pandas), the tear sheet (matplotlib)
cents = dollars * 100
wf = tickbook.walk_forward(
    backtest.EqualWeight, {"rebalance_every": [5, 21]}, cents, train=200, test=100, tick_size=1.0
)
assert len(wf.returns) == 300
with tempfile.TemporaryDirectory() as tmp:
    sheet = tickbook.tear_sheet(result, tmp, "smoke")
    assert Path(sheet.html).stat().st_size > 1000 and Path(sheet.png).stat().st_size > 1000

# GARCH, an optimizer, VaR (scipy), an indicator
pct = returns["A"].to_numpy() * 100
fit = analytics.fit_garch(pct)
assert fit.alpha + fit.beta < 1.0
assert analytics.garch_forecast(pct, 5).shape == (5,)
w = tickbook.optimize_min_variance(returns.to_numpy())
assert abs(float(np.sum(w)) - 1.0) < 1e-6
assert analytics.value_at_risk(returns["A"].to_numpy(), 0.95, method="normal") > 0
assert np.isfinite(tickbook.rsi(dollars["A"].to_numpy())[-1])

# a missing extra: one line that names it
missing = [
    (
        lambda: backtest.optuna_search(
            backtest.EqualWeight, {"rebalance_every": [5]}, cents, n_trials=1, tick_size=1.0
        ),
        "optuna",
        "optuna",
    ),
    (lambda: backtest.sweep(lambda x: x, {"x": [1]}, scheduler="tcp://127.0.0.1:1"), "dask",
     "distributed"),
]  # fmt: skip
for call, extra, module in missing:
    if find_spec(module) is not None:
        assert "--dev" in sys.argv, f"{module} is installed: not a base install"
        continue
    try:
        call()
    except ImportError as error:
        text = str(error)
        assert "\n" not in text and f"pip install 'tickbook[{extra}]'" in text, text
    else:
        raise AssertionError(f"ran without the {extra} extra")

# the sample panel travels with the package: the demo and the paper broker need no checkout
panel = backtest.load_panel(backtest.sample_data_dir() / "sp500_20_stocks_1990_2022.csv.gz")
assert panel.shape == (8313, 20), panel.shape
from tickbook.brokers import SimBroker  # noqa: E402

paper = SimBroker.sample(1_000_000_00)
assert paper.quote("AAPL").bid_cents > 0

print(f"base install smoke: ok ({len(caps)} capabilities, Python {sys.version.split()[0]})")
