"""The fake's state: users, conversations, messages, and the controls, in one object behind a lock.

The store is the domain: it knows nothing of HTTP. It raises its own errors
(``StoreError``), which ``errors.py`` maps to problem documents in one place.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from message_api_kit.mockserver.clock import Clock
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.faults import Failure, Faults, Latency
from message_api_kit.mockserver.journal import Journal
from message_api_kit.mockserver.memory import INDEX_BYTES, ROW_BYTES, MemoryBudget, journal_bytes
from message_api_kit.mockserver.seed import DEFAULT_USER, Seed, SeedResult
from message_api_kit.schemas import MAX_ID


class StoreError(Exception):
    """Something the store cannot do; ``errors.py`` says how each kind is answered.

    ``field``: the request's field the refusal is about, where one is (``parent_id``, ``author_id``, ``id``).
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotStored(StoreError):
    """No such conversation (with strict conversations), message or user."""


class Clash(StoreError):
    """The request clashes with stored state (a seeded id already used, ids run out)."""


class Misplaced(StoreError):
    """A reply to a message of another conversation."""


class SeedRefused(StoreError):
    """A seed the state refuses (a parent that does not exist, an id used): ``pointer`` names the field, and
    ``cause`` is the refusal (answered with its status: a schema-valid request the state refuses is a 404 or
    a 409, never a 422, which document-driven tools take for a schema the server does not keep)."""

    def __init__(self, pointer: str, cause: StoreError) -> None:
        super().__init__(str(cause))
        self.pointer = pointer
        self.cause = cause


#: The store's attributes that the state file mirrors, in the order ``Store._tables`` gives them,
#: and whether a snapshot shares them (put back with them if a commit fails).
_TABLES = (
    "_messages",
    "_by_conversation",
    "_users",
    "_user_json",
    "_conversations",
    "_default_user",
    "_next_id",
    "_shared",
)


class Unwritten(StoreError):
    """The state file refused a write (a full disk, say): nothing changed, in the file or in memory."""


class OverBudget(StoreError):
    """The write would take the fake past its memory budget: nothing changed."""


class StoredMessage(NamedTuple):
    """What a message is; its JSON answer is built from it when asked (see ``render``)."""

    id: int
    conversation_id: int
    text: str
    parent_id: int | None
    author_id: int
    date: int


#: A ``StoredMessage``'s fields as the store keeps them: a plain tuple. The cyclic GC stops
#: tracking a plain tuple of atoms, but never a NamedTuple, so a store of NamedTuples made
#: every full collection walk every message (180 ms at a million) and, in a small store,
#: made full collections frequent (bench/store_growth.py).
_Row = tuple[int, int, str, int | None, int, int]
_CONVERSATION = StoredMessage._fields.index("conversation_id")


@dataclass(frozen=True)
class Snapshot:
    """A session's state at one moment: its tables, its clock and faults.

    The tables are the session's own until it changes (copy on write): snapshots taken with no
    change between them share one copy, and a restore shares the snapshot's until the next write.
    Nothing ever changes a snapshot's tables; rows are immutable tuples, shared by every copy.
    """

    taken: float
    messages: dict[int, _Row]
    by_conversation: dict[int, list[_Row]]
    users: dict[int, Mapping[str, Any]]
    user_json: dict[int, str]
    conversations: set[int]
    default_user: int
    next_id: int
    clock: tuple[float | None, float]
    faults: tuple[list[Latency], list[Failure]]


class StateLog(Protocol):
    """Where a store's changes are also written (``state_file.StateFile``); the store calls it under its lock."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group the changes made inside into one commit."""

    def cleared(self, why: str) -> None:
        """Everything is gone."""

    def user_added(self, user_id: int, user_json: str) -> None:
        """A user was seeded or replaced."""

    def conversation_added(self, conversation_id: int) -> None:
        """A conversation was seeded."""

    def message_added(self, row: _Row) -> None:
        """A message was stored: written before this returns."""

    def replaced(self, why: str, users: dict[int, str], conversations: set[int], rows: list[_Row]) -> None:
        """Everything was replaced at once."""


class _NoLog:
    """The state log of a store kept in memory only."""

    def transaction(self) -> AbstractContextManager[None]:
        return nullcontext()

    def cleared(self, why: str) -> None:
        pass

    def user_added(self, user_id: int, user_json: str) -> None:
        pass

    def conversation_added(self, conversation_id: int) -> None:
        pass

    def message_added(self, row: _Row) -> None:
        pass

    def replaced(self, why: str, users: dict[int, str], conversations: set[int], rows: list[_Row]) -> None:
        pass


@dataclass(frozen=True)
class Saved:
    """A state read back from a state log at start-up: users as JSON, conversations, message rows by id."""

    users: list[tuple[int, str]]
    conversations: list[int]
    messages: list[_Row]


#: Snapshots a session keeps at most: each holds a copy of its tables.
MAX_SNAPSHOTS = 64


class Store:
    """Every piece of one fake's state (of one session). ``reset()`` returns it to the start-up seed.

    Its snapshots outlive a reset: "set up, snapshot, reset, restore" is what they are for.
    """

    def __init__(
        self,
        config: MockConfig,
        waiting: threading.BoundedSemaphore | None = None,
        log: StateLog | None = None,
        saved: Saved | None = None,
        memory: MemoryBudget | None = None,
    ) -> None:
        self._config = config
        self._log: StateLog = log or _NoLog()
        self._memory = memory or MemoryBudget(None)
        self.clock = Clock(config.clock)
        self.faults = Faults(random.Random(config.random_seed), config.max_waiting if waiting is None else waiting)
        self.journal = Journal(config.journal_size, journal_bytes(config))
        self._lock = threading.RLock()
        self._messages: dict[int, _Row] = {}
        self._by_conversation: dict[int, list[_Row]] = {}
        self._users: dict[int, Mapping[str, Any]] = {}
        self._user_json: dict[int, str] = {}
        self._conversations: set[int] = set()
        self._default_user = 0
        self._next_id = 1
        #: The highest id this store ever gave: a reset or a restore lowers ``_next_id``, never this.
        self._given = 0
        #: Whether a snapshot holds these very tables: the next write copies them first (``_own``).
        self._shared = False
        self._snapshots: dict[str, Snapshot] = {}
        if saved is None:
            self.reset()
        else:
            self._load(saved)

    def _load(self, saved: Saved) -> None:
        # Rows straight into the tables: a million messages load in about a second.
        with self._lock:
            for user_id, text in saved.users:
                self._users[user_id] = json.loads(text)
                self._user_json[user_id] = text
                if not self._default_user:
                    self._default_user = user_id
            self._conversations = set(saved.conversations)
            by_conversation = self._by_conversation
            messages = self._messages
            for row in saved.messages:
                messages[row[0]] = row
                rows = by_conversation.get(row[1])
                if rows is None:
                    by_conversation[row[1]] = [row]
                else:
                    rows.append(row)
            self._next_id = saved.messages[-1][0] + 1 if saved.messages else 1

    # -- lifecycle -------------------------------------------------------------

    def _tables(self) -> tuple[Any, ...]:
        """What the state file mirrors, as references: put back by ``_set_tables`` if a commit fails."""
        return tuple(getattr(self, name) for name in _TABLES)

    def _set_tables(self, tables: tuple[Any, ...]) -> None:
        for name, value in zip(_TABLES, tables, strict=True):
            setattr(self, name, value)

    def reset(self) -> None:
        """Forget everything, load the configured seed, undo faults, clock and journal.

        The tables are new objects, so that if the state file cannot commit (``Unwritten``)
        the old ones are put back whole: memory changes only with the file.
        """
        with self._lock:
            before = self._tables()
            try:
                with self._log.transaction():
                    self._log.cleared("reset to the start-up seed")
                    self._set_tables(({}, {}, {}, {}, set(), 0, 1, False))
                    self.seed(self._config.seed)
                    if not self._users:
                        self._add_user(DEFAULT_USER)
            except BaseException:
                self._set_tables(before)
                raise
            self.clock.reset()
            self.faults.clear()
            self.journal.clear()

    def seed(self, seed: Seed) -> SeedResult:
        """Add ``seed``'s users, conversations and messages; all or nothing (in the state log too)."""
        with self._lock:
            self._own()
            # Undo only what this seed did, so that seeding a large store stays cheap.
            saved = (
                dict(self._users),
                dict(self._user_json),
                set(self._conversations),
                self._default_user,
                self._next_id,
            )
            created: list[StoredMessage] = []
            try:
                # Inside the try: a commit that fails at the end undoes the seed in memory too.
                with self._log.transaction():
                    self._seed(seed, created)
            except Exception:
                for message in reversed(created):
                    del self._messages[message.id]
                    self._by_conversation[message.conversation_id].pop()
                self._users, self._user_json, self._conversations, self._default_user, self._next_id = saved
                raise
            return SeedResult(len(seed.users), len(set(seed.conversations)), tuple(m.id for m in created))

    def _seed(self, seed: Seed, created: list[StoredMessage]) -> None:
        """Seed ``seed`` into the tables; each message created is added to ``created`` (for an undo)."""
        for index, user in enumerate(seed.users):
            if user["id"] in self._users and not seed.replace:
                clash = Clash(f"user {user['id']} is already seeded (set replace to true to replace it)")
                raise SeedRefused(f"/users/{index}/id", clash)
            self._add_user(user)
        self._conversations.update(seed.conversations)
        for conversation in seed.conversations:
            self._log.conversation_added(conversation)
        for index, m in enumerate(seed.messages):
            try:
                made = self.create_message(
                    m.conversation, m.message, m.parent_id, m.author_id, date=m.date, message_id=m.id, seeding=True
                )
            except (NotStored, Misplaced, Clash) as exc:
                where = f"/messages/{index}" + (f"/{exc.field}" if exc.field else "")
                raise SeedRefused(where, exc) from None
            created.append(made)

    def _add_user(self, user: Mapping[str, Any]) -> None:
        self._users[user["id"]] = user
        # A user's JSON is made when it is seeded, not on every answer.
        self._user_json[user["id"]] = json.dumps(user)
        self._log.user_added(user["id"], self._user_json[user["id"]])
        if not self._default_user:
            self._default_user = user["id"]

    # -- snapshots ---------------------------------------------------------------

    def take_snapshot(self, name: str) -> Snapshot:
        """Save the state under ``name`` (replacing a snapshot of that name); ``Clash`` past ``MAX_SNAPSHOTS``."""
        with self._lock:
            if name not in self._snapshots and len(self._snapshots) >= MAX_SNAPSHOTS:
                raise Clash(f"a session keeps at most {MAX_SNAPSHOTS} snapshots; delete one first")
            snapshot = Snapshot(
                taken=time.time(),
                messages=self._messages,
                by_conversation=self._by_conversation,
                users=self._users,
                user_json=self._user_json,
                conversations=self._conversations,
                default_user=self._default_user,
                next_id=self._next_id,
                clock=self.clock.saved(),
                faults=self.faults.rules(),
            )
            self._shared = True
            self._snapshots.pop(name, None)  # a replaced snapshot moves to the end: newest last
            self._snapshots[name] = snapshot
            return snapshot

    def restore_snapshot(self, name: str) -> None:
        """Put the state back as snapshot ``name`` saved it (the journal goes on); ``NotStored`` if none."""
        with self._lock:
            saved = self._snapshots.get(name)
            if saved is None:
                raise NotStored(f"no snapshot named {name!r}")
            before = self._tables()
            # The snapshot's own tables, shared until the next write copies them (``_own``).
            self._set_tables(
                (
                    saved.messages,
                    saved.by_conversation,
                    saved.users,
                    saved.user_json,
                    saved.conversations,
                    saved.default_user,
                    saved.next_id,
                    True,
                )
            )
            rows = [row for _, row in sorted(self._messages.items())]
            try:
                self._log.replaced(f"restored snapshot {name!r}", self._user_json, self._conversations, rows)
            except BaseException:
                self._set_tables(before)  # the file kept the old state: so does memory
                raise
            self.clock.restore(saved.clock)
            self.faults.set(*saved.faults)

    def delete_snapshot(self, name: str) -> None:
        """Forget snapshot ``name``; ``NotStored`` if none."""
        with self._lock:
            if self._snapshots.pop(name, None) is None:
                raise NotStored(f"no snapshot named {name!r}")
        self._memory.give_back()

    def _own(self) -> None:
        """Copy the tables a snapshot shares before they change (under the lock); ``OverBudget`` if no room."""
        if not self._shared:
            return
        copying = len(self._messages) * INDEX_BYTES + len(self._conversations) * INDEX_BYTES
        if (used := self._memory.room_for(copying)) is not None:
            raise OverBudget(self._memory.no_room(used, f"a copy of this session's {len(self._messages)} messages"))
        self._messages = dict(self._messages)
        self._by_conversation = {c: list(rows) for c, rows in self._by_conversation.items()}
        self._users = dict(self._users)
        self._user_json = dict(self._user_json)
        # Shared too (a snapshot once copied the set: 64 snapshots of 100,000 conversations took 270 MiB).
        self._conversations = set(self._conversations)
        self._shared = False

    def snapshots(self) -> list[tuple[str, Snapshot]]:
        """Every snapshot with its name, oldest first."""
        with self._lock:
            return list(self._snapshots.items())

    # -- reads -------------------------------------------------------------------

    def require_conversation(self, conversation_id: int) -> None:
        """Raise ``NotStored`` unless the conversation exists (in strict mode: was seeded)."""
        if self._config.strict_conversations and conversation_id not in self._conversations:
            raise NotStored(f"conversation {conversation_id} does not exist (the fake runs with strict conversations)")

    def message(self, message_id: int) -> StoredMessage:
        """Return the stored message ``message_id``, or raise ``NotStored``."""
        found = self._messages.get(message_id)
        if found is None:
            raise NotStored(f"message {message_id} does not exist")
        return StoredMessage._make(found)

    def user(self, user_id: int) -> Mapping[str, Any]:
        """Return the user ``user_id``, or raise ``NotStored``."""
        found = self._users.get(user_id)
        if found is None:
            raise NotStored(f"user {user_id} does not exist")
        return found

    def user_json(self, user_id: int) -> str:
        """The user ``user_id`` as JSON text (made once per user), or raise ``NotStored``."""
        found = self._user_json.get(user_id)
        if found is None:
            raise NotStored(f"user {user_id} does not exist")
        return found

    def page(self, conversation_id: int, offset: int, limit: int) -> tuple[list[StoredMessage], int]:
        """Return up to ``limit`` messages of a conversation from ``offset``, oldest first, and the total."""
        with self._lock:
            messages = self._by_conversation.get(conversation_id, [])
            return [StoredMessage._make(row) for row in messages[offset : offset + limit]], len(messages)

    def conversations(self, limit: int) -> list[tuple[int, int, int | None]]:
        """Up to ``limit`` conversations as (id, messages, last message id), latest activity first."""
        with self._lock:
            # A conversation's rows may be empty: a seed refused half-way takes its messages back.
            active = sorted(
                ((c, rows) for c, rows in self._by_conversation.items() if rows),
                key=lambda item: item[1][-1][0],
                reverse=True,
            )
            found: list[tuple[int, int, int | None]] = [(c, len(rows), rows[-1][0]) for c, rows in active]
            quiet = sorted(self._conversations.difference(c for c, _ in active))
            return (found + [(c, 0, None) for c in quiet])[:limit]

    @property
    def next_id(self) -> int:
        """The id the next message will get."""
        return self._next_id

    @property
    def ids_given_below(self) -> int:
        """An id above every id this store ever gave, resets and restores included."""
        return max(self._next_id, self._given + 1)

    def start_ids_at(self, first: int) -> None:
        """Give no message an id below ``first`` from now on (ids stay increasing)."""
        with self._lock:
            self._next_id = max(self._next_id, first)

    def __len__(self) -> int:
        return len(self._messages)

    # -- writes ------------------------------------------------------------------

    def create_message(
        self,
        conversation_id: int,
        text: str,
        parent_id: int | None = None,
        author_id: int | None = None,
        *,
        date: int | None = None,
        message_id: int | None = None,
        seeding: bool = False,
    ) -> StoredMessage:
        """Store a new message and return it.

        Raises ``NotStored`` for an unknown conversation (strict mode), author or parent,
        ``Misplaced`` for a parent in another conversation, ``Clash`` for an id already used.
        """
        with self._lock:
            self._own()
            if (used := self._memory.room_for(sys.getsizeof(text) + ROW_BYTES)) is not None:
                raise OverBudget(self._memory.no_room(used, "another message"))
            if seeding:
                if conversation_id not in self._conversations:
                    self._conversations.add(conversation_id)
                    self._log.conversation_added(conversation_id)
            else:
                self.require_conversation(conversation_id)
            if author_id is not None and author_id not in self._users:
                raise NotStored(f"user {author_id} does not exist", field="author_id")
            author = self._default_user if author_id is None else author_id
            if parent_id is not None:
                parent = self._messages.get(parent_id)
                if parent is None:
                    raise NotStored(f"parent message {parent_id} does not exist", field="parent_id")
                if parent[_CONVERSATION] != conversation_id:
                    raise Misplaced(
                        f"parent message {parent_id} belongs to conversation {parent[_CONVERSATION]},"
                        f" not {conversation_id}",
                        field="parent_id",
                    )
            if message_id is not None:
                if message_id < self._next_id:
                    raise Clash(
                        f"message id {message_id} must exceed every stored id ({self._next_id - 1})", field="id"
                    )
                self._next_id = message_id
            if self._next_id > MAX_ID:
                raise Clash("the fake has run out of message ids")
            row = (self._next_id, conversation_id, text, parent_id, author, self.clock.now() if date is None else date)
            self._log.message_added(row)  # in the state file before the answer leaves
            self._next_id += 1
            self._given = max(self._given, row[0])
            self._messages[row[0]] = row
            self._by_conversation.setdefault(conversation_id, []).append(row)
            return StoredMessage._make(row)
