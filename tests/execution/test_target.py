import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickbook.core import DataError, TickbookError, ValidationError
from tickbook.execution import load_target, parse_target

GOOD = {
    "timestamp": "2026-02-08T15:30:00Z",
    "targets": [{"symbol": "AAPL", "weight": 0.4}, {"symbol": "SPY", "weight": -0.1}],
    "constraints": {"max_position_pct": 0.4, "max_leverage": 1.5},
}


def test_the_references_example_parses():
    t = parse_target(GOOD)
    assert t.weights == {"AAPL": 0.4, "SPY": -0.1} and t.constraints["max_leverage"] == 1.5
    assert parse_target(json.loads(json.dumps(t.to_json()))).digest == t.digest


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"targets": [{"symbol": "A", "weight": "0.1"}]}, "targets[0].weight"),
        ({"targets": [{"symbol": "A", "weight": True}]}, "targets[0].weight"),
        ({"targets": [{"symbol": "A", "weight": math.inf}]}, "targets[0].weight"),
        ({"targets": [{"symbol": "A", "weight": 0.1, "note": "x"}]}, "targets[0].note"),
        ({"targets": [{"symbol": "", "weight": 0.1}]}, "targets[0].symbol"),
        ({"targets": [{"symbol": "A", "weight": 0.1}, {"symbol": "A", "weight": 0.1}]},
         "targets[1].symbol"),
        ({"targets": {"A": 0.1}}, "targets"),
        ({"targets": [{"symbol": "A", "weight": 1.0}, {"symbol": "B", "weight": 0.9}]},
         "targets"),
        ({"targets": [{"symbol": "A", "weight": 0.5}]}, "targets.A"),
        ({"constraints": {"max_leverage": -1}}, "constraints.max_leverage"),
        ({"constraints": {"allow_everything": True}}, "constraints.allow_everything"),
        ({"timestamp": 5}, "timestamp"),
        ({"extra": 1}, "extra"),
    ],
)  # fmt: skip
def test_bad_documents_name_the_field(change, field):
    with pytest.raises(ValidationError) as info:
        parse_target({**GOOD, **change})
    assert info.value.field == field


def test_files(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"timestamp": "2026-01-01T00:00:00Z", "targets": [{"symbol": "A", '
                    '"weight": NaN}]}')  # fmt: skip
    with pytest.raises(ValidationError, match="NaN"):
        load_target(path)
    path.write_text("{")
    with pytest.raises(DataError, match="invalid JSON"):
        load_target(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(DataError):
        load_target(path)
    with pytest.raises(DataError, match="cannot read"):
        load_target(tmp_path / "missing.json")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, st.fixed_dictionaries({
    "timestamp": st.one_of(st.just("2026-01-01T00:00:00Z"), json_values),
    "targets": st.lists(st.fixed_dictionaries({
        "symbol": st.one_of(st.sampled_from(["A", "B", "C"]), json_values),
        "weight": st.one_of(st.floats(-1, 1), json_values)}), max_size=3),
}, optional={"constraints": st.dictionaries(st.sampled_from(
    ["max_leverage", "max_position_pct", "x"]), json_values, max_size=2)})))  # fmt: skip
def test_any_document_parses_or_is_refused_by_name(doc):
    try:
        target = parse_target(doc)
    except TickbookError as error:
        assert isinstance(error, ValidationError) and error.field
    else:
        assert all(math.isfinite(w) for w in target.weights.values())
