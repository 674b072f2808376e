import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickbook.book import Exchange, MultiExchange
from tickbook.core import DataError, ValidationError
from tickbook.portfolio import CostModel, Portfolio


def test_reference_example_matches_nanobook_figures():
    # nanobook 0.19 gives cash 9,862,953 and the same positions for this call
    pf = Portfolio(1_000_000_00, CostModel(commission_bps=10, slippage_bps=5, min_trade_fee=100))
    result = pf.rebalance_simple(
        [("AAPL", 0.6), ("MSFT", 0.3)], [("AAPL", 150_00), ("MSFT", 333_33)]
    )
    assert pf.cash == 9_862_953
    assert pf.position("AAPL").quantity == 4000
    assert pf.position("AAPL").avg_entry_price == 15008
    assert pf.position("MSFT").quantity == 900
    assert result.costs == 60_032 + 30_015
    ret = pf.record_return([("AAPL", 155_00), ("MSFT", 330_00)])
    assert ret == pytest.approx(0.01562953)
    assert pf.equity_curve().tolist() == [100_000_000, 101_562_953]


def test_sells_fund_buys_in_the_same_rebalance():
    # holding B, switching to A: the sale of B pays for A at once (no bar in cash)
    pf = Portfolio(1_000_000_00)
    prices = {"A": 100_00, "B": 100_00}
    pf.rebalance_simple({"B": 1.0}, prices)
    result = pf.rebalance_simple([("A", 1.0), ("B", 0.0)], prices)
    assert [f.symbol for f in result.fills] == ["B", "A"]
    assert pf.position("A").quantity == 10_000 and pf.position("B").is_flat
    assert pf.cash == 0 and result.unfilled == ()


def test_held_symbols_missing_from_targets_are_closed():
    pf = Portfolio(100_000_00)
    pf.rebalance_simple({"A": 0.5, "B": 0.5}, {"A": 10_00, "B": 20_00})
    pf.rebalance_simple({"A": 1.0}, {"A": 10_00, "B": 20_00})
    assert pf.position("B").is_flat and pf.position("A").quantity == 10_000


def test_a_held_symbol_without_a_price_is_kept_at_its_last_price():
    pf = Portfolio(100_000_00)
    pf.rebalance_simple({"A": 0.5, "B": 0.5}, {"A": 10_00, "B": 20_00})
    pf.rebalance_simple({"A": 0.5}, {"A": 12_00})  # B has no price: left alone
    assert pf.position("B").quantity == 2500
    assert pf.total_equity() == pf.cash + pf.position("A").quantity * 12_00 + 2500 * 20_00


def test_buys_are_cut_to_the_cash_and_reported():
    pf = Portfolio(10_000_00, CostModel(commission_bps=100))
    result = pf.rebalance_simple({"A": 1.0}, {"A": 100_00})
    # 100 shares would cost 10,100.00 with the fee: 99 fit
    assert pf.position("A").quantity == 99
    assert pf.cash >= 0
    assert result.unfilled == (("A", 1.0),)


def test_fractional_steps():
    pf = Portfolio(1_000_00, quantity_step=0.001)
    pf.rebalance_simple({"AAPL": 0.6}, {"AAPL": 150_00})
    assert pf.position("AAPL").quantity == 4.0
    pf = Portfolio(1_000_00, quantity_step=0.001)
    pf.rebalance_simple({"AAPL": 0.6}, {"AAPL": 149_99})
    assert pf.position("AAPL").quantity == 4.0  # 4.00026... rounds toward zero
    assert pf.quantity_step == 0.001


def test_no_trade_band_leaves_small_drifts_alone():
    pf = Portfolio(1_000_000_00, no_trade_band_bps=100)
    pf.rebalance_simple({"A": 0.5, "B": 0.5}, {"A": 100_00, "B": 100_00})
    result = pf.rebalance_simple({"A": 0.5, "B": 0.5}, {"A": 101_00, "B": 100_00})
    assert result.fills == ()  # drift of 0.25% < 1%
    result = pf.rebalance_simple({"A": 0.5, "B": 0.5}, {"A": 110_00, "B": 100_00})
    assert {f.symbol for f in result.fills} == {"A", "B"}


def test_min_and_max_order_value():
    pf = Portfolio(1_000_000_00, min_order_value=1_000_00, max_order_value=100_000_00)
    result = pf.rebalance_simple({"A": 0.0005, "B": 0.5}, {"A": 10_00, "B": 10_00})
    assert [f.symbol for f in result.fills] == ["B"]  # A's $500 order is skipped
    assert result.fills[0].notional == 100_000_00  # B's $500k order shrinks to $100k


def test_trade_cap_keeps_the_largest_drifts():
    pf = Portfolio(1_000_000_00, max_trades_per_rebalance=2)
    result = pf.rebalance_simple(
        {"A": 0.1, "B": 0.3, "C": 0.2, "D": 0.3}, dict.fromkeys("ABCD", 10_00)
    )
    assert sorted(f.symbol for f in result.fills) == ["B", "D"]  # ties kept in symbol order
    assert (
        pf.rebalance_simple(
            {"A": 0.1, "B": 0.3, "C": 0.2, "D": 0.3}, dict.fromkeys("ABCD", 10_00)
        ).order_count
        == 2
    )


def test_traded_value_cap_spends_on_the_largest_drifts_first():
    pf = Portfolio(1_000_000_00, max_rebalance_notional=400_000_00)
    result = pf.rebalance_simple({"A": 0.1, "B": 0.3, "C": 0.2}, dict.fromkeys("ABC", 10_00))
    assert {f.symbol: f.notional for f in result.fills} == {"B": 300_000_00, "C": 100_000_00}
    assert result.traded_value == 400_000_00


def test_refused_input_leaves_the_portfolio_unchanged():
    pf = Portfolio(1_000_000_00)
    pf.rebalance_simple({"A": 0.5}, {"A": 10_00})
    before = pf.to_dict()
    for targets, prices, field in [
        ({"A": float("nan")}, {"A": 10_00}, "targets[A]"),
        ({"A": 0.5}, {"A": 10.5}, "prices[A]"),
        ({"A": 0.5}, {"A": -1}, "prices[A]"),
        ({"B": 0.5}, {"A": 10_00}, "prices"),
        ({"bad symbol": 0.5}, {"A": 10_00}, "targets"),
        ([("A", 0.5), ("A", 0.2)], {"A": 10_00}, "targets"),
    ]:
        with pytest.raises(ValidationError) as info:
            pf.rebalance_simple(targets, prices)
        assert info.value.field == field
    assert pf.to_dict() == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"initial_cash": 0}, "initial_cash"), ({"quantity_step": -1}, "quantity_step"),
     ({"quantity_step": 1e-9}, "quantity_step"), ({"no_trade_band_bps": -1}, "no_trade_band_bps"),
     ({"max_trades_per_rebalance": -1}, "max_trades_per_rebalance"),
     ({"min_order_value": 1.5}, "min_order_value"), ({"cost_model": "zero"}, "cost_model")],
)  # fmt: skip
def test_bad_options_are_refused(kwargs, field):
    args = {"initial_cash": 1_000_00, **kwargs}
    with pytest.raises(ValidationError) as info:
        Portfolio(**args)
    assert info.value.field == field


def test_returns_equity_and_metrics():
    pf = Portfolio(100_000_00)
    pf.rebalance_simple({"A": 1.0}, {"A": 100_00})
    for price in (110_00, 99_00, 108_90):
        pf.record_return({"A": price})
    assert pf.returns() == pytest.approx([0.1, -0.1, 0.1])
    assert pf.equity_curve().tolist() == [100_000_00, 110_000_00, 99_000_00, 108_900_00]
    assert pf.compute_metrics(12.0).total_return == pytest.approx(0.089)
    assert Portfolio(1_00).compute_metrics() is None


def test_save_and_load_json_round_trip(tmp_path):
    pf = Portfolio(
        1_000_000_00, CostModel(commission_bps=3), quantity_step=0.5, max_trades_per_rebalance=3
    )
    pf.rebalance_simple({"A": 0.4, "B": -0.2}, {"A": 123_45, "B": 67_89})
    pf.record_return({"A": 124_00, "B": 67_00})
    path = tmp_path / "pf.json"
    pf.save_json(path)
    again = Portfolio.load_json(path)
    assert again.to_dict() == pf.to_dict()
    assert again.position("B").quantity == pf.position("B").quantity < 0


def test_load_json_refuses_a_corrupt_file(tmp_path):
    path = tmp_path / "pf.json"
    path.write_text("{not json")
    with pytest.raises(DataError):
        Portfolio.load_json(path)
    data = Portfolio(1_00).to_dict()
    data["cash"] = "lots"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError):
        Portfolio.load_json(path)


def _book(bid, ask, levels=3, qty=100, tick=5, ex=None):
    ex = Exchange() if ex is None else ex
    for k in range(levels):
        ex.submit_limit("sell", ask + k * tick, qty)
        ex.submit_limit("buy", bid - k * tick, qty)
    return ex


def test_rebalance_lob_pays_the_spread_and_walks_the_depth():
    books = MultiExchange()
    _book(99_95, 100_05, ex=books.get_or_create("A"))  # mid $100.00, 100 shares per level
    pf = Portfolio(25_000_00, CostModel(commission_bps=10))
    result = pf.rebalance_lob({"A": 1.0}, books)
    (fill,) = result.fills
    # $25,000 at the $100.00 mid is 250 shares: 100 @ 100.05, 100 @ 100.10, 50 @ 100.15,
    # which with the fee costs more than the cash: 249 shares are bought
    assert fill.quantity == 249
    cost = 100 * 100_05 + 100 * 100_10 + 49 * 100_15
    assert fill.notional == cost and fill.price == pytest.approx(cost / 249)
    assert pf.cash == 25_000_00 - cost - fill.cost >= 0
    assert result.unfilled == (("A", 1.0),)
    assert books.get("A").best_ask() == 100_15
    sold = pf.rebalance_lob({}, {"A": books.get("A")}).fills[0]
    assert sold.quantity == -249 and sold.price < 99_95  # walks the bids
    assert pf.position("A").is_flat


def test_rebalance_lob_needs_whole_shares_and_quotes():
    with pytest.raises(ValidationError) as info:
        Portfolio(1_000_00, quantity_step=0.1).rebalance_lob({"A": 1.0}, MultiExchange())
    assert info.value.field == "quantity_step"
    with pytest.raises(ValidationError) as info:
        Portfolio(1_000_00).rebalance_lob({"A": 1.0}, MultiExchange())
    assert info.value.field == "exchanges"


def test_current_weights_and_snapshot():
    pf = Portfolio(100_000_00)
    pf.rebalance_simple({"A": 0.25, "B": 0.5}, {"A": 10_00, "B": 10_00})
    weights = pf.current_weights({"A": 10_00, "B": 10_00})
    assert weights == pytest.approx({"A": 0.25, "B": 0.5})
    snap = pf.snapshot()
    assert snap["num_positions"] == 2 and snap["equity"] == 100_000_00
    assert np.isclose(sum(snap["weights"].values()), 0.75)


def test_plan_lists_the_orders_without_sending_them():
    pf = Portfolio(1_000_000_00)
    pf.rebalance_simple({"A": 0.5, "B": 0.5}, {"A": 100_00, "B": 100_00})
    before = pf.to_dict()
    orders = pf.plan({"A": 0.2, "C": 0.3, "B": 0.5}, {"A": 100_00, "B": 100_00, "C": 50_00})
    assert orders == [("A", -3000.0), ("C", 6000.0)]  # sells first
    assert pf.to_dict() == before


def test_trade_on_book_books_each_trade():
    pf = Portfolio(1_000_000_00, CostModel(commission_bps=1))
    ex = Exchange()
    ex.submit_limit("sell", 100_00, 10)
    ex.submit_limit("sell", 100_50, 10)
    fill = pf.trade_on_book("A", 15, ex)
    assert fill.quantity == 15 and fill.notional == 10 * 100_00 + 5 * 100_50
    assert fill.cost == round(fill.notional * 1e-4)
    assert pf.cash == 1_000_000_00 - fill.notional - fill.cost
    with pytest.raises(ValidationError) as info:
        pf.trade_on_book("A", 1.5, ex)
    assert info.value.field == "shares"


@given(
    st.lists(
        st.dictionaries(st.sampled_from("ABCDE"), st.floats(0, 1), min_size=1),
        min_size=1, max_size=8,
    ),
    st.lists(st.integers(1_00, 500_00), min_size=5, max_size=5),
    st.sampled_from([0.0, 10.0, 100.0]),
    st.sampled_from([1.0, 0.001]),
)  # fmt: skip
def test_long_books_never_borrow(targets_list, prices, bps, step):
    pf = Portfolio(100_000_00, CostModel(commission_bps=bps), quantity_step=step)
    for k, targets in enumerate(targets_list):
        total = sum(targets.values())
        scaled = {s: w / total for s, w in targets.items()} if total > 1 else targets
        bar = {s: p + 7 * k for s, p in zip("ABCDE", prices, strict=True)}
        pf.rebalance_simple(scaled, bar)
        assert pf.cash >= 0
        assert all(p.quantity >= 0 for p in pf.positions().values())
