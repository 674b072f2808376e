import pytest
from typer.testing import CliRunner

from tickbook.cli import app

runner = CliRunner()


def test_lob_reads_a_script_and_sets_the_exit_code(tmp_path):
    ok = tmp_path / "ok.txt"
    ok.write_text(
        "# set up\nsell 100.50 10  # rests\nbuy 100.50 4\nbook\ntrades\nsave "
        + str(tmp_path / "e.jsonl")
    )
    result = runner.invoke(app, ["lob", "--script", str(ok)])
    assert result.exit_code == 0, result.output
    assert "trade 1: 4 @ 100.50" in result.output and "saved" in result.output
    bad = tmp_path / "bad.txt"
    bad.write_text("sell 100 1\nbuy -1 5\n")
    result = runner.invoke(app, ["lob", "--script", str(bad)])
    assert result.exit_code == 1
    assert "line 2: error: invalid `price`" in result.output
    loaded = runner.invoke(app, ["lob"], input=f"load {tmp_path / 'e.jsonl'}\norders\nquit\n")
    assert loaded.exit_code == 0 and "loaded" in loaded.output


def test_a_script_that_is_not_utf8_is_refused_with_its_offset(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes("buy 100 1\n".encode("utf-16"))  # starts with FF FE
    result = runner.invoke(app, ["lob", "--script", str(path)])
    assert result.exit_code == 1
    assert "not UTF-8 text: byte 0xff at offset 0 (UTF-16?" in result.output
    assert "Traceback" not in result.output


def test_a_script_with_huge_numbers_fails_by_line_without_traceback(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("buy 1" + "1" * 5000 + " 1\nbuy 1e999990 1\nbuy ² 1\nsell 1 1\n")
    result = runner.invoke(app, ["lob", "--script", str(path)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "line 1: error: invalid `price`" in text and "(5001 characters)" in text
    for n in (2, 3):
        assert f"line {n}: error: invalid `price`" in text
    assert "order 1: new" in result.output  # the good line still ran
    assert "Traceback" not in result.output


def test_missing_script_and_bad_decimals_exit_1(tmp_path):
    missing = runner.invoke(app, ["lob", "--script", str(tmp_path / "none.txt")])
    assert missing.exit_code == 1 and "no such file" in missing.output
    assert runner.invoke(app, ["lob", "--decimals", "x"]).exit_code == 1
    assert runner.invoke(app, ["lob", "--decimals", "9"]).exit_code == 1


def test_decimals_change_the_tick(tmp_path):
    result = runner.invoke(app, ["lob", "--decimals", "4"], input="sell 1.2345 3\nbook\n")
    assert result.exit_code == 0 and "1.2345" in result.output


def _scripted(answers):
    items = iter(answers)

    def answer(*args, **kwargs):
        item = next(items, EOFError)
        if isinstance(item, type) and issubclass(item, BaseException):
            raise item
        return item

    return answer


def test_the_readline_prompt_keeps_a_history(monkeypatch, tmp_path):
    import readline

    from tickbook.cli import lob

    history = tmp_path / "history"
    monkeypatch.setattr("builtins.input", _scripted(["buy 1 1", KeyboardInterrupt, "book"]))
    lines = list(lob._readline_lines(history))
    assert lines == ["buy 1 1", "book"]  # Ctrl-C dropped a line, Ctrl-D ended
    assert history.exists()
    readline.clear_history()


def test_prompt_toolkit_is_used_when_installed(monkeypatch, tmp_path):
    prompt_toolkit = pytest.importorskip("prompt_toolkit")
    from tickbook.cli import lob

    made = {}

    class FakeSession:
        def __init__(self, history):
            made["history"] = history
            self.prompt = _scripted(["sell 1 1", KeyboardInterrupt, "orders"])

    monkeypatch.setattr(prompt_toolkit, "PromptSession", FakeSession)
    monkeypatch.setattr(lob, "HISTORY", tmp_path / "h")
    assert list(lob._terminal_lines()) == ["sell 1 1", "orders"]
    assert type(made["history"]).__name__ == "FileHistory"
