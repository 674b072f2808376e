"""Shared argument handling for the adapters (private)."""

from __future__ import annotations

from typing import Any

from tickbook.brokers._types import (
    BrokerOrder,
    OrderRequest,
    OrderType,
    check_client_order_id,
    check_symbol,
)
from tickbook.core import ValidationError

__all__ = ["BrokerBase", "check_lookup"]


def check_lookup(
    order_id: Any, client_order_id: Any, symbol: Any
) -> tuple[str | None, str | None, str | None]:
    """Validate an order look-up: exactly one of ``order_id`` / ``client_order_id``."""
    if (order_id is None) == (client_order_id is None):
        raise ValidationError(
            "invalid `order_id`: give exactly one of order_id or client_order_id, "
            f"got order_id={order_id!r}, client_order_id={client_order_id!r}",
            field="order_id",
            value=order_id,
        )
    if order_id is not None and (not isinstance(order_id, str) or not 0 < len(order_id) <= 64):
        raise ValidationError(
            f"invalid `order_id`: expected a non-empty string (the broker's id), got {order_id!r}",
            field="order_id",
            value=order_id,
        )
    if client_order_id is not None:
        check_client_order_id(client_order_id)
    if symbol is not None:
        check_symbol(symbol)
    return order_id, client_order_id, symbol


class BrokerBase:
    """``submit_order`` in the reference's shape, on top of an adapter's ``submit``."""

    __slots__ = ()

    def submit(self, request: OrderRequest) -> BrokerOrder:  # pragma: no cover - abstract
        """Send an order (implemented by each adapter)."""
        raise NotImplementedError

    def submit_order(
        self,
        symbol: str,
        side: Any,
        quantity: int,
        order_type: OrderType | str = "market",
        *,
        limit_price_cents: int | None = None,
        stop_price_cents: int | None = None,
        client_order_id: str | None = None,
        tif: Any = "gtc",
    ) -> BrokerOrder:
        """Build an ``OrderRequest`` (validated: nothing is sent if refused) and submit it."""
        request = OrderRequest(
            symbol=symbol,
            side=side,
            quantity=quantity,
            order_type=order_type,  # type: ignore[arg-type]
            limit_price_cents=limit_price_cents,
            stop_price_cents=stop_price_cents,
            client_order_id=client_order_id,
            tif=tif,
        )
        return self.submit(request)
