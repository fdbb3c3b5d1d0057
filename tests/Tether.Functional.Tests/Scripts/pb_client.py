"""A Twisted PB client for Tether's interop tests, run with Debian's python3 and Twisted.

pb_client.py PORT calls   connect to a Tether PB server on 127.0.0.1:PORT, exercise its root (see TetherRoot in
                          PbServerInteropTests.cs)
pb_client.py PORT login   log in to a Tether PbPortal as alice (password secret) with a mind object, then anonymously
pb_client.py PORT model   like calls, against a TetherServer speaking PB (positional arguments only)
pb_client.py PORT modellogin
                          log in to a TetherServer speaking PB; a second login on the connection must be refused
pb_client.py PORT throughput CALLS WINDOW
                          call root.add(1, 2) CALLS times with WINDOW calls outstanding; report calls per second

Prints one JSON line per check, then {"event": "done"}.
"""
import gc
import json
import sys
import time

from twisted.cred.credentials import Anonymous, UsernamePassword
from twisted.internet import defer, reactor
from twisted.spread import pb

from pb_jelly_catalogue import CATALOGUE, same


def emit(event, **fields):
    print(json.dumps({"t": time.monotonic(), "event": event, **fields}), flush=True)


class Callback(pb.Referenceable):
    def __init__(self):
        self.received = []

    def remote_take(self, value):
        self.received.append(value)
        return "thanks for " + value


class RemoteDotnetStatus(pb.RemoteCache):
    """The replica of Tether's cacheable: its initial value, then every update the owner pushes."""

    def setCopyableState(self, state):
        self.values = [state["value"]]

    def observe_update(self, value):
        self.values.append(value)
        return len(self.values)


pb.setUnjellyableForClass("example.DotnetStatus", RemoteDotnetStatus)


@defer.inlineCallbacks
def exercise(root, keywords=True):
    mismatches = []
    for name, value in CATALOGUE.items():
        if name in ("copyable", "failure"):
            continue
        got = yield root.callRemote("echo", value)
        if not same(name, got):
            mismatches.append(f"{name}: {got!r}"[:300])
    emit("echo", mismatches=mismatches)

    emit("add", value=(yield root.callRemote("add", 2**70, 1)) == 2**70 + 1)
    if keywords:
        emit("describe", value=(yield root.callRemote("describe", 1, "two", b"3", key=4)))

    try:
        yield root.callRemote("fail", "boom ☃")
        emit("fail", raised=False)
    except pb.RemoteError as error:
        emit("fail", raised=True, type=error.remoteType.decode(), message=str(error))

    try:
        yield root.callRemote("noSuchMethod")
        emit("missing", raised=False)
    except pb.RemoteError as error:
        emit("missing", raised=True, type=error.remoteType.decode())

    callback = Callback()
    answer = yield root.callRemote("callMeBack", callback, "hello")
    emit("callback", answer=answer, received=callback.received)

    child = yield root.callRemote("child", "kid")
    name = yield child.callRemote("name")
    same_object = yield root.callRemote("isLastChild", child)
    exported = yield root.callRemote("exports")
    del child
    gc.collect()
    exported_after_release = yield root.callRemote("exports")
    emit("child", name=name, same_object=same_object, exported=exported, exported_after_release=exported_after_release)

    replica = yield root.callRemote("status")
    yield root.callRemote("bump", 3)
    again = yield root.callRemote("status")
    emit("cache", values=replica.values, shared_state=again.values is replica.values)
    del replica, again
    # inlineCallbacks still holds the last value it sent into this generator until the next yield.
    yield root.callRemote("echo", None)
    gc.collect()
    emit("cacheReleased", stopped=(yield root.callRemote("stoppedObserving")))


class Mind(pb.Referenceable):
    def remote_hello(self):
        return "hi from the mind"


@defer.inlineCallbacks
def wrong_then_right_password(factory):
    """The first steps of both login scenarios; returns alice's perspective."""
    try:
        yield factory.login(UsernamePassword(b"alice", b"wrong"))
        emit("wrongPassword", refused=False)
    except pb.RemoteError as error:
        emit("wrongPassword", refused=True, type=error.remoteType.decode())

    perspective = yield factory.login(UsernamePassword(b"alice", b"secret"), client=Mind())
    emit("loggedIn", whoami=(yield perspective.callRemote("whoami")), greeting=(yield perspective.callRemote("greetMind")))
    return perspective


@defer.inlineCallbacks
def login(factory):
    perspective = yield wrong_then_right_password(factory)
    del perspective
    # inlineCallbacks still holds the last value it sent into this generator until the next yield.
    yield factory.login(UsernamePassword(b"alice", b"secret"))
    gc.collect()
    emit("released")

    anonymous = yield factory.login(Anonymous())
    emit("anonymous", whoami=(yield anonymous.callRemote("whoami")))


@defer.inlineCallbacks
def model_login(factory):
    """Login to a Tether server: one login per connection, no anonymous logins."""
    yield wrong_then_right_password(factory)
    try:
        yield factory.login(UsernamePassword(b"alice", b"secret"))
        emit("again", refused=False)
    except pb.RemoteError as error:
        emit("again", refused=True, message=str(error))


@defer.inlineCallbacks
def throughput(root, calls, window):
    started = time.perf_counter()
    sent = 0

    @defer.inlineCallbacks
    def worker():
        nonlocal sent
        while sent < calls:
            sent += 1
            yield root.callRemote("add", 1, 2)

    yield defer.gatherResults([worker() for _ in range(window)])
    elapsed = time.perf_counter() - started
    emit("throughput", calls=calls, window=window, seconds=elapsed, calls_per_second=calls / elapsed)


def main():
    port, scenario = int(sys.argv[1]), sys.argv[2]
    factory = pb.PBClientFactory()
    reactor.connectTCP("127.0.0.1", port, factory)

    def finished(result):
        emit("done")
        reactor.stop()

    def failed(reason):
        emit("error", message=reason.getTraceback())
        reactor.stop()

    if scenario == "calls":
        d = factory.getRootObject().addCallback(exercise)
    elif scenario == "model":
        # Tether's object model over PB: methods take positional arguments only.
        d = factory.getRootObject().addCallback(exercise, keywords=False)
    elif scenario == "modellogin":
        d = model_login(factory)
    elif scenario == "login":
        d = login(factory)
    elif scenario == "throughput":
        calls, window = int(sys.argv[3]), int(sys.argv[4])
        d = factory.getRootObject().addCallback(throughput, calls, window)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    d.addCallbacks(finished, failed)
    reactor.run()


if __name__ == "__main__":
    main()
