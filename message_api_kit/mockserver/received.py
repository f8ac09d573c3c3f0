"""A request body received whole before it is passed on to the upstream: in memory, or on disk past a mebibyte.

A proxy that streamed a client's body straight to the upstream would hold an upstream slot
(``--max-upstream``) for as long as the client takes to send it: four clients sending nothing
locked out every passed-on route. So the body is received first, on the threads that wait for
bodies (``--max-uploads``, as on the fake's own routes), under the exchange's deadline; only a
whole body takes an upstream slot, and goes on in one piece with its length. Large bodies
spool to a temporary file, so memory stays flat whatever their size (nginx's
``proxy_request_buffering`` does the same, for the same reason).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from typing import IO, BinaryIO

__all__ = ["BrokenOff", "NotReceived", "Received", "TooSlow", "receive"]

#: The most bytes read from the client at a time.
CHUNK = 64 * 1024
#: A read that returns within this many seconds lets the next one ask for twice as much.
QUICK = 0.05
#: A body larger than this is kept in a temporary file, not in memory.
IN_MEMORY = 1024 * 1024


class NotReceived(Exception):
    """The body did not arrive whole: nothing is passed on."""


class TooSlow(NotReceived):
    """The body did not arrive by the deadline."""


class BrokenOff(NotReceived):
    """The client ended the body before the length it declared."""


class Received:
    """A whole request body; iterating gives it a chunk at a time."""

    def __init__(self, file: IO[bytes] | None, length: int, start: bytes) -> None:
        self._file = file
        self.length = length
        #: The body's first bytes, for the journal and a verdict.
        self.start = start

    def __iter__(self) -> Iterator[bytes]:
        if self._file is None:
            return
        self._file.seek(0)
        while chunk := self._file.read(CHUNK):
            yield chunk

    def close(self) -> None:
        """Free the body (delete its temporary file)."""
        if self._file is not None:
            self._file.close()


def receive(stream: BinaryIO, length: int | None, deadline: float, keep: int) -> Received:
    """Read a body from ``stream``: ``length`` bytes, or to its end (None); ``TooSlow`` past ``deadline``,
    ``BrokenOff`` when it ends short of ``length``.

    ``keep``: how many of its first bytes ``Received.start`` holds. A read blocks until the client
    sends something, so a client that sends nothing at all holds its thread until it goes (the
    threads for bodies are bounded, ``--max-uploads``); any byte after the deadline ends the wait.
    """
    if length == 0:
        return Received(None, 0, b"")
    file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115  # closed by Received.close
    total = 0
    start = bytearray()
    # A server's read(n) returns once n bytes are in (granian's and Werkzeug's alike): asked for 64 KiB, a
    # client sending a byte a second would hold the read for hours, deadline or not. So reads start at one
    # byte and double while the bytes come at once, back to one as soon as they do not: a fast body is read
    # in a few dozen calls, and a slow one is seen to be slow within a byte of its deadline.
    size = 1
    try:
        while length is None or total < length:
            asked = time.monotonic()
            chunk = stream.read(size if length is None else min(size, length - total))
            if not chunk:
                break
            file.write(chunk)
            total += len(chunk)
            if len(start) < keep:
                start += chunk[: keep - len(start)]
            now = time.monotonic()
            if now > deadline:
                raise TooSlow(f"{total} bytes of the body arrived by the deadline")
            size = min(CHUNK, size * 2) if now - asked < QUICK else 1
        if length is not None and total < length:
            raise BrokenOff(f"the body ended after {total} of the {length} bytes its Content-Length declares")
    except BaseException:
        file.close()
        raise
    return Received(file, total, bytes(start))
