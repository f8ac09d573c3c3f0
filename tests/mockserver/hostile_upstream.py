"""An upstream that speaks HTTP/1.1 by hand over real sockets, with the habits of real APIs and CDNs.

Each path is one behaviour: early hints before the answer, an answer that drips, one delimited
by the connection's close, header bytes outside ASCII, a bare CR, fields named by
``Connection``, bytes sent after an answer. Requests on one connection are served in turn, so
a proxy that reuses a connection after something unexpected hands the wrong answer to the next
client, and the tests see it.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

#: Sent by the test to let a close-delimited answer go on after its first part.
GO_ON = "go-on"


@dataclass
class Seen:
    """What the upstream received, for the tests to read."""

    requests: list[dict[str, object]] = field(default_factory=list)
    connections: int = 0
    events: dict[str, threading.Event] = field(default_factory=lambda: {GO_ON: threading.Event()})


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[dict[str, object], bytes] | None:
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    line, *fields = head.split(b"\r\n")
    method, target, _ = line.split(b" ", 2)
    headers: dict[str, bytes] = {}
    for raw in fields:
        name, _, value = raw.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip()
    length = int(headers.get("content-length", b"0"))
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None
        rest += data
    request = {"method": method.decode(), "target": target.decode(), "headers": headers, "body": rest[:length]}
    return request, rest[length:]


def _json(status: bytes, doc: object, extra: bytes = b"") -> bytes:
    body = json.dumps(doc).encode()
    return b"HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s" % (
        status,
        extra,
        len(body),
        body,
    )


#: Answers that are the same whatever was asked: framing and header bytes real servers send.
FIXED = {
    "/head": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1234\r\n\r\n",
    "/no-content": b"HTTP/1.1 204 No Content\r\nX-Done: yes\r\n\r\n",
    "/not-modified": b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n',
    "/obs-text": b"HTTP/1.1 200 OK\r\nX-Latin: caf\xe9\r\nContent-Length: 2\r\n\r\nok",
    "/bare-cr": b"HTTP/1.1 200 OK\r\nX-Split: a\rInjected: yes\r\nContent-Length: 2\r\n\r\nok",
    "/nul": b"HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Length: 2\r\n\r\nok",
}


def _hints(echo: dict[str, object]) -> bytes:
    # Any number of 1xx before the final answer, as CDNs send them unasked.
    return (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n" + _json(b"200 OK", echo)
    )


def _drip(conn: socket.socket, length: int) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % length)
    for _ in range(40):
        conn.sendall(b"x")
        time.sleep(0.25)


def _whoami(request: dict[str, object]) -> bytes:
    headers = request["headers"]
    assert isinstance(headers, dict)
    authorization = headers.get("authorization", b"").decode("latin-1")
    basic = authorization.split(" ", 1)[1] if authorization.startswith("Basic ") else ""
    return _json(b"200 OK", {"authorization": authorization, "basic": base64.b64decode(basic).decode()})


def _gzip(echo: dict[str, object]) -> bytes:
    body = gzip.compress(json.dumps(echo).encode())
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )


def _answer(conn: socket.socket, request: dict[str, object], seen: Seen) -> bool:
    """Answer one request; False when the connection is to close."""
    target = str(request["target"])
    path = target.split("?", 1)[0]
    echo = {"target": target, "method": request["method"]}
    if path in FIXED:
        conn.sendall(FIXED[path])
    elif path.startswith("/hints/"):
        conn.sendall(_hints(echo))
    elif path in ("/drip", "/drip-large"):
        _drip(conn, 100 if path == "/drip" else 1_000_000)
    elif path == "/events":
        # An event stream: no length, no chunks, ended by the connection's close.
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: first\n\n")
        seen.events[GO_ON].wait(10)
        conn.sendall(b"data: second\n\n")
        return False
    elif path == "/connection-named":
        extra = b"Connection: X-Internal, keep-alive\r\nX-Internal: hop\r\nKeep-Alive: timeout=5\r\nX-Public: end\r\n"
        conn.sendall(_json(b"200 OK", echo, extra))
    elif path.startswith("/extra/"):
        # An answer, then bytes nobody asked for: a second answer that must never reach anyone.
        conn.sendall(_json(b"200 OK", echo) + _json(b"200 OK", {"target": "/stray"}))
    elif path == "/gzip":
        conn.sendall(_gzip(echo))
    elif path == "/whoami":
        conn.sendall(_whoami(request))
    else:
        conn.sendall(_json(b"200 OK", echo))
    return True


def _serve_connection(conn: socket.socket, seen: Seen) -> None:
    buffer = b""
    with conn, contextlib.suppress(OSError):
        while True:
            read = _read_request(conn, buffer)
            if read is None:
                return
            request, buffer = read
            seen.requests.append(request)
            if not _answer(conn, request, seen):
                return


@contextlib.contextmanager
def hostile_upstream() -> Iterator[tuple[str, Seen]]:
    """Serve on a free loopback port until the block ends; yields its base URL and what it saw."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen = Seen()

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                seen.connections += 1
                threading.Thread(target=_serve_connection, args=(conn, seen), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        seen.events[GO_ON].set()
        listener.close()
