"""Hypothesis strategies for the broker tests: sessions of orders, prices and cancels."""

from hypothesis import strategies as st

ops = st.lists(
    st.one_of(
        st.tuples(st.just("order"), st.sampled_from(["AAPL", "MSFT"]),
                  st.sampled_from(["buy", "sell"]), st.integers(1, 300),
                  st.sampled_from(["market", "limit", "stop", "stop_limit"]),
                  st.integers(-300, 300), st.sampled_from(["gtc", "ioc", "fok"])),
        st.tuples(st.just("price"), st.sampled_from(["AAPL", "MSFT"]), st.integers(-500, 500)),
        st.tuples(st.just("cancel"), st.integers(1, 30)),
    ),
    max_size=40,
)  # fmt: skip
