"""Quant analytics: indicators, volatility models, portfolio optimizers and risk measures."""

from tickbook.analytics._indicators import *  # noqa: F403
from tickbook.analytics._streaming import *  # noqa: F403
from tickbook.analytics._garch import *  # noqa: F403
