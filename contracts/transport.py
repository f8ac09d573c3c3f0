"""The only code that does I/O: sending requests to the server under test, politely."""

from __future__ import annotations

import email.utils
import json
import re
import shlex
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from message_api_kit.contracts.failures import BudgetExhausted, CheckFailure, Unreachable

#: Longest wait for a 429's Retry-After, and how often a request is retried after one.
MAX_RETRY_AFTER = 60.0
MAX_429_RETRIES = 3
#: Bodies in reports are cut to this many characters.
SHOWN = 2000
#: What a redacted header value is shown as.
REDACTED = "***"


def dumps(body: Any) -> bytes:
    """A body as JSON bytes, as every request sends it (``ensure_ascii`` keeps even a lone surrogate sendable)."""
    return json.dumps(body).encode()


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

    @property
    def content_type(self) -> str:
        """The answer's media type, lower case, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The answer's body parsed as JSON (raises ``ValueError`` if it is not)."""
        return json.loads(self.body)

    def _secret(self, name: str, show_secrets: bool) -> bool:
        return not show_secrets and name.lower() in self.secret_headers

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
            shown = f"{self.status} {self.headers.get('content-type', '(no content-type)')}\n    {_cut(answer)}"
        else:
            shown = f"none ({self.error})"
        return (
            f"  request: {self.method} {self.url}{headers}\n    {_cut(request)}\n"
            f"  answer:  {shown}\n"
            f"  reproduce: {_cut(self.curl(show_secrets))}"
        )


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}... ({len(text)} characters)"


@dataclass
class Transport:
    """Sends requests to ``base_url`` with fixed headers, a rate limit, a budget, and 429 back-off.

    ``client`` may carry an in-process transport (``httpx.WSGITransport``) for tests.
    """

    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    rate_limit: float | None = None
    budget: int | None = None
    client: httpx.Client | None = None
    on_request: Callable[[int], None] | None = None
    sent: int = 0
    _next_slot: float = 0.0
    #: Lower-case names of ``headers``: given for the run, so redacted in what it writes.
    _secrets: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._secrets = frozenset(name.lower() for name in self.headers)
        if self.client is None:
            self.client = httpx.Client(timeout=self.timeout, follow_redirects=False)

    def close(self) -> None:
        """Release the connections."""
        if self.client is not None:
            self.client.close()

    @contextmanager
    def unlimited(self) -> Iterator[None]:
        """Lift the budget for the requests sent inside the block."""
        budget, self.budget = self.budget, None
        try:
            yield
        finally:
            self.budget = budget

    def post_json(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Exchange:
        """POST ``body`` as JSON."""
        return self.send("POST", path, dumps(body), {"Content-Type": "application/json", **(headers or {})})

    def send(
        self,
        method: str,
        path: str,
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        retry_resets: bool = False,
    ) -> Exchange:
        """Send one request and return the exchange; raise ``Unreachable`` or ``BudgetExhausted``.

        ``retry_resets``, for a request that writes nothing: a connection reset before any
        answer is sent again once, on a fresh connection (a server may close a keep-alive
        connection after a 500 without saying so). A reset of a request that may write, or
        a second one, is a failure that shows the request.
        """
        assert self.client is not None
        all_headers = {**self.headers, **(headers or {})}
        url = f"{self.base_url}{path}"
        resets = 0
        for attempt in range(MAX_429_RETRIES + 1):
            if self.budget is not None and self.sent >= self.budget:
                raise BudgetExhausted(f"the request budget of {self.budget} is spent", self)
            self._wait_for_slot()
            self.sent += 1
            if self.on_request is not None:
                self.on_request(self.sent)
            sent_at = time.time()
            try:
                response = self.client.request(method, url, content=content, headers=all_headers)
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
                    Exchange(method, url, all_headers, content, 0, {}, b"", sent_at, time.time(), error, self._secrets),
                ) from exc
            exchange = Exchange(
                method=method,
                url=url,
                request_headers=all_headers,
                request_body=content,
                status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=response.content,
                sent_at=sent_at,
                received_at=time.time(),
                secret_headers=self._secrets,
            )
            if response.status_code != 429 or attempt == MAX_429_RETRIES:
                return exchange
            time.sleep(_retry_after(response.headers.get("retry-after")))
        raise AssertionError("unreachable")  # pragma: no cover

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
