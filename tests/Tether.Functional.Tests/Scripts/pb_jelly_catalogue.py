"""Jelly interop catalogue, run with Debian's python3 and Twisted (python3-twisted).

emit    print one JSON line per catalogue value: {"name": ..., "hex": banana bytes of the jellied value}
check   read such lines on stdin (produced by Tether), decode and unjelly each one with Twisted's own
        Banana and Broker (PB's default security), compare it with the catalogue value of the same name,
        and print {"name": ..., "ok": bool, "repr": ...} per line

Values are serialized the way a PB broker sends arguments: Broker.serialize in the "pb" dialect.
"""
import datetime
import decimal
import io
import json
import sys
import traceback

from twisted.python import failure
from twisted.spread import banana, pb


class Point(pb.Copyable):
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def getTypeToCopy(self):
        return b"example.Point"


class RemotePoint(pb.RemoteCopy):
    pass


pb.setUnjellyableForClass("example.Point", RemotePoint)


def shared():
    inner = [1]
    return [inner, inner]


def cyclic_list():
    value = [1]
    value.append(value)
    return value


def cyclic_dict():
    value = {}
    value["self"] = value
    return value


def value_error():
    try:
        raise ValueError("bad value ☃")
    except ValueError:
        return pb.failure2Copyable(failure.Failure())


CATALOGUE = {
    "none": None,
    "true": True,
    "false": False,
    "zero": 0,
    "minus_one": -1,
    "int32_max": 2**31 - 1,
    "int32_max_plus_one": 2**31,
    "int32_min_minus_one": -(2**31) - 1,
    "int64_max_plus_one": 2**63,
    "int64_min_minus_one": -(2**63) - 1,
    "three_pow_200": 3**200,
    "minus_two_pow_400": -(2**400),
    "float": 1.5,
    "negative_zero": -0.0,
    "huge_float": 1e300,
    "infinity": float("inf"),
    "empty_bytes": b"",
    "binary_bytes": bytes(range(256)),
    "vocabulary_bytes": b"list",
    "empty_text": "",
    "unicode": "héllo ☃ 𝄞 日本語",
    "nested_list": [1, [2, [3, []]], "x", b"y"],
    "tuple": (1, (2,), ()),
    "dict": {"a": 1, b"b": [2], 3: (4,), (5, 6): None},
    "set": {1, "two", (3,)},
    "frozenset": frozenset([1, b"two"]),
    "shared": shared(),
    "cyclic_list": cyclic_list(),
    "cyclic_dict": cyclic_dict(),
    "decimal": decimal.Decimal("-123.45"),
    "datetime": datetime.datetime(2024, 2, 29, 13, 4, 5, 123456),
    "date": datetime.date(1999, 12, 31),
    "time": datetime.time(23, 59, 58, 999000),
    "timedelta": datetime.timedelta(days=-1, seconds=43200, microseconds=1),
    "copyable": Point(3, -4),
    "failure": value_error(),
}


def broker():
    b = pb.Broker(isClient=True)
    b.setPrefixLimit(64)
    b.currentDialect = b"pb"
    return b


def encode(value):
    b = broker()
    out = io.BytesIO()
    b._encode(b.serialize(value), out.write)
    return out.getvalue()


def decode(data):
    b = broker()
    received = []
    b.expressionReceived = received.append
    b.dataReceived(data)
    if len(received) != 1 or b.buffer or b.listStack:
        raise ValueError(f"expected exactly one expression, got {len(received)}")
    return b.unserialize(received[0])


def same(name, got):
    want = CATALOGUE[name]
    if name == "shared":
        return got == [[1], [1]] and got[0] is got[1]
    if name == "cyclic_list":
        return isinstance(got, list) and len(got) == 2 and got[0] == 1 and got[1] is got
    if name == "cyclic_dict":
        return isinstance(got, dict) and list(got) == ["self"] and got["self"] is got
    if name == "copyable":
        return isinstance(got, RemotePoint) and (got.x, got.y) == (3, -4)
    if name == "failure":
        return (isinstance(got, pb.CopiedFailure) and got.type == b"builtins.ValueError"
                and got.value == "bad value ☃" and got.check("builtins.ValueError") is not None)
    if name == "negative_zero":
        return got == 0.0 and str(got) == "-0.0"
    return type(got) is type(want) and got == want


def describe(value):
    # repr() of a CopiedFailure raises in Twisted 22.4 (its type is bytes), so describe failures by hand.
    if isinstance(value, pb.CopiedFailure):
        return f"CopiedFailure(type={value.type!r}, value={value.value!r}, parents={value.parents!r})"
    return repr(value)[:500]


def main():
    mode = sys.argv[1]
    if mode == "emit":
        for name, value in CATALOGUE.items():
            print(json.dumps({"name": name, "hex": encode(value).hex()}), flush=True)
    elif mode == "check":
        for line in sys.stdin:
            if not line.strip():
                continue
            item = json.loads(line)
            try:
                got = decode(bytes.fromhex(item["hex"]))
                print(json.dumps({"name": item["name"], "ok": same(item["name"], got), "repr": describe(got)}), flush=True)
            except Exception:
                print(json.dumps({"name": item["name"], "ok": False, "repr": traceback.format_exc()}), flush=True)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
