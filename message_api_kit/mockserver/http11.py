"""One kept-alive HTTP/1.1 connection to the upstream, spoken by h11, with one deadline for a whole exchange.

The protocol is h11's: it frames requests and answers (lengths, chunks, a body that ends with
the connection, HEAD, 204 and 304), reads past any number of ``1xx`` to the final answer, and
refuses what is not HTTP (a bare CR or a NUL in a header, a length that is no number). This
module only moves bytes between h11 and a socket, under one deadline per exchange: every read
and write waits at most what is left of it, so an upstream that drips a byte a second cannot
hold an exchange past ``--upstream-timeout``.

A connection is used again only when h11 says both sides are done and nothing more was sent:
anything unexpected (bytes after an answer, an answer cut short, a deadline passed) closes it,
so that no answer can ever reach the wrong request.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import h11

__all__ = ["Connection", "Head", "ProtocolError"]

#: Bytes read from the upstream at a time.
CHUNK = 64 * 1024
#: The largest answer head h11 takes (status line and headers); past it, the answer is refused.
MAX_HEAD = 64 * 1024


class ProtocolError(Exception):
    """The upstream broke HTTP/1.1, or closed the connection before a whole answer."""


@dataclass(frozen=True)
class Head:
    """An answer's status and headers, as the upstream sent them (names and values as bytes)."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    #: The answer's body is framed by a length, by chunks or by the connection's close: None, or its length.
    length: int | None


class Connection:
    """One connection to the upstream, opened when first used; one exchange at a time.

    ``exchange`` sends a request and returns its answer's head; ``body`` then streams the body,
    and ``finish`` says whether the connection can carry another exchange (else it is closed).
    """

    def __init__(self, host: str, port: int, https: bool, server_hostname: str) -> None:
        self._address = (host, port)
        self._tls = ssl.create_default_context() if https else None
        self._server_hostname = server_hostname
        self._sock: socket.socket | None = None
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self._deadline = 0.0

    @property
    def open(self) -> bool:
        """Whether a socket is open (kept alive from an earlier exchange)."""
        return self._sock is not None

    def close(self) -> None:
        """Close the socket; the next exchange opens a new one."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)

    def exchange(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: Iterable[bytes], deadline: float
    ) -> Head:
        """Send one request (``deadline``: ``time.monotonic()`` by which the whole answer must be in); its head.

        Raises ``TimeoutError`` past the deadline, ``OSError`` when the upstream cannot be reached,
        ``ProtocolError`` when it does not answer in HTTP/1.1. The connection is closed on any of them.
        """
        self._deadline = deadline
        with self._closed_on_failure():
            self._ready()
            # The fields came out of the WSGI server's parser (or the fake's own): h11 need not check them again
            # (its check cost a quarter of a passed-on request's time). The target was quoted by upstream.py.
            request = h11.Request(method=method, target=target, headers=headers, _parsed=True)
            try:
                self._send(request, body)
            except OSError:
                # The upstream may answer before reading the whole body (a 413) and close: its answer counts.
                if self._h11.their_state is not h11.SEND_RESPONSE:
                    raise
            while True:
                event = self._next()
                if isinstance(event, h11.InformationalResponse):
                    if event.status_code == 101:  # a protocol switch nobody asked for (Upgrade is never passed on)
                        raise ProtocolError("the upstream switched protocols (101), which the fake does not pass on")
                    continue  # 100 Continue, 103 Early Hints, ...: the final answer follows
                if isinstance(event, h11.Response):
                    length = next((int(v) for k, v in event.headers if k == b"content-length"), None)
                    return Head(event.status_code, bytes(event.reason), list(event.headers.raw_items()), length)
                raise ProtocolError(f"the upstream sent {type(event).__name__} where an answer was due")

    def body(self) -> Iterator[bytes]:
        """The answer's body, a chunk as it arrives, within the exchange's deadline.

        The connection is closed unless the body was read to its end and the upstream may send
        another answer: a body left unread, or ended by the connection's close, cannot be followed.
        """
        with self._closed_on_failure():  # a body left unread (the generator closed early) included
            while True:
                event = self._next()
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise ProtocolError(f"the upstream sent {type(event).__name__} inside an answer")
        self.finish()

    @contextmanager
    def _closed_on_failure(self) -> Iterator[None]:
        """Close the connection on anything unexpected: what h11 refuses becomes a ``ProtocolError``."""
        try:
            yield
        except h11.ProtocolError as exc:
            self.close()
            raise ProtocolError(f"the upstream broke HTTP/1.1: {exc}") from None
        except BaseException:
            self.close()
            raise

    def finish(self) -> None:
        """After an answer: keep the connection for the next exchange if h11 says it may carry one, else close it."""
        state = self._h11
        data, closed = state.trailing_data
        if state.our_state is h11.DONE and state.their_state is h11.DONE and not data and not closed:
            state.start_next_cycle()
        else:
            self.close()

    def _ready(self) -> None:
        """Open a socket, or check the kept one: an upstream that closed it or sent bytes unasked gets a new one."""
        if self._sock is not None:
            idle = self._h11.our_state is h11.IDLE and self._h11.their_state is h11.IDLE
            if not idle or select.select([self._sock], [], [], 0)[0]:
                self.close()
        if self._sock is None:
            sock = socket.create_connection(self._address, timeout=self._left())
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._server_hostname)
            self._sock = sock

    def _send(self, request: h11.Request, body: Iterable[bytes]) -> None:
        """Write the head with the body's first chunk (one send for a small request), then the rest."""
        pending = self._h11.send(request) or b""
        for chunk in body:
            pending += self._h11.send(h11.Data(data=chunk)) or b""
            self._write(pending)
            pending = b""
        self._write(pending + (self._h11.send(h11.EndOfMessage()) or b""))

    def _write(self, data: bytes) -> None:
        assert self._sock is not None
        self._sock.settimeout(self._left())
        self._sock.sendall(data)

    def _next(self) -> h11.Event | type[h11.PAUSED]:
        """h11's next event, reading from the socket as long as it needs data."""
        assert self._sock is not None
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]  # h11's union names NEED_DATA too
            self._sock.settimeout(self._left())
            data = self._sock.recv(CHUNK)
            if not data and self._h11.their_state is h11.SEND_RESPONSE:
                raise ProtocolError("the upstream closed the connection before a whole answer")
            self._h11.receive_data(data)

    def _left(self) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the exchange's deadline passed")
        return left
