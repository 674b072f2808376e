"""Import the optional dependencies of the messaging extra with a one-line hint when missing."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]

_HINT = "pip install 'tickbook[messaging]'"


def require(name: str) -> ModuleType:
    """Import ``name`` (``zmq`` or ``msgspec``) or raise a one-line ImportError with the fix."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(f"tickbook.messaging needs {name!r}: {_HINT}") from None
