"""What every command shares: exit codes, the console, and the error boundary."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from tickbook.core import TickbookError

__all__ = ["ExitCode", "console", "err_console", "guarded"]

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(enum.IntEnum):
    """Exit codes that scripts can trust."""

    OK = 0
    BAD_INPUT = 1  #: a value, a file or a check was refused
    USAGE = 2  #: the command line itself is wrong (typer's own code)
    RISK_REJECTED = 3  #: a risk check refused the request


def guarded(command: F) -> F:
    """Turn a ``TickbookError`` into one red line and exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TickbookError as error:
            err_console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(ExitCode.BAD_INPUT) from None

    return wrapper  # type: ignore[return-value]
