"""The command channel: start, stop, update, status; malformed commands; timeouts."""

import threading

import msgspec
import pytest
import zmq

from tickbook.core import ValidationError
from tickbook.messaging import CommandClient, CommandServer, CommandTimeout, MessageError


class Engine:
    def __init__(self):
        self.running = False
        self.params = {"threshold": 1.0}

    def handle(self, command):
        if command.action == "start":
            self.running = True
        elif command.action == "stop":
            self.running = False
        elif command.action == "update":
            unknown = set(command.params) - set(self.params)
            if unknown:
                name = sorted(unknown)[0]
                raise ValidationError(f"invalid `{name}`: unknown parameter", field=name)
            self.params.update(command.params)
        return {"running": self.running, **self.params}


@pytest.fixture
def channel():
    engine = Engine()
    server = CommandServer("tcp://127.0.0.1:*")
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            server.serve_once(engine.handle, timeout_s=0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    client = CommandClient(server.endpoint)
    yield engine, server, client
    stop.set()
    thread.join(5)
    client.close()
    server.close()


def test_start_update_status_stop(channel):
    engine, _, client = channel
    assert client.request("start").state == {"running": True, "threshold": 1.0}
    reply = client.request("update", {"threshold": 2.5})
    assert reply.ok and engine.params == {"threshold": 2.5}
    assert client.request("status").state["threshold"] == 2.5
    assert client.request("stop").state["running"] is False


def test_refused_update_is_answered_not_fatal(channel):
    engine, _, client = channel
    reply = client.request("update", {"nope": 1})
    assert not reply.ok and "`nope`" in reply.error
    assert engine.params == {"threshold": 1.0}
    assert client.request("status").ok


def test_malformed_command_gets_an_error_reply_naming_the_field(channel):
    _, server, client = channel
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(server.endpoint)
    raw.send(msgspec.msgpack.encode(["c", "explode", 1, {}]))
    assert raw.poll(5000)
    reply = msgspec.msgpack.decode(raw.recv())
    assert reply[0] == "r" and reply[2] is False and "`action`" in reply[3]
    raw.close()
    assert client.request("status").ok


def test_client_refuses_a_bad_action_before_sending(channel):
    _, _, client = channel
    with pytest.raises(MessageError) as err:
        client.request("explode")
    assert err.value.field == "action"


def test_no_server_times_out():
    with CommandClient("tcp://127.0.0.1:9") as client, pytest.raises(CommandTimeout):
        client.request("status", timeout_s=0.2)
