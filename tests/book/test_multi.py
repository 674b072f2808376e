"""``MultiExchange``: a refused call creates no book and changes none; copies are independent."""

import copy
import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference.book_model import engine_fingerprint
from tickbook.book import Exchange, MultiExchange
from tickbook.core import TickbookError, ValidationError


def state(multi: MultiExchange) -> tuple:
    return tuple((s, engine_fingerprint(multi.get(s))) for s in multi.symbols())


REFUSED = [
    ("cancel unknown", lambda m: m.cancel("MSFT", 1)),
    ("modify unknown", lambda m: m.modify("MSFT", 1, 100, 5)),
    ("limit price 0", lambda m: m.submit_limit("MSFT", "buy", 0, 5)),
    ("limit side", lambda m: m.submit_limit("MSFT", "hold", 100, 5)),
    ("limit qty float", lambda m: m.submit_limit("MSFT", "buy", 100, 5.0)),
    ("limit post-only ioc", lambda m: m.submit_limit("MSFT", "buy", 100, 5, "ioc", True)),
    ("market qty", lambda m: m.submit_market("MSFT", "sell", -1)),
    ("market stp", lambda m: m.submit_market("MSFT", "sell", 1, stp="maybe")),
    ("bad symbol", lambda m: m.submit_limit("NOT A SYMBOL", "buy", 100, 5)),
]


@pytest.mark.parametrize("call", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_refused_call_on_a_new_symbol_creates_no_book(call):
    multi = MultiExchange()
    multi.submit_limit("AAPL", "buy", 100, 5)
    before = state(multi)
    with pytest.raises(TickbookError):
        call(multi)
    assert state(multi) == before and "MSFT" not in multi and len(multi) == 1


def test_an_accepted_call_creates_the_book_once():
    multi = MultiExchange(record_events=False)
    assert multi.submit_limit("MSFT", "sell", 101, 5).order_id == 1
    assert multi.submit_limit("MSFT", "buy", 101, 2).filled_quantity == 2
    assert multi.symbols() == ["MSFT"] and multi.get("MSFT").order_count() == 1
    assert multi.cancel("MSFT", 1).cancelled_quantity == 3


def test_bad_exchange_options_are_refused_when_the_multi_exchange_is_made():
    with pytest.raises(ValidationError) as info:
        MultiExchange(order_capacity=3)
    assert info.value.field == "order_capacity"


VALUES = st.one_of(
    st.integers(-2, 200), st.sampled_from([0, 2**70, None, True, 1.5, math.nan, "x", "buy"])
)


@settings(max_examples=200, deadline=None)
@given(
    method=st.sampled_from(["submit_limit", "submit_market", "cancel", "modify"]),
    symbol=st.sampled_from(["AAPL", "MSFT", "bad sym"]),
    side=st.sampled_from(["buy", "sell", "hold", 3]),
    values=st.lists(VALUES, min_size=3, max_size=3),
)
def test_fuzzed_calls_either_succeed_or_change_nothing(method, symbol, side, values):
    multi = MultiExchange()
    multi.submit_limit("AAPL", "buy", 100, 5)
    multi.submit_limit("AAPL", "sell", 105, 5)
    args = {
        "submit_limit": (side, *values),
        "submit_market": (side, values[0]),
        "cancel": (values[0],),
        "modify": tuple(values),
    }[method]
    before = state(multi)
    try:
        getattr(multi, method)(symbol, *args)
    except TickbookError:
        assert state(multi) == before
    else:
        assert state(multi) != before


def test_copies_and_pickles_hold_independent_books():
    multi = MultiExchange()
    multi.submit_limit("AAPL", "buy", 100, 5)
    multi.submit_limit("MSFT", "sell", 200, 5)
    before = state(multi)
    for other in (copy.copy(multi), copy.deepcopy(multi), pickle.loads(pickle.dumps(multi))):
        assert state(other) == before
        other.submit_limit("AAPL", "sell", 100, 5)
        other.submit_limit("IBM", "buy", 1, 1)
        assert isinstance(other.get("AAPL"), Exchange)
        assert state(multi) == before
