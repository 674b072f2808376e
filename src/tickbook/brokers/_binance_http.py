"""Binance spot REST transport: signing, server time, weights, rate limits, errors (private).

Signing follows Binance's "SIGNED Endpoint Examples for POST /api/v3/order" (HMAC keys): the
payload is the percent-encoded query string followed, without a separator, by the body;
``signature`` is its HMAC-SHA256 under the secret key, in hex. Every signed request carries
``timestamp`` (local milliseconds plus the offset measured against ``GET /api/v3/time``) and
``recvWindow``.

Neither key ever reaches a log line, a repr or an exception: they live in ``_Secret``
objects that print as ``'***'``, errors are raised ``from None`` (so no httpx request, whose
headers hold the API key, hangs off a traceback), and the log names only method, path, status.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from tickbook.brokers._errors import (
    AuthenticationFailed,
    BrokerDisconnected,
    BrokerError,
    FilterRejected,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    UnknownOutcome,
    UnknownSymbol,
)

__all__ = ["BinanceHttp", "Secret", "sign"]

log = logging.getLogger("tickbook.brokers.binance")

#: Binance's codes for "the order does not exist" (query) and "unknown order" (cancel).
NOT_FOUND = (-2013, -2011)


class Secret:
    """A string that never prints."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret (for signing and the API-key header only)."""
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("secrets are not pickled")


def sign(secret: str, payload: str) -> str:
    """Return the hex HMAC-SHA256 of ``payload`` (query string + body) under ``secret``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class BinanceHttp:
    """One Binance REST session: signs, times, counts weight and maps errors."""

    def __init__(
        self,
        base_url: str,
        api_key: Secret,
        secret_key: Secret,
        *,
        recv_window_ms: int,
        timeout_s: float,
        max_retries: int,
        max_retry_wait_s: float,
        transport: Any = None,
        clock_ms: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self._httpx = httpx
        self._client = httpx.Client(
            base_url=base_url, timeout=timeout_s, transport=transport, verify=_tls_context()
        )
        self._api_key = api_key
        self._secret = secret_key
        self.recv_window_ms = recv_window_ms
        self.max_retries = max_retries
        self.max_retry_wait_s = max_retry_wait_s
        self._clock = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._sleep = sleep
        self.offset_ms = 0
        self.used_weight = 0
        self.weight_limit: int | None = None
        self.last_stamp_ms = 0
        self.blocked_until_ms = 0  # local clock: nothing is sent before (Retry-After)
        self.weight_minute = -1  # Binance's minute of the last weight reading

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def now_ms(self) -> int:
        """Return Binance's time as this session estimates it."""
        return self._clock() + self.offset_ms

    def sync_time(self) -> None:
        """Measure the offset to ``GET /api/v3/time`` (half the round trip counts as transit)."""
        before = self._clock()
        data = self.public("GET", "/api/v3/time")
        after = self._clock()
        self.offset_ms = int(data["serverTime"]) - (before + after) // 2

    def public(self, method: str, path: str, params: list[tuple[str, Any]] | None = None) -> Any:
        """Send an unsigned request and return its JSON."""
        query = urlencode(params or [])
        return self._request(method, path, lambda: (query, ""), signed=False, placing=False)

    def signed(
        self, method: str, path: str, params: list[tuple[str, Any]], *, placing: bool = False
    ) -> Any:
        """Send a signed request; ``placing`` marks one whose loss leaves an unknown outcome.

        Each attempt is signed afresh (new ``timestamp``), so a retry is never stale.
        """

        def build() -> tuple[str, str]:
            self.last_stamp_ms = self.now_ms()
            fields = [
                *params,
                ("timestamp", self.last_stamp_ms),
                ("recvWindow", self.recv_window_ms),
            ]
            payload = urlencode(fields)
            payload = f"{payload}&signature={sign(self._secret.reveal(), payload)}"
            return (payload, "") if method != "POST" else ("", payload)

        return self._request(method, path, build, signed=True, placing=placing)

    def _request(
        self,
        method: str,
        path: str,
        build: Callable[[], tuple[str, str]],
        *,
        signed: bool,
        placing: bool,
    ) -> Any:
        resynced = False
        attempt = 0
        while True:
            try:
                self._hold_back(method, path)
                query, body = build()
                return self._once(method, path, query, body, signed, placing)
            except RateLimited as error:  # refused, not executed: safe to send again
                if attempt >= self.max_retries or error.retry_after > self.max_retry_wait_s:
                    raise
                attempt += 1
                log.info("%s %s: rate limited, retrying in %g s", method, path, error.retry_after)
                self._sleep(error.retry_after)
                self.blocked_until_ms = 0  # waited out
            except BrokerError as error:
                if error.code != -1021 or resynced:  # -1021: timestamp outside recvWindow
                    raise
                resynced = True
                self.sync_time()

    def _once(
        self, method: str, path: str, query: str, body: str, signed: bool, placing: bool
    ) -> Any:
        httpx = self._httpx
        headers = {"X-MBX-APIKEY": self._api_key.reveal()} if signed else {}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = f"{path}?{query}" if query else path
        try:
            response = self._client.request(method, url, content=body or None, headers=headers)
        except httpx.ConnectError:
            log.warning("%s %s: cannot connect", method, path)
            raise BrokerDisconnected(f"cannot reach Binance for {method} {path}") from None
        except (httpx.TimeoutException, httpx.TransportError) as error:
            kind = type(error).__name__
            log.warning("%s %s: %s, outcome unknown", method, path, kind)
            if placing:
                raise UnknownOutcome(f"{method} {path}: {kind}: the outcome is unknown") from None
            raise BrokerDisconnected(f"{method} {path}: {kind}") from None
        self._track(response)
        log.debug("%s %s -> %s", method, path, response.status_code)
        return self._answer(method, path, response, placing)

    def _hold_back(self, method: str, path: str) -> None:
        """Refuse locally, sending nothing, while Binance asked to wait or the weight is spent.

        Binance bans (418) an IP that keeps sending after a 429; so after a ``Retry-After``
        nothing leaves until it has passed, and with this minute's weight used up nothing
        leaves until the next minute (by Binance's clock).
        """
        now = self._clock()
        if now < self.blocked_until_ms:
            wait = (self.blocked_until_ms - now) / 1000
            raise RateLimited(f"{method} {path} held back: Binance asked to wait {wait:g} s more",
                              retry_after=wait, code="local")  # fmt: skip
        minute = self.now_ms() // 60_000
        if (
            self.weight_limit
            and minute == self.weight_minute
            and (self.used_weight >= self.weight_limit)
        ):
            wait = (60_000 - self.now_ms() % 60_000) / 1000
            raise RateLimited(f"{method} {path} held back: request weight {self.used_weight} "
                              f"of {self.weight_limit} used this minute",
                              retry_after=wait, code="local")  # fmt: skip

    def _track(self, response: Any) -> None:
        used = response.headers.get("X-MBX-USED-WEIGHT-1M") or response.headers.get(
            "X-MBX-USED-WEIGHT"
        )
        if used is not None and used.strip().isascii() and used.strip().isdigit():
            self.used_weight = int(used)
            self.weight_minute = self.now_ms() // 60_000
            if self.weight_limit and self.used_weight >= 0.9 * self.weight_limit:
                log.warning("request weight %d of %d used", self.used_weight, self.weight_limit)

    def _answer(self, method: str, path: str, response: Any, placing: bool) -> Any:
        status = response.status_code
        if status in (429, 418):
            retry = _retry_after(response.headers.get("Retry-After"))
            code, msg = _error_body(response)
            what = "IP banned (418)" if status == 418 else "rate limited (429)"
            self.blocked_until_ms = self._clock() + int(retry * 1000)
            raise RateLimited(
                f"Binance: {what} on {method} {path}: retry after {retry:g} s ({msg})",
                retry_after=retry,
                banned=status == 418,
                code=code,
            )
        if status >= 500:
            if placing:
                raise UnknownOutcome(
                    f"Binance answered {status} to {method} {path}: outcome unknown"
                )
            raise BrokerError(f"Binance answered {status} to {method} {path}", code=status)
        if status >= 400:
            code, msg = _error_body(response)
            raise _error(code, msg, f"{method} {path}")
        try:
            return response.json()
        except ValueError:
            if placing:
                raise UnknownOutcome(
                    f"{method} {path}: unreadable answer, outcome unknown"
                ) from None
            raise BrokerError(f"{method} {path}: Binance's answer is not JSON") from None


_TLS: list[Any] = []


def _tls_context() -> Any:
    """One verifying TLS context per process (building one reads the CA bundle: ~0.1 s)."""
    if not _TLS:
        import ssl

        import certifi

        _TLS.append(ssl.create_default_context(cafile=certifi.where()))
    return _TLS[0]


def _retry_after(text: str | None) -> float:
    try:
        value = float(text) if text is not None else 60.0
    except ValueError:
        value = 60.0
    return value if value >= 0 else 60.0


def _error_body(response: Any) -> tuple[int | None, str]:
    try:
        data = json.loads(response.content)
        return int(data.get("code")), str(data.get("msg", ""))[:200]
    except (ValueError, TypeError, AttributeError):
        return None, f"HTTP {response.status_code}"


def _error(code: int | None, msg: str, where: str) -> BrokerError:
    text = f"Binance refused {where}: {msg} (code {code})"
    if code in NOT_FOUND:
        return OrderNotFound(text, code=code)
    if code in (-1022, -2014, -2015, -2008):
        return AuthenticationFailed(text, code=code)
    if code == -1121:
        return UnknownSymbol(text, code=code)
    if code == -1013 or msg.startswith("Filter failure:"):
        name = msg.split(":", 1)[1].strip() if ":" in msg else "UNKNOWN"
        return FilterRejected(text, filter=name)
    if code == -2010 and "insufficient balance" in msg.lower():
        return InsufficientFunds(text, code=code)
    if code == -2010:
        return OrderRejected(text, code=code)
    return BrokerError(text, code=code)
