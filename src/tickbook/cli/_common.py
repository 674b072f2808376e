"""What every command shares: exit codes, the consoles, and the one error boundary.

Every command runs inside ``Boundary.invoke``: a ``TickbookError`` becomes one red line and
exit 1; click's usage errors keep exit 2; anything unexpected becomes one line and exit 1
(``--debug`` or ``TICKBOOK_DEBUG=1`` re-raises it with its traceback). No traceback reaches
a user otherwise.
"""

from __future__ import annotations

import enum
import os
from typing import Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from tickbook.core import TickbookError

__all__ = ["EXIT_CODES", "Boundary", "ExitCode", "console", "err_console", "report_error"]

console = Console()
err_console = Console(stderr=True)

#: environment variable that shows tracebacks of unexpected errors
DEBUG_ENV = "TICKBOOK_DEBUG"
#: how to see the traceback of an unexpected error
DEBUG_HINT = "(TICKBOOK_DEBUG=1 or tickbook --debug shows the traceback)"
#: longest error line printed (the values inside are shortened by their parsers already)
_MAX_LINE = 400


class ExitCode(enum.IntEnum):
    """Exit codes that scripts can trust."""

    OK = 0
    BAD_INPUT = 1  #: a value, a file or a check was refused (or an unexpected error)
    USAGE = 2  #: the command line itself is malformed (click's own code)
    RISK_REJECTED = 3  #: a risk check refused the request


EXIT_CODES = (
    "Exit codes: 0 done; 1 bad input (a value, a file or a check refused; also an unexpected "
    "error, shown in one line: --debug or TICKBOOK_DEBUG=1 shows its traceback); 2 usage "
    "(unknown command or option, a missing one, a choice not listed); 3 a risk check refused."
)


def one_line(text: str) -> str:
    """Collapse ``text`` into one line of at most ``_MAX_LINE`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 1] + "…"


def report_error(error: BaseException) -> ExitCode:
    """Print ``error`` as one red line on stderr; return the exit code it deserves."""
    if isinstance(error, TickbookError):
        # (exit 3: map the risk refusal class here once tickbook.risk defines it)
        label, text, code = "error", str(error), ExitCode.BAD_INPUT
    else:
        label = "unexpected error"
        text = f"{type(error).__name__}: {error} {DEBUG_HINT}"
        code = ExitCode.BAD_INPUT
    err_console.print(Text.assemble((f"{label}: ", "bold red"), one_line(text)), soft_wrap=True)
    return code


def debugging(ctx: Any = None) -> bool:
    """Return whether unexpected errors should show their traceback."""
    if os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"):
        return True
    while ctx is not None:
        if ctx.params.get("debug"):
            return True
        ctx = ctx.parent
    return False


class Boundary(TyperGroup):
    """The top-level group: every subcommand's parsing and run happen inside ``invoke``."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; turn errors into one line and an exit code."""
        try:
            return super().invoke(ctx)
        except TickbookError as error:
            raise typer.Exit(report_error(error)) from None
        except Exception as error:
            if _is_framework(error) or isinstance(error, BrokenPipeError) or debugging(ctx):
                raise  # usage errors (exit 2), Exit, Abort: typer answers them
            raise typer.Exit(report_error(error)) from None


def _is_framework(error: BaseException) -> bool:
    """Return whether typer (or click, in older typers) raised ``error`` to be answered."""
    return type(error).__module__.split(".")[0] in ("typer", "click")
