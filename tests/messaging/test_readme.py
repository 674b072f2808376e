"""The README's two-process ZeroMQ example runs as written (on a free port)."""

import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent / "readme"


def test_readme_example_two_processes(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    scripts = {}
    for name in ("publisher", "subscriber"):
        text = (HERE / f"{name}.py").read_text().replace("5555", str(port))
        scripts[name] = tmp_path / f"{name}.py"
        scripts[name].write_text(text)
    sub = subprocess.Popen(
        [sys.executable, scripts["subscriber"]], stdout=subprocess.PIPE, text=True
    )
    pub = subprocess.Popen([sys.executable, scripts["publisher"]])
    try:
        out, _ = sub.communicate(timeout=30)
        assert pub.wait(timeout=30) == 0
    finally:
        for p in (sub, pub):
            if p.poll() is None:
                p.kill()
    assert sub.returncode == 0
    last = out.strip().splitlines()[-1]
    received, lost = (int(x.split()[-1]) for x in last.split(",")[:2])
    assert received + lost == 1000 and received > 0
    assert last.endswith("mean spread 2.0 ticks")
