import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickbook.core import ValidationError
from tickbook.portfolio import Position


def test_reference_example_realizes_500_dollars():
    pos = Position("AAPL")
    pos.apply_fill(100, 150_00)
    pnl = pos.apply_fill(-50, 160_00)
    assert pnl == 500_00
    assert pos.realized_pnl == 500_00
    assert pos.quantity == 50
    assert pos.avg_entry_price == 150_00


def test_adding_keeps_a_vwap_entry_price():
    pos = Position("AAPL")
    pos.apply_fill(100, 100_00)
    pos.apply_fill(300, 120_00)
    assert pos.avg_entry_price == pytest.approx(115_00)
    assert pos.total_cost == 100 * 100_00 + 300 * 120_00


def test_short_covers_at_a_profit_when_the_price_falls():
    pos = Position("MSFT")
    pos.apply_fill(-200, 50_00)
    assert pos.quantity == -200
    pnl = pos.apply_fill(150, 40_00)
    assert pnl == 150 * 10_00
    assert pos.quantity == -50
    assert pos.avg_entry_price == 50_00


def test_flip_closes_then_opens_the_other_side_at_the_fill_price():
    pos = Position("X")
    pos.apply_fill(100, 10_00)
    pnl = pos.apply_fill(-250, 12_00)
    assert pnl == 100 * 2_00
    assert pos.quantity == -150
    assert pos.avg_entry_price == 12_00
    assert pos.unrealized_pnl(11_00) == 150 * 1_00


def test_fractional_quantities_add_up_exactly():
    pos = Position("X")
    for _ in range(10):
        pos.apply_fill(0.1, 100_00)
    assert pos.quantity_micro == 1_000_000
    assert pos.quantity == 1.0
    pos.apply_fill(-1.0, 110_00)
    assert pos.is_flat and pos.realized_pnl == 10_00 and pos.total_cost == 0


@pytest.mark.parametrize(
    ("quantity", "price", "field"),
    [(0, 100, "quantity"), (1.0000001, 100, "quantity"), (float("nan"), 100, "quantity"),
     (10, 0, "price"), (10, 1.5, "price"), (True, 100, "quantity")],
)  # fmt: skip
def test_bad_fills_are_refused_and_change_nothing(quantity, price, field):
    pos = Position("X")
    pos.apply_fill(5, 100)
    with pytest.raises(ValidationError) as info:
        pos.apply_fill(quantity, price)
    assert info.value.field == field
    assert (pos.quantity, pos.total_cost, pos.realized_pnl) == (5, 500, 0)


@given(
    st.lists(st.tuples(st.integers(-500, 500).filter(bool), st.integers(1, 10_000)), max_size=40)
)
def test_realized_plus_unrealized_equals_cash_flow(fills):
    # money in = money out: PnL is exact integer accounting when fills are whole shares
    pos = Position("X")
    cash = 0
    for qty, price in fills:
        pos.apply_fill(qty, price)
        cash -= qty * price
    mark = 777
    assert pos.realized_pnl + pos.unrealized_pnl(mark) == pytest.approx(
        cash + pos.quantity * mark, abs=len(fills) + 1
    )
