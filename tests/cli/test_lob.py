from typer.testing import CliRunner

from tickbook.cli import app
from tickbook.cli.lob import LobSession

runner = CliRunner()


def test_session_runs_commands_and_explains_bad_ones():
    s = LobSession()
    assert s.handle("sell 101.00 10").startswith("order 1: new")
    assert "trade 1: 4 @ 101.00" in s.handle("buy 101 4")
    assert s.handle("cancel 1") == "cancelled 6"
    assert s.handle("buy 100.001 5").startswith("error:")  # not a whole number of ticks
    assert s.handle("buy abc 5").startswith("error:")
    assert s.handle("buy 100").startswith("usage:")
    assert s.handle("frobnicate").startswith("error: unknown command")
    assert s.handle("cancel 99").startswith("error:")
    assert s.handle('buy "unterminated').startswith("error:")


def test_lob_command_reads_a_script_and_sets_the_exit_code(tmp_path):
    ok = tmp_path / "ok.txt"
    ok.write_text("sell 100.50 10\nbuy 100.50 4\nbook\ntrades\nsave " + str(tmp_path / "e.jsonl"))
    result = runner.invoke(app, ["lob", "--script", str(ok)])
    assert result.exit_code == 0, result.output
    assert "100.50" in result.output and "saved" in result.output
    bad = tmp_path / "bad.txt"
    bad.write_text("buy -1 5\n")
    result = runner.invoke(app, ["lob", "--script", str(bad)])
    assert result.exit_code == 1 and "error" in result.output
    loaded = runner.invoke(app, ["lob"], input=f"load {tmp_path / 'e.jsonl'}\norders\nquit\n")
    assert loaded.exit_code == 0 and "loaded" in loaded.output


def test_demo_session_runs(tmp_path):
    result = runner.invoke(app, ["demo", "--no-speed", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "stp" in result.output or "own order" in result.output
    assert (tmp_path / "demo" / "tearsheet.html").exists()
