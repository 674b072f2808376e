import contextlib
import json

import pytest

from tickbook.execution import AuditLog, RebalanceConfig, Rebalancer, parse_target
from tickbook.risk import RiskConfig

TARGET = {
    "timestamp": "2026-02-08T15:30:00Z",
    "targets": [{"symbol": "AAPL", "weight": 0.20}, {"symbol": "MSFT", "weight": 0.10}],
    "constraints": {"max_position_pct": 0.40, "max_leverage": 1.5},
}


WIDE = RiskConfig(max_order_value_cents=10**9, max_trade_value_cents=10**9)


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


def make(broker, clock, tmp_path, **kw):
    kw.setdefault("config", RebalanceConfig(order_timeout_s=1.0, poll_interval_s=0.1))
    kw.setdefault("risk", WIDE)
    return Rebalancer(broker, tmp_path / "audit.jsonl", clock=clock, sleep=clock.sleep, **kw)


def held(broker):
    return {p.symbol: p.quantity for p in broker.positions()}


def planned(result):
    return {r.symbol: r.target_qty for r in result.plan.rows}


def test_run_reaches_the_plan_and_closes_symbols_absent_from_the_target(broker, clock, tmp_path):
    reb = make(broker, clock, tmp_path)
    result = reb.run(parse_target(TARGET))
    assert result.status == "done" and result.unfilled == ()
    goal = planned(result)
    assert goal["XOM"] == 0  # held, not in the target: closed
    assert goal["AAPL"] == int(0.20 * result.plan.equity_cents / 185_00)
    assert held(broker) == {k: v for k, v in goal.items() if v}
    assert set(broker.submits.values()) == {1}
    assert result.plan.rows[0].symbol == "XOM"  # sells first
    events = [r["event"] for r in AuditLog.read(tmp_path / "audit.jsonl")]
    assert events[:2] == ["run", "confirmed"] and events[-1] == "done"


def test_intent_is_on_disk_before_the_order_leaves(broker, clock, tmp_path):
    seen = []

    def on_step(label, info):
        if label == "submitted":
            lines = (tmp_path / "audit.jsonl").read_text().splitlines()
            intents = [json.loads(x)["cid"] for x in lines if '"intent"' in x]
            seen.append(info["cid"] in intents)

    make(broker, clock, tmp_path, on_step=on_step).run(parse_target(TARGET))
    assert seen and all(seen)


def test_large_orders_are_sliced_under_the_order_value_limit(broker, clock, tmp_path):
    risk = RiskConfig(max_order_value_cents=50_000_00, max_position_pct=0.5)
    result = make(broker, clock, tmp_path, risk=risk).run(parse_target(TARGET))
    assert result.status == "done"
    aapl = [o for o in result.orders if o["symbol"] == "AAPL"]
    assert len(aapl) > 1 and all(o["filled"] * 185_10 <= 50_000_00 for o in aapl)
    assert held(broker)["AAPL"] == planned(result)["AAPL"]


def test_a_passive_order_is_cancelled_and_replaced_after_the_timeout(broker, clock, tmp_path):
    cfg = RebalanceConfig(limit_offset_bps=-20, order_timeout_s=1.0, max_attempts=2)
    result = make(broker, clock, tmp_path, config=cfg).run(parse_target(TARGET))
    assert result.status == "done" and set(result.unfilled) == {"AAPL", "MSFT", "XOM"}
    records = AuditLog.read(tmp_path / "audit.jsonl")
    cids = [r["cid"] for r in records if r["event"] == "cancel"]
    assert any(c.endswith("-AAPL-1") for c in cids) and any(c.endswith("-AAPL-2") for c in cids)
    assert all(o["status"] == "CANCELLED" for o in result.orders)


def test_unknown_outcome_is_looked_up_not_resent(broker, clock, tmp_path):
    reb = make(broker, clock, tmp_path)
    target = parse_target(TARGET)
    run_id = reb.plan(target)[0].run_id
    broker.unknown.add(f"{run_id}-AAPL-1")
    result = reb.run(target)
    assert held(broker)["AAPL"] == planned(result)["AAPL"]
    assert broker.submits[f"{run_id}-AAPL-1"] == 1 and f"{run_id}-AAPL-2" not in broker.submits


def test_a_lost_order_is_found_absent_and_resent_under_the_same_id(broker, clock, tmp_path):
    reb = make(broker, clock, tmp_path)
    target = parse_target(TARGET)
    run_id = reb.plan(target)[0].run_id
    broker.lost.add(f"{run_id}-AAPL-1")
    result = reb.run(target)
    assert held(broker)["AAPL"] == planned(result)["AAPL"]
    # the id is the idempotency key: a late arrival of the first try would be answered, not doubled
    assert broker.submits[f"{run_id}-AAPL-1"] == 1 and f"{run_id}-AAPL-2" not in broker.submits
    events = [r["event"] for r in AuditLog.read(tmp_path / "audit.jsonl")]
    assert "unknown" in events


def test_rate_limited_submission_retries_the_same_id(broker, clock, tmp_path):
    broker.rate_limit = 2
    result = make(broker, clock, tmp_path).run(parse_target(TARGET))
    assert result.status == "done" and set(broker.submits.values()) == {1}
    events = [r["event"] for r in AuditLog.read(tmp_path / "audit.jsonl")]
    assert events.count("rate_limited") == 2


def test_orders_are_paced_at_the_configured_rate(broker, clock, tmp_path):
    cfg = RebalanceConfig(orders_per_second=2.0)
    make(broker, clock, tmp_path, config=cfg).run(parse_target(TARGET))
    assert clock.ns >= 1_000_000_000  # three orders at 2/s: at least a second passed


def test_failed_risk_check_sends_nothing(broker, clock, tmp_path):
    risk = RiskConfig(max_position_pct=0.05)
    result = make(broker, clock, tmp_path, risk=risk).run(parse_target(TARGET))
    assert result.status == "rejected" and result.report.has_failures()
    assert broker.submits == {}
    assert AuditLog.read(tmp_path / "audit.jsonl")[-1]["event"] == "abort"


def test_declined_confirmation_sends_nothing(broker, clock, tmp_path):
    result = make(broker, clock, tmp_path).run(parse_target(TARGET), confirm=lambda p, r: False)
    assert result.status == "declined" and broker.submits == {}


def test_dry_run_logs_and_sends_nothing(broker, clock, tmp_path):
    result = make(broker, clock, tmp_path).run(parse_target(TARGET), dry_run=True)
    assert result.status == "dry_run" and broker.submits == {}
    assert not (tmp_path / "audit.jsonl").exists()


def test_kill_flag_halts_the_run(broker, clock, tmp_path):
    flag = tmp_path / "KILL"
    reb = make(broker, clock, tmp_path, kill_flag=flag)

    def on_step(label, info):
        if label == "submitted":
            flag.touch()

    reb._on_step = on_step
    result = reb.run(parse_target(TARGET))
    assert result.status == "halted" and len(broker.submits) == 1


def test_constraints_only_tighten_the_config(broker, clock, tmp_path):
    reb = make(broker, clock, tmp_path, risk=RiskConfig(max_position_pct=0.15))
    limits = reb.limits_for(parse_target(TARGET))
    assert limits.max_position_pct == 0.15 and limits.max_leverage == 1.5


@pytest.mark.parametrize("crash_at", range(1, 40))
def test_recover_after_a_crash_at_any_step_finishes_without_duplicates(
    broker, clock, tmp_path, crash_at
):
    steps = []

    def on_step(label, info):
        steps.append(label)
        if len(steps) == crash_at:
            raise Crash

    broker.fill_cap = 40  # partial fills: orders stay open across steps
    broker.rate_limit = 0
    cfg = RebalanceConfig(order_timeout_s=0.5, poll_interval_s=0.1, max_attempts=50)
    reb = make(broker, clock, tmp_path, config=cfg, on_step=on_step)
    target = parse_target(TARGET)
    with contextlib.suppress(Crash):
        reb.run(target)
    # the market moves on while the process is down: resting orders may fill meanwhile
    for sym, (bid, ask) in list(broker.quotes.items()):
        broker.set_quote(sym, bid, ask)
    again = make(broker, clock, tmp_path, config=cfg)
    result = again.recover()
    records = AuditLog.read(tmp_path / "audit.jsonl")
    plan = next(r for r in records if r["event"] == "run")["plan"]
    goal = {r["symbol"]: r["target_qty"] for r in plan}
    if result.status == "nothing":  # finished before the crash point
        assert records[-1]["event"] == "done"
    assert held(broker) == {k: v for k, v in goal.items() if v}
    assert set(broker.submits.values()) == {1}
    intents = [r["cid"] for r in records if r["event"] == "intent"]
    assert len(intents) == len(set(intents))
