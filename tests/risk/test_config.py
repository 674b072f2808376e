import dataclasses
import math

import pytest

from tickbook.core import DataError, ValidationError
from tickbook.risk import RiskConfig


def test_defaults_are_the_references():
    cfg = RiskConfig()
    assert (cfg.max_position_pct, cfg.max_leverage, cfg.max_drawdown_pct) == (0.25, 1.5, 0.20)
    assert cfg.allow_short is True and cfg.max_short_pct == 0.30
    assert cfg.max_trade_value_cents == 100_000_00


def test_frozen_and_keyword_only():
    cfg = RiskConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.max_leverage = 3.0
    with pytest.raises(TypeError):
        RiskConfig(0.5)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_position_pct", -0.1),
        ("max_position_pct", math.nan),
        ("max_position_pct", "0.2"),
        ("max_leverage", math.inf),
        ("max_drawdown_pct", 1.5),
        ("max_order_value_cents", -1),
        ("max_order_value_cents", 10.5),
        ("allow_short", 1),
        ("max_orders_per_second", 0),
        ("max_var_pct", True),
        ("var_alpha", 0.2),
        ("var_method", "monte_carlo"),
        ("min_trade_value_cents", 200_000_00),
    ],
)
def test_bad_values_are_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError) as info:
        RiskConfig(**{field: value})
    assert info.value.field == field
    assert f"`{field}`" in str(info.value)


def test_unknown_keys_are_refused():
    with pytest.raises(ValidationError) as info:
        RiskConfig.from_dict({"max_leverag": 2.0})
    assert info.value.field == "max_leverag" and "max_leverage" in str(info.value)


def test_from_toml_reads_the_risk_table(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[risk]\nmax_leverage = 2.0\nallow_short = false\nmax_trade_usd = 5000\n")
    cfg = RiskConfig.from_toml(path)
    assert cfg.max_leverage == 2.0 and cfg.allow_short is False
    assert cfg.max_trade_value_cents == 500_000


def test_from_toml_top_level_and_errors(tmp_path):
    path = tmp_path / "risk.toml"
    path.write_text("max_position_pct = 0.1\n")
    assert RiskConfig.from_toml(path).max_position_pct == 0.1
    path.write_text("max_position_pct = \n")
    with pytest.raises(DataError, match="invalid TOML"):
        RiskConfig.from_toml(path)
    path.write_text("[risk]\nmax_position_pct = 'lots'\n")
    with pytest.raises(ValidationError) as info:
        RiskConfig.from_toml(path)
    assert info.value.field == "max_position_pct" and info.value.value == "lots"
    with pytest.raises(DataError, match="cannot read"):
        RiskConfig.from_toml(tmp_path / "missing.toml")


def test_tightened_takes_the_smaller_limit():
    cfg = RiskConfig(max_position_pct=0.25, max_leverage=1.5)
    tight = cfg.tightened(max_position_pct=0.40, max_leverage=1.0)
    assert (tight.max_position_pct, tight.max_leverage) == (0.25, 1.0)
    with pytest.raises(ValidationError):
        cfg.tightened(allow_short=True)
