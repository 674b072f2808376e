"""Hypothesis strategies for ITCH 5.0 messages: any type, any field values the spec allows."""

import numpy as np
from hypothesis import strategies as st

from tickbook.feeds import ITCH_MESSAGES, itch_dtype


def _value(kind: str, size: int):
    if kind == "a":
        return st.binary(min_size=size, max_size=size).map(
            lambda b: bytes(32 + (c % 95) for c in b)  # printable ASCII, as the spec sends
        )
    if kind == "ts":
        return st.integers(0, (1 << 48) - 1)
    if kind == "p8":
        return st.integers(0, (1 << 63) - 1)
    return st.integers(0, (1 << (8 * size)) - 1)


@st.composite
def itch_message(draw, types=None):
    """Draw (type byte, {field: value}) for one message."""
    t = draw(st.sampled_from(sorted(types or ITCH_MESSAGES)))
    fields = {name: draw(_value(kind, size)) for name, _, size, kind in ITCH_MESSAGES[t].fields}
    return t, fields


def tables_of(messages):
    """Build per-type columnar tables (``index`` = position) from drawn messages."""
    tables = {}
    for t in ITCH_MESSAGES:
        rows = [(i, f) for i, (tt, f) in enumerate(messages) if tt == t]
        table = np.zeros(len(rows), itch_dtype(t))
        for j, (i, f) in enumerate(rows):
            table[j]["index"] = i
            for name, value in f.items():
                table[j][name] = value
        tables[t] = table
    return tables
