"""``tickbook lob``: an interactive order-book session on one Exchange.

At a terminal the prompt has line editing and history (prompt_toolkit when installed, else
readline; the history lives in ``~/.tickbook_lob_history``). With ``--script`` or piped input
it runs the lines in order and exits 1 if any was refused.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tickbook.cli._common import console, debugging
from tickbook.cli._parse import check_in_file, parse_int
from tickbook.cli._session import HELP, MAX_LINE, LobSession

__all__ = ["HELP", "LobSession", "command", "read_script"]

HISTORY = Path("~/.tickbook_lob_history")


def read_script(path: Path) -> list[str]:
    """Return the lines of a UTF-8 script; a ``DataError`` names the file and the bad byte."""
    from tickbook.core import DataError

    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(
            f"cannot read script {path}: {error.strerror}", field="script", value=str(path)
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        hint = " (UTF-16? save it as UTF-8)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise DataError(
            f"script {path} is not UTF-8 text: byte {data[error.start]:#04x} at offset "
            f"{error.start}{hint}",
            field="script",
            value=str(path),
        ) from None
    return text.splitlines()


def _terminal_lines() -> Iterator[str]:
    """Read lines at a terminal, with line editing and history."""
    history = HISTORY.expanduser()
    try:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory
    except ImportError:
        yield from _readline_lines(history)
        return
    try:
        prompt = PromptSession(history=FileHistory(str(history)))
    except OSError:
        prompt = PromptSession(history=InMemoryHistory())
    while True:
        try:
            yield prompt.prompt("> ")
        except KeyboardInterrupt:
            continue  # Ctrl-C drops the line; Ctrl-D leaves
        except EOFError:
            return


def _readline_lines(history: Path) -> Iterator[str]:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input still works
        readline = None
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
    try:
        while True:
            try:
                yield input("> ")
            except KeyboardInterrupt:
                print()
                continue
            except EOFError:
                return
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(history)


def command(
    ctx: typer.Context,
    decimals: Annotated[
        str,
        typer.Option(
            help="Decimal places of a price (0..8): 2 means ticks are cents.", metavar="N"
        ),
    ] = "2",
    script: Annotated[
        str | None,
        typer.Option(
            help="Run the commands in this UTF-8 file instead of reading the terminal.",
            metavar="FILE",
        ),
    ] = None,
) -> None:
    """Run an interactive order-book session (type 'help' for the commands).

    Lines starting with # and the rest of a line after a # are comments. With --script (or
    piped input) every line runs in turn; the exit code is 1 if any line was refused.
    """
    places = parse_int(decimals, "--decimals", 0, 8)
    path = None if script is None else check_in_file(Path(script), "--script")
    session = LobSession(places, debug=debugging(ctx))
    interactive = script is None and sys.stdin.isatty()
    lines: Iterator[str]
    if path is not None:
        lines = iter(read_script(path))
    elif interactive:
        console.print("tickbook lob: type 'help' for commands, 'quit' to leave")
        lines = _terminal_lines()
    else:
        lines = (line.rstrip("\n")[: MAX_LINE + 1] for line in iter(sys.stdin.readline, ""))
    failed = _run(session, lines, console.print, numbered=script is not None)
    if failed and not interactive:
        raise typer.Exit(1)


def _run(session: LobSession, lines: Iterator[str], show: Callable, numbered: bool) -> bool:
    """Run each line; return whether any was refused."""
    failed = False
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.lower() in ("quit", "exit"):
            break
        output = session.handle(line)
        if isinstance(output, str) and output.startswith(("error:", "usage:")):
            failed = True
            where = f"line {number}: " if numbered else ""
            show(Text(where + output, style="red"), soft_wrap=True)
        elif output != "":
            show(Text(output) if isinstance(output, str) else output)
    return failed
