"""How a message is shown where the doc leaves it open: the fake's own way, or a real server's (a profile).

Every answer that shows a message (a creation, a listing, the journal, the dashboard) is
rendered (``render.py``) in the app's one shape, so that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AUTHOR_REQUIRED", "FAKE_SHAPE", "MESSAGE_TYPE", "PARENT_REQUIRED", "Shape"]

#: The fake's `type` for a message created from text (the doc shows only "<string>").
MESSAGE_TYPE = "text"
#: Fields of an author and of a parent summary that every shape keeps (the schemas require them).
AUTHOR_REQUIRED = frozenset({"id", "name"})
PARENT_REQUIRED = frozenset({"id"})


@dataclass(frozen=True)
class Shape:
    """How a message is rendered where the doc leaves it open."""

    #: The ``type`` of a message created from text.
    type: str = MESSAGE_TYPE
    #: What ``parent`` holds in a reply: ``"object"`` (a summary) or ``"id"``.
    parent_form: str = "object"
    #: The optional fields a parent summary carries (``None``: all of the fake's).
    parent_fields: frozenset[str] | None = None
    #: The optional fields an author carries (``None``: all the seed gives).
    author_fields: frozenset[str] | None = None


#: The fake's own shape.
FAKE_SHAPE = Shape()
