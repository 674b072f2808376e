"""Fuzz the command line: never a traceback, and the exit code is always 0, 1 or 2.

``--out`` is left out of the random options (a valid random folder would be written in the
working directory); the output-folder checks have their own tests.
"""

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tickbook.cli import app
from tickbook.cli._session import LobSession

runner = CliRunner()
DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
AMZN = [
    str(DATA / "lobster" / "AMZN_2012-06-21_34200000_57600000_message_1.csv"),
    str(DATA / "lobster" / "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv"),
]
ITCH = str(DATA / "itch" / "itch50_first1000msgs_directory.bin")

NUMBERISH = st.one_of(
    st.integers(-(10**6), 10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.text(alphabet="0123456789.eE+-²³١٢٣ _x,", min_size=1, max_size=30),
    st.sampled_from(["1" * 5000, "1e999990", "inf", "nan", "-0", "2020-02-30", "yesterday"]),
    st.text(min_size=1, max_size=20),
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _ok(result):
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def _pairs(options):
    return st.lists(st.tuples(st.sampled_from(options), NUMBERISH), max_size=3).map(
        lambda pairs: [token for pair in pairs for token in pair]
    )


BACKTEST_OPTIONS = ["--start", "--end", "--cash", "--cost-bps", "--lookback", "--skip", "--top",
                    "--rebalance-every", "--workers", "--periods-per-year", "--benchmark",
                    "--grid", "--fill", "--unit", "--strategy", "--bogus"]  # fmt: skip


@SETTINGS
@given(extra=_pairs(BACKTEST_OPTIONS))
def test_backtest_arguments(small_panel, extra):
    with tempfile.TemporaryDirectory() as out:
        args = ["backtest", "--prices", str(small_panel), "--strategy", "equal",
                "--start", "2020-10-01", "--out", out, *extra]  # fmt: skip
        _ok(runner.invoke(app, args))


@SETTINGS
@given(
    extra=_pairs(["--levels", "--check", "--symbol", "--bogus"]),
    which=st.sampled_from(["lobster", "itch"]),
)
def test_replay_arguments(extra, which):
    files = AMZN if which == "lobster" else [ITCH]
    _ok(runner.invoke(app, ["replay", which, *files, *extra]))


@SETTINGS
@given(extra=_pairs(["--orders", "--decimals", "--script", "--version", "--debug"]))
def test_lob_and_demo_arguments(extra):
    _ok(runner.invoke(app, ["lob", *[t for t in extra if t != "--orders"]], input="book\n"))
    demo = ["demo", *[t for t in extra if t not in ("--decimals", "--script")]]
    _ok(runner.invoke(app, [*demo, "--no-speed", "--no-backtest"]))


WORDS = st.sampled_from(
    ["buy", "sell", "market", "stop", "stoplimit", "modify", "cancel", "book", "orders",
     "trades", "help", "gtc", "ioc", "fok", "BUY", "Sell", "#", "'", '"']
)  # fmt: skip
LINES = st.lists(st.one_of(WORDS, NUMBERISH), min_size=1, max_size=6).map(" ".join)
COMMANDS = LINES.filter(lambda line: line.split()[:1] not in (["save"], ["load"]))


def _state(session):
    ex = session.exchange
    return (ex.depth(100), [t.id for t in ex.trades()], ex.pending_stop_count(), ex.clock)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(COMMANDS, min_size=1, max_size=12))
def test_script_lines_never_raise_and_refusals_change_nothing(lines):
    session = LobSession()
    for line in ["sell 101 10", "buy 99 10", "stop sell 98 5", *lines]:
        before = _state(session)
        out = session.handle(line)
        if isinstance(out, str) and out.startswith(("error:", "usage:")):
            assert "unexpected" not in out, (line, out)
            assert "\n" not in out and len(out) < 400
            assert _state(session) == before, line


@SETTINGS
@given(lines=st.lists(COMMANDS, min_size=1, max_size=8), head=st.binary(max_size=4))
def test_script_files(lines, head):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "script.txt"
        path.write_bytes(head + "\n".join(lines).encode("utf-8", "surrogatepass"))
        _ok(runner.invoke(app, ["lob", "--script", str(path)]))
