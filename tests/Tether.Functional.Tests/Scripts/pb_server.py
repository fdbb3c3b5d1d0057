"""A Twisted PB server for Tether's interop tests, run with Debian's python3 and Twisted.

pb_server.py root      PBServerFactory(TestRoot): remote_ methods below, and a Cacheable (STATUS)
pb_server.py portal    PBServerFactory(Portal): twisted.cred login, user alice with password secret, and anonymous

Listens on 127.0.0.1 (an ephemeral port) and prints JSON lines: {"event": "listening", "port": N}
first, then login/logout and observing/stoppedObserving events.
"""
import json
import sys
import time

from twisted.cred import checkers, portal
from twisted.internet import defer, reactor
from twisted.spread import pb
from zope.interface import implementer


def emit(event, **fields):
    print(json.dumps({"t": time.monotonic(), "event": event, **fields}), flush=True)


class Child(pb.Referenceable):
    def __init__(self, name):
        self.name = name

    def remote_name(self):
        return self.name


class Point(pb.Copyable):
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def getTypeToCopy(self):
        return b"example.Point"


class RemotePoint(pb.RemoteCopy):
    pass


pb.setUnjellyableForClass("example.Point", RemotePoint)


class Status(pb.Cacheable):
    """Observed from .NET: every observer gets observe_update(value) for each change, in order."""

    def __init__(self):
        self.observers = []
        self.value = 0

    def getTypeToCopy(self):
        return b"example.Status"

    def getStateToCacheAndObserveFor(self, perspective, observer):
        self.observers.append(observer)
        emit("observing", observers=len(self.observers))
        return {"value": self.value}

    def stoppedObserving(self, perspective, observer):
        self.observers.remove(observer)
        emit("stoppedObserving", observers=len(self.observers))

    def set(self, value):
        self.value = value
        for observer in self.observers:
            observer.callRemote("update", value)


STATUS = Status()


class TestRoot(pb.Root):
    broker = None

    def rootObject(self, broker):
        # One connection per test run; remember its broker to report its export table.
        self.broker = broker
        return self

    def remote_echo(self, value):
        return value

    def remote_add(self, a, b):
        return a + b

    def remote_describe(self, *args, **kwargs):
        return [type(a).__name__ for a in args], sorted(kwargs.items())

    def remote_fail(self, message):
        raise ValueError(message)

    def remote_divide(self, a, b):
        return a / b

    def remote_point(self, x, y):
        return Point(x, y)

    def remote_swap(self, point):
        # point arrived as a RemotePoint; a RemoteCopy is not itself copyable, so build a Point to answer.
        return Point(point.y, point.x)

    def remote_status(self):
        return STATUS

    def remote_setStatus(self, first, count):
        for value in range(first, first + count):
            STATUS.set(value)
        return count

    def remote_child(self, name):
        return Child(name)

    def remote_sameChildTwice(self):
        child = Child("twin")
        return [child, child]

    def remote_exports(self):
        return sorted(str(key) for key in self.broker.localObjects)

    def remote_isRoot(self, reference):
        return reference is self

    def remote_blob(self, size):
        return bytes(size)

    def remote_size(self, data):
        return len(data)

    def remote_callMeBack(self, callback, value):
        return callback.callRemote("take", value)

    def remote_later(self, value, delay):
        d = defer.Deferred()
        reactor.callLater(delay, d.callback, value)
        return d


class User(pb.Avatar):
    def __init__(self, name):
        self.name = name

    def perspective_whoami(self):
        return self.name


@implementer(portal.IRealm)
class Realm:
    def requestAvatar(self, avatarId, mind, *interfaces):
        name = "anonymous" if avatarId is checkers.ANONYMOUS else avatarId.decode("utf-8")
        emit("login", user=name, mind=repr(mind))
        return pb.IPerspective, User(name), lambda: emit("logout", user=name)


def main():
    mode = sys.argv[1]
    if mode == "root":
        factory = pb.PBServerFactory(TestRoot())
    elif mode == "portal":
        checker = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        checker.addUser(b"alice", b"secret")
        factory = pb.PBServerFactory(portal.Portal(Realm(), [checker, checkers.AllowAnonymousAccess()]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    interface = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    port = reactor.listenTCP(0, factory, interface=interface)
    emit("listening", port=port.getHost().port)
    reactor.run()


if __name__ == "__main__":
    main()
