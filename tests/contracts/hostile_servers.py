"""Small socket servers that answer a creation the way a broken or hostile server might.

Each reads one request and answers it badly: forever, hugely, in a gzip bomb, nested past
reading, or one byte at a time. ``serving(kind)`` yields the base URL; the server stops with it.
"""

from __future__ import annotations

import functools
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HEAD = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nConnection: close\r\n"


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


def _endless(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"a" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    while not stop.is_set():
        conn.sendall(frame)


def _declared_gigabyte(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(HEAD + b"Content-Length: 1073741824\r\n\r\n" + b"[" * 1024)
    stop.wait(5)


@functools.cache
def _bomb() -> bytes:
    """1 MiB on the wire that inflates to a gigabyte of zeros, a valid gzip member.

    Built without compressing a gigabyte (5 s at every import): after a full flush the compressor
    starts afresh, so each MiB of zeros deflates to the same bytes, and the member repeats them.
    """
    mebibyte, count = bytes(1 << 20), 1024
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: the gzip frame is written here
    block = deflate.compress(mebibyte) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(mebibyte, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # magic, deflate, no flags, no time, best, unknown OS
    return header + block * count + deflate.flush() + struct.pack("<II", crc, (count << 20) & 0xFFFFFFFF)


def _gzip_bomb(conn: socket.socket, stop: threading.Event) -> None:
    bomb = _bomb()
    conn.sendall(HEAD + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb)


def _deep(conn: socket.socket, stop: threading.Event) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    conn.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def _drip(conn: socket.socket, stop: threading.Event) -> None:
    for byte in HEAD + b"Content-Length: 2\r\n\r\n{}":
        if stop.wait(0.5):
            return
        conn.sendall(bytes([byte]))


ANSWERS: dict[str, Callable[[socket.socket, threading.Event], None]] = {
    "endless-body": _endless,
    "declared-gigabyte": _declared_gigabyte,
    "gzip-bomb": _gzip_bomb,
    "nested-100000-deep": _deep,
    "one-byte-at-a-time": _drip,
}


@contextmanager
def serving(kind: str) -> Iterator[str]:
    """A server answering every request as ``kind`` does; yields its base URL."""
    answer = ANSWERS[kind]
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                _read_request(conn)
                answer(conn, stop)
            except OSError:  # the client hung up: what a bounded client does
                pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()
        time.sleep(0)
