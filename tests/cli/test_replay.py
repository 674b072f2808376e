from pathlib import Path

from typer.testing import CliRunner

from tickbook.cli import app
from tickbook.feeds import encode_message, load_lobster, lobster_to_itch

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
AAPL = [
    str(DATA / "lobster" / "AAPL_2012-06-21_34200000_57600000_message_10.csv"),
    str(DATA / "lobster" / "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"),
]
AMZN = [
    str(DATA / "lobster" / "AMZN_2012-06-21_34200000_57600000_message_1.csv"),
    str(DATA / "lobster" / "AMZN_2012-06-21_34200000_57600000_orderbook_1.csv"),
]
ITCH = str(DATA / "itch" / "itch50_first1000msgs_directory.bin")

runner = CliRunner()


def test_lobster_check_prints_the_match_count():
    result = runner.invoke(app, ["replay", "lobster", *AMZN, "--check"])

    assert result.exit_code == 0, result.output
    assert "57,515/57,515 rows match" in result.output
    assert "messages/s" in result.output
    assert "final book" in result.output


def test_lobster_without_check_shows_the_final_book():
    result = runner.invoke(app, ["replay", "lobster", *AAPL, "--levels", "10"])

    assert result.exit_code == 0, result.output
    assert "585.3500" in result.output  # the last best bid of the AAPL sample
    assert "rows match" not in result.output


def test_lobster_failed_check_exits_1(tmp_path):
    lines = Path(AAPL[1]).read_text().splitlines()
    fields = lines[500].split(",")
    fields[3] = str(int(fields[3]) + 1)
    lines[500] = ",".join(fields)
    wrong = tmp_path / "orderbook.csv"
    wrong.write_text("\n".join(lines))

    result = runner.invoke(app, ["replay", "lobster", AAPL[0], str(wrong), "--check"])

    assert result.exit_code == 1
    assert "check failed" in result.output
    assert "row 500" in result.output


def test_lobster_bad_input_exits_1_without_traceback(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("34200.0,9,1,1,1,1\n")

    result = runner.invoke(app, ["replay", "lobster", str(bad), AAPL[1]])

    assert result.exit_code == 1
    assert "line 1" in result.output
    assert "Traceback" not in result.output


def test_itch_summary_of_the_real_sample():
    result = runner.invoke(app, ["replay", "itch", ITCH])

    assert result.exit_code == 0, result.output
    assert "1,000" in result.output  # messages
    assert "993" in result.output  # stocks in the directory


def test_itch_symbol_shows_its_final_book(tmp_path):
    path = tmp_path / "aapl.itch"
    path.write_bytes(lobster_to_itch(load_lobster(*AAPL), "AAPL").data)

    result = runner.invoke(app, ["replay", "itch", str(path), "--symbol", "AAPL"])

    assert result.exit_code == 0, result.output
    assert "final book: AAPL" in result.output
    assert "585.3500" in result.output and "585.7100" in result.output


def test_itch_bad_input_exits_1(tmp_path):
    truncated = tmp_path / "t.itch"
    truncated.write_bytes(encode_message("D", order_ref=1)[:-3])
    missing = runner.invoke(app, ["replay", "itch", str(tmp_path / "none.itch")])
    cut = runner.invoke(app, ["replay", "itch", str(truncated)])
    unknown = runner.invoke(app, ["replay", "itch", ITCH, "--symbol", "NOPE"])

    assert missing.exit_code == 1 and "no such file" in missing.output
    assert cut.exit_code == 1 and "truncated" in cut.output
    assert unknown.exit_code == 1 and "NOPE" in unknown.output


def test_lobster_price_beyond_int64_exits_1_naming_the_file(tmp_path):
    message = tmp_path / "m.csv"
    message.write_text(f"34200.01,1,1,100,{2**70},1\n")
    book = tmp_path / "o.csv"
    book.write_text("2239500,100,2231800,100\n")

    result = runner.invoke(app, ["replay", "lobster", str(message), str(book)])

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(message) in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_replay_refuses_bad_levels_and_missing_files(tmp_path):
    bad_levels = runner.invoke(app, ["replay", "lobster", *AMZN, "--levels", "0"])
    missing = runner.invoke(app, ["replay", "lobster", str(tmp_path / "m.csv"), AMZN[1]])
    assert bad_levels.exit_code == 1 and "`--levels`" in bad_levels.output
    assert missing.exit_code == 1 and "no such file" in missing.output
