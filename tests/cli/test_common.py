import os
import re

import pytest
from typer.testing import CliRunner

from tickbook.cli import app, demo
from tickbook.cli._common import ExitCode
from tickbook.core import ValidationError

runner = CliRunner()
COMMANDS = [["lob"], ["demo"], ["backtest"], ["replay"], ["replay", "lobster"], ["replay", "itch"]]


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(r"tickbook \S+.*\n", result.output)


@pytest.mark.parametrize("command", [[], *COMMANDS], ids=lambda c: " ".join(c) or "root")
def test_help_fits_80_columns_and_documents_exit_codes(command):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "…" not in result.output  # nothing cut short
    text = " ".join(result.output.split())
    assert "Exit codes: 0 done; 1 bad input" in text and "2 usage" in text and "3 a risk" in text


@pytest.mark.parametrize("command", [["lob"], ["demo"], ["backtest"], ["replay", "itch"]])
def test_leaf_commands_do_not_advertise_subcommands(command):
    result = runner.invoke(app, [*command, "--help"])
    usage = result.output.splitlines()[0]
    assert "COMMAND" not in usage and "[ARGS]" not in usage, usage


def test_exit_codes_are_the_documented_numbers():
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3]
    assert runner.invoke(app, ["nosuchcommand"]).exit_code == ExitCode.USAGE
    assert runner.invoke(app, ["lob", "--nosuchoption"]).exit_code == ExitCode.USAGE
    assert runner.invoke(app, ["lob", "--decimals", "9"]).exit_code == ExitCode.BAD_INPUT


def _fails(*args, **kwargs):
    raise RuntimeError("boom\nsecond line")


def test_an_unexpected_error_is_one_line_and_exit_1(monkeypatch):
    monkeypatch.setattr(demo, "_kernels", _fails)
    monkeypatch.delenv("TICKBOOK_DEBUG", raising=False)
    result = runner.invoke(app, ["demo", "--no-speed", "--no-backtest"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if "unexpected error" in line]
    assert errors == [
        "unexpected error: RuntimeError: boom second line "
        "(TICKBOOK_DEBUG=1 or tickbook --debug shows the traceback)"
    ]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback(monkeypatch, how):
    monkeypatch.setattr(demo, "_kernels", _fails)
    args = ["--debug", "demo"] if how == "flag" else ["demo"]
    env = {"TICKBOOK_DEBUG": "1"} if how == "env" else {"TICKBOOK_DEBUG": "0"}
    result = runner.invoke(app, [*args, "--no-speed", "--no-backtest"], env=env)
    assert isinstance(result.exception, RuntimeError)


def test_a_tickbook_error_is_one_red_line(monkeypatch):
    def refuse(*args, **kwargs):
        raise ValidationError("invalid `x`: expected y, got 'z'", field="x", value="z")

    monkeypatch.setattr(demo, "_kernels", refuse)
    result = runner.invoke(app, ["demo", "--no-speed", "--no-backtest"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "error: invalid `x`: expected y, got 'z'"


def test_a_long_error_stays_on_one_line(tmp_path):
    result = runner.invoke(app, ["lob", "--decimals", "7" * 5000])
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("error")]
    assert len(line) < 200 and "(5000 characters)" in line
    assert os.environ.get("TICKBOOK_DEBUG") is None
