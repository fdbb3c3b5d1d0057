"""Plain TCP baseline for the slow-link tests: how long can a healthy TCP transfer go without delivering a byte?

server HOST PORT        accept one connection, read to EOF, print the longest gap between reads as JSON lines
client HOST PORT BYTES  send BYTES bytes and close
"""
import json
import socket
import sys
import time


def emit(event, **fields):
    print(json.dumps({"t": time.monotonic(), "event": event, **fields}), flush=True)


def server(host, port):
    with socket.create_server((host, port)) as listener:
        emit("listening", endpoint=f"{host}:{port}")
        conn, _ = listener.accept()
        with conn:
            total, longest, last = 0, 0.0, None
            while True:
                chunk = conn.recv(65536)
                now = time.monotonic()
                if last is not None and total > 0:
                    longest = max(longest, now - last)
                last = now
                if not chunk:
                    break
                total += len(chunk)
            emit("done", bytes=total, longest_silence_s=round(longest, 3))


def client(host, port, size):
    with socket.create_connection((host, port)) as conn:
        block = bytes(65536)
        remaining = size
        while remaining > 0:
            n = min(remaining, len(block))
            conn.sendall(block[:n])
            remaining -= n
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):
            pass


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
