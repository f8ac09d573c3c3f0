"""``createMessage``'s contract: ``POST /conversations/{conversation}/messages`` as the vendor's doc defines it.

Its parts live in modules of their own, as they are most of the kit: ``domain.py`` (which
requests the doc defines), ``probes.py`` and ``strategies.py`` (what to send), ``checks.py``
and ``rules.py`` (the rules and the verdict), ``catalog.py`` and ``machine.py`` (the checks).
Here they are registered as one unit, with the diff's programs.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Mapping
from typing import Any

from message_api_kit import schemas
from message_api_kit.contracts import checks, domain, rules
from message_api_kit.contracts.catalog import CHECKS
from message_api_kit.contracts.context import Context
from message_api_kit.contracts.failures import CheckFailure
from message_api_kit.contracts.probes import CREATE_MESSAGE, Probe
from message_api_kit.contracts.programs import Build, Ids, Step
from message_api_kit.contracts.registry import Judged, OperationContract
from message_api_kit.contracts.rules import Known
from message_api_kit.contracts.transport import Exchange, dumps

__all__ = ["CONTRACT", "WRONG_PLACE", "judge", "outside", "programs", "start"]


def outside(parameters: Mapping[str, str], content_type: str | None, body: bytes) -> str | None:
    """Why a creation is outside the documented domain (``domain.outside``'s first reason); ``None``: inside."""
    reasons = domain.outside(parameters["conversation"], content_type, body)
    return str(reasons[0]) if reasons else None


def judge(
    exchange: Exchange, parameters: Mapping[str, str], known: Known, tolerance: float, what: str = "a creation"
) -> Judged:
    """The contract's verdict on a creation (``rules.judge``), what it made remembered in ``known``."""
    content_type = next((v for k, v in exchange.request_headers.items() if k.lower() == "content-type"), None)
    probe = Probe(what, parameters["conversation"], exchange.request_body, content_type)
    message = rules.judge_and_remember(probe, exchange, known, tolerance)
    if probe.outside:
        return Judged(refused=message is None, outside=str(probe.outside[0]))
    if message is None:
        return Judged(refused=True)
    reading = checks.expected(probe)
    assert reading is not None  # judged created: the doc reads one message from the request
    return Judged(made=(reading.conversation, message, reading.parent))


#: Answers to the first creation that mean the checks are aimed at the wrong place.
WRONG_PLACE = {
    401: "the server wants credentials: pass them with --header",
    403: "the server refuses these credentials: check --header",
    404: "the base URL or path prefix is probably wrong, or the conversation does not exist",
    405: "the base URL or path prefix is probably wrong: that path does not take POST",
}


def start(ctx: Context) -> str | None:
    """Create the run's first message (the anchor replies name); say why not if the server is not there.

    No answer at all, or an answer that means the checks are aimed at the wrong place, stops
    the run before any check, rather than failing every one of them.
    """
    try:
        anchor = {"message": "contract anchor"}
        exchange = ctx.transport.call(CREATE_MESSAGE, {"conversation": ctx.conversation}, anchor)
    except CheckFailure as failure:
        if ctx.transport.stopped is not None:
            return None  # an answer came, too large or too slow: the checks report it, once
        return f"no answer from {ctx.transport.base_url}: {failure.detail}"
    hint = WRONG_PLACE.get(exchange.status)
    if 300 <= exchange.status < 400:
        hint = "a redirect answered: the base URL or path prefix is probably wrong, or a login page is in the way"
    elif exchange.status == 200 and exchange.content_type == "text/html":
        hint = "a web page answered: the base URL or path prefix is probably wrong"
    if hint is not None:
        return f"POST {exchange.url} answered {exchange.status} {exchange.content_type}: {hint}"
    with contextlib.suppress(CheckFailure):  # else the checks say what is wrong, with an anchor of their own
        ctx.adopt_anchor(ctx.conversation, exchange, checks.created(exchange))
    return None


def _path(ids: Ids, conversation: int | str | None = None) -> str:
    return CREATE_MESSAGE.url(conversation=ids.conversation if conversation is None else conversation)


def _post(body: Any, conversation: Callable[[Ids], int | None] = lambda ids: None) -> Build:
    def build(ids: Ids) -> tuple[str, str, bytes, str | None]:
        return "POST", _path(ids, conversation(ids)), dumps(body(ids) if callable(body) else body), schemas.JSON

    return build


def _raw(content: bytes, content_type: str, conversation: str | None = None) -> Build:
    return lambda ids: ("POST", _path(ids, conversation), content, content_type)


def programs(seed: int, examples: int) -> list[list[Step]]:
    """Every program of a run: fixed ones for each request class, then ``examples`` seeded conversations."""
    rng = random.Random(seed)
    fixed = [
        [
            Step("root", _post({"message": "Hello from contracts diff"}), remember="root"),
            Step("reply", _post(lambda ids: {"message": "A reply", "parent_id": ids.named["root"]})),
            Step("root", _post({"message": "An explicit null parent", "parent_id": None})),
            Step("unknown parent", _post(lambda ids: {"message": "orphan", "parent_id": ids.highest + 1_000_000})),
        ],
        [
            Step(
                "root",
                _post({"message": "In the other conversation"}, lambda ids: ids.other),
                remember="elsewhere",
                needs_other=True,
            ),
            Step(
                "parent in another conversation",
                _post(lambda ids: {"message": "cross", "parent_id": ids.named["elsewhere"]}),
                needs_other=True,
            ),
        ],
        # Each refusal twice, with different inputs: what varies between the two is not the server's choice.
        [Step("malformed JSON", _raw(b'{"message": ', schemas.JSON))],
        [Step("malformed JSON", _raw(b"not json at all", schemas.JSON))],
        [Step("invalid body", _post({}))],
        [Step("invalid body", _post({"message": 5}))],
        [Step("invalid body", _post({"message": "x", "parent_id": "abc"}))],
        [Step("not JSON", _raw(b"message=hello", "application/x-www-form-urlencoded"))],
        [Step("not JSON", _raw(b"hello", "text/plain"))],
        [Step("bad conversation id", _raw(dumps({"message": "x"}), schemas.JSON, "abc"))],
        [Step("bad conversation id", _raw(dumps({"message": "x"}), schemas.JSON, "-1"))],
        # Inputs the doc gives no reading for: each server's reading is its choice.
        [Step("lenient: parent_id as a string", _post(lambda ids: {"message": "s", "parent_id": str(ids.highest)}))],
        [Step("lenient: unknown fields", _post({"message": "extra", "colour": "blue"}))],
        [Step("lenient: key in another case", _post({"Message": "case"}))],
        [Step("lenient: duplicate keys", _raw(b'{"message": "first", "message": "last"}', schemas.JSON))],
        [Step("lenient: NaN parent", _raw(b'{"message": "nan", "parent_id": NaN}', schemas.JSON))],
        [Step("lenient: byte-order mark", _raw(b'\xef\xbb\xbf{"message": "bom"}', schemas.JSON))],
    ]
    seeded = []
    for n in range(examples):
        text, reply = _text(rng), _text(rng)
        seeded.append(
            [
                Step("root", _post({"message": text}), remember=f"r{n}"),
                Step(
                    "reply",
                    _post(lambda ids, n=n, reply=reply: {"message": reply, "parent_id": ids.named[f"r{n}"]}),
                ),
            ]
        )
    return fixed + seeded


_ALPHABET = "abcxyz ABC 0123 .,!?<>&\"'/\\\n\t éü中文🙂"


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 60))).strip() or "x"


CONTRACT = OperationContract(CREATE_MESSAGE, judge, CHECKS, programs, start, outside)
