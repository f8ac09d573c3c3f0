"""The only code that does I/O: sending requests to the server under test, politely."""

from __future__ import annotations

import email.utils
import itertools
import json
import re
import shlex
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from message_api_kit import schemas
from message_api_kit.contracts.failures import BudgetExhausted, CheckFailure, Unreachable
from message_api_kit.schemas import Operation

#: Longest wait for a 429's Retry-After, and how often a request is retried after one.
MAX_RETRY_AFTER = 60.0
MAX_429_RETRIES = 3
#: Bodies in reports are cut to this many characters.
SHOWN = 2000
#: What a redacted header value is shown as: the kit's one spelling (``schemas.REDACTED``).
REDACTED = schemas.REDACTED
#: The largest answer read, before and after decompression (``--max-answer-bytes``).
MAX_ANSWER_BYTES = 16 * 1024 * 1024
#: Connections a run keeps to the server (``--connections``): as many as a small pool, fewer than a browser's six.
DEFAULT_CONNECTIONS = 4


class _Refused(Exception):
    """An answer the transport stops reading: too large, or too slow in coming."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail


def dumps(body: Any) -> bytes:
    """A body as JSON bytes, as every request sends it (``ensure_ascii`` keeps even a lone surrogate sendable)."""
    return json.dumps(body).encode()


#: Compressed bytes fed to a decoder at a time, so that no one step can inflate past what a bomb allows.
DECODE_STEP = 1024


def decoded(raw: bytes, content_encoding: str, limit: int) -> bytes:
    """``raw`` with its ``Content-Encoding`` undone as this transport undoes it (httpx's decoders: gzip,
    deflate, br, zstd, several in turn), at most ``limit`` bytes of it; the raw bytes when they do not decode.

    The watching fake reads a passed-on answer through this, so a verdict there and in a contract
    run read the same bytes.
    """
    if not content_encoding.strip() or content_encoding.strip().lower() == "identity":
        return raw[:limit]
    steps = (raw[i : i + DECODE_STEP] for i in range(0, len(raw), DECODE_STEP))
    answer = httpx.Response(200, headers={"Content-Encoding": content_encoding}, content=steps)
    out = bytearray()
    try:
        for chunk in answer.iter_bytes():
            out += chunk
            if len(out) >= limit:
                break
    except httpx.DecodingError:
        return raw[:limit]
    return bytes(out[:limit])


def header_variable(name: str) -> str:
    """The environment variable that replay and curl lines read a redacted header's value from."""
    return "CONTRACTS_HEADER_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


@dataclass(frozen=True)
class Exchange:
    """One request and the answer to it, as sent and received."""

    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes
    status: int
    headers: Mapping[str, str]
    body: bytes
    sent_at: float
    received_at: float
    #: Why no answer came (the status is then 0): the connection was dropped, reset or timed out.
    error: str = ""
    #: Lower-case names of the headers given for the run (``--header``): redacted unless asked.
    secret_headers: frozenset[str] = frozenset()
    #: The declared operation the request is one of (``None``: not one): the rules take its
    #: success statuses and the schema of its answers from the declaration.
    operation: Operation | None = None

    @property
    def content_type(self) -> str:
        """The answer's media type, lower case, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The answer's body parsed as JSON (raises ``ValueError`` if it is not, or is nested past reading)."""
        try:
            return json.loads(self.body)
        except RecursionError:
            raise ValueError("the JSON is nested too deep to read") from None

    def _secret(self, name: str, show_secrets: bool) -> bool:
        # The run's own headers are all taken for secrets; any other by the kit's one rule (schemas.is_secret).
        return not show_secrets and (name.lower() in self.secret_headers or schemas.is_secret(name))

    def curl(self, show_secrets: bool = False) -> str:
        """A shell command that sends the same request again; a redacted header reads its value from the environment."""
        words = [shlex.quote(word) for word in ("curl", "-i", "-X", self.method, self.url)]
        for name, value in self.request_headers.items():
            if self._secret(name, show_secrets):
                words += ["-H", f'"{name}: ${header_variable(name)}"']
            else:
                words += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request_body:
            try:
                words += ["--data-binary", shlex.quote(self.request_body.decode("utf-8"))]
            except UnicodeDecodeError:
                # Bytes a shell cannot hold literally go through printf's escapes.
                escaped = "".join(f"\\x{b:02x}" for b in self.request_body)
                words += ["--data-binary", f"\"$(printf '{escaped}')\""]
        return " ".join(words)

    def describe(self, show_secrets: bool = False) -> str:
        """The request and the answer (or why none came), for a failure report."""
        request = self.request_body.decode("utf-8", "replace")
        headers = "".join(
            f"\n    {name}: {REDACTED if self._secret(name, show_secrets) else value}"
            for name, value in self.request_headers.items()
        )
        if self.status:
            answer = self.body.decode("utf-8", "replace")
            shown = f"{self.status} {self.headers.get('content-type', '(no content-type)')}\n    {cut(answer)}"
        else:
            shown = f"none ({self.error})"
        return (
            f"  request: {self.method} {self.url}{headers}\n    {cut(request)}\n"
            f"  answer:  {shown}\n"
            f"  reproduce: {cut(self.curl(show_secrets))}"
        )


def cut(text: str) -> str:
    """``text`` as a report shows a body: at most ``SHOWN`` characters, and how many there were."""
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}... ({len(text)} characters)"


#: Characters a terminal acts on rather than shows: C0 and C1 controls but newline and tab (ESC starts
#: sequences that clear the screen or set the window's title; CR writes over a line), and the bidi overrides.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` safe to print: each character a terminal would act on, escaped (``\\x1b``, ``\\u202e``).

    A server's answer, shown in a report, is the server's to choose: every report passes through here.
    """
    return _CONTROLS.sub(lambda found: ascii(found.group())[1:-1], text)


@dataclass
class Transport:
    """Sends requests to ``base_url`` with fixed headers, a rate limit, a budget, and 429 back-off.

    A server under test may be broken or hostile: every exchange has a whole-request deadline
    (``timeout``, from sending to the last byte of the answer, however slowly it drips) and
    reads at most ``max_answer_bytes`` of the answer, counted before and after decompression;
    past either, the exchange is a failure with the request that caused it.
    ``client`` may carry an in-process transport (``httpx.WSGITransport``) for tests.
    """

    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    rate_limit: float | None = None
    budget: int | None = None
    client: httpx.Client | None = None
    on_request: Callable[[int], None] | None = None
    max_answer_bytes: int = MAX_ANSWER_BYTES
    #: Connections kept alive to the server, taken in turn by consecutive requests (``--connections``): as a
    #: browser or any pooled client, a run meets every worker of a server that has several, so state kept
    #: per worker process (ids counted per process, a parent another worker never saw) is seen. A given
    #: ``client`` (a test's, in process) is used alone.
    connections: int = DEFAULT_CONNECTIONS
    #: The first answer too large or too slow: the run sends nothing more to such a server.
    stopped: CheckFailure | None = None
    sent: int = 0
    #: Answers ``429 Too Many Requests`` met, and the seconds waited out after them (``Retry-After``): a run
    #: that meets the server's rate limit says so (``Report.throttled``) instead of only taking longer.
    throttled: int = 0
    waited: float = 0.0
    _next_slot: float = 0.0
    #: Lower-case names of ``headers``: given for the run, so redacted in what it writes.
    _secrets: frozenset[str] = frozenset()
    #: Whether the client is this transport's own (closed and made anew at a deadline), or a test's.
    _owns_client: bool = field(init=False, default=False)
    _reader: ThreadPoolExecutor = field(init=False, repr=False)
    #: One client a connection, taken in turn (``_turn``); a given client alone.
    _clients: list[httpx.Client] = field(init=False, repr=False, default_factory=list)
    _turn: itertools.count[int] = field(init=False, repr=False, default_factory=itertools.count)
    _counting: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.connections < 1:
            raise ValueError("connections must be at least 1")
        self.base_url = self.base_url.rstrip("/")
        self._secrets = frozenset(name.lower() for name in self.headers)
        self._owns_client = self.client is None
        self._clients = [self._new_client() for _ in range(self.connections)] if self.client is None else [self.client]
        self.client = self._clients[0]
        # Threads read the answers, so that a deadline can stop a read that drips forever: as many as there
        # are connections, so that requests sent at once (``send_at_once``) are read at once.
        self._reader = ThreadPoolExecutor(max_workers=len(self._clients), thread_name_prefix="contracts-reader")

    def _new_client(self) -> httpx.Client:
        # One connection a client: consecutive requests go over different connections, as ``connections`` says.
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        return httpx.Client(timeout=self.timeout, follow_redirects=False, limits=limits)

    def close(self) -> None:
        """Release the connections and the reading threads."""
        for client in self._clients:
            client.close()
        self._reader.shutdown(wait=False)

    def send_at_once(self, requests: Sequence[Callable[[], Exchange]]) -> list[Exchange]:
        """Run ``requests`` (calls of ``call`` or ``send``) at the same time, over the connections; their
        exchanges in the same order. A failure of any (a budget spent, no answer) is raised once all are done."""
        if len(requests) <= 1 or len(self._clients) == 1:
            return [request() for request in requests]
        with ThreadPoolExecutor(max_workers=len(requests), thread_name_prefix="contracts-burst") as senders:
            futures = [senders.submit(request) for request in requests]
            return [future.result() for future in futures]

    @contextmanager
    def unlimited(self) -> Iterator[None]:
        """Lift the budget for the requests sent inside the block."""
        budget, self.budget = self.budget, None
        try:
            yield
        finally:
            self.budget = budget

    def call(
        self,
        operation: Operation,
        parameters: Mapping[str, object],
        body: Any,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Send a request to ``operation`` as its declaration says: ``parameters`` in the path or the query by where
        each is declared (spelled as given; an undeclared name is a ``ValueError``), and ``body`` as JSON where the
        operation takes one (none, and no Content-Type, where it takes none)."""
        url = operation.url(**parameters)
        if operation.body is None:
            if body is not None:
                raise ValueError(f"{operation.method} {operation.path} ({operation.id}) takes no body")
            return self.send(operation.method, url, b"", dict(headers or {}), operation=operation)
        headers = {"Content-Type": schemas.JSON, **(headers or {})}
        return self.send(operation.method, url, dumps(body), headers, operation=operation)

    def send(
        self,
        method: str,
        path: str,
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        retry_resets: bool = False,
        operation: Operation | None = None,
    ) -> Exchange:
        """Send one request and return the exchange; raise ``Unreachable`` or ``BudgetExhausted``.

        ``retry_resets``, for a request that writes nothing: a connection reset before any
        answer is sent again once, on a fresh connection (a server may close a keep-alive
        connection after a 500 without saying so). A reset of a request that may write, or
        a second one, is a failure that shows the request.
        """
        assert self.client is not None
        if self.stopped is not None:
            # Each more request to a server whose answers have no end would cost the whole deadline.
            raise CheckFailure(
                self.stopped.title,
                f"{self.stopped.detail} (after it, the run sent nothing more to this server)",
                *self.stopped.exchanges,
            )
        all_headers = {**self.headers, **(headers or {})}
        url = f"{self.base_url}{path}"
        resets = 0
        for attempt in range(MAX_429_RETRIES + 1):
            with self._counting:  # requests sent at once (send_at_once) count, and keep the rate, one at a time
                if self.budget is not None and self.sent >= self.budget:
                    raise BudgetExhausted(f"the request budget of {self.budget} is spent", self)
                self._wait_for_slot()
                self.sent += 1
                sent = self.sent
            if self.on_request is not None:
                self.on_request(sent)
            sent_at = time.time()
            try:
                status, answer_headers, body = self._exchange(method, url, content, all_headers)
            except _Refused as refused:
                exchange = self._unanswered(method, url, all_headers, content, sent_at, refused.detail, operation)
                self.stopped = CheckFailure(refused.title, f"{method} {url}: {refused.detail}", exchange)
                raise self.stopped from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise Unreachable(f"cannot reach {self.base_url}: {exc}") from exc
            except httpx.TransportError as exc:
                if retry_resets and resets == 0 and _reset(exc):
                    resets += 1  # the pool dropped the dead connection: the next try opens a fresh one
                    continue
                # The server was reached but gave no complete answer: that breaks any contract.
                error = f"{type(exc).__name__}: {exc}" + (" (again on a fresh connection)" if resets else "")
                raise CheckFailure(
                    "no answer",
                    f"{method} {url} got no complete answer ({error})",
                    self._unanswered(method, url, all_headers, content, sent_at, error, operation),
                ) from exc
            exchange = Exchange(
                method=method,
                url=url,
                request_headers=all_headers,
                request_body=content,
                status=status,
                headers=answer_headers,
                body=body,
                sent_at=sent_at,
                received_at=time.time(),
                secret_headers=self._secrets,
                operation=operation,
            )
            if status != 429 or attempt == MAX_429_RETRIES:
                return exchange
            pause = _retry_after(answer_headers.get("retry-after"))
            with self._counting:
                self.throttled += 1
                self.waited += pause
            time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _unanswered(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes,
        sent_at: float,
        error: str,
        operation: Operation | None,
    ) -> Exchange:
        """A request that got no whole answer (the status is 0), and why."""
        return Exchange(
            method, url, headers, content, 0, {}, b"", sent_at, time.time(), error, self._secrets, operation
        )

    def _exchange(
        self, method: str, url: str, content: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """Send and read one answer within the deadline and the size cap; ``_Refused`` past either."""
        deadline = time.monotonic() + self.timeout
        turn = next(self._turn) % len(self._clients)
        reading = self._reader.submit(self._read, self._clients[turn], method, url, content, headers, deadline)
        try:
            return reading.result(timeout=self.timeout + 1.0)
        except FutureTimeout:
            # The answer drips slower than any read timeout can see (its head byte by byte): close
            # the connection under the reading thread, which ends its read, and start afresh.
            if self._owns_client:
                self._clients[turn].close()
                self._clients[turn] = self._new_client()
                self.client = self._clients[0]
            raise _Refused("answer took too long", f"no whole answer within {self.timeout:g} s (--timeout)") from None

    def _read(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        content: bytes,
        headers: Mapping[str, str],
        deadline: float,
    ) -> tuple[int, dict[str, str], bytes]:
        limit = self.max_answer_bytes
        with client.stream(method, url, content=content, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _Refused(
                    "answer too large", f"the answer declares {declared} bytes, over {limit} (--max-answer-bytes)"
                )
            body = bytearray()
            for chunk in response.iter_bytes():  # decompressed: a small gzip bomb stops at the cap too
                body += chunk
                if len(body) > limit:
                    raise _Refused("answer too large", f"the answer passed {limit} bytes (--max-answer-bytes)")
                if time.monotonic() > deadline:
                    raise _Refused("answer took too long", f"no whole answer within {self.timeout:g} s (--timeout)")
            return response.status_code, {k.lower(): v for k, v in response.headers.items()}, bytes(body)

    def _wait_for_slot(self) -> None:
        if not self.rate_limit:
            return
        now = time.monotonic()
        if now < self._next_slot:
            time.sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + 1.0 / self.rate_limit


def _reset(exc: httpx.TransportError) -> bool:
    """True for a connection closed or reset before any answer (not a timeout: the server may still be working)."""
    return isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError))


def _retry_after(value: str | None) -> float:
    if not value:
        return 1.0
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        seconds = parsed.timestamp() - time.time() if parsed else 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
