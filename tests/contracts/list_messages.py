"""A second operation, declared in the tests only: ``GET /conversations/{conversation}/messages?limit=N``.

Everything the operation needs is here, as docs/developing.md's recipe says: its declaration
(``LIST_MESSAGES``), its contract (``CONTRACT``: verdict, checks, diff programs) and, standing
in for the real API's, the servers that answer it (the kit's fake with a list route added, a
suite's own way to teach the fake an operation; and broken variants of it). The doc it keeps:
a conversation's messages, newest first, at most ``limit`` (default 20) of them, as a page of
``message-page.json``; a ``limit`` outside its declared schema is refused with a 4xx.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from hypothesis import example, given
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from message_api_kit import schemas
from message_api_kit.contracts import checks, domain
from message_api_kit.contracts.context import Context
from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.operations import create_message
from message_api_kit.contracts.programs import Ids, Step
from message_api_kit.contracts.registry import ContractCheck, Judged, OperationContract, Registry, parameter_values
from message_api_kit.contracts.rules import Known
from message_api_kit.contracts.transport import Exchange
from message_api_kit.mockserver import create_app
from message_api_kit.mockserver.app import store_of
from message_api_kit.mockserver.render import message_json
from message_api_kit.schemas import Answer, Operation, Parameter

LIST_MESSAGES = Operation(
    id="listMessages",
    method="GET",
    path="/conversations/{conversation}/messages",
    summary="A conversation's messages, newest first",
    answers=(
        Answer("200", "At most `limit` messages of the conversation, newest first.", "message-page"),
        Answer("4XX", "A limit outside its schema, or no such conversation.", "problem", schemas.PROBLEM),
    ),
    parameters=(
        Parameter("conversation", "path", "The conversation.", "conversation-id"),
        Parameter(
            "limit",
            "query",
            "How many messages, newest first.",
            {"type": "integer", "minimum": 1, "maximum": 50},
            False,
        ),
    ),
)
#: The page's size when no ``limit`` is sent.
DEFAULT_LIMIT = 20
#: The declared bounds of ``limit``: read from the declaration, never typed again.
LIMIT_SCHEMA: dict[str, Any] = LIST_MESSAGES.parameter("limit").schema  # type: ignore[assignment]
_LIMIT = Draft7Validator(LIMIT_SCHEMA)


def limit_of(sent: str | None) -> int | None:
    """The limit a request asks for (``None``: one its schema does not admit); absent, the default."""
    if sent is None:
        return DEFAULT_LIMIT
    if not domain.is_integer(sent) or not _LIMIT.is_valid(int(sent)):
        return None
    return int(sent)


def out_of_bounds() -> st.SearchStrategy[str]:
    """Limits the declaration does not admit, from its own bounds: below the least, above the most, no integer."""
    below = st.integers(max_value=LIMIT_SCHEMA["minimum"] - 1)
    above = st.integers(min_value=LIMIT_SCHEMA["maximum"] + 1)
    return (below | above).map(str) | st.sampled_from(["abc", "1.5", "2e1"])


# -- the verdict -------------------------------------------------------------------------------------


def judge(
    exchange: Exchange, parameters: Mapping[str, str], known: Known, tolerance: float, what: str = "a list"
) -> Judged:
    """A list: a limit outside its schema refused; else, in a conversation known, the page as the doc says."""
    checks.no_server_error(exchange)
    limit = limit_of(parameters.get("limit"))
    if limit is None:
        checks.rejected(exchange, f"{what} with limit {parameters.get('limit')!r}")
        return Judged(refused=True)
    segment = parameters["conversation"]
    if not domain.is_integer(segment):
        return Judged(refused=400 <= exchange.status < 500, outside="the path's conversation is not an integer")
    conversation = int(segment)
    if 400 <= exchange.status < 500 and conversation not in known.conversations:
        return Judged(refused=True)  # a conversation never seen: only the server knows whether it exists
    if exchange.status not in LIST_MESSAGES.successes:
        raise CheckFailure("list refused", f"a valid list got {exchange.status}", exchange, rule="L1")
    page = checks.conforms(exchange, checks.accepted(exchange))
    items = page["items"]
    if len(items) > limit:
        raise CheckFailure("more messages than limit", f"limit {limit}, {len(items)} listed", exchange, rule="L2")
    for item in items:
        checks.conversation_matches(exchange, item, conversation)
    order = list(known.messages)  # the order they were seen made
    made = [order.index(item["id"]) for item in items if item["id"] in known.messages]
    if made != sorted(made, reverse=True):
        raise CheckFailure("not newest first", f"ids {[item['id'] for item in items]}", exchange, rule="L3")
    if len(items) < limit:  # a short page is the whole conversation: every message seen made in it is there
        listed = {item["id"] for item in items}
        missing = [m for m, c in known.messages.items() if c == conversation and m not in listed]
        if missing:
            raise CheckFailure("a message missing", f"{missing[:5]} made in {conversation}", exchange, rule="L4")
    return Judged()


# -- the checks --------------------------------------------------------------------------------------


def _newest_first(ctx: Context) -> None:
    # The least limit, past two new messages, every run: a list that ignores its limit shows it at any seed.
    @example(limit=LIMIT_SCHEMA["minimum"], texts=["older", "newer"])
    @given(limit=parameter_values(LIST_MESSAGES, "limit"), texts=st.lists(st.text(min_size=1), min_size=1, max_size=3))
    def test(limit: int, texts: list[str]) -> None:
        made = []
        for text in texts:
            parameters: dict[str, object] = {"conversation": ctx.conversation}
            exchange = ctx.call(create_message.CREATE_MESSAGE, parameters, {"message": text})
            judged = ctx.judge(exchange, parameters)
            if judged.made is not None:
                made.append(judged.made[1]["id"])
        parameters = {"conversation": ctx.conversation, "limit": limit}
        exchange = ctx.call(LIST_MESSAGES, parameters)
        ctx.judge(exchange, parameters)
        newest = [item["id"] for item in exchange.json()["items"][: len(made)]]
        if made and newest != made[::-1][: len(newest)]:
            raise CheckFailure("the newest not first", f"made {made}, listed {newest}", exchange, rule="L3")

    ctx.run(test)


def _limit_bounds(ctx: Context) -> None:
    @given(limit=out_of_bounds())
    def test(limit: str) -> None:
        parameters: dict[str, object] = {"conversation": ctx.conversation, "limit": limit}
        ctx.judge(ctx.call(LIST_MESSAGES, parameters), parameters)

    ctx.run(test)


CHECKS = (
    ContractCheck(
        "list-newest-first",
        "A list after creations: a page of message-page.json, newest first, at most limit, the conversation's only.",
        "L1-L4",
        _newest_first,
        requests_per_example=4,
        explicit_examples=1,
    ),
    ContractCheck("list-limit-bounds", "A limit its schema does not admit is a 4xx.", "L1", _limit_bounds),
)


# -- the diff's programs -----------------------------------------------------------------------------


def _get(limit: object = None) -> Any:
    def build(ids: Ids) -> tuple[str, str, bytes, str | None]:
        return "GET", LIST_MESSAGES.url(conversation=ids.conversation, limit=limit), b"", None

    return build


def programs(seed: int, examples: int) -> list[list[Step]]:
    """A list with a limit, one without, and a limit past each bound (each refusal twice, as the creation's)."""
    return [
        [Step("list", _get(5))],
        [Step("list", _get())],
        [Step("bad limit", _get(LIMIT_SCHEMA["minimum"] - 1))],
        [Step("bad limit", _get(LIMIT_SCHEMA["maximum"] + 1))],
    ]


def outside(parameters: Mapping[str, str], content_type: str | None, body: bytes) -> str | None:
    """A limit its schema does not admit is outside what the doc defines (the server refuses it)."""
    return None if limit_of(parameters.get("limit")) is not None else f"limit {parameters.get('limit')!r}"


CONTRACT = OperationContract(LIST_MESSAGES, judge, CHECKS, programs, outside=outside)
#: The kit's operations with this one: what a suite declaring its own operation gives a run, a diff, a watch.
REGISTRY = Registry((create_message.CONTRACT, CONTRACT))


# -- servers that answer it --------------------------------------------------------------------------


def with_list(
    app: Flask | None = None, *, newest_first: bool = True, honour_limit: bool = True, refusal: Any = None
) -> Flask:
    """The kit's fake (or ``app``) with the list answered from its store, as a suite adds a route to it.

    ``newest_first=False``: oldest first; ``honour_limit=False``: every message, whatever the limit;
    ``refusal``: the body of a bad limit's 400 (default: a problem document).
    """
    app = app or create_app()

    def list_messages(conversation: str) -> Response:
        limit = limit_of(request.args.get("limit"))
        if limit is None:
            body = refusal or {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "bad limit"}
            answer = jsonify(body)
            answer.status_code = 400
            return answer
        if not domain.is_integer(conversation):
            return Response(status=404)
        store = store_of(app)
        stored, total = store.page(int(conversation), 0, 10**9)
        ordered = stored[::-1] if newest_first else stored
        items = ordered[:limit] if honour_limit else ordered
        shown = [message_json(store, message) for message in items]
        return jsonify({"items": shown, "total": total, "offset": 0, "limit": limit})

    app.add_url_rule(LIST_MESSAGES.flask_rule, LIST_MESSAGES.id, list_messages, methods=[LIST_MESSAGES.method])
    return app
