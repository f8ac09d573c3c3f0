"""The default session's state in a file that survives restarts and crashes: an SQLite database in WAL mode.

Chosen over a journal of JSON lines by measurement (bench/state_file.py, figures in
bench/RESULTS.md) and for people: any SQLite tool opens it (``sqlite3 state.db 'select *
from messages'``), and SQLite's write-ahead log keeps it whole when the process is
killed at any moment, with no compaction to write.

The promise: every creation is committed to the database before its answer leaves.
Committed means handed to the operating system, which survives ``kill -9`` of the fake;
with ``fsync=True`` (``--fsync``) each commit also waits for the disk, which survives a
power cut too. Named sessions and snapshots are not kept: they are for tests.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from message_api_kit import schemas
from message_api_kit.mockserver.store import Saved, Unwritten
from message_api_kit.schemas import MAX_ID

_Row = tuple[int, int, str, int | None, int, int]  # the store's rows
#: The layout of the tables; a file of another layout is refused, never rewritten.
FORMAT = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, conversation INTEGER NOT NULL, message TEXT NOT NULL,
    parent INTEGER, author INTEGER NOT NULL, date INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (time REAL NOT NULL, event TEXT NOT NULL);
"""


def kit_version() -> str:
    """The installed kit's version, written into the file and checked on opening it."""
    try:
        return version("message-api-kit")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


class StateFileError(Exception):
    """A state file that cannot be used: its one-line reason."""


class StateFile:
    """An open state file; the store calls it as its state changes (under the store's lock)."""

    def __init__(self, path: Path, fsync: bool = False) -> None:
        self.path = path
        self._db = _open(path, fsync)
        self._lock = threading.RLock()
        self._depth = 0

    def read(self) -> Saved | None:
        """The state saved in the file; None for a file that holds none yet (new)."""
        with self._lock:
            if self._db.execute("SELECT value FROM meta WHERE key = 'initialised'").fetchone() is None:
                return None
            saved = Saved(
                users=self._db.execute("SELECT id, json FROM users ORDER BY rowid").fetchall(),
                conversations=[row[0] for row in self._db.execute("SELECT id FROM conversations")],
                messages=self._db.execute(
                    "SELECT id, conversation, message, parent, author, date FROM messages ORDER BY id"
                ).fetchall(),
            )
        _verify(saved, f"state file {str(self.path)!r}")
        return saved

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group the changes made inside into one commit (nested ones join the outer one)."""
        with self._lock:
            self._depth += 1
            try:
                if self._depth == 1:
                    self._db.execute("BEGIN IMMEDIATE")
                yield
                if self._depth == 1:
                    self._db.execute("COMMIT")
            except BaseException as exc:
                if self._depth == 1 and self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _unwritten(self.path, exc) from exc
                raise
            finally:
                self._depth -= 1

    def cleared(self, why: str) -> None:
        """Everything is gone (a reset): the file says so in its events."""
        with self.transaction():
            for table in ("users", "conversations", "messages"):
                self._db.execute(f"DELETE FROM {table}")  # fixed names
            self._db.execute("INSERT INTO events VALUES (?, ?)", (time.time(), why))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('initialised', ?)", (str(time.time()),))

    def user_added(self, user_id: int, user_json: str) -> None:
        """A user was seeded (or replaced)."""
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO users VALUES (?, ?)", (user_id, user_json))

    def conversation_added(self, conversation_id: int) -> None:
        """A conversation was seeded."""
        with self.transaction():
            self._db.execute("INSERT OR IGNORE INTO conversations VALUES (?)", (conversation_id,))

    def message_added(self, row: _Row) -> None:
        """A message was stored; committed before this returns, unless inside a transaction."""
        # Outside a transaction the statement commits itself (the connection autocommits):
        # one statement a creation instead of three (measured by bench/state_file.py).
        with self._lock:
            try:
                self._db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)", row)
            except sqlite3.Error as exc:
                raise _unwritten(self.path, exc) from exc

    def replaced(self, why: str, users: dict[int, str], conversations: set[int], rows: list[_Row]) -> None:
        """Everything was replaced at once (a snapshot restored): one commit."""
        with self.transaction():
            self.cleared(why)
            self._db.executemany("INSERT INTO users VALUES (?, ?)", users.items())
            self._db.executemany("INSERT INTO conversations VALUES (?)", [(c,) for c in conversations])
            self._db.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)", rows)

    def close(self) -> None:
        """Close the database (the WAL is folded back into it)."""
        with self._lock:
            self._db.close()


#: Dates (and user ids) a message may hold: whole seconds a JavaScript client can hold (seed.json's bound).
MAX_DATE: int = schemas.load("seed")["properties"]["messages"]["items"]["properties"]["date"]["maximum"]


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _verify(saved: Saved, where: str) -> None:
    """Raise ``StateFileError`` naming the first row the fake could not serve as the schemas say.

    The file is anyone's to edit (``sqlite3 state.db``): a row is checked as the fake would have
    written it, once, as it loads (plain checks of each field: a million rows in about a second),
    rather than trusted and served (``"date": "yesterday"``) or crashing the worker on a bad user.
    """

    def refuse(table: str, key: object, what: str) -> StateFileError:
        return StateFileError(
            f"{where}: table {table}, row id {key!r}: {what} (mend or delete the row, or move the file aside)"
        )

    users = set()
    for user_id, text in saved.users:
        if not _whole(user_id, 1, MAX_DATE):
            raise refuse("users", user_id, "the id is not an integer from 1 to 2^53-1")
        try:
            user = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            user = None
        if not schemas.is_valid("author", user) or user.get("id") != user_id:
            raise refuse("users", user_id, "json is not a user of that id (schemas/author.json)")
        users.add(user_id)
    for conversation in saved.conversations:
        if not _whole(conversation, 1, MAX_ID):
            raise refuse("conversations", conversation, "the id is not an integer from 1 to 2^63-1")
    homes: dict[int, int] = {}
    for row in saved.messages:
        fault = _message_fault(row, users, homes)
        if fault is not None:
            raise refuse("messages", row[0], fault)
        homes[row[0]] = row[1]


def _message_fault(row: tuple[Any, ...], users: set[int], homes: dict[int, int]) -> str | None:  # noqa: PLR0911
    """What is wrong with a message's row, given the users and the messages before it; None: nothing."""
    message_id, conversation, text, parent, author, date = row
    if not _whole(message_id, 1, MAX_ID):
        return "the id is not an integer from 1 to 2^63-1"
    if not _whole(conversation, 1, MAX_ID):
        return f"conversation is {conversation!r}, not an integer from 1 to 2^63-1"
    if not isinstance(text, str):
        return f"message is {text!r}, not text"
    if parent is not None and homes.get(parent) != conversation:
        return f"parent {parent!r} is no earlier message of its conversation"
    if author not in users:
        return f"author {author!r} is no user of the users table"
    if not _whole(date, 0, MAX_DATE):
        return f"date is {date!r}, not whole seconds from 0 to 2^53-1"
    return None


def _unwritten(path: Path, exc: sqlite3.Error) -> Unwritten:
    return Unwritten(f"the state file {str(path)!r} refused the write ({exc}); nothing changed")


def check(path: Path) -> None:
    """Raise ``StateFileError`` unless ``path`` is a state file this kit can read and write, or can be made."""
    where = f"state file {str(path)!r}"
    folder = path.parent
    if not folder.is_dir():
        raise StateFileError(f"{where} cannot be made: its folder {str(folder)!r} does not exist")
    if path.exists():
        if path.is_file() and not os.access(path, os.R_OK | os.W_OK):
            raise StateFileError(f"{where} cannot be written (it is read-only to this user)")
        _open(path, fsync=False, create=False).close()
        # Every row checked before the server starts: a bad one stops the start with one line, not a traceback.
        state = StateFile(path)
        try:
            state.read()
        finally:
            state.close()
    elif not os.access(folder, os.W_OK | os.X_OK):
        raise StateFileError(f"{where} cannot be made: its folder {str(folder)!r} is read-only to this user")


def hold(path: Path) -> int:
    """Lock ``path`` for this process (and the worker it starts) until it exits; return the descriptor.

    Two fakes writing one file would each believe their own state: the second is refused.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StateFileError(
            f"state file {str(path)!r} is in use by another fake (stop it, or name another file)"
        ) from None
    return fd


def _open(path: Path, fsync: bool, create: bool = True) -> sqlite3.Connection:
    where = f"state file {str(path)!r}"
    if path.exists() and path.is_dir():
        raise StateFileError(f"{where} is a directory")
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise StateFileError(f"{where} is not a state file this kit can read ({exc})") from None
    if tables and "meta" not in tables:
        db.close()
        raise StateFileError(f"{where} is an SQLite database, but not a state file of this kit")
    try:
        if tables:
            meta: Mapping[str, Any] = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("format") != FORMAT:
                raise StateFileError(f"{where} has format {meta.get('format')!r}; this kit reads format {FORMAT!r}")
            if meta.get("kit_version") != kit_version():
                raise StateFileError(
                    f"{where} was written by kit version {meta.get('kit_version')!r}; this is {kit_version()!r}"
                    " (move it aside to start afresh)"
                )
        elif create:
            db.executescript(_SCHEMA)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("kit_version", kit_version())])
        # WAL: a crash at any moment leaves the file whole; NORMAL syncs at checkpoints only,
        # FULL at every commit.
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
    except StateFileError:
        db.close()
        raise
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StateFileError(f"{where} cannot be read ({exc})") from None
    return db
