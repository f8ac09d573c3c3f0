"""``contracts diff``'s programs: requests built from what each server has answered so far.

An operation's contract (``registry.OperationContract.programs``) gives its programs; the diff
runs each program on both servers, step by step (``diff.run_diff``). A step's request is built
per server, from the ids that server gave: a reply names the parent that server made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Build", "Ids", "Request", "Step", "made_id"]

#: A request as a step builds it: method, target (path and query, below the base URL), body, Content-Type
#: (``None``: no body is sent, and no Content-Type).
Request = tuple[str, str, bytes, str | None]
#: A request built from the ids this server has answered so far (``ids``) and the run's conversations.
Build = Callable[["Ids"], Request]


@dataclass
class Ids:
    """One server's side of a program: the run's conversations, and the ids its answers gave, by name."""

    conversation: int
    other: int | None
    named: dict[str, int] = field(default_factory=dict)
    highest: int = 0


@dataclass(frozen=True)
class Step:
    """One request of a program: its class, how to build it, and the name its answer's id goes by."""

    request_class: str
    build: Build
    remember: str | None = None
    needs_other: bool = False


def made_id(answer: bytes) -> int | None:
    """The integer ``id`` an answer's JSON object names (the message a creation made), or ``None``.

    Programs and ``contracts replay`` map each server's ids by it: a reply names the parent that server made.
    """
    try:
        doc = json.loads(answer)
    except (ValueError, RecursionError):
        return None
    found = doc.get("id") if isinstance(doc, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None
