import re

import pytest

from tickbook.cli._session import HELP, LobSession


def _book(s):
    ex = s.exchange
    return ex.depth(50), [t.id for t in ex.trades()], ex.pending_stop_count(), ex.clock


def test_session_runs_commands_and_explains_bad_ones():
    s = LobSession()
    assert s.handle("sell 101.00 10").startswith("order 1: new")
    assert "trade 1: 4 @ 101.00" in s.handle("buy 101 4")
    assert s.handle("cancel 1") == "cancelled order 1 (6 left the book)"
    assert s.handle("buy 100.001 5").startswith("error:")  # not a whole number of ticks
    assert s.handle("buy abc 5").startswith("error:")
    assert s.handle("buy 100").startswith("usage:")
    assert s.handle("frobnicate").startswith("error: unknown command")
    assert s.handle("cancel 99").startswith("error:")
    assert s.handle('buy "unterminated').startswith("error:")


def test_comments_are_ignored_as_the_demo_writes_them():
    s = LobSession()
    assert s.handle("# a whole comment line") == ""
    assert s.handle("   ") == ""
    out = s.handle("sell 101.00 100   # a seller rests 100 at $101.00")
    assert out.startswith("order 1: new") and s.exchange.best_ask() == 10100


def test_market_stoplimit_and_modify_run_and_print_their_numbers():
    s = LobSession()
    s.handle("sell 101.00 30")
    s.handle("sell 102.00 30")
    out = s.handle("market buy 40")
    assert out.splitlines() == [
        "order 3: filled filled=40 resting=0 cancelled=0",
        "  trade 1: 30 @ 101.00",
        "  trade 2: 10 @ 102.00",
    ]
    # the last trade (102.00) is already at the stop: it fires at once and trades
    assert s.handle("stoplimit buy 102.00 102.50 5").splitlines() == [
        "stop 4: triggered",
        "stop 4 fired (stoplimit buy 102.00 102.50 5)",
        "  trade 3: 5 @ 102.00",
    ]
    assert s.handle("stoplimit buy 105.00 105.50 5") == "stop 5: pending"
    stop = s.exchange.get_stop_order(5)
    assert (stop.stop_price, stop.limit_price, stop.quantity) == (10500, 10550, 5)
    s.handle("buy 99.00 7")
    out = s.handle("modify 6 99.50 9")
    assert out == "order 6 replaced by 7: order 7: new filled=0 resting=9 cancelled=0"
    assert s.exchange.best_bid() == 9950
    assert [o.quantity for o in s.exchange.orders("buy")] == [9]


@pytest.mark.parametrize(
    ("line", "usage"),
    [
        ("market", "usage: market buy|sell QTY"),
        ("market buy", "usage: market buy|sell QTY"),
        ("stoplimit buy 1 2", "usage: stoplimit buy|sell STOP LIMIT QTY"),
        ("stoplimit buy 1 2 3 4", "usage: stoplimit buy|sell STOP LIMIT QTY"),
        ("modify 1 2", "usage: modify ID PRICE QTY"),
        ("stop buy 1", "usage: stop buy|sell PRICE QTY"),
        ("cancel", "usage: cancel ID"),
        ("book 1 2", "usage: book [LEVELS]"),
        ("save", "usage: save PATH"),
        ("load a b", "usage: load PATH"),
    ],
)
def test_usage_paths_change_nothing(line, usage):
    s = LobSession()
    s.handle("sell 101 10")
    s.handle("stop sell 99 5")
    before = _book(s)
    assert s.handle(line) == usage
    assert _book(s) == before


def test_a_stop_that_fires_prints_its_fills():
    s = LobSession()
    for line in ("sell 101.00 100", "sell 100.50 50", "buy 100.00 80", "buy 99.50 40"):
        s.handle(line)
    s.handle("buy 101.00 120")
    assert s.handle("stop sell 99.80 30") == "stop 6: pending"
    out = s.handle("market sell 90")
    assert out.splitlines() == [
        "order 7: filled filled=90 resting=0 cancelled=0",
        "  trade 3: 80 @ 100.00",
        "  trade 4: 10 @ 99.50",
        "stop 6 fired (stop sell 99.80 30)",
        "  trade 5: 30 @ 99.50",
    ]


def test_orders_lists_pending_stops_and_cancel_names_the_order(capsys):
    from rich.console import Console

    s = LobSession()
    s.handle("sell 101 10")
    s.handle("stop sell 99.80 30")
    s.handle("stoplimit buy 102 103 5")
    console = Console(width=100, force_terminal=False)
    console.print(s.handle("orders"))
    text = capsys.readouterr().out
    assert "pending stops" in text
    rows = [r for r in text.splitlines() if re.search(r"│\s+[23] │", r)]
    assert len(rows) == 2
    assert "99.80" in rows[0] and "market" in rows[0] and "30" in rows[0]
    assert "102.00" in rows[1] and "103.00" in rows[1]
    assert s.handle("cancel 2") == "cancelled stop 2 (30 will not trigger)"
    assert s.handle("cancel 1") == "cancelled order 1 (10 left the book)"
    console.print(s.handle("orders"))
    text = capsys.readouterr().out
    assert not [r for r in text.splitlines() if re.search(r"│\s+2 │", r)]


@pytest.mark.parametrize(
    "line",
    [
        "buy 1e999990 1",
        "buy 1" + "1" * 300 + " 1",
        "buy 1 " + "1" * 300,
        "buy ² 1",
        "buy 1 ²",
        "buy ١٠٠ 1",
        "sell inf 1",
        "sell nan 1",
        "buy 100 5 gtd",
        "market up 5",
        "cancel -1",
        "cancel ²",
        "book 0",
        "book 99999999999999999999",
        "modify 1 1e5 1",
        "stoplimit sideways 1 2 3",
        "x" * 5000,
        "buy 1 " + "1" * 5000,
        "buy 1" + "1" * 70_000 + " 1",  # past the longest line read
    ],
)
def test_bad_numbers_and_words_are_refused_and_change_nothing(line):
    s = LobSession()
    s.handle("sell 101 10")
    before = _book(s)
    out = s.handle(line)
    assert isinstance(out, str) and out.startswith("error:"), out
    assert len(out) < 300 and "\n" not in out
    assert _book(s) == before


def test_save_and_load_keep_pending_stops(tmp_path):
    s = LobSession()
    s.handle("sell 101 10")
    s.handle("stop sell 99 5")
    assert s.handle(f"save {tmp_path / 'e.jsonl'}").startswith("saved")
    t = LobSession()
    out = t.handle(f"load {tmp_path / 'e.jsonl'}")
    assert out.endswith("1 pending stops")
    assert t.handle("cancel 2") == "cancelled stop 2 (5 will not trigger)"


def test_help_lists_every_command():
    s = LobSession()
    assert s.handle("help") == HELP
    for name in ("buy", "sell", "market", "stop", "stoplimit", "modify", "cancel", "book"):
        assert f"  {name} " in HELP


@pytest.mark.parametrize("line", ["save a\0b", "load a\0b", "load /no/such/file", "save /proc/x/y"])
def test_bad_paths_are_refused(line, tmp_path):
    s = LobSession()
    out = s.handle(line)
    assert out.startswith("error:") and "unexpected" not in out, out
    assert "`path`" in out or line.split()[1] in out


def test_an_unexpected_error_is_one_line_unless_debugging(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("kernel fell over")

    s = LobSession()
    monkeypatch.setattr(s.exchange, "submit_market", broken)
    out = s.handle("market buy 5")
    assert out.startswith("error: unexpected RuntimeError: kernel fell over")
    loud = LobSession(debug=True)
    monkeypatch.setattr(loud.exchange, "submit_market", broken)
    with pytest.raises(RuntimeError):
        loud.handle("market buy 5")
