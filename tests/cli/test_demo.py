import re

from typer.testing import CliRunner

from tickbook.cli import app, demo

runner = CliRunner()


def _speed_rows(output):
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells[0] in ("resting submits", "crossing flow"):
            rows[cells[0]] = cells[1:]
    return rows


def test_the_whole_demo_with_a_tiny_speed_section(tmp_path):
    result = runner.invoke(app, ["demo", "--orders", "100", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    out = result.output
    # the kernels are loaded (or compiled) in a visible step before anything else runs
    assert re.search(
        r"kernels ready in \d+\.\d s \((compiled and cached|loaded from the cache)\)", out
    )
    assert out.index("kernels ready") < out.index("a scripted exchange session")
    # the session: the stop fires and its fill is printed
    assert "stop 6 fired (stop sell 99.80 30)\n  trade 5: 30 @ 99.50" in out
    assert "own order" in out
    # the speed section ran on 100 orders and its figures are numbers that agree
    assert "ns per submit (100 orders, best of 3)" in out
    rows = _speed_rows(out)
    assert set(rows) == {"resting submits", "crossing flow"}
    for ours, theirs, ratio in rows.values():
        ours_ns = float(ours.replace(",", ""))
        assert ours_ns > 0
        if theirs != "-":
            expected = float(theirs.replace(",", "")) / ours_ns
            assert abs(float(ratio.rstrip("x")) - expected) <= 0.01 + 0.01 * expected
        else:
            assert ratio == "-"
    assert (tmp_path / "demo" / "tearsheet.html").exists()
    text = " ".join(out.split())
    assert re.search(r"momentum: CAGR -?\d+\.\d\d%, Sharpe -?\d+\.\d\d", text)
    assert re.search(r"equal weight: CAGR -?\d+\.\d\d%, Sharpe -?\d+\.\d\d", text)


def test_a_cold_cache_says_the_kernels_compile_once(monkeypatch):
    snapshots = iter([{}, {"k.nbi": 1.0}])
    monkeypatch.setattr(demo, "_cache_files", lambda: next(snapshots))
    result = runner.invoke(app, ["demo", "--no-speed", "--no-backtest"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "first run: compiling the Numba kernels (once" in text
    assert "(compiled and cached)" in text


def test_a_warm_cache_that_still_compiles_says_so(monkeypatch):
    snapshots = iter([{"k.nbi": 1.0}, {"k.nbi": 2.0}])
    monkeypatch.setattr(demo, "_cache_files", lambda: next(snapshots))
    result = runner.invoke(app, ["demo", "--no-speed", "--no-backtest"])
    assert result.exit_code == 0, result.output
    assert "first run" not in result.output and "(compiled and cached)" in result.output


def test_cache_files_lists_numba_index_files(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert demo._cache_files() == {}
    (tmp_path / "book").mkdir()
    index = tmp_path / "book" / "_kernels.match-10.py311.nbi"
    index.write_bytes(b"")
    assert list(demo._cache_files()) == [str(index)]


def test_demo_refuses_bad_sizes(tmp_path):
    for value in ("99", "x", "1e6", "²", "9" * 40):
        result = runner.invoke(app, ["demo", "--orders", value])
        assert result.exit_code == 1, value
        assert "`--orders`" in result.output
    (tmp_path / "f").write_text("")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "f")])
    assert result.exit_code == 1 and "is a file" in result.output
