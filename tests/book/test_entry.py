"""The fast doors into the kernels, and their fallback."""

import numpy as np
import pytest
from numba import config

from tickbook.book import Exchange, _kernels
from tickbook.book._jit import MEMINFO_OFFSET, entry_points, fast, new_state


def test_fast_door_and_dispatcher_give_the_same_answers():
    a, b = new_state(), new_state()
    door = entry_points(a).limit
    for side, price, qty in [(0, 100, 5), (1, 101, 3), (1, 99, 7), (0, 105, 1)]:
        assert tuple(door(a, side, price, qty, 0)) == tuple(_kernels.limit(b, side, price, qty, 0))
    assert np.array_equal(a.tr[:4], b.tr[:4])


def test_fast_falls_back_to_the_dispatcher():
    class NoOverloads:
        def compile(self, signature):
            raise RuntimeError("no entry point in this Numba")

    thing = NoOverloads()
    assert fast(thing, ()) is thing


def test_fast_unboxing_found_the_slot_and_keeps_refcounts():
    if config.DISABLE_JIT:
        pytest.skip("unboxing exists only for compiled kernels (NUMBA_DISABLE_JIT=1)")
    assert MEMINFO_OFFSET is not None
    ex = Exchange()
    before = ex._st._meminfo.refcount
    for i in range(100):
        ex.submit_limit("buy", 100 + i, 1)
    assert ex._st._meminfo.refcount == before


def test_kernels_declare_their_entry_signature_where_they_are_defined():
    from tickbook.book import _feed, _kernels
    from tickbook.book._jit import fast_kernel
    from tickbook.book._jit._doors import _ENTRIES

    for name in ("limit", "limit_ex", "market", "cancel", "modify", "reduce", "stop"):
        assert _ENTRIES[name][0] is getattr(_kernels, name)
    assert {"run_commands", "snapshot", "book_orders", "adopt", "feed_event"} <= set(_ENTRIES)
    st = new_state()
    door = fast_kernel(_feed.feed_event, st)  # no arity given: the declared one is used
    assert door(st, 5, 1, 0, 7, 100, 3, 0) == 0 and st.hdr[7] == 100  # an add; best bid


def test_a_kernel_without_a_declared_entry_has_no_door():
    import pytest

    with pytest.raises(AttributeError):
        _ = entry_points(new_state()).no_such_kernel
