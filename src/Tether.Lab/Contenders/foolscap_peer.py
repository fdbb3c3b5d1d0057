"""One end of a lab connection over real Foolscap (Debian's python3-foolscap), reporting the events of
`tether peer` as JSON lines: listening, connected, progress, completed, holding, disconnected.

Usage: foolscap_peer.py listen|connect --endpoint IP:PORT --keepalive DUR --dead-timeout DUR
                                      [--upload BYTES] [--download BYTES] [--delay DUR] [--hold DUR]
DUR is a number of milliseconds followed by "ms". keepaliveTimeout is set to --keepalive and disconnectTimeout
to --dead-timeout (as floats: Tub.setOption would truncate them to whole seconds).

The listener loads a lab-only certificate (foolscap-lab.pem beside this file, generated once with Foolscap; it
protects nothing), so the connecting end can compute the listener's FURL from its address alone.
"""
import argparse
import hashlib
import json
import os
import sys
import time

from foolscap.api import Referenceable, Tub
from foolscap import broker
from twisted.internet import defer, error, reactor

CHUNK = 16 * 1024
WINDOW = 16  # calls in flight: what an application streaming a big file through Foolscap would keep
T0 = time.monotonic()
NAME = "lab"


def emit(event, **fields):
    line = {"t": round(time.monotonic() - T0, 6), "event": event}
    line.update(fields)
    print(json.dumps(line), flush=True)


def duration(text):
    return float(text[:-2]) / 1000 if text.endswith("ms") else float(text)


# Foolscap tells an application only that a connection is gone, not why: keep the reason the broker saw.
timed_out = set()
lost_reason = {}
_timed_out = broker.Broker.connectionTimedOut
_lost = broker.Broker.connectionLost


def _record_timeout(self):
    timed_out.add(id(self))
    return _timed_out(self)


def _record_lost(self, why):
    lost_reason[id(self)] = why
    return _lost(self, why)


broker.Broker.connectionTimedOut = _record_timeout
broker.Broker.connectionLost = _record_lost


def reason_of(brk, closing):
    if closing:
        return "local_close"
    if id(brk) in timed_out:
        return "dead_peer"
    why = lost_reason.get(id(brk))
    text = "" if why is None else str(why.value).lower()
    if "reset" in text:
        return "peer_reset"
    # Over TLS a peer's plain FIN (no close_notify) shows up as a "non-clean" loss: still the peer closing.
    if why is not None and (why.check(error.ConnectionDone) or "non-clean" in text):
        return "peer_closed"
    return "transport_error"


class Progress:
    def __init__(self, direction, total):
        self.direction, self.total, self.last = direction, total, time.monotonic()

    def __call__(self, done):
        if time.monotonic() - self.last >= 1:
            self.last = time.monotonic()
            emit("progress", direction=self.direction, bytes=done, total=self.total)


@defer.inlineCallbacks
def stream(target, method, total, direction):
    """Sends total random bytes as chunk calls, WINDOW in flight; returns the SHA-256 of what was sent."""
    digest, sent, pending = hashlib.sha256(), 0, []
    report = Progress(direction, total)
    while sent < total:
        data = os.urandom(min(CHUNK, total - sent))
        digest.update(data)
        sent += len(data)
        pending.append(target.callRemote(method, data))
        report(sent)
        if len(pending) >= WINDOW:
            yield pending.pop(0)
    yield defer.gatherResults(pending)
    return digest.hexdigest()


class Receiver:
    def __init__(self, direction, total):
        self.digest, self.received, self.report = hashlib.sha256(), 0, Progress(direction, total)

    def chunk(self, data):
        self.digest.update(data)
        self.received += len(data)
        self.report(self.received)


class Coordinator(Referenceable):
    """The listening end's object: receives uploads, serves downloads, watches its one peer."""

    def __init__(self):
        self.connections = 0
        self.upload = None

    def remote_hello(self, peer):
        self.connections += 1
        conn = self.connections
        brk = peer.tracker.broker
        emit("connected", conn=conn, peer=str(brk.transport.getPeer()))
        peer.notifyOnDisconnect(lambda: emit("disconnected", conn=conn, reason=reason_of(brk, False)))

    def remote_upload_begin(self, total):
        self.upload = Receiver("upload", total)

    def remote_upload_chunk(self, data):
        self.upload.chunk(data)

    def remote_upload_end(self):
        emit("completed", direction="upload", bytes=self.upload.received)
        return self.upload.digest.hexdigest()

    @defer.inlineCallbacks
    def remote_download(self, total, sink):
        sha = yield stream(sink, "chunk", total, "download")
        return sha


class Sink(Referenceable):
    def __init__(self, total):
        self.receiver = Receiver("download", total)

    def remote_chunk(self, data):
        self.receiver.chunk(data)


def lab_certificate():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "foolscap-lab.pem")) as f:
        return f.read()


def make_tub(args, certificate=None):
    tub = Tub(certData=certificate)
    tub.keepaliveTimeout = duration(args.keepalive)
    tub.disconnectTimeout = duration(args.dead_timeout)
    return tub


def listen(args):
    host, port = args.endpoint.rsplit(":", 1)
    tub = make_tub(args, lab_certificate())
    tub.listenOn(f"tcp:{port}:interface={host}")
    tub.setLocation(f"tcp:{host}:{port}")
    tub.registerReference(Coordinator(), NAME)
    tub.startService()
    emit("listening", endpoint=args.endpoint)


@defer.inlineCallbacks
def connect(args):
    host, port = args.endpoint.rsplit(":", 1)
    tub = make_tub(args)
    tub.startService()
    state = {"closing": False}
    try:
        # The listener's identity is the lab certificate's; this end needs one of its own (a Tub that finds its
        # own ID in a FURL looks the name up locally).
        listener_id = Tub(certData=lab_certificate()).getTubID()
        ref = yield tub.getReference(f"pb://{listener_id}@tcp:{host}:{port}/{NAME}")
    except Exception as e:  # noqa: BLE001 - any failure to connect is reported the same way
        emit("error", message=f"cannot connect: {e}")
        reactor.stop()
        return
    brk = ref.tracker.broker
    lost = defer.Deferred()

    def on_lost():
        if not lost.called:
            emit("disconnected", reason=reason_of(brk, state["closing"]))
            lost.callback(None)
        if reactor.running:
            reactor.stop()

    ref.notifyOnDisconnect(on_lost)
    emit("connected", peer=str(brk.transport.getPeer()))
    yield ref.callRemote("hello", Referenceable())
    if args.delay:
        yield sleep(duration(args.delay))

    work = []
    if args.upload:
        work.append(upload(ref, args.upload))
    if args.download:
        work.append(download(ref, args.download))
    results = yield defer.gatherResults(work)
    if not all(results):
        return
    hold = duration(args.hold) if args.hold else None
    emit("holding", seconds=hold)
    if hold is not None:
        yield sleep(hold)
        state["closing"] = True
        yield tub.stopService()
        # A stopped Tub does not always run its disconnect watchers: report the orderly end here.
        on_lost()


@defer.inlineCallbacks
def upload(ref, total):
    yield ref.callRemote("upload_begin", total)
    sent = yield stream(ref, "upload_chunk", total, "upload")
    confirmed = yield ref.callRemote("upload_end")
    emit("completed", direction="upload", bytes=total, intact=confirmed == sent)
    return confirmed == sent


@defer.inlineCallbacks
def download(ref, total):
    sink = Sink(total)
    sent = yield ref.callRemote("download", total, sink)
    intact = sink.receiver.received == total and sink.receiver.digest.hexdigest() == sent
    emit("completed", direction="download", bytes=sink.receiver.received, intact=intact)
    return intact


def sleep(seconds):
    d = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)
    return d


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["listen", "connect"])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--keepalive", required=True)
    parser.add_argument("--dead-timeout", required=True)
    parser.add_argument("--upload", type=int)
    parser.add_argument("--download", type=int)
    parser.add_argument("--delay")
    parser.add_argument("--hold")
    args = parser.parse_args()
    if args.mode == "listen":
        listen(args)
    else:
        d = connect(args)
        d.addErrback(lambda f: emit("error", message=f.getTraceback()))
    reactor.run()


if __name__ == "__main__":
    main()
