"""``MockServer``: a handle on a live fake, for tests (the ``mock_server`` fixture returns one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from message_api_kit.mockserver.app import sessions_of, store_of
from message_api_kit.mockserver.clock import ClockOutOfRange
from message_api_kit.mockserver.errors import MockError, SchemaViolation, from_store
from message_api_kit.mockserver.render import message_json, shape_of
from message_api_kit.mockserver.seed import Seed, SeedResult
from message_api_kit.mockserver.server import LiveServer
from message_api_kit.mockserver.store import Store, StoreError
from message_api_kit.mockserver.validation import parse_id, validate
from message_api_kit.schemas import SESSION_HEADER


class ServerError(AssertionError):
    """The fake raised an unexpected exception while serving a request of this test."""


class ControlError(ValueError):
    """A control was called with arguments its HTTP operation would refuse; the message names each argument.

    Every misuse of a handle raises it (never a class of the fake's insides), with what the HTTP
    API would say: ``status`` is the status the HTTP API answers the same request with.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


_T = TypeVar("_T")


@contextmanager
def _as_control(call: str) -> Iterator[None]:
    """Turn what the store or a check refuses into ``ControlError``, saying what the HTTP API says."""
    try:
        yield
    except StoreError as exc:
        refused = from_store(exc)
        raise ControlError(f"{call}: {refused.detail}", refused.status) from None
    except MockError as exc:
        where = "; ".join(f"{e.pointer or '(body)'}: {e.detail}" for e in exc.errors) or exc.detail
        raise ControlError(f"{call}: {where}", exc.status) from None


def _controlled(call: str, action: Callable[[], _T]) -> _T:
    with _as_control(call):
        return action()


def _document(**arguments: Any) -> dict[str, Any]:
    """The arguments given, as the operation's JSON body takes them (``None``: absent; 503.0 is 503)."""
    return {
        name: int(value) if isinstance(value, float) and value.is_integer() else value
        for name, value in arguments.items()
        if value is not None
    }


def _checked(call: str, schema: str, doc: Any, names: Mapping[str, str] = {}) -> None:  # read only
    """Validate ``doc`` as the HTTP operation does, or raise ``ControlError`` naming the arguments."""
    try:
        validate(schema, doc)
    except SchemaViolation as exc:
        field = [(error.pointer.rsplit("/", 1)[-1], error.detail) for error in exc.errors]
        said = "; ".join(f"{names.get(name, name)}: {detail}" for name, detail in field)
        raise ControlError(f"{call}: {said}") from None


class MockServer:
    """A live fake plus Python controls over its state, faults and clock."""

    def __init__(self, live: LiveServer, session: str | None = None) -> None:
        self.live = live
        #: The session this handle acts on (None: the default one).
        self.session_name = session
        self.store: Store = store_of(live.app, session)
        self._shape = shape_of(sessions_of(live.app).config)

    @property
    def headers(self) -> dict[str, str]:
        """The headers a request needs to reach this handle's session (none for the default one)."""
        return {} if self.session_name is None else {SESSION_HEADER: self.session_name}

    def session(self, name: str) -> MockServer:
        """A handle on the isolated session ``name`` of the same fake (made from the start-up seed if new)."""
        return MockServer(self.live, name)

    def end_session(self) -> None:
        """Forget this handle's session (not the default one, which always exists)."""
        if self.session_name is not None:
            sessions_of(self.live.app).delete(self.session_name)

    def snapshot(self, name: str) -> None:
        """Save this session's state as ``name`` (a copy: later changes leave it as it was)."""
        _checked("snapshot()", "snapshot-request", {"name": name})
        _controlled("snapshot()", lambda: self.store.take_snapshot(name))

    def restore(self, name: str) -> None:
        """Put this session back as snapshot ``name`` saved it (``ControlError`` if none was saved so)."""
        _controlled("restore()", lambda: self.store.restore_snapshot(name))

    @property
    def url(self) -> str:
        """The base URL, such as ``http://127.0.0.1:40123``."""
        return self.live.url

    def reset(self) -> None:
        """Return to the start-up seed; undo faults and the clock; empty the journal."""
        self.store.reset()

    def seed(
        self,
        users: Sequence[Mapping[str, Any]] = (),
        conversations: Sequence[int] = (),
        messages: Sequence[Mapping[str, Any]] = (),
    ) -> SeedResult:
        """Add users, conversations and messages, in ``schemas/seed.json`` form."""
        doc = {"users": list(users), "conversations": list(conversations), "messages": list(messages)}
        with _as_control("seed()"):
            validate("seed", doc)
            return self.store.seed(Seed.from_json(doc))

    def messages(self, conversation: int) -> list[dict[str, Any]]:
        """Every message stored in ``conversation``, oldest first, as the API renders them."""
        if isinstance(conversation, bool) or not isinstance(conversation, int):
            raise ControlError(f"messages(): conversation: an integer, not {conversation!r}", 404)
        with _as_control("messages()"):
            parse_id(str(conversation), "conversation")
            items, _ = self.store.page(conversation, 0, len(self.store) or 1)
        return [message_json(self.store, message, self._shape) for message in items]

    @property
    def journal(self) -> list[dict[str, Any]]:
        """The requests the fake received (public API only), oldest first."""
        return [entry.to_json() for entry in self.store.journal.entries()]

    # -- faults --------------------------------------------------------------

    def slow_down(self, min_ms: float, max_ms: float | None = None, route: str = "*") -> None:
        """Delay answers by ``min_ms`` ms, or a random time up to ``max_ms``; replaces earlier faults.

        The arguments are checked as ``PUT /__mock__/faults`` checks them (``ControlError``); the
        document takes a minimum and a spread (``max_ms - min_ms``).
        """
        if max_ms is not None and isinstance(min_ms, int | float) and isinstance(max_ms, int | float):
            if max_ms < min_ms:
                raise ControlError(f"slow_down(): max_ms: must be at least min_ms ({min_ms:g}), not {max_ms:g}")
            spread: float | None = max_ms - min_ms
        else:
            spread = None if max_ms is None else max_ms  # not a number: the schema check names it
        doc = {"latency": [_document(min_ms=min_ms, spread_ms=spread, route=route)]}
        _checked("slow_down()", "faults", doc, {"spread_ms": "max_ms"})
        self.store.faults.set_json(doc)

    def fail(
        self,
        status: int = 503,
        *,
        count: int | None = None,
        rate: float | None = None,
        drop: bool = False,
        route: str = "*",
    ) -> None:
        """Fail the next ``count`` requests, or a ``rate`` of them; replaces earlier faults.

        The arguments are checked as ``PUT /__mock__/faults`` checks them (``ControlError``):
        ``route`` is ``"*"`` or an operation id, ``status`` an integer from 400 to 599.
        """
        doc = {"failures": [_document(status=status, count=count, rate=rate, drop=drop, route=route)]}
        _checked("fail()", "faults", doc)
        self.store.faults.set_json(doc)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.store.faults.clear()

    # -- clock -----------------------------------------------------------------

    def freeze_time(self, at: float | None = None) -> None:
        """Hold the fake's clock at ``at`` Unix seconds (default: now), checked as ``POST /__mock__/clock`` does."""
        if at is not None:
            doc = _document(freeze=at)
            _checked("freeze_time()", "clock", doc, {"freeze": "at"})
            at = doc["freeze"]
        self.store.clock.freeze(at)

    def advance_time(self, seconds: float) -> None:
        """Move the fake's clock forward by whole ``seconds``, checked as ``POST /__mock__/clock`` does."""
        doc = _document(advance=seconds)
        _checked("advance_time()", "clock", doc, {"advance": "seconds"})
        try:
            self.store.clock.advance(doc["advance"])
        except ClockOutOfRange as exc:
            raise ControlError(f"advance_time(): seconds: {exc}") from None

    def real_time(self) -> None:
        """Follow the real clock again."""
        self.store.clock.reset()

    # -- crashes -----------------------------------------------------------------

    def raise_errors(self) -> None:
        """Raise ``ServerError`` if the fake crashed while serving since the last call, in any session."""
        errors = sessions_of(self.live.app).crashes.take()
        if errors:
            raise ServerError(
                f"the fake raised {len(errors)} unexpected exception(s); first: {errors[0]!r}"
            ) from errors[0]
