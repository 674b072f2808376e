"""Analytics: indicators on a panel, optimizers on 500 assets, GARCH, side by side with the peers.

Workloads (issue 5), all generated from fixed seeds:

- indicators on a 2,520 x 3,000 (days x symbols) random-walk OHLCV panel; ops = cells. tickbook
  takes the (time x symbols) array as is; TA-Lib runs once per symbol on contiguous columns
  prepared untimed; nanobook gets its ``*_panel`` functions (flat row-major input) where it has
  them, else its 1-D function per symbol.
- optimizers on 500 assets x 1,000 days of factor-model returns; ops = 1 solve. cvxpy builds
  and solves the same problem each run with its default solver settings; PyPortfolioOpt's
  ``HRPOpt`` for HRP; nanobook's ``optimize_*`` (its min-variance/max-Sharpe/risk-parity
  are its own algorithms, not necessarily the same optimum).
- GARCH(1,1) fit plus a 10-day variance forecast on 2,520 returns; ops = 1 fit. arch fits the
  same model by SLSQP; nanobook's ``garch_ewma_forecast`` does not estimate (fixed EWMA-like
  parameters) and is shown for scale only.
"""

from __future__ import annotations

import numpy as np

from benchmarks._harness import Case

try:
    import talib
except ImportError:
    talib = None
try:
    import nanobook
except ImportError:
    nanobook = None
try:
    import cvxpy as cp
except ImportError:
    cp = None
try:
    import arch
except ImportError:
    arch = None
try:
    import pypfopt
except ImportError:
    pypfopt = None

TARGET = ">= 1x every peer"


def _panel(t: int, n: int, seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, (t, n)), axis=0))
    spread = np.abs(rng.normal(0.0, 0.01, (t, n)))
    high = close * (1.0 + spread)
    low = close * (1.0 - np.abs(rng.normal(0.0, 0.01, (t, n))))
    volume = rng.integers(1_000, 1_000_000, (t, n)).astype(np.float64)
    returns = np.vstack([np.zeros((1, n)), np.diff(close, axis=0) / close[:-1]])
    return {"high": high, "low": low, "close": close, "volume": volume, "returns": returns}


def _columns(p: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    n = p["close"].shape[1]
    return {k: [np.ascontiguousarray(v[:, j]) for j in range(n)] for k, v in p.items()}


# name -> (inputs, tickbook call, TA-Lib call, nanobook panel call or None, nanobook 1-D or None)
def _indicators():
    import tickbook.analytics as A

    nb = nanobook
    return {
        "sma(20)": ("c", lambda c: A.sma(c, 20), lambda c: talib.SMA(c, 20),
                    nb and (lambda f, n: nb.py_sma_panel(f, n, 20)), None),
        "ema(20)": ("c", lambda c: A.ema(c, 20), lambda c: talib.EMA(c, 20),
                    nb and (lambda f, n: nb.py_ema_panel(f, n, 20)), None),
        "wma(20)": ("c", lambda c: A.wma(c, 20), lambda c: talib.WMA(c, 20), None, None),
        "rsi(14)": ("c", lambda c: A.rsi(c, 14), lambda c: talib.RSI(c, 14),
                    nb and (lambda f, n: nb.py_rsi_panel(f, n, 14)), None),
        "macd(12,26,9)": ("c", lambda c: A.macd(c), lambda c: talib.MACD(c),
                          nb and (lambda f, n: nb.py_macd_panel(f, n)), None),
        "bbands(20,2)": ("c", lambda c: A.bbands(c, 20), lambda c: talib.BBANDS(c, 20),
                         nb and (lambda f, n: nb.py_bbands_panel(f, n, 20)), None),
        "stochrsi(14,5,3)": ("c", lambda c: A.stochrsi(c), lambda c: talib.STOCHRSI(c), None,
                             nb and (lambda c: nb.py_stochrsi(c))),
        "roc(10)": ("c", lambda c: A.roc(c), lambda c: talib.ROC(c), None,
                    nb and (lambda c: nb.py_roc(c))),
        "mom(10)": ("c", lambda c: A.mom(c), lambda c: talib.MOM(c), None,
                    nb and (lambda c: nb.py_mom(c))),
        "trange": ("hlc", lambda h, lo, c: A.trange(h, lo, c),
                   lambda h, lo, c: talib.TRANGE(h, lo, c), None,
                   nb and (lambda h, lo, c: nb.py_trange(h, lo, c))),
        "atr(14)": ("hlc", lambda h, lo, c: A.atr(h, lo, c), lambda h, lo, c: talib.ATR(h, lo, c),
                    nb and (lambda h, lo, c, n: nb.py_atr_panel(h, lo, c, n, 14)), None),
        "natr(14)": ("hlc", lambda h, lo, c: A.natr(h, lo, c),
                     lambda h, lo, c: talib.NATR(h, lo, c), None,
                     nb and (lambda h, lo, c: nb.py_natr(h, lo, c))),
        "stoch(5,3,3)": ("hlc", lambda h, lo, c: A.stoch(h, lo, c),
                         lambda h, lo, c: talib.STOCH(h, lo, c), None,
                         nb and (lambda h, lo, c: nb.py_stoch(h, lo, c))),
        "stochf(5,3)": ("hlc", lambda h, lo, c: A.stochf(h, lo, c),
                        lambda h, lo, c: talib.STOCHF(h, lo, c), None,
                        nb and (lambda h, lo, c: nb.py_stochf(h, lo, c))),
        "adx(14)": ("hlc", lambda h, lo, c: A.adx(h, lo, c), lambda h, lo, c: talib.ADX(h, lo, c),
                    None, nb and (lambda h, lo, c: nb.py_adx(h, lo, c))),
        "dx(14)": ("hlc", lambda h, lo, c: A.dx(h, lo, c), lambda h, lo, c: talib.DX(h, lo, c),
                   None, nb and (lambda h, lo, c: nb.py_dx(h, lo, c))),
        "plus_di(14)": ("hlc", lambda h, lo, c: A.plus_di(h, lo, c),
                        lambda h, lo, c: talib.PLUS_DI(h, lo, c), None,
                        nb and (lambda h, lo, c: nb.py_plus_di(h, lo, c))),
        "cci(14)": ("hlc", lambda h, lo, c: A.cci(h, lo, c), lambda h, lo, c: talib.CCI(h, lo, c),
                    None, nb and (lambda h, lo, c: nb.py_cci(h, lo, c))),
        "willr(14)": ("hlc", lambda h, lo, c: A.willr(h, lo, c),
                      lambda h, lo, c: talib.WILLR(h, lo, c), None,
                      nb and (lambda h, lo, c: nb.py_willr(h, lo, c))),
        "ultosc(7,14,28)": ("hlc", lambda h, lo, c: A.ultosc(h, lo, c),
                            lambda h, lo, c: talib.ULTOSC(h, lo, c), None,
                            nb and (lambda h, lo, c: nb.py_ultosc(h, lo, c))),
        "obv": ("cv", lambda c, v: A.obv(c, v), lambda c, v: talib.OBV(c, v), None,
                nb and (lambda c, v: nb.py_obv(c, v))),
        "ad": ("hlcv", lambda h, lo, c, v: A.ad(h, lo, c, v),
               lambda h, lo, c, v: talib.AD(h, lo, c, v), None,
               nb and (lambda h, lo, c, v: nb.py_ad(h, lo, c, v))),
        "adosc(3,10)": ("hlcv", lambda h, lo, c, v: A.adosc(h, lo, c, v),
                        lambda h, lo, c, v: talib.ADOSC(h, lo, c, v), None,
                        nb and (lambda h, lo, c, v: nb.py_adosc(h, lo, c, v))),
        "vwap(20)": ("hlcv", lambda h, lo, c, v: A.vwap(h, lo, c, v, 20), None, None, None),
        "rolling_volatility(20)": ("r", lambda r: A.rolling_volatility(r, 20), None, None,
                                   nb and (lambda r: nb.py_rolling_volatility(r, 20, 252))),
        "rolling_sharpe(63)": ("r", lambda r: A.rolling_sharpe(r, 63), None, None,
                               nb and (lambda r: nb.py_rolling_sharpe(r, 63, 252))),
    }  # fmt: skip


_KEYS = {"c": ("close",), "cv": ("close", "volume"), "hlc": ("high", "low", "close"),
         "hlcv": ("high", "low", "close", "volume"), "r": ("returns",)}  # fmt: skip


def _indicator_cases(t: int, n: int) -> list[Case]:
    p = _panel(t, n)
    cols = _columns(p) if talib is not None or nanobook is not None else {}
    flat = {k: v.ravel() for k, v in p.items()}
    out = []
    for name, (kind, mine, ta, nb_panel, nb_one) in _indicators().items():
        keys = _KEYS[kind]
        args = [p[k] for k in keys]
        runners = {"tickbook": lambda f=mine, a=args: f(*a)}
        if talib is not None and ta is not None:
            col_args = [cols[k] for k in keys]
            runners["talib"] = lambda f=ta, a=col_args: [f(*x) for x in zip(*a, strict=True)]
        if nb_panel is not None:
            flat_args = [flat[k] for k in keys]
            runners["nanobook"] = lambda f=nb_panel, a=flat_args: f(*a, n)
        elif nb_one is not None:
            col_args = [cols[k] for k in keys]
            runners["nanobook"] = lambda f=nb_one, a=col_args: [f(*x) for x in zip(*a, strict=True)]
        out.append(
            Case("analytics", f"{name} on {t:,}x{n:,}", t * n, runners, unit="cell",
                 target=TARGET, repeat=5)
        )  # fmt: skip
    return out


def _returns(t: int, n: int, seed: int = 9) -> np.ndarray:
    """Daily returns from a 5-factor model, drifts of both signs (drawdowns are unavoidable)."""
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0.0, 1.0, (n, 5)) * 0.006
    factors = rng.normal(0.0, 1.0, (t, 5))
    noise = rng.normal(0.0, 0.012, (t, n))
    drift = rng.uniform(-0.0005, 0.0005, n)
    return drift + factors @ loadings.T + noise


def _optimizer_cases(t: int, n: int) -> list[Case]:
    import tickbook.analytics as A

    r = _returns(t, n)
    cov = np.cov(r, rowvar=False)
    mu = r.mean(axis=0)
    symbols = [f"A{i}" for i in range(n)]
    cases: dict[str, dict] = {
        "min_variance": {"tickbook": lambda: A.optimize_min_variance(r)},
        "max_sharpe": {"tickbook": lambda: A.optimize_max_sharpe(r)},
        "risk_parity": {"tickbook": lambda: A.optimize_risk_parity(r)},
        "hrp": {"tickbook": lambda: A.optimize_hrp(r)},
        "min_cvar(0.95)": {"tickbook": lambda: A.optimize_cvar(r, alpha=0.95)},
        "min_cdar(0.95)": {"tickbook": lambda: A.optimize_cdar(r, alpha=0.95)},
    }
    if cp is not None:
        cases["min_variance"]["cvxpy"] = lambda: _cvx_min_variance(cov)
        cases["max_sharpe"]["cvxpy"] = lambda: _cvx_max_sharpe(cov, mu)
        cases["risk_parity"]["cvxpy"] = lambda: _cvx_risk_parity(cov)
        cases["min_cvar(0.95)"]["cvxpy"] = lambda: _cvx_cvar(r, 0.95)
        cases["min_cdar(0.95)"]["cvxpy"] = lambda: _cvx_cdar(r, 0.95)
    if pypfopt is not None:
        import pandas as pd

        frame = pd.DataFrame(r, columns=symbols)
        cases["hrp"]["pypfopt"] = lambda: pypfopt.HRPOpt(frame).optimize()
    if nanobook is not None:
        cases["min_variance"]["nanobook"] = lambda: nanobook.optimize_min_variance(r, symbols)
        cases["max_sharpe"]["nanobook"] = lambda: nanobook.optimize_max_sharpe(r, symbols)
        cases["risk_parity"]["nanobook"] = lambda: nanobook.optimize_risk_parity(r, symbols)
        cases["hrp"]["nanobook"] = lambda: nanobook.optimize_hrp(r, symbols)
    return [
        Case("analytics", f"{name}, {n} assets x {t:,} days", 1, runners, unit="solve",
             target=TARGET, repeat=3)
        for name, runners in cases.items()
    ]  # fmt: skip


def _cvx_min_variance(cov: np.ndarray) -> np.ndarray:
    w = cp.Variable(cov.shape[0])
    cp.Problem(cp.Minimize(cp.quad_form(w, cov, assume_PSD=True)), [cp.sum(w) == 1, w >= 0]).solve()
    return w.value


def _cvx_max_sharpe(cov: np.ndarray, mu: np.ndarray) -> np.ndarray:
    y = cp.Variable(cov.shape[0])
    cp.Problem(cp.Minimize(cp.quad_form(y, cov, assume_PSD=True)), [mu @ y == 1, y >= 0]).solve()
    return y.value / y.value.sum()


def _cvx_risk_parity(cov: np.ndarray) -> np.ndarray:
    n = cov.shape[0]
    y = cp.Variable(n)
    objective = 0.5 * cp.quad_form(y, cov, assume_PSD=True) - cp.sum(cp.log(y)) / n
    cp.Problem(cp.Minimize(objective)).solve()
    return y.value / y.value.sum()


def _cvx_cvar(r: np.ndarray, alpha: float) -> np.ndarray:
    t, n = r.shape
    w, zeta, u = cp.Variable(n), cp.Variable(), cp.Variable(t)
    cons = [u >= -r @ w - zeta, u >= 0, cp.sum(w) == 1, w >= 0]
    cp.Problem(cp.Minimize(zeta + cp.sum(u) / ((1 - alpha) * t)), cons).solve()
    return w.value


def _cvx_cdar(r: np.ndarray, alpha: float) -> np.ndarray:
    t, n = r.shape
    w, zeta, u, z = cp.Variable(n), cp.Variable(), cp.Variable(t + 1), cp.Variable(t)
    cons = [
        z >= u[1:] - zeta, z >= 0, u[1:] >= u[:-1] - r @ w, u[0] == 0, u[1:] >= 0,
        cp.sum(w) == 1, w >= 0,
    ]  # fmt: skip
    cp.Problem(cp.Minimize(zeta + cp.sum(z) / ((1 - alpha) * t)), cons).solve()
    return w.value


def _garch_cases(t: int) -> list[Case]:
    import tickbook.analytics as A

    rng = np.random.default_rng(17)
    # simulate a GARCH(1,1) in percent: omega 0.02, alpha 0.08, beta 0.9, Student-t(6) shocks
    e = rng.standard_t(6, t + 500) * np.sqrt(4.0 / 6.0)
    r = np.empty(t + 500)
    s2 = 1.0
    for i in range(t + 500):
        r[i] = 0.03 + np.sqrt(s2) * e[i]
        s2 = 0.02 + 0.08 * (r[i] - 0.03) ** 2 + 0.9 * s2
    r = r[500:]
    out = []
    for dist in ("normal", "t"):
        runners = {"tickbook": lambda d=dist: A.fit_garch(r, dist=d).forecast(10)}
        if arch is not None:
            runners["arch"] = lambda d=dist: (
                arch.arch_model(r, vol="GARCH", p=1, q=1, dist=d)
                .fit(disp="off")
                .forecast(horizon=10, reindex=False)
            )
        if nanobook is not None:
            runners["nanobook"] = lambda: nanobook.garch_ewma_forecast(r.tolist())
        out.append(
            Case("analytics", f"GARCH(1,1) {dist} fit + 10-day forecast, {t:,} returns", 1,
                 runners, unit="fit", target=TARGET + " (nanobook: no estimation)", repeat=5)
        )  # fmt: skip
    return out


def cases(quick: bool) -> list[Case]:
    """The analytics workloads; ``quick`` shrinks them for a smoke run."""
    t, n = (252, 300) if quick else (2520, 3000)
    assets, days = (100, 400) if quick else (500, 1000)
    return [
        *_indicator_cases(t, n),
        *_optimizer_cases(days, assets),
        *_garch_cases(1000 if quick else 2520),
    ]
