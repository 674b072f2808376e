import contextlib
import multiprocessing as mp

import pytest

pytest.importorskip("zmq")
pytest.importorskip("msgspec")

TIMEOUT_S = 25.0


class Procs:
    """Spawn children with a pipe each; every wait is bounded; leftovers are killed."""

    def __init__(self):
        self.ctx = mp.get_context("spawn")
        self.children = []

    def start(self, target, *args):
        mine, theirs = self.ctx.Pipe()
        proc = self.ctx.Process(target=target, args=(theirs, *args), daemon=True)
        proc.start()
        self.children.append(proc)
        return proc, mine

    def start_plain(self, target, *args):
        proc = self.ctx.Process(target=target, args=args, daemon=True)
        proc.start()
        self.children.append(proc)
        return proc

    @staticmethod
    def recv(conn, timeout=TIMEOUT_S):
        assert conn.poll(timeout), "a child process did not answer in time"
        return conn.recv()

    def close(self):
        for proc in self.children:
            if proc.is_alive():
                proc.kill()
            proc.join(5)


@pytest.fixture
def procs():
    p = Procs()
    yield p
    with contextlib.suppress(Exception):
        p.close()
