"""The tear sheet: metrics, equity and drawdown, rolling Sharpe, monthly returns heatmap.

``tear_sheet`` writes one PNG (every chart and the metrics table in one figure) and one
self-contained HTML page (the same figure embedded, plus the metrics and the monthly returns
as tables); neither refers to any other file.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tickbook.analytics import rolling_sharpe
from tickbook.core._checks import check_int, refuse
from tickbook.portfolio import Metrics, compute_metrics, drawdown_series

__all__ = ["TearSheet", "metrics_rows", "monthly_returns", "tear_sheet"]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True, slots=True)
class TearSheet:
    """Where the report went, and what it showed."""

    html: Path
    png: Path
    metrics: Metrics | None


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.2%}"


def _num(x: float) -> str:
    return "n/a" if math.isnan(x) else ("inf" if math.isinf(x) else f"{x:.2f}")


def metrics_rows(m: Metrics | None) -> list[tuple[str, str]]:
    """Return (label, formatted value) rows for a metrics table."""
    if m is None:
        return [("periods", "0")]
    return [
        ("Total return", _pct(m.total_return)),
        ("CAGR", _pct(m.cagr)),
        ("Volatility (ann.)", _pct(m.volatility)),
        ("Sharpe", _num(m.sharpe)),
        ("Sortino", _num(m.sortino)),
        ("Max drawdown", _pct(m.max_drawdown)),
        ("Calmar", _num(m.calmar)),
        ("Win rate", _pct(m.win_rate)),
        ("Profit factor", _num(m.profit_factor)),
        ("VaR 95% (hist.)", _pct(m.var_95)),
        ("CVaR 95% (hist.)", _pct(m.cvar_95)),
        ("Skew", _num(m.skew)),
        ("Excess kurtosis", _num(m.kurtosis)),
        ("Deflated Sharpe (prob.)", _num(m.deflated_sharpe)),
        ("Periods (win / loss)", f"{m.num_periods} ({m.winning_periods} / {m.losing_periods})"),
    ]


def monthly_returns(returns: Any, index: Any) -> Any:
    """Return compounded returns per month as a DataFrame: years x (Jan..Dec, Year)."""
    import pandas as pd

    r = pd.Series(np.asarray(returns, dtype=np.float64), index=pd.DatetimeIndex(index))
    growth = (1.0 + r).groupby([r.index.year, r.index.month]).prod() - 1.0
    table = growth.unstack(level=1).reindex(columns=range(1, 13))
    table.columns = _MONTHS
    table["Year"] = (1.0 + r).groupby(r.index.year).prod() - 1.0
    table.index.name = "year"
    return table


@dataclass(frozen=True, slots=True)
class _Series:
    """What the report draws: the trading bars' returns, dates and metrics."""

    returns: np.ndarray
    index: Any
    metrics: Metrics | None
    ppy: float
    skipped: int  # warm-up bars left out
    start: Any  # the first trading bar's label (a date or a bar number)


def _inputs(result: Any) -> _Series:
    """The trading bars of any result or a Series: the warm-up before the first target is cut."""
    returns = getattr(result, "returns", None)
    index = getattr(result, "index", None)
    if returns is None:  # a Series or an array of returns
        returns = result
        index = getattr(result, "index", None)
    try:
        r = np.asarray(getattr(returns, "to_numpy", lambda: returns)(), dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise refuse("result", "a backtest result or a 1-D series of returns", result) from None
    if r.ndim != 1 or not np.all(np.isfinite(r)):
        raise refuse("result", "a backtest result or a 1-D series of finite returns", r.shape)
    if index is not None and type(index).__name__ != "DatetimeIndex":
        index = None
    ppy = float(getattr(result, "periods_per_year", 252.0))
    rf = float(getattr(result, "risk_free", 0.0))
    skip = int(getattr(result, "warmup", 0))
    metrics = getattr(result, "metrics", None)
    start = None
    if skip:
        start = index[skip] if index is not None and skip < len(r) else skip
        r = r[skip:]
        index = index[skip:] if index is not None else None
        metrics = None
    if metrics is None and len(r):
        metrics = compute_metrics(r, ppy, rf)
    return _Series(r, index, metrics, ppy, skip, start)


def _warmup_note(s: _Series) -> str:
    if not s.skipped:
        return ""
    if not len(s.returns):
        return f"No target weight was ever non-zero: all {s.skipped} bars are warm-up."
    start = s.start.date() if hasattr(s.start, "date") else f"bar {s.start}"
    return (
        f"Statistics, charts and the monthly table start at {start}, the first bar with a "
        f"non-zero target weight: the {s.skipped} bars before it are the strategy's warm-up "
        "(all cash) and are left out."
    )


def _figure(series, title, benchmark, window, note):
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure

    r, index, metrics = series.returns, series.index, series.metrics
    x = index if index is not None else np.arange(series.skipped, series.skipped + len(r))
    equity = np.cumprod(1.0 + r)
    fig = Figure(figsize=(13, 15), dpi=100, layout="constrained")  # no pyplot: no global state
    grid = fig.add_gridspec(4, 2, height_ratios=[3.0, 1.3, 1.5, 4.2], width_ratios=[1, 2.2])
    fig.suptitle(title, fontsize=15, fontweight="bold")
    if note:
        fig.supxlabel(note, fontsize=8, color="#555555")  # laid out below the charts

    ax = fig.add_subplot(grid[0, :])
    ax.plot(x, equity, color="#1f4e79", lw=1.3, label="strategy")
    if benchmark is not None:
        b_r, b_label = benchmark
        ax.plot(x, np.cumprod(1.0 + b_r), color="#999999", lw=1.0, label=b_label)
    ax.set_yscale("log")
    ax.set_ylabel("growth of 1 (log)")
    ax.set_title("Equity curve", loc="left")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left")

    ax_dd = fig.add_subplot(grid[1, :], sharex=ax)
    dd = drawdown_series(r)
    ax_dd.fill_between(x, dd * 100, 0, color="#c0392b", alpha=0.5, lw=0)
    ax_dd.set_ylabel("drawdown %")
    ax_dd.set_title("Drawdown", loc="left")
    ax_dd.grid(True, alpha=0.3)

    ax_rs = fig.add_subplot(grid[2, :], sharex=ax)
    if len(r) > window:
        rs = rolling_sharpe(r, window, series.ppy)
        ax_rs.plot(x, rs, color="#2e7d32", lw=1.0)
    ax_rs.axhline(0, color="black", lw=0.7)
    ax_rs.set_ylabel("Sharpe")
    ax_rs.set_title(f"Rolling Sharpe ({window} periods, annualized)", loc="left")
    ax_rs.grid(True, alpha=0.3)

    ax_t = fig.add_subplot(grid[3, 0])
    ax_t.axis("off")
    rows = metrics_rows(metrics)
    table = ax_t.table(cellText=[[v] for _, v in rows], rowLabels=[k for k, _ in rows],
                       colLabels=["value"], loc="upper center", cellLoc="right")  # fmt: skip
    table.auto_set_font_size(False)
    table.set_fontsize(10)
    table.scale(0.75, 1.45)
    ax_t.set_title("Metrics", loc="left")

    ax_h = fig.add_subplot(grid[3, 1])
    if index is not None and len(r):
        months = monthly_returns(r, index)
        values = months[_MONTHS].to_numpy() * 100
        finite = values[np.isfinite(values)]
        span = max(float(np.abs(finite).max()) if finite.size else 1.0, 1e-9)
        image = ax_h.imshow(values, cmap="RdYlGn", aspect="auto",
                            norm=TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span))  # fmt: skip
        ax_h.set_xticks(range(12), _MONTHS)
        ax_h.set_yticks(range(len(months)), [str(y) for y in months.index])
        small = len(months) > 20
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax_h.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=6 if small else 8)
        fig.colorbar(image, ax=ax_h, label="monthly return %", shrink=0.8)
        ax_h.set_title("Monthly returns (%)", loc="left")
    else:
        ax_h.axis("off")
        ax_h.text(0.5, 0.5, "no dates: no monthly table", ha="center", va="center")
    return fig


def _html(title, metrics, png_bytes, months, note, ppy) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in metrics_rows(metrics)
    )
    monthly = ""
    if months is not None:
        head = "".join(f"<th>{c}</th>" for c in ["", *months.columns])
        body = []
        for year, row in months.iterrows():
            cells = []
            for v in row.to_numpy():
                if not np.isfinite(v):
                    cells.append("<td></td>")
                    continue
                alpha = min(abs(v) / 0.1, 1.0) * 0.75
                color = f"rgba(46,125,50,{alpha:.2f})" if v >= 0 else f"rgba(192,57,43,{alpha:.2f})"
                cells.append(f'<td style="background:{color}">{v:.1%}</td>')
            body.append(f"<tr><th>{year}</th>{''.join(cells)}</tr>")
        monthly = (
            "<h2>Monthly returns</h2><table class='m'><thead><tr>"
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
    image = base64.b64encode(png_bytes).decode("ascii")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1300px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }}
th {{ text-align: left; }}
table.m td, table.m th {{ font-size: 12px; padding: 2px 6px; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
{f"<p>{html.escape(note)}</p>" if note else ""}
<h2>Metrics</h2><table>{rows}</table>
<h2>Charts</h2><img alt="equity, drawdown, rolling Sharpe and monthly returns"
 src="data:image/png;base64,{image}">
{monthly}
<p><small>Written by tickbook. Returns are per period; annualized at {ppy:g} a year.</small></p>
</body></html>
"""


def _benchmark(benchmark: Any, series: _Series) -> np.ndarray:
    """The benchmark's returns over the report's bars (a result, a Series or an array)."""
    b = getattr(benchmark, "returns", benchmark)
    try:
        b = np.asarray(getattr(b, "to_numpy", lambda: b)(), dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise refuse("benchmark", "a series of returns", type(benchmark).__name__) from None
    n = series.skipped + len(series.returns)
    if b.shape != (n,) or not np.isfinite(b).all():
        raise refuse("benchmark", f"{n} finite returns like the result", b.shape)
    return b[series.skipped :]


def tear_sheet(
    result: Any,
    out_dir: str | Path,
    title: str = "Backtest",
    *,
    benchmark: Any = None,
    benchmark_label: str = "benchmark",
    rolling_window: int = 126,
    name: str = "tearsheet",
    note: str = "",
) -> TearSheet:
    """Write ``<name>.png`` and ``<name>.html`` for ``result`` into ``out_dir``.

    Args:
        result: a ``BacktestResult``, ``StrategyResult``, ``WalkForwardResult`` or a pandas
            Series of returns (dates give the monthly table). The bars of a backtest before
            its first non-zero target weight (its ``warmup``) are left out of every figure
            and statistic, and the report says so.
        out_dir: folder to write to (created if missing).
        title: the report's heading.
        benchmark: returns of a benchmark over the same periods (an array, a Series or
            another backtest's result), drawn on the equity chart.
        benchmark_label: its legend label.
        rolling_window: periods of the rolling Sharpe ratio.
        name: file name stem.
        note: a line of caveats printed under the title (HTML) and at the foot (PNG).
    """
    import io

    for field, text in (("title", title), ("benchmark_label", benchmark_label), ("note", note)):
        if not isinstance(text, str):
            raise refuse(field, "a string", text)
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise refuse("name", "a file name stem without folders", name)
    check_int(rolling_window, "rolling_window", lo=2, hi=1_000_000, expected="bars in [2, 1e6]")
    series = _inputs(result)
    r, index = series.returns, series.index
    bench = None
    if benchmark is not None:
        bench = (_benchmark(benchmark, series), benchmark_label)
    note = " ".join(x for x in (note, _warmup_note(series)) if x)
    try:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
    except (TypeError, OSError) as error:
        raise refuse("out_dir", f"a folder that can be written ({error})", out_dir) from None
    fig = _figure(series, title, bench, rolling_window, note)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png_bytes = buffer.getvalue()
    png = out / f"{name}.png"
    try:
        png.write_bytes(png_bytes)
    except OSError as error:
        raise refuse("out_dir", f"a folder that can be written ({error})", str(out)) from None
    months = monthly_returns(r, index) if index is not None and len(r) else None
    page = out / f"{name}.html"
    metrics = series.metrics
    page.write_text(_html(title, metrics, png_bytes, months, note, series.ppy), encoding="utf-8")
    return TearSheet(html=page, png=png, metrics=metrics)
