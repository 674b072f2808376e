"""Symbols and assets: the grid prices and quantities live on, and their conversion at the edge.

Outside, prices and quantities are decimal strings or JSON numbers; inside they are integer
ticks and lots. Balances are integers in an asset's minor units (``10**-decimals``). A symbol's
``tick_size * lot_size`` must be a whole number of the quote asset's minor units and its
``lot_size`` a whole number of the base asset's, so that every fill settles exactly.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tickbook.core import DataError, ValidationError
from tickbook.core._checks import MAX_PRICE, MAX_QTY

__all__ = ["Asset", "Market", "SymbolSpec", "default_market", "load_symbols", "to_decimal"]

_MAX_DIGITS = 40


def to_decimal(value: Any, field: str) -> Decimal:
    """Return a finite ``Decimal`` from a decimal string or a JSON number, or refuse it."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError(
            f"invalid `{field}`: expected a decimal string or a number, got {value!r}",
            field=field,
            value=value,
        )
    text = repr(value) if isinstance(value, float) else str(value)
    if len(text) > _MAX_DIGITS:
        raise ValidationError(
            f"invalid `{field}`: expected at most {_MAX_DIGITS} characters, got {text[:20]!r}...",
            field=field,
            value=text[:_MAX_DIGITS],
        )
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(
            f"invalid `{field}`: expected a decimal number, got {value!r}", field=field, value=value
        )
    return number


def _whole(value: Decimal) -> int | None:
    return int(value) if value == value.to_integral_value() else None


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset and the number of decimals its balances keep."""

    name: str
    decimals: int

    def to_units(self, value: Any, field: str = "amount") -> int:
        """Return a decimal amount as integer minor units (refused when finer than that)."""
        number = to_decimal(value, field)
        units = _whole(number.scaleb(self.decimals))
        if units is None or units <= 0 or units > (1 << 62):
            raise ValidationError(
                f"invalid `{field}`: expected a positive amount with at most {self.decimals} "
                f"decimals of {self.name}, got {value!r}",
                field=field,
                value=value,
            )
        return units

    def format(self, units: int) -> str:
        """Return integer minor units as a decimal string."""
        return f"{Decimal(units).scaleb(-self.decimals):f}"


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """A tradable symbol: its assets and grid (tick and lot) and its price/quantity bounds."""

    name: str
    base: Asset
    quote: Asset
    tick_size: Decimal
    lot_size: Decimal
    min_ticks: int
    max_ticks: int
    min_lots: int
    max_lots: int
    #: quote minor units per (tick x lot): a fill of q lots at p ticks costs p*q*quote_unit
    quote_unit: int
    #: base minor units per lot
    base_unit: int

    def ticks(self, value: Any, field: str = "price") -> int:
        """Return a decimal price as integer ticks, refused off the grid or out of bounds."""
        ticks = _whole(to_decimal(value, field) / self.tick_size)
        if ticks is None:
            raise ValidationError(
                f"invalid `{field}`: {value!r} is not a multiple of the tick size "
                f"{self.tick_size} of {self.name}",
                field=field,
                value=value,
            )
        if not self.min_ticks <= ticks <= self.max_ticks:
            raise ValidationError(
                f"invalid `{field}`: expected a price in [{self.price(self.min_ticks)}, "
                f"{self.price(self.max_ticks)}] for {self.name}, got {value!r}",
                field=field,
                value=value,
            )
        return ticks

    def lots(self, value: Any, field: str = "quantity") -> int:
        """Return a decimal quantity as integer lots, refused off the grid or out of bounds."""
        lots = _whole(to_decimal(value, field) / self.lot_size)
        if lots is None:
            raise ValidationError(
                f"invalid `{field}`: {value!r} is not a multiple of the lot size "
                f"{self.lot_size} of {self.name}",
                field=field,
                value=value,
            )
        if not self.min_lots <= lots <= self.max_lots:
            raise ValidationError(
                f"invalid `{field}`: expected a quantity in [{self.qty(self.min_lots)}, "
                f"{self.qty(self.max_lots)}] for {self.name}, got {value!r}",
                field=field,
                value=value,
            )
        return lots

    def price(self, ticks: int) -> str:
        """Return ticks as a decimal price string."""
        return f"{self.tick_size * ticks:f}"

    def qty(self, lots: int) -> str:
        """Return lots as a decimal quantity string."""
        return f"{self.lot_size * lots:f}"


@dataclass(frozen=True, slots=True)
class Market:
    """The assets and symbols a server trades."""

    assets: dict[str, Asset]
    symbols: dict[str, SymbolSpec]

    def symbol(self, name: Any) -> SymbolSpec:
        """Return the symbol named ``name``, or refuse it."""
        spec = self.symbols.get(name) if isinstance(name, str) else None
        if spec is None:
            raise ValidationError(
                f"invalid `symbol`: expected one of {sorted(self.symbols)}, got {name!r}",
                field="symbol",
                value=name,
            )
        return spec

    def asset(self, name: Any) -> Asset:
        """Return the asset named ``name``, or refuse it."""
        asset = self.assets.get(name) if isinstance(name, str) else None
        if asset is None:
            raise ValidationError(
                f"invalid `asset`: expected one of {sorted(self.assets)}, got {name!r}",
                field="asset",
                value=name,
            )
        return asset


_DEFAULT = {
    "assets": {"BTC": {"decimals": 8}, "USD": {"decimals": 6}},
    "symbol": [
        {
            "name": "BTC-USD",
            "base": "BTC",
            "quote": "USD",
            "tick_size": "0.01",
            "lot_size": "0.0001",
            "min_price": "0.01",
            "max_price": "1000000",
            "min_quantity": "0.0001",
            "max_quantity": "1000",
        }
    ],
}


def default_market() -> Market:
    """Return the market a server runs without ``--symbols``: BTC-USD (tick 0.01, lot 0.0001)."""
    return _parse(_DEFAULT, "the default symbols")


def load_symbols(path: str | Path) -> Market:
    """Read a ``symbols.toml`` (``[assets.NAME] decimals``, ``[[symbol]]`` tables)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as error:
        raise DataError(
            f"symbols file {path}: {error.strerror}", field="symbols", value=str(path)
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"symbols file {path}: {error}", field="symbols", value=str(path)) from None
    return _parse(data, f"symbols file {path}")


def _parse(data: dict[str, Any], where: str) -> Market:
    def bad(field: str, value: Any, expected: str) -> DataError:
        return DataError(
            f"{where}: invalid `{field}`: expected {expected}, got {value!r}",
            field=field,
            value=value,
        )

    assets: dict[str, Asset] = {}
    for name, table in dict(data.get("assets", {})).items():
        decimals = table.get("decimals") if isinstance(table, dict) else None
        if type(decimals) is not int or not 0 <= decimals <= 18:
            raise bad(f"assets.{name}.decimals", decimals, "an integer in [0, 18]")
        assets[name] = Asset(name, decimals)
    rows = data.get("symbol")
    if not isinstance(rows, list) or not rows:
        raise bad("symbol", rows, "one or more [[symbol]] tables")
    symbols: dict[str, SymbolSpec] = {}
    for row in rows:
        spec = _parse_symbol(row, assets, bad)
        if spec.name in symbols:
            raise bad("symbol.name", spec.name, "unique symbol names")
        symbols[spec.name] = spec
    return Market(assets, symbols)


def _parse_symbol(row: Any, assets: dict[str, Asset], bad: Any) -> SymbolSpec:
    if not isinstance(row, dict):
        raise bad("symbol", row, "a table")
    name = row.get("name")
    if not isinstance(name, str) or not name or len(name) > 32:
        raise bad("symbol.name", name, "a name of 1 to 32 characters")
    base, quote = assets.get(row.get("base")), assets.get(row.get("quote"))
    if base is None or quote is None or base is quote:
        raise bad(f"{name}.base/quote", (row.get("base"), row.get("quote")), "two listed assets")

    def positive(key: str) -> Decimal:
        try:
            value = to_decimal(row.get(key), key)
        except ValidationError:
            raise bad(f"{name}.{key}", row.get(key), "a positive decimal") from None
        if value <= 0:
            raise bad(f"{name}.{key}", row.get(key), "a positive decimal")
        return value

    tick, lot = positive("tick_size"), positive("lot_size")
    quote_unit = _whole((tick * lot).scaleb(quote.decimals))
    base_unit = _whole(lot.scaleb(base.decimals))
    if not quote_unit or not base_unit:
        raise bad(
            f"{name}.tick_size/lot_size",
            (str(tick), str(lot)),
            "tick*lot a whole number of quote minor units and lot of base minor units",
        )
    bounds = []
    for key, step, top in (
        ("min_price", tick, MAX_PRICE),
        ("max_price", tick, MAX_PRICE),
        ("min_quantity", lot, MAX_QTY),
        ("max_quantity", lot, MAX_QTY),
    ):
        units = _whole(positive(key) / step)
        if units is None or not 1 <= units <= top:
            raise bad(f"{name}.{key}", row.get(key), "a positive multiple of the grid")
        bounds.append(units)
    if bounds[0] > bounds[1] or bounds[2] > bounds[3]:
        raise bad(f"{name}.min/max", row, "min <= max")
    return SymbolSpec(name, base, quote, tick, lot, *bounds, quote_unit, base_unit)
