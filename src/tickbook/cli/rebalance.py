"""``tickbook rebalance``: target weights to orders at a broker, with risk checks and an audit.

    tickbook rebalance status | positions
    tickbook rebalance run examples/target.json [--dry-run] [--force]
    tickbook rebalance reconcile examples/target.json
    tickbook rebalance recover | kill [--off]

``--broker sim`` (the default) is a paper account on tickbook's own books, kept in
``<data-dir>/sim-broker.jsonl`` so successive commands see the same account; its prices come
from ``[broker.sim] prices`` in ``--config`` (a price file, or a table of cents), else from the
sample panel shipped with tickbook (``tickbook/_sample``). The audit log is
``<data-dir>/audit.jsonl``. Exit codes: 0 ok, 1 bad input, 3 the risk check failed (or the
kill switch is on).
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from tickbook.cli._common import ExitCode, console, err_console
from tickbook.core import TickbookError

__all__ = ["app"]

app = typer.Typer(
    no_args_is_help=True,
    help="Rebalance a broker account to target weights (risk-checked, audited, recoverable).",
)

#: Testing hook of the crash-safety test: SIGKILL this process at the Nth step of a run.
KILL_AT_STEP_ENV = "TICKBOOK_REBALANCE_KILL_AT_STEP"
_TABLES = ("risk", "rebalance", "broker")
_BROKERS = ("sim", "binance", "ibkr")
_DEFAULT_PRICES = Path(__file__).resolve().parents[1] / "_sample/sp500_20_stocks_1990_2022.csv.gz"

F = TypeVar("F", bound=Callable[..., Any])


def guarded(command: F) -> F:
    """Print a ``TickbookError`` as one red line and exit 1 (never a traceback)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TickbookError as error:
            err_console.print(f"[red]error:[/red] {error}", markup=True, highlight=False)
            raise typer.Exit(ExitCode.BAD_INPUT) from None

    return wrapper  # type: ignore[return-value]


Broker = Annotated[
    str, typer.Option("--broker", help="Where to trade: sim (paper, the default), binance, ibkr.")
]
Config = Annotated[
    Path | None,
    typer.Option("--config", help="config.toml: [risk], [rebalance] and [broker.*] tables."),
]
DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="TICKBOOK_DATA_DIR",
        help="Where the audit log, the kill switch and the sim account live.",
    ),
]
_DATA_DIR = Path.home() / ".tickbook" / "rebalance"


def _settings(config: Path | None) -> dict[str, Any]:
    from tickbook.core._checks import refuse
    from tickbook.risk._config import read_toml

    doc = read_toml(config) if config is not None else {}
    for key, value in doc.items():
        if key not in _TABLES or not isinstance(value, dict):
            raise refuse(f"{config}", f"only the tables [{'], ['.join(_TABLES)}]", key)
    return doc


def _sim(options: dict[str, Any], data_dir: Path) -> Any:
    from tickbook.brokers import SimBroker
    from tickbook.core._checks import refuse

    state = data_dir / "sim-broker.jsonl"
    if state.exists():
        return SimBroker.open(state)
    known = ("cash_cents", "prices", "allow_short", "commission_bps", "min_commission_cents")
    for key in options:
        if key not in known:
            raise refuse(f"broker.sim.{key}", f"one of {', '.join(known)}", key)
    prices = options.get("prices")
    if prices is None:
        if not _DEFAULT_PRICES.exists():
            raise refuse("broker.sim.prices", "a price file or a table of cents", None)
        prices = _DEFAULT_PRICES
    data_dir.mkdir(parents=True, exist_ok=True)
    return SimBroker(
        options.get("cash_cents", 1_000_000_00),
        prices=prices,
        allow_short=options.get("allow_short", True),
        commission_bps=options.get("commission_bps", 0.0),
        min_commission_cents=options.get("min_commission_cents", 0),
        state_path=state,
    )


def _broker(name: str, settings: dict[str, Any], data_dir: Path) -> Any:
    from tickbook.core._checks import refuse

    if name not in _BROKERS:
        raise refuse("--broker", f"one of {', '.join(_BROKERS)}", name)
    options = settings.get("broker", {}).get(name, {})
    if not isinstance(options, dict):
        raise refuse(f"broker.{name}", "a table", options)
    if name == "sim":
        return _sim(options, data_dir)
    if name == "binance":
        from tickbook.brokers import BinanceBroker

        known = ("api_key_env", "secret_key_env", "testnet", "quote_asset", "base_url",
                 "recv_window_ms", "timeout_s")  # fmt: skip
        for k in options:
            if k not in known:
                raise refuse(f"broker.binance.{k}", f"one of {', '.join(known)}", k)
        key = os.environ.get(options.get("api_key_env", "BINANCE_API_KEY"), "")
        secret = os.environ.get(options.get("secret_key_env", "BINANCE_SECRET_KEY"), "")
        if not key or not secret:
            raise refuse("binance keys", "BINANCE_API_KEY and BINANCE_SECRET_KEY set", "unset")
        extra = {k: options[k] for k in ("recv_window_ms", "timeout_s") if k in options}
        broker = BinanceBroker(
            key,
            secret,
            testnet=options.get("testnet", True),
            quote_asset=options.get("quote_asset", "USDT"),
            base_url=options.get("base_url"),
            **extra,
        )
    else:
        from tickbook.brokers import IbkrBroker

        broker = IbkrBroker(
            options.get("host", "127.0.0.1"), options.get("port", 4002), options.get("client_id", 1)
        )
    broker.connect()
    return broker


def _kill_hook() -> Any:
    raw = os.environ.get(KILL_AT_STEP_ENV)
    if not raw:
        return None
    at = int(raw)
    count = [0]

    def on_step(label: str, info: dict[str, Any]) -> None:
        count[0] += 1
        if count[0] == at:
            os.kill(os.getpid(), signal.SIGKILL)

    return on_step


@contextlib.contextmanager
def _rebalancer(
    broker: str, config: Path | None, data_dir: Path, on_step: Any = None
) -> Iterator[Any]:
    from tickbook.execution import RebalanceConfig, Rebalancer
    from tickbook.risk import RiskConfig

    settings = _settings(config)
    risk = RiskConfig.from_dict(settings.get("risk", {}), where="risk")
    trading = RebalanceConfig.from_dict(settings.get("rebalance", {}))
    venue = _broker(broker, settings, data_dir)
    hooks = [h for h in (on_step, _kill_hook()) if h is not None]

    def step(label: str, info: dict[str, Any]) -> None:
        for hook in hooks:
            hook(label, info)

    try:
        yield Rebalancer(
            venue,
            data_dir / "audit.jsonl",
            risk=risk,
            config=trading,
            kill_flag=data_dir / "KILL",
            on_step=step,
        )
    finally:
        venue.disconnect()  # a sim account releases its state file


def _money(cents: int | None) -> str:
    from tickbook.core import format_price

    return "-" if cents is None else format_price(cents)


def _plan_table(plan: Any) -> Any:
    from rich.table import Table

    table = Table(title=f"plan {plan.run_id} (equity {_money(plan.equity_cents)})")
    for col in ("symbol", "held", "target", "order", "limit", "value", "weight now", "target w"):
        table.add_column(col, justify="left" if col == "symbol" else "right")
    for r in plan.rows:
        order = f"{r.side} {abs(r.delta)}" if r.delta else "-"
        table.add_row(
            r.symbol,
            str(r.held),
            str(r.target_qty),
            order,
            _money(r.limit_cents),
            _money(r.value_cents),
            f"{r.weight_now:.1%}",
            f"{r.weight_target:.1%}",
        )
    return table


def _risk_table(report: Any) -> Any:
    from rich.table import Table

    colours = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}
    table = Table(title="risk checks")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail")
    for c in report.to_dicts():
        table.add_row(c["name"], f"[{colours[c['status']]}]{c['status']}[/]", c["detail"])
    return table


def _reconcile_table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="reconcile: target vs actual")
    for col in ("symbol", "target w", "actual w", "shares", "target shares"):
        table.add_column(col, justify="left" if col == "symbol" else "right")
    for r in rows:
        table.add_row(
            r["symbol"],
            f"{r['target_weight']:.2%}",
            f"{r['actual_weight']:.2%}",
            str(r["shares"]),
            "-" if r["target_shares"] is None else str(r["target_shares"]),
        )
    return table


@app.command()
@guarded
def status(broker: Broker = "sim", config: Config = None, data_dir: DataDir = _DATA_DIR) -> None:
    """Show the broker connection, the account, the kill switch and any unfinished run."""
    with _rebalancer(broker, config, data_dir) as reb:
        acct = reb.broker.account()
        console.print(f"broker: [bold]{broker}[/bold]  connected: {reb.broker.is_connected}")
        console.print(
            f"equity {_money(acct.equity_cents)}  cash {_money(acct.cash_cents)}  "
            f"gross {_money(acct.gross_position_value_cents)}"
        )
        console.print(f"kill switch: {'[red]ON[/red]' if reb.killed() else 'off'}")
        unfinished = reb.audit.unfinished()
        console.print(
            f"unfinished run: {unfinished or 'none'}" + (" (run recover)" if unfinished else "")
        )


@app.command()
@guarded
def positions(broker: Broker = "sim", config: Config = None, data_dir: DataDir = _DATA_DIR) -> None:
    """Show the account's positions."""
    from rich.table import Table

    with _rebalancer(broker, config, data_dir) as reb:
        table = Table(title="positions")
        for col in ("symbol", "quantity", "avg cost", "value", "unrealized"):
            table.add_column(col, justify="left" if col == "symbol" else "right")
        for p in reb.broker.positions():
            table.add_row(
                p.symbol,
                str(p.quantity),
                _money(p.avg_cost_cents),
                _money(p.market_value_cents),
                _money(p.unrealized_pnl_cents),
            )
        console.print(table)


@app.command()
@guarded
def run(
    target: Annotated[Path, typer.Argument(help="target.json: timestamp, targets, constraints.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and check only.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Skip the confirmation (automation). Sends orders!")
    ] = False,
    broker: Broker = "sim",
    config: Config = None,
    data_dir: DataDir = _DATA_DIR,
) -> None:
    """Plan, risk-check, confirm and execute a rebalance to TARGET."""
    from rich.progress import Progress

    from tickbook.execution import load_target

    goal = load_target(target)
    live: dict[str, Any] = {}

    def on_step(label: str, info: dict[str, Any]) -> None:
        if label == "audit:final" and "progress" in live:
            live["progress"].advance(live["task"])
            live["progress"].update(
                live["task"], description=f"{info['symbol']} {info['status'].lower()}"
            )

    with _rebalancer(broker, config, data_dir, on_step) as reb:
        plan, report = reb.plan(goal)
        console.print(_plan_table(plan))
        console.print(_risk_table(report))
        if report.has_failures():
            err_console.print("[red]risk check failed: nothing sent[/red]")
            raise typer.Exit(ExitCode.RISK_REJECTED)
        if dry_run:
            console.print("dry run: nothing sent")
            return
        answer = force or typer.confirm(f"send {len(plan.orders)} orders?", default=False)
        with Progress(console=err_console, transient=True) as progress:
            live["progress"] = progress
            live["task"] = progress.add_task("orders", total=len(plan.orders))
            result = reb.run(
                goal, planned=(plan, report), confirm=None if force else lambda p, r: answer
            )
        _report_result(result, reb)


def _report_result(result: Any, reb: Any) -> None:
    from rich.table import Table

    if result.orders:
        table = Table(title=f"orders of {result.run_id}")
        for col in ("client order id", "side", "qty", "filled", "status"):
            table.add_column(col)
        for o in result.orders:
            table.add_row(o["cid"], o["side"], str(o["qty"]), str(o["filled"]), o["status"])
        console.print(table)
    if result.status in ("done",) and result.plan is not None:
        console.print(_reconcile_table(reb.reconcile_rows(result.plan.target, result.plan)))
    if result.unfilled:
        err_console.print(f"[yellow]not reached: {', '.join(result.unfilled)}[/yellow]")
    console.print(f"run {result.run_id or '-'}: {result.status}")
    if result.status in ("rejected", "halted"):
        raise typer.Exit(ExitCode.RISK_REJECTED)


@app.command()
@guarded
def reconcile(
    target: Annotated[Path, typer.Argument(help="target.json to compare the account with.")],
    broker: Broker = "sim",
    config: Config = None,
    data_dir: DataDir = _DATA_DIR,
) -> None:
    """Compare the account's weights with TARGET."""
    from tickbook.execution import load_target

    goal = load_target(target)
    with _rebalancer(broker, config, data_dir) as reb:
        console.print(_reconcile_table(reb.reconcile_rows(goal)))


@app.command()
@guarded
def recover(broker: Broker = "sim", config: Config = None, data_dir: DataDir = _DATA_DIR) -> None:
    """Finish an interrupted run from the audit log (no order is sent twice)."""
    with _rebalancer(broker, config, data_dir) as reb:
        result = reb.recover()
        if result.status == "nothing":
            console.print("nothing to recover")
            return
        _report_result(result, reb)


@app.command()
@guarded
def kill(
    off: Annotated[bool, typer.Option("--off", help="Release the kill switch.")] = False,
    broker: Broker = "sim",
    config: Config = None,
    data_dir: DataDir = _DATA_DIR,
) -> None:
    """Turn the kill switch on (runs stop, working orders are cancelled) or --off."""
    flag = data_dir / "KILL"
    if off:
        flag.unlink(missing_ok=True)
        console.print("kill switch off")
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    flag.touch()
    with _rebalancer(broker, config, data_dir) as reb:
        cancelled = 0
        for order in reb.broker.open_orders():
            reb.broker.cancel_order(client_order_id=order.client_order_id, symbol=order.symbol)
            cancelled += 1
        console.print(f"[red]kill switch ON[/red]; cancelled {cancelled} working orders")
