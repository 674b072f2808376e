"""Pin tickbook.brokers' public names; importing it loads no Numba, httpx or ib_async."""

import subprocess
import sys

import tickbook.brokers


def test_brokers_api():
    assert set(tickbook.brokers.__all__) == {
        "Account", "AuthenticationFailed", "BinanceBroker", "Broker", "BrokerDisconnected",
        "BrokerError", "BrokerOrder", "BrokerOrderStatus", "FilterRejected", "IbkrBroker",
        "Instrument", "InsufficientFunds", "OrderNotFound", "OrderRejected", "OrderRequest",
        "OrderType", "Position", "Quote", "RateLimited", "SimBroker", "UnknownOutcome",
        "UnknownSymbol",
    }  # fmt: skip
    for name in tickbook.brokers.__all__:
        assert getattr(tickbook.brokers, name) is not None


def test_import_brokers_is_light():
    code = (
        "import sys, tickbook.brokers as b; b.Broker; b.OrderRequest;"
        "print(sorted(m for m in ('numba', 'httpx', 'ib_async') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
