"""The README's broker examples, and the reference's Python broker example with our names."""

from tests.brokers.fake_ib import FakeIB


def test_readme_sim_broker_example(panel_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # -- README, "Brokers", as written --
    from tickbook.brokers import SimBroker

    # paper trading on the real daily prices shipped with tickbook (20 S&P 500 stocks)
    broker = SimBroker.sample(1_000_000_00, state_path="paper.jsonl")
    quote = broker.quote("AAPL")  # bid/ask from the slippage model, in cents
    order = broker.submit_order(
        "AAPL",
        "buy",
        100,
        order_type="limit",
        limit_price_cents=quote["bid_cents"],
        client_order_id="rb-1",
    )
    print(order.status, broker.account())
    # -- end --
    broker.close()
    reopened = SimBroker.open(tmp_path / "paper.jsonl")  # another process sees the same
    assert reopened.order_status(client_order_id="rb-1") == order


def test_reference_python_example_with_our_names():
    # nanobook: broker = nanobook.IbkrBroker("127.0.0.1", 4002, client_id=1); here the only
    # change is the import and, for the test, the fake IB (no TWS runs here)
    from tickbook.brokers import IbkrBroker

    broker = IbkrBroker("127.0.0.1", 4002, client_id=1, ib=FakeIB())
    broker.connect()
    positions = broker.positions()  # Position objects; p["symbol"], p["quantity"], ... work
    oid = broker.submit_order("AAPL", "buy", 100, order_type="limit", limit_price_cents=185_00)
    quote = broker.quote("AAPL")  # quote["bid_cents"], ["ask_cents"], ["last_cents"], ["volume"]
    assert positions[0]["symbol"] == "AAPL" and positions[0]["avg_cost_cents"] > 0
    assert oid.order_id and quote["bid_cents"] == 184_99
