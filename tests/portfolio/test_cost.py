import pytest

from tickbook.core import ValidationError
from tickbook.portfolio import CostModel


def test_zero_charges_nothing():
    cm = CostModel.zero()
    assert cm.is_zero
    assert cm.compute_cost(1_000_000) == 0
    assert cm.fill_price(10_000, True) == 10_000


def test_commission_is_bps_of_notional_with_a_minimum():
    cm = CostModel(commission_bps=10, slippage_bps=5, min_trade_fee=100)
    assert cm.compute_cost(10_000_000) == 10_000
    assert cm.compute_cost(-10_000_000) == 10_000
    assert cm.compute_cost(10_000) == 100
    assert cm.compute_cost(0) == 0


def test_slippage_moves_the_price_against_the_trader():
    cm = CostModel(slippage_bps=5)
    assert cm.fill_price(150_00, True) == 15008  # 15007.5 rounded up for a buy
    assert cm.fill_price(330_00, False) == 32983  # 32983.5 rounded down for a sell


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"commission_bps": -1}, "commission_bps"), ({"slippage_bps": float("inf")}, "slippage_bps"),
     ({"min_trade_fee": 1.5}, "min_trade_fee"), ({"commission_bps": "5"}, "commission_bps")],
)  # fmt: skip
def test_bad_values_are_refused(kwargs, field):
    with pytest.raises(ValidationError) as info:
        CostModel(**kwargs)
    assert info.value.field == field
