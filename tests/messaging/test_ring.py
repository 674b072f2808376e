"""The shared-memory ring: unit behaviour, and a writer killed with SIGKILL under two readers."""

import mmap
import os
import signal

import numpy as np
import pytest

from tests.messaging import _procs
from tickbook.core import CapacityError, ValidationError
from tickbook.messaging import MD_RECORD_DTYPE, RingError, RingReader, RingWriter, WriterState


@pytest.fixture
def name(tmp_path):
    return tmp_path / "ring"


def _recs(n, start=0):
    r = np.zeros(n, MD_RECORD_DTYPE)
    r["bid"] = np.arange(start, start + n)
    return r


def test_readers_get_every_record_in_order_with_wraparound(name):
    with RingWriter(name, 8) as w:
        a, b = RingReader(name, start="oldest"), RingReader(name, start="oldest")
        got = []
        for k in range(10):
            w.write(_recs(5, 5 * k))
            recs, lost = a.read(3)
            recs2, lost2 = a.read()
            got += list(recs["bid"]) + list(recs2["bid"])
            assert lost == lost2 == 0
        assert got == list(range(50))
        assert a.next_seq == 51
        recs, lost = b.read()  # b never read: only the last 8 are still held
        assert lost == 42 and list(recs["seq"]) == list(range(43, 51))
        assert b.lost == 42


def test_lapped_reader_counts_exactly_what_it_lost(name):
    with RingWriter(name, 16) as w:
        r = RingReader(name, start="latest")
        w.write(_recs(10))
        assert r.read(4)[0]["seq"].tolist() == [1, 2, 3, 4]
        w.write(_recs(16))  # head 26; slots hold 11..26; 5..10 are gone
        recs, lost = r.read(100)
        assert lost == 6 and recs["seq"].tolist() == list(range(11, 27))


def test_torn_slot_is_never_returned(name):
    with RingWriter(name, 8) as w:
        r = RingReader(name, start="oldest")
        w.write(_recs(4))
        with open(name, "r+b") as f, mmap.mmap(f.fileno(), 0) as m:
            stamps = np.frombuffer(m, dtype="<u8", count=8, offset=64)
            stamps[1] = 0  # slot of seq 2 "being written"
            recs, lost = r.read()
            del stamps
        assert recs["seq"].tolist() == [1, 3, 4] and lost == 1


def test_bad_input_is_refused_and_changes_nothing(name):
    with RingWriter(name, 8) as w:
        w.write(_recs(3))
        r = RingReader(name, start="oldest")
        with pytest.raises(ValidationError) as err:
            w.write(np.zeros(2, dtype=[("bid", "<i8")]))
        assert err.value.field == "records"
        with pytest.raises(CapacityError):
            w.write(_recs(9))
        assert w.head == 3
        with pytest.raises(ValidationError) as err:
            r.read_into(np.zeros(3, "<i8"))
        assert err.value.field == "out"
        assert r.read()[0]["seq"].tolist() == [1, 2, 3]
    with pytest.raises(ValidationError):
        RingWriter(name, 12, overwrite=True)
    with pytest.raises(RingError) as err:
        RingWriter(name, 8)  # exists
    assert err.value.field == "name"


def test_foreign_or_missing_file_is_refused(tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(RingError) as err:
        RingReader(junk)
    assert err.value.field == "header"
    with pytest.raises(RingError):
        RingReader(tmp_path / "none")


def test_writer_state_alive_closed_and_dead(name):
    w = RingWriter(name, 8)
    r = RingReader(name)
    assert r.writer_state() is WriterState.ALIVE
    w.close()
    assert r.writer_state() is WriterState.CLOSED


def test_killed_writer_leaves_no_torn_record_and_readers_see_it_dead(procs, name):
    proc, wconn = procs.start(_procs.ring_writer, str(name), 1 << 12, 256)
    writer = proc
    assert procs.recv(wconn) == "ready"
    readers = [procs.start(_procs.ring_reader, str(name))[1] for _ in "ab"]
    for conn in readers:
        assert procs.recv(conn) == "ready"
    r = RingReader(name)
    while r.head < 2_000_000 and writer.is_alive():  # let it write under the readers a while
        conn_ready = wconn.poll(0.05)
        assert not conn_ready
    os.kill(writer.pid, signal.SIGKILL)  # not reaped yet: a zombie counts as dead
    results = [procs.recv(conn) for conn in readers]
    for res in results:
        assert res["state"] == "dead"
        assert res["torn"] == 0 and res["ordered"]
        assert res["got"] > 0
        # every number from where it started is read or counted lost
        assert res["got"] + res["lost"] == res["last"] - res["start"] + 1
    writer.join(5)
    assert r.writer_state() is WriterState.DEAD


def test_overwriting_a_ring_leaves_its_readers_on_the_old_file(name):
    old = RingWriter(name, 8)
    old.write(_recs(3))
    r = RingReader(name, start="oldest")
    new = RingWriter(name, 16, overwrite=True)
    new.write(_recs(1))
    assert r.read()[0]["seq"].tolist() == [1, 2, 3]  # no SIGBUS: the old map is intact
    assert RingReader(name).capacity == 16
    old.close()
    new.close(unlink=True)
