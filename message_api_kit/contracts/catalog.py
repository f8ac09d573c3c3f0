"""``createMessage``'s checks: each a name, a one-line description, the DERIVATION.md rows it enforces, and a test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import example, given, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from message_api_kit.contracts import checks, strategies
from message_api_kit.contracts.context import Context
from message_api_kit.contracts.machine import messages_machine
from message_api_kit.contracts.probes import Probe
from message_api_kit.contracts.registry import ContractCheck
from message_api_kit.contracts.transport import DEFAULT_CONNECTIONS

#: Steps of one run of the state machine.
STEPS = 10
#: Creations the state shapes send (``_state_shapes``): eleven with a second conversation.
SHAPES = 11
#: The state machine runs max_examples / this many times: each run is STEPS requests, so
#: half as many runs keep its share of the budget near the other checks' (bench/catch_rate.py).
MACHINE_DIVISOR = 2


def _examples(name: str, values: tuple[Any, ...]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Send each of ``values`` as an explicit example, always, before the generated ones."""

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for value in reversed(values):
            test = example(**{name: value})(test)
        return test

    return decorate


def _conformance(ctx: Context) -> None:
    @given(body=strategies.valid_bodies([ctx.anchor()]))
    def test(body: dict[str, Any]) -> None:
        exchange, _ = ctx.create(ctx.conversation, body)
        checks.created(exchange)

    ctx.run(test)


def _conversation_id(ctx: Context) -> None:
    conversations = [c for c in (ctx.conversation, ctx.other_conversation) if c is not None]

    @given(conversation=st.sampled_from(conversations), text=strategies.message_texts())
    def test(conversation: int, text: str) -> None:
        exchange, message = ctx.create(conversation, {"message": text})
        checks.conversation_matches(exchange, message, conversation)

    ctx.run(test)


def _message_echo(ctx: Context) -> None:
    @given(text=strategies.message_texts())
    @_examples("text", (*strategies.TRICKY_TEXTS, *strategies.LOOKALIKE_TEXTS, *strategies.LONG_TEXTS))
    def test(text: str) -> None:
        exchange, message = ctx.create(ctx.conversation, {"message": text})
        checks.text_echoed(exchange, message, text)

    ctx.run(test)


def _reply_flag(ctx: Context) -> None:
    @given(choice=st.sampled_from(["absent", "null", "parent"]), text=strategies.message_texts())
    @example(choice="absent", text="a root, parent_id absent")
    @example(choice="null", text="a root, parent_id null")
    @example(choice="parent", text="a reply")
    def test(choice: str, text: str) -> None:
        body: dict[str, Any] = {"message": text}
        if choice != "absent":
            body["parent_id"] = ctx.anchor() if choice == "parent" else None
        exchange, message = ctx.create(ctx.conversation, body)
        checks.reply_flag(exchange, message, body.get("parent_id"))
        if body.get("parent_id") is not None:
            checks.names_parent(exchange, message, body["parent_id"])

    ctx.run(test)


def _new_message_fields(ctx: Context) -> None:
    @given(body=strategies.valid_bodies([ctx.anchor()]))
    def test(body: dict[str, Any]) -> None:
        exchange, message = ctx.create(ctx.conversation, body)
        checks.fresh(exchange, message)

    ctx.run(test)


def _date(ctx: Context) -> None:
    @given(text=strategies.message_texts())
    def test(text: str) -> None:
        exchange, message = ctx.create(ctx.conversation, {"message": text})
        checks.dated_now(exchange, message, ctx.date_tolerance)

    ctx.run(test)


def _unique_ids(ctx: Context) -> None:
    seen: dict[str, Any] = {}
    for message_id, exchange in list(ctx.created_ids):  # everything created so far in the run
        checks.unique_id(exchange, {"id": message_id}, seen)
    conversations = [c for c in (ctx.conversation, ctx.other_conversation) if c is not None]

    @given(text=strategies.message_texts())
    def test(text: str) -> None:
        # The same text twice, in each conversation: a server that deduplicates,
        # or counts per conversation, repeats ids.
        for conversation in conversations * 2:
            exchange, message = ctx.create(conversation, {"message": text})
            checks.unique_id(exchange, message, seen)

    ctx.run(test)


def _concurrent_creations(ctx: Context) -> None:
    # Creations sent at once, each on a connection of its own (as two tabs, two users): an id taken as
    # count + 1, or a counter read then written, gives two messages one id only when requests overlap;
    # a server keeping its messages per worker process shows it when the replies, sent at once again over
    # the other connections, name parents their worker never saw.
    width = DEFAULT_CONNECTIONS  # the budget's count; with --connections 1 the burst goes one at a time

    @given(texts=st.lists(strategies.message_texts(), min_size=width, max_size=width))
    def test(texts: list[str]) -> None:
        seen: dict[str, Any] = {}
        made = []
        sent = ctx.post_at_once([(ctx.conversation, {"message": text}) for text in texts])
        for exchange, text in zip(sent, texts, strict=True):
            message = ctx.created(exchange)
            checks.text_echoed(exchange, message, text)
            checks.unique_id(exchange, message, seen)
            made.append(message["id"])
        shifted = made[1:] + made[:1]  # each reply on another connection than its parent was made on
        replies = ctx.post_at_once([(ctx.conversation, {"message": "re", "parent_id": p}) for p in shifted])
        for exchange, parent in zip(replies, shifted, strict=True):
            message = ctx.created(exchange)
            checks.reply_flag(exchange, message, parent)
            checks.names_parent(exchange, message, parent)
            checks.unique_id(exchange, message, seen)

    ctx.run(test)


def _state_shapes(ctx: Context) -> None:
    """The shapes of state the doc allows, every run, as the boundary values are: not left to generation.

    A reply to a reply, to the oldest and to the newest message, several replies to one parent, and
    roots of two conversations interleaved: a server that looks parents up among top-level messages
    only, or in the last conversation written, fails here at any seed.
    """
    seen: dict[str, Any] = {}

    def made(conversation: int, text: str, parent: int | None = None) -> int:
        body: dict[str, Any] = {"message": text} if parent is None else {"message": text, "parent_id": parent}
        exchange, message = ctx.create(conversation, body)
        checks.created(exchange)
        checks.conversation_matches(exchange, message, conversation)
        checks.unique_id(exchange, message, seen)
        checks.reply_flag(exchange, message, parent)
        if parent is not None:
            checks.names_parent(exchange, message, parent)
        new_id: int = message["id"]
        return new_id

    home, away = ctx.conversation, ctx.other_conversation
    oldest = made(home, "the oldest root")
    reply = made(home, "a reply", oldest)
    made(home, "a reply to a reply", reply)
    elsewhere = made(away, "a root in the other conversation") if away is not None else None
    newest = made(home, "the newest root")
    made(home, "a reply to the oldest", oldest)
    made(home, "a reply to the newest", newest)
    for n in range(3):
        made(home, f"reply {n} of several to one parent", oldest)
    if away is not None and elsewhere is not None:
        made(away, "a reply in the other conversation, after the first's", elsewhere)
        made(home, "back in the first conversation, to a reply of a reply", reply)


def _replies(ctx: Context) -> None:
    _state_shapes(ctx)
    machine = seed(ctx.seed)(messages_machine(ctx))
    runs = max(1, ctx.settings.max_examples // MACHINE_DIVISOR)
    run_state_machine_as_test(machine, settings=settings(ctx.settings, max_examples=runs, stateful_step_count=STEPS))


def _cross_conversation(ctx: Context) -> None:
    assert ctx.other_conversation is not None
    pairs = [(ctx.conversation, ctx.other_conversation), (ctx.other_conversation, ctx.conversation)]

    @given(pair=st.sampled_from(pairs), text=strategies.message_texts())
    def test(pair: tuple[int, int], text: str) -> None:
        home, away = pair
        parent = ctx.anchor(home)
        exchange = ctx.post(away, {"message": text, "parent_id": parent})
        checks.rejected(exchange, "a reply to another conversation's message", f"in {away}, to {parent} of {home}")

    ctx.run(test)


def _probes(ctx: Context, generated: st.SearchStrategy[Probe], boundary: tuple[Probe, ...]) -> None:
    """Send the boundary probes, then generated ones: each is refused or creates one of its readings."""

    @given(probe=generated)
    @_examples("probe", boundary)
    def test(probe: Probe) -> None:
        ctx.probe(probe)

    ctx.run(test)


def _invalid_bodies(ctx: Context) -> None:
    anchor = ctx.anchor()
    generated = strategies.body_probes(ctx.conversation, [anchor])
    _probes(ctx, generated, strategies.boundary_bodies(ctx.conversation, anchor))


def _malformed_json(ctx: Context) -> None:
    _probes(ctx, strategies.malformed_json(ctx.conversation), strategies.boundary_json(ctx.conversation))


def _non_json_bodies(ctx: Context) -> None:
    _probes(ctx, strategies.non_json_bodies(ctx.conversation), strategies.boundary_content_types(ctx.conversation))


def _odd_conversations(ctx: Context) -> None:
    _probes(ctx, strategies.odd_conversations(ctx.conversation), strategies.boundary_conversations(ctx.conversation))


def _no_server_errors(ctx: Context) -> None:
    _probes(ctx, strategies.unknown_field_probes(ctx.conversation, [ctx.anchor()]), ())


def _same_answer(ctx: Context) -> None:
    parents = [ctx.anchor()]

    @given(body=strategies.valid_bodies(parents) | strategies.invalid_bodies(parents))
    def test(body: Any) -> None:
        first = ctx.post(ctx.conversation, body)
        second = ctx.post(ctx.conversation, body)
        checks.no_server_error(first)
        checks.same_answer(first, second)

    ctx.run(test)


CHECKS: tuple[ContractCheck, ...] = (
    ContractCheck(
        "conformance",
        "Valid requests get 200/201 with a JSON body valid against message.json.",
        "R1, R2, N1-N5",
        _conformance,
    ),
    ContractCheck("conversation-id", "conversationId equals the path's conversation.", "R5", _conversation_id),
    ContractCheck(
        "message-echo",
        "message comes back exactly as sent, for every kind of text, those that look like numbers, booleans or"
        " null included (a message over 1,000 characters may be refused: the server's size limit, noted).",
        "B2, R9",
        _message_echo,
        explicit_examples=len(strategies.TRICKY_TEXTS) + len(strategies.LOOKALIKE_TEXTS) + len(strategies.LONG_TEXTS),
    ),
    ContractCheck(
        "reply-flag",
        "is_reply is true exactly when parent_id is non-null; a reply names its parent.",
        "R6, R7",
        _reply_flag,
        explicit_examples=3,
    ),
    ContractCheck(
        "new-message-fields",
        "A new message: deleted false, edited_at null, no reactions, no files.",
        "R8, R11, R12, R14",
        _new_message_fields,
    ),
    ContractCheck("date", "date is Unix seconds within the tolerance of the client's clock.", "R10", _date),
    ContractCheck(
        "replies",
        "The state shapes the doc allows (a reply to a reply, to the oldest and the newest message, several"
        " replies to one parent, two conversations interleaved), then a state machine: replies to earlier"
        " messages succeed and name them; replies to missing messages are 4xx; ids stay unique.",
        "B5, R3, R6, R7",
        _replies,
        requests_per_example=(STEPS + 1) // MACHINE_DIVISOR,
        # The state shapes' requests (``_state_shapes``), in the budget as explicit examples are.
        explicit_examples=-(-SHAPES // ((STEPS + 1) // MACHINE_DIVISOR)),
    ),
    ContractCheck(
        "cross-conversation-parent",
        "A reply to a message of another conversation is a 4xx.",
        "B5",
        _cross_conversation,
        requests_per_example=1,
        needs_other=True,
    ),
    ContractCheck(
        "invalid-bodies",
        "Outside the documented domain, a body without a string message or with a parent_id that is no integer:"
        " never a 5xx; any 4xx, or a whole creation (noted). Inside it, a reply to a parent that cannot exist"
        " (0, -1, beyond 64 bits) is refused.",
        "B2, B3, B5, E1",
        _invalid_bodies,
        explicit_examples=len(strategies.boundary_bodies(1, 1)),
        lenient="whatever the server stores from a message or parent_id the doc does not define (null stored as"
        " '', 1 as '1', '' as no parent, 1.5 as 1), or a key in another case read as a documented one",
    ),
    ContractCheck(
        "malformed-json",
        "Bytes sent as application/json that are not strict JSON (outside the domain): never a 5xx; any 4xx,"
        " or a whole creation (noted, with what was stored).",
        "B1, B6, E1",
        _malformed_json,
        explicit_examples=len(strategies.boundary_json(1)),
        lenient="invalid UTF-8 mended into any character or kept; the first of duplicate keys; the first JSON"
        " value, what follows ignored; NaN and Infinity; a byte-order mark; JSON5",
    ),
    ContractCheck(
        "non-json-bodies",
        "A JSON body sent with another content type, or none (outside the domain): never a 5xx; any 4xx, or a"
        " whole creation (noted).",
        "B1, E1",
        _non_json_bodies,
        explicit_examples=len(strategies.boundary_content_types(1)),
        lenient="the body read as JSON whatever its content type",
    ),
    ContractCheck(
        "odd-conversation-ids",
        "Integer conversations the run was not given (zero, negative, beyond 64 bits): any 4xx, or a creation"
        " there. Other spellings (outside the domain): any 4xx, or a whole creation (noted).",
        "P1, P2, E1",
        _odd_conversations,
        explicit_examples=len(strategies.boundary_conversations(1)),
        lenient="another spelling of a number read as one (+5, 0x10, 5.0, 5e0, padding spaces), a word as any",
    ),
    ContractCheck(
        "no-server-errors",
        "Valid bodies with fields the doc does not name (outside the domain): never a 5xx; created as sent, or"
        " refused with a 4xx (noted).",
        "B4, R1",
        _no_server_errors,
        lenient="a body with an unknown field refused",
    ),
    ContractCheck(
        "same-request-same-answer",
        "The same request sent again gets the same status.",
        "R1, E1",
        _same_answer,
        requests_per_example=2,
    ),
    ContractCheck(
        "concurrent-creations",
        "Creations sent at once over several connections each get a new id and echo their message; replies to"
        " them, sent at once over the other connections, succeed and name them (state kept per worker process"
        " and ids counted without a lock are seen).",
        "R3, R6, R7, R9",
        _concurrent_creations,
        requests_per_example=2 * DEFAULT_CONNECTIONS,
    ),
    ContractCheck(
        "unique-ids",
        "ids are unique across the whole run, even for repeated texts.",
        "R3",
        _unique_ids,
        requests_per_example=4,
    ),
)
