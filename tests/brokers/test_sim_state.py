"""SimBroker's journal: a restarted process (even after SIGKILL) sees the same account."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.brokers.conftest import sim_state
from tests.brokers.strategies import ops
from tickbook.backtest import SquareRootImpact
from tickbook.brokers import BrokerError, SimBroker
from tickbook.core import DataError, ValidationError

ROOT = Path(__file__).resolve().parents[2]


def session(broker):
    broker.submit_order("AAPL", "buy", 40, client_order_id="a")
    broker.submit_order("AAPL", "buy", 30, "limit", limit_price_cents=98_00, client_order_id="b")
    broker.submit_order("MSFT", "buy", 5, "stop", stop_price_cents=205_00, client_order_id="c")
    broker.set_price("AAPL", 97_00)
    broker.set_quote("MSFT", 205_00, 206_00)
    broker.submit_order("AAPL", "sell", 10, "limit", limit_price_cents=120_00, client_order_id="d")
    broker.cancel_order(client_order_id="d")


def make(path, **kwargs):
    kwargs.setdefault("prices", {"AAPL": 100_00, "MSFT": 200_00})
    kwargs.setdefault("slippage", SquareRootImpact(volatility=0.02, adv=1_000, spread_bps=4))
    return SimBroker(50_000_00, state_path=path, **kwargs)


def test_reopened_broker_has_the_same_state(tmp_path):
    path = tmp_path / "sim.jsonl"
    b = make(path)
    session(b)
    expected = sim_state(b)
    b.close()
    again = make(path)
    assert sim_state(again) == expected
    b_order = again.order_status(client_order_id="b")
    again.close()
    opened = SimBroker.open(path)  # only the file: the arguments come from its header
    assert sim_state(opened) == expected
    assert opened.order_status(client_order_id="b") == b_order


def test_state_matches_a_broker_without_a_journal(tmp_path):
    b = make(tmp_path / "sim.jsonl")
    model = SquareRootImpact(volatility=0.02, adv=1_000, spread_bps=4)
    plain = SimBroker(50_000_00, prices={"AAPL": 100_00, "MSFT": 200_00}, slippage=model)
    session(b)
    session(plain)
    assert sim_state(b) == sim_state(plain)


def test_refused_orders_are_not_journaled(tmp_path):
    path = tmp_path / "sim.jsonl"
    b = make(path)
    size = path.stat().st_size
    with pytest.raises(BrokerError):
        b.submit_order("AAPL", "buy", 10_000)
    b.submit_order("AAPL", "buy", 1, client_order_id="x")
    grown = path.stat().st_size
    b.submit_order("AAPL", "buy", 1, client_order_id="x")  # idempotent: nothing new
    assert size < grown == path.stat().st_size


def test_a_torn_last_line_was_never_acknowledged_and_is_dropped(tmp_path):
    path = tmp_path / "sim.jsonl"
    b = make(path)
    b.submit_order("AAPL", "buy", 1)
    expected = sim_state(b)
    b.close()
    with path.open("ab") as f:
        f.write(b'{"op":"submit","request":{"symbol":"AAPL"')
    assert sim_state(make(path)) == expected


def test_corrupt_and_foreign_files_are_data_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    b = make(bad)
    b.close()
    with bad.open("ab") as f:
        f.write(b"not json\n")
    with pytest.raises(DataError):
        make(bad)
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"kind": "something else"}\n')
    with pytest.raises(DataError):
        make(foreign)
    with pytest.raises(DataError):
        SimBroker.open(tmp_path / "missing.jsonl")


def test_other_arguments_than_the_files_are_refused(tmp_path):
    path = tmp_path / "sim.jsonl"
    make(path).close()
    with pytest.raises(DataError) as info:
        SimBroker(1_00, prices={"AAPL": 100_00, "MSFT": 200_00}, state_path=path,
                  slippage=SquareRootImpact(volatility=0.02, adv=1_000, spread_bps=4))  # fmt: skip
    assert info.value.field == "cash_cents"


def test_two_brokers_cannot_share_one_file(tmp_path):
    path = tmp_path / "sim.jsonl"
    first = make(path)
    with pytest.raises(BrokerError):
        make(path)
    first.close()
    make(path).close()


CHILD = """
import sys
from tickbook.backtest import FixedBps
from tickbook.brokers import SimBroker
b = SimBroker(10_000_000_00, prices={"AAPL": 100_00}, slippage=FixedBps(1), state_path=sys.argv[1])
for k in range(100_000):
    b.submit_order("AAPL", "buy", 1, client_order_id=f"k{k}")
    print(k, flush=True)
    if k % 3 == 0:
        b.set_price("AAPL", 100_00 + k % 50)
"""


@pytest.mark.parametrize("delay", [0.3, 0.6, 1.1])
def test_sigkill_loses_no_answered_order_and_duplicates_none(tmp_path, delay):
    path = tmp_path / "sim.jsonl"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], env=env,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    answered = -1
    deadline = time.monotonic() + 60
    while answered < 5 and time.monotonic() < deadline:  # wait until it trades
        answered = int(child.stdout.readline())
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    out = child.communicate()[0].split()
    answered = int(out[-1]) if out else answered
    b = SimBroker.open(path)
    orders = [b.order_status(client_order_id=f"k{k}") for k in range(answered + 1)]
    assert all(o.filled_quantity == 1 for o in orders)  # every answered order is there
    held = b.positions()[0].quantity
    assert held in (answered + 1, answered + 2)  # at most one journaled but not yet answered
    assert len({o.order_id for o in orders}) == len(orders)
    b.submit_order("AAPL", "buy", 1, client_order_id=f"k{answered}")  # resend: no duplicate
    assert b.positions()[0].quantity == held


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops, short=st.booleans())
def test_any_session_replays_to_the_same_state(tmp_path_factory, ops, short):
    path = tmp_path_factory.mktemp("replay") / "sim.jsonl"
    b = make(path, allow_short=short)
    base = {"AAPL": 100_00, "MSFT": 200_00}
    for op in ops:
        try:
            if op[0] == "order":
                _, sym, side, qty, kind, offset, tif = op
                price = base[sym] + offset * 10
                b.submit_order(sym, side, qty, kind, tif=tif,
                               limit_price_cents=price if "limit" in kind else None,
                               stop_price_cents=price if "stop" in kind else None)  # fmt: skip
            elif op[0] == "price":
                b.set_price(op[1], base[op[1]] + op[2] * 10)
            else:
                b.cancel_order(str(op[1]))
        except (BrokerError, ValidationError):
            pass
    expected = sim_state(b)
    b.close()
    assert sim_state(SimBroker.open(path)) == expected
