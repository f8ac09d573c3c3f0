"""Every operation, declared once: the vendor's one, and the fake's own.

From these declarations come the OpenAPI documents (``_openapi.py``), the fake's routes
(one handler bound per operation id), its fault routes and CORS methods, and the contract
checks' requests. Nothing else spells a path, a method or an operation id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

#: Where the fake serves its own API.
ADMIN_PREFIX = "/__mock__"
#: The media type of every body the vendor's API takes and gives.
JSON = "application/json"
#: The media type of the fake's problem documents (RFC 9457).
PROBLEM = "application/problem+json"
#: The header naming the acting user of a creation on the fake (a seeded user's id).
USER_HEADER = "X-Mock-User"
#: A header a script may send and an HTML form never can: a change to the fake's state without a
#: JSON body must carry it, so that no form on another site can make one.
ADMIN_HEADER = "X-Mock-Admin"
#: The header naming the isolated session a request acts on; without it, the default session.
SESSION_HEADER = "X-Mock-Session"


@dataclass(frozen=True)
class Parameter:
    """A path, query or header parameter; ``schema`` is a schema file's name or an inline schema."""

    name: str
    location: str
    description: str
    schema: str | dict[str, Any]
    required: bool = True


@dataclass(frozen=True)
class Answer:
    """One documented answer: a status (or a class such as ``4XX``) and the schema file its body follows."""

    status: str
    description: str
    schema: str | None = None
    media: str = JSON


@dataclass(frozen=True)
class Operation:
    """One operation: everything any part of the kit needs to know about it."""

    id: str
    method: str
    path: str
    summary: str
    answers: tuple[Answer, ...]
    parameters: tuple[Parameter, ...] = ()
    #: The schema file of the JSON request body.
    body: str | None = None
    #: The fake's own API (its document, its admin calls) rather than the vendor's.
    fake_only: bool = False
    #: schemas/DERIVATION.md rows behind a vendor operation.
    derivation: str = ""
    #: What the fake adds to the vendor's operation in its own document: inputs only it reads,
    #: and its own answers where the vendor's doc is silent.
    fake_parameters: tuple[Parameter, ...] = ()
    fake_answers: tuple[Answer, ...] = ()
    #: Acts on the session ``X-Mock-Session`` names (the fake's document declares the header).
    per_session: bool = False

    @property
    def successes(self) -> frozenset[int]:
        """The statuses of the documented successful answers (each declared 2xx)."""
        return frozenset(int(answer.status) for answer in self.answers if answer.status[:1] == "2")

    def answer_schema(self, status: int) -> str | None:
        """The schema file the body of a ``status`` answer follows (an exact status before its class)."""
        declared = {answer.status: answer.schema for answer in self.answers}
        return declared.get(str(status), declared.get(f"{str(status)[:1]}XX"))

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The path as a pattern: each ``{name}`` a named group of one segment."""
        return re.compile(re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters, as sent, of a request to this operation; ``None``: the request is not one."""
        if method != self.method:
            return None
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groupdict()

    @property
    def flask_rule(self) -> str:
        """The path as a Flask rule: ``{name}`` becomes ``<name>``."""
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    def parameter(self, name: str) -> Parameter:
        """The parameter declared as ``name``."""
        for param in self.parameters:
            if param.name == name:
                return param
        raise LookupError(f"{self.id} declares no parameter {name!r}")

    @cached_property
    def path_names(self) -> tuple[str, ...]:
        """The names of the path's parameters, in order."""
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    def url(self, **values: object) -> str:
        """The path with its parameters filled in (as given: the caller spells them), then the query parameters
        given (those declared ``in: query``; ``None`` leaves one out). A name the operation does not declare, or a
        path parameter left out, is a ``ValueError``: nothing given is dropped without a word."""
        path_names = self.path_names
        query_names = {p.name for p in (*self.parameters, *self.fake_parameters) if p.location == "query"}
        unknown = sorted(name for name in values if name not in path_names and name not in query_names)
        missing = [name for name in path_names if name not in values]
        if unknown or missing:
            problems = [f"declares no parameter {', '.join(unknown)}"] if unknown else []
            problems += [f"needs {', '.join(missing)}"] if missing else []
            raise ValueError(f"{self.method} {self.path} ({self.id}) " + " and ".join(problems))
        path = self.path.format(**{name: values[name] for name in path_names})
        query = [(name, str(value)) for name, value in values.items() if name in query_names and value is not None]
        return f"{path}?{urlencode(query)}" if query else path


def _problems(*codes: int) -> tuple[Answer, ...]:
    reasons = {
        400: "Malformed JSON, or a bad header or query value.",
        403: "Not served: a Host the fake does not answer to, a change without a JSON body or X-Mock-Admin,"
        " or a new session asked for by a page of an origin not named with --cors-origin.",
        404: "No such conversation, parent message, route or record; or the session X-Mock-Session names"
        " was evicted (type urn:mockserver:problem:session-evicted: delete it to use the name again).",
        409: "Conflicts with stored state (an id already used, a parent elsewhere, the clock past 2^53-1).",
        413: "Body larger than the configured limit.",
        415: "Body is not application/json.",
        422: "Body breaks the schema.",
    }
    return tuple(Answer(str(code), reasons[code], "problem", PROBLEM) for code in codes)


_CONVERSATION = Parameter("conversation", "path", "Conversation ID", "conversation-id")
_ADMIN = Parameter(
    ADMIN_HEADER,
    "header",
    "Any value: proves a script, not an HTML form, sends this change (a JSON body does too).",
    {"type": "string"},
)
SESSION = Parameter(
    SESSION_HEADER,
    "header",
    "The fake's own: the isolated session to act on, created on first use from the start-up seed"
    " (absent: the default session). Past the maximum the least recently used is evicted, and"
    " a request naming it is a 404 (session-evicted) until it is deleted.",
    "session-name",
    required=False,
)
#: How the fake refuses an X-Mock-Session it cannot use: a bad name, named sessions turned off, a page
#: of another origin asking for a new one, an evicted one.
SESSION_REFUSALS = _problems(400, 403, 404)
_SNAPSHOT = Parameter("name", "path", "Snapshot name", "session-name")

CREATE_MESSAGE = Operation(
    id="createMessage",
    method="POST",
    path="/conversations/{conversation}/messages",
    summary="Create a new message in a conversation",
    parameters=(_CONVERSATION,),
    body="create-message-request",
    answers=(
        Answer("201", "The created message.", "message"),
        Answer("200", "The created message (the doc gives no status; both are admitted).", "message"),
        # The doc documents no error: a refusal is any 4xx, with any body (DERIVATION.md, E1).
        Answer("4XX", "The request is refused; the doc documents no error body."),
    ),
    derivation="P1-P3, B1-B6, R1-R15, N1-N5, E1",
    fake_parameters=(
        Parameter(
            USER_HEADER,
            "header",
            "The fake's own: the acting user, a seeded user's id (default: the first seeded user).",
            {"type": "string", "pattern": "^[0-9]{1,19}$"},
            required=False,
        ),
    ),
    fake_answers=_problems(400, 404, 409, 413, 415, 422),
    per_session=True,
)


def _admin(op_id: str, method: str, path: str, summary: str, *answers: Answer, **more: Any) -> Operation:
    more.setdefault("per_session", True)
    return Operation(op_id, method, f"{ADMIN_PREFIX}{path}", summary, answers, fake_only=True, **more)


_PAGE = (
    Parameter(
        "offset",
        "query",
        "How many messages to skip.",
        {"type": "integer", "minimum": 0, "maximum": 2**31},
        required=False,
    ),
    Parameter("limit", "query", "Page size.", {"type": "integer", "minimum": 1, "maximum": 1000}, required=False),
)

#: Every operation, the vendor's first.
OPERATIONS: tuple[Operation, ...] = (
    CREATE_MESSAGE,
    Operation(
        "getVendorDocument",
        "GET",
        "/openapi.json",
        "The vendor's contract as OpenAPI: what a real server serves, and no more.",
        (Answer("200", "The document.", None),),
        fake_only=True,
    ),
    _admin(
        "getFakeDocument",
        "GET",
        "/openapi.json",
        "The fake's own API as OpenAPI, with the vendor's operation as the fake serves it.",
        Answer("200", "The document.", None),
        per_session=False,
    ),
    _admin(
        "getDashboard",
        "GET",
        "/",
        "The dashboard: threads, the live journal, faults, the clock and the API, in a browser.",
        Answer("200", "The page (text/html).", None),
        per_session=False,
    ),
    _admin(
        "getDashboardAsset",
        "GET",
        "/ui/{asset}",
        "A file of the dashboard (script, style sheet, the derivation table).",
        Answer("200", "The file.", None),
        *_problems(404),
        parameters=(Parameter("asset", "path", "File name", {"type": "string", "pattern": "^[a-z.-]{1,40}$"}),),
        per_session=False,
    ),
    _admin(
        "resetFake",
        "POST",
        "/reset",
        "Forget everything but the start-up seed; undo faults, the clock and the journal.",
        Answer("204", "Reset."),
        *_problems(403),
        parameters=(_ADMIN,),
    ),
    _admin(
        "seedFake",
        "POST",
        "/seed",
        "Add users, conversations and messages, all or nothing.",
        Answer("200", "What was added.", "seed-result"),
        *_problems(400, 404, 409, 413, 415, 422),
        body="seed",
    ),
    _admin(
        "listConversations",
        "GET",
        "/conversations",
        "The session's conversations, latest activity first.",
        Answer("200", "The conversations.", "conversation-list"),
        *_problems(400),
        parameters=(
            Parameter(
                "limit",
                "query",
                "At most this many.",
                {"type": "integer", "minimum": 1, "maximum": 1000},
                required=False,
            ),
        ),
    ),
    _admin(
        "listStoredMessages",
        "GET",
        "/conversations/{conversation}/messages",
        "One page of a conversation's stored messages, oldest first.",
        Answer("200", "A page of messages.", "message-page"),
        *_problems(400, 404),
        parameters=(_CONVERSATION, *_PAGE),
    ),
    _admin(
        "getStoredMessage",
        "GET",
        "/messages/{id}",
        "One stored message.",
        Answer("200", "The message.", "message"),
        *_problems(404),
        parameters=(Parameter("id", "path", "Message ID", {"type": "integer", "minimum": 1}),),
    ),
    _admin(
        "getJournal",
        "GET",
        "/journal",
        "The last requests to the vendor's API and their answers.",
        Answer("200", "The journal.", "journal"),
        *_problems(400),
        parameters=(
            Parameter(
                "limit",
                "query",
                "At most this many entries, newest kept.",
                {"type": "integer", "minimum": 1, "maximum": 100000},
                required=False,
            ),
        ),
    ),
    _admin("getFaults", "GET", "/faults", "The faults in force.", Answer("200", "The faults in force.", "faults")),
    _admin(
        "setFaults",
        "PUT",
        "/faults",
        "Replace the injected latency and failures.",
        Answer("200", "The faults now in force.", "faults"),
        *_problems(400, 413, 415, 422),
        body="faults",
    ),
    _admin(
        "clearFaults",
        "DELETE",
        "/faults",
        "Remove every injected fault.",
        Answer("204", "Cleared."),
        *_problems(403),
        parameters=(_ADMIN,),
    ),
    _admin("getClock", "GET", "/clock", "The fake's clock.", Answer("200", "The clock.", "clock-state")),
    _admin(
        "setClock",
        "POST",
        "/clock",
        "Freeze, advance, or release the clock.",
        Answer("200", "The clock now.", "clock-state"),
        *_problems(400, 409, 413, 415, 422),
        body="clock",
    ),
    _admin(
        "listViolations",
        "GET",
        "/violations",
        "With --upstream --watch: the rules the real API broke in the exchanges seen passing, oldest first.",
        Answer("200", "The violations.", "violations"),
        per_session=False,
    ),
    _admin(
        "listSessions",
        "GET",
        "/sessions",
        "The named sessions alive, most recently used first.",
        Answer("200", "The sessions.", "session-list"),
        per_session=False,
    ),
    _admin(
        "deleteSession",
        "DELETE",
        "/sessions/{session}",
        "Forget a named session: its messages, journal, faults, clock and snapshots.",
        Answer("204", "Deleted."),
        *_problems(400, 403, 404),
        parameters=(Parameter("session", "path", "Session name", "session-name"), _ADMIN),
        per_session=False,
    ),
    _admin(
        "createSnapshot",
        "POST",
        "/snapshots",
        "Save the session's state under a name (a copy: later changes leave it as it was).",
        Answer("201", "The snapshot taken.", "snapshot-list"),
        *_problems(400, 409, 413, 415, 422),
        body="snapshot-request",
    ),
    _admin(
        "listSnapshots",
        "GET",
        "/snapshots",
        "The session's snapshots, oldest first.",
        Answer("200", "The snapshots.", "snapshot-list"),
        *_problems(400),
    ),
    _admin(
        "restoreSnapshot",
        "POST",
        "/snapshots/{name}/restore",
        "Put the session back as it was when the snapshot was taken (the journal goes on).",
        Answer("204", "Restored."),
        *_problems(400, 403, 404),
        parameters=(_SNAPSHOT, _ADMIN),
    ),
    _admin(
        "deleteSnapshot",
        "DELETE",
        "/snapshots/{name}",
        "Forget a snapshot.",
        Answer("204", "Deleted."),
        *_problems(400, 403, 404),
        parameters=(_SNAPSHOT, _ADMIN),
    ),
)


def operation(op_id: str) -> Operation:
    """The operation declared with ``op_id``."""
    for op in OPERATIONS:
        if op.id == op_id:
            return op
    raise LookupError(f"no operation {op_id!r}; declared: {', '.join(op.id for op in OPERATIONS)}")


def vendor_operations() -> tuple[Operation, ...]:
    """The operations of the vendor's API: the ones a real server serves."""
    return tuple(op for op in OPERATIONS if not op.fake_only)


def methods() -> tuple[str, ...]:
    """Every declared method, sorted (the fake's CORS preflights allow these)."""
    return tuple(sorted({op.method for op in OPERATIONS}))
