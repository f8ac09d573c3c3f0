"""The state machine: long interleavings of roots and replies, with the messages created so far in a bundle."""

from __future__ import annotations

import json

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, precondition, rule

from message_api_kit.contracts import checks, strategies
from message_api_kit.contracts.context import Context
from message_api_kit.contracts.transport import Exchange

#: Added to the largest id seen to name a message that surely does not exist yet.
MISSING_OFFSET = 10**12


def messages_machine(ctx: Context) -> type[RuleBasedStateMachine]:
    """A state machine class bound to one run's context (conversations, transport, ids seen)."""

    class Messages(RuleBasedStateMachine):
        """Creates roots and replies; every answer keeps the rules (B5, R3, R6, R7)."""

        messages = Bundle("messages")

        def __init__(self) -> None:
            super().__init__()
            self.ids: dict[str, Exchange] = {}

        def _created(self, conversation: int, body: dict[str, object]) -> int:
            with ctx.causes():
                return self._check_created(conversation, body)

        def _check_created(self, conversation: int, body: dict[str, object]) -> int:
            exchange, message = ctx.create(conversation, body)
            checks.created(exchange)
            checks.conversation_matches(exchange, message, conversation)
            checks.unique_id(exchange, message, self.ids)
            parent = body.get("parent_id")
            checks.reply_flag(exchange, message, parent if isinstance(parent, int) else None)
            if isinstance(parent, int):
                checks.names_parent(exchange, message, parent)
            new_id: int = message["id"]
            return new_id

        @rule(target=messages, text=strategies.message_texts())
        def root(self, text: str) -> int:
            return self._created(ctx.conversation, {"message": text})

        @rule(target=messages, parent=messages, text=strategies.message_texts())
        def reply(self, parent: int, text: str) -> int:
            return self._created(ctx.conversation, {"message": text, "parent_id": parent})

        @rule(beyond=st.integers(0, 1000), negative=st.booleans())
        def reply_to_missing(self, beyond: int, negative: bool) -> None:
            known = [json.loads(key) for key in self.ids]
            highest = max([k for k in known if isinstance(k, int)], default=0)
            missing = -1 - beyond if negative else highest + MISSING_OFFSET + beyond
            exchange = ctx.post(ctx.conversation, {"message": "reply to nothing", "parent_id": missing})
            with ctx.causes():
                checks.rejected(exchange, "a reply to a missing message", f"a reply to {missing}, which does not exist")

        @precondition(lambda self: ctx.other_conversation is not None)
        @rule(parent=messages)
        def reply_elsewhere(self, parent: int) -> None:
            exchange = ctx.post(ctx.other_conversation or 0, {"message": "misplaced", "parent_id": parent})
            where = f"in {ctx.other_conversation}, to {parent} of {ctx.conversation}"
            with ctx.causes():
                checks.rejected(exchange, "a reply to another conversation's message", where)

    return Messages
