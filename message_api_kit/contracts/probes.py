"""Probes: requests the doc gives no plain answer for, and every faithful reading a server may make of one.

The doc says only ``Body application/json``, ``message`` a required string, ``parent_id``
an integer or null, and ``conversation`` an integer. A correct server may refuse anything
else it is sent (a 4xx) or read it one reasonable way and create exactly that message:
RFC 8259 section 9 lets a parser accept extensions, and mainstream stacks do (Express and
Go mend invalid UTF-8, Go and Sinatra ignore the content type, Go reads the first JSON
value and matches keys in any case, Express reads ``0x10`` as 16, Pydantic reads
``"1"`` as 1). A probe derives those readings from its own bytes; with none, it must be
refused. Readings marked ``lenient`` are the server's choice where the project's own
rules (schemas/DERIVATION.md) refuse: noted in the report, failures under ``--strict``.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from message_api_kit import schemas
from message_api_kit.contracts import domain
from message_api_kit.contracts.transport import dumps
from message_api_kit.schemas import MAX_ID, Operation

#: The operation under contract, declared once in ``schemas``: every request path is built from it.
CREATE_MESSAGE = schemas.CREATE_MESSAGE
JSON = schemas.JSON
#: The keys the doc names; a case-insensitive decoder (Go's) also takes other spellings of them.
DOCUMENTED_KEYS = domain.DOCUMENTED_KEYS


@dataclass(frozen=True)
class Reading:
    """One message a server may create for a probe: its text, conversation and parent (``None``: a root)."""

    message: str
    conversation: int
    parent: int | None = None
    #: What a server reading the probe this way does that the project's rules do not (noted; a
    #: failure under --strict). ``None``: the plain reading, the one the project's rules take too.
    lenient: str | None = None

    def describe(self) -> str:
        """The reading as a person reads it."""
        reply = f", a reply to {self.parent}" if self.parent is not None else ""
        return f"message {json.dumps(self.message)[:60]} in conversation {self.conversation}{reply}"


@dataclass(frozen=True)
class Probe:
    """A request and what it is, for reports; its readings follow from its bytes."""

    what: str
    conversation: str
    content: bytes
    content_type: str | None = JSON
    #: Readings no decoder modelled here makes, given by hand (JSON5's single quotes, say).
    extra: tuple[Reading, ...] = ()

    #: The declared operation a probe is a request to: its readings are of that operation's body.
    operation: ClassVar[Operation] = CREATE_MESSAGE

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints every explicit example as it runs it (kept only if it fails): a field-by-field
        # print of a long body cost a third of a run. What a report needs is the request, cut.
        content = self.content if len(self.content) <= 200 else self.content[:200] + b"..."
        printer.text(f"Probe({self.what!r}, {self.conversation!r}, {content!r} ({len(self.content)} bytes), ")
        printer.text(f"{self.content_type!r}{', +' + str(len(self.extra)) + ' readings' if self.extra else ''})")

    @property
    def path(self) -> str:
        """The request path, the segment as given."""
        return self.operation.url(conversation=self.conversation)

    @cached_property
    def outside(self) -> tuple[domain.Reason, ...]:
        """Why the request is outside the documented domain (``domain.outside``); empty: the doc defines it."""
        return domain.outside(self.conversation, self.content_type, self.content)

    @property
    def plain(self) -> Reading | None:
        """The project's own reading (the fake's): ``None`` if its rules refuse the request."""
        return next((reading for reading in self.readings if reading.lenient is None), None)

    def reading_of(self, message: dict[str, Any]) -> Reading | None:
        """The reading ``message`` (a created answer) is of, if it is one of them."""
        for reading in self.readings:
            named = parent_named(message.get("parent"))
            if (
                message.get("message") == reading.message
                and message.get("conversationId") == reading.conversation
                and (message.get("is_reply") is True) == (reading.parent is not None)
                and (reading.parent is None or named == reading.parent)
            ):
                return reading
        return None

    def holds(self, stored: Any) -> bool:
        """True if ``stored`` (a created message's text) comes from the request: one of its values or readings.

        Bad bytes mended into any few characters count as held; ``null`` stored as ``""`` does not.
        """
        if not isinstance(stored, str):
            return False
        held = {reading.message for reading in self.readings}
        held.add(self.content.decode("utf-8", "replace"))
        for body, _ in decodings(self.content):
            held.update(_spellings(body))
        if stored in held:
            return True
        mended = [text for text in held if "\ufffd" in text]
        return any(re.fullmatch(".{0,8}".join(map(re.escape, text.split("\ufffd"))), stored, re.S) for text in mended)

    @cached_property
    def readings(self) -> tuple[Reading, ...]:
        """Every faithful creation a correct server may answer with, the plain one first; none: refuse it."""
        found: dict[tuple[str, int, int | None], Reading] = {}
        media = (self.content_type or "").partition(";")[0].strip().lower()
        typed = None if media == JSON else f"reads a body sent as {media or 'no content type'} as JSON"
        for conversation, spelled in conversation_readings(self.conversation):
            for body, decoded in decodings(self.content):
                for reading in body_readings(body, conversation, _joined(spelled, typed, decoded)):
                    found.setdefault((reading.message, reading.conversation, reading.parent), reading)
        for reading in self.extra:
            found.setdefault((reading.message, reading.conversation, reading.parent), reading)
        return tuple(found.values())


def _spellings(value: Any) -> Iterator[str]:
    """Every string in a decoded body, and how each scalar in it is spelled as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _spellings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _spellings(item)
    elif isinstance(value, str):
        yield value
    elif value is not None:
        yield json.dumps(value)
        yield str(value)
        if isinstance(value, float) and value.is_integer():
            yield str(int(value))


def parent_named(parent: Any) -> Any:
    """The id a reply's ``parent`` names: the id itself, or an object's ``id`` (R7)."""
    return parent.get("id") if isinstance(parent, dict) else parent


def json_probe(what: str, conversation: int | str, body: Any) -> Probe:
    """A probe whose body is the JSON document ``body``."""
    return Probe(what, str(conversation), dumps(body))


def _joined(*parts: str | None) -> str | None:
    return "; ".join(part for part in parts if part) or None


# -- the body's bytes ------------------------------------------------------------------------------------------


def decodings(raw: bytes) -> Iterator[tuple[Any, str | None]]:
    """Each document a decoder may make of ``raw``, with how (``None``: strict RFC 8259, last duplicate wins)."""
    for text, mended in _texts(raw):
        for parse, how in _PARSERS:
            try:
                yield parse(text), _joined(mended, how)
            except (ValueError, RecursionError):
                continue


def _texts(raw: bytes) -> Iterator[tuple[str, str | None]]:
    """The text of ``raw``: strict UTF-8, or mended the ways decoders mend invalid UTF-8; a BOM dropped."""
    try:
        texts: list[tuple[str, str | None]] = [(raw.decode("utf-8"), None)]
    except UnicodeDecodeError:
        # Express (and Python's "replace") put one U+FFFD per maximal bad subsequence, Go one per
        # bad byte; Python's surrogateescape and surrogatepass keep them as lone surrogates.
        texts = [
            (raw.decode("utf-8", "replace"), "decodes invalid UTF-8 as U+FFFD"),
            (_per_byte_replace(raw), "decodes invalid UTF-8 as U+FFFD, one per byte"),
            (raw.decode("utf-8", "surrogateescape"), "keeps invalid UTF-8 as escaped surrogates"),
        ]
        with contextlib.suppress(UnicodeDecodeError):
            texts.append((raw.decode("utf-8", "surrogatepass"), "keeps encoded surrogates as escaped surrogates"))
    for text, mended in texts:
        yield text, mended
        if text.startswith("\ufeff"):
            yield text[1:], _joined(mended, "ignores a byte-order mark")


def _per_byte_replace(raw: bytes) -> str:
    out, i = [], 0
    while i < len(raw):
        for size in (1, 2, 3, 4):
            try:
                out.append(raw[i : i + size].decode("utf-8"))
            except UnicodeDecodeError:
                continue
            i += size
            break
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in pairs:
        body.setdefault(key, value)
    return body


_STRICT = json.JSONDecoder(parse_constant=_refuse_constant)
_FIRST_DUPLICATE = json.JSONDecoder(parse_constant=_refuse_constant, object_pairs_hook=_first_wins)
_WITH_CONSTANTS = json.JSONDecoder()


def _first_value(text: str) -> Any:
    stripped = text.lstrip(" \t\r\n")
    body, end = _STRICT.raw_decode(stripped)
    if not stripped[end:].strip(" \t\r\n"):
        raise ValueError("nothing follows: the strict reading already covers it")
    return body


_PARSERS: tuple[tuple[Callable[[str], Any], str | None], ...] = (
    (_STRICT.decode, None),
    (_FIRST_DUPLICATE.decode, "takes the first of duplicate keys"),
    (_WITH_CONSTANTS.decode, "accepts NaN and Infinity (a JSON extension)"),
    (_first_value, "reads the first JSON value and ignores what follows"),
)


# -- the decoded body ------------------------------------------------------------------------------------------


def folds_to_documented(key: str) -> bool:
    """True for a key other than the documented ones that a case-insensitive decoder reads as one of them."""
    return key not in DOCUMENTED_KEYS and key.casefold() in DOCUMENTED_KEYS


def body_readings(body: Any, conversation: int, how: str | None = None) -> Iterator[Reading]:
    """The messages a server may create from a decoded body (none without a string ``message``)."""
    if not isinstance(body, dict):
        return
    for text, text_key in _values(body, "message"):
        if not isinstance(text, str):
            continue
        for parent, parent_key in _values(body, "parent_id"):
            if parent is None:
                yield Reading(text, conversation, None, _joined(how, text_key, parent_key))
            for number, coerced in parent_readings(parent):
                yield Reading(text, conversation, number, _joined(how, text_key, parent_key, coerced))


def _values(body: dict[str, Any], name: str) -> Iterator[tuple[Any, str | None]]:
    """The value of ``name`` (absent: ``None``), then those a case-insensitive decoder finds for it."""
    yield body.get(name), None
    for key, value in body.items():
        if folds_to_documented(key) and key.casefold() == name:
            yield value, f"matches keys case-insensitively ({key!r} read as {name})"


def parent_readings(value: Any) -> tuple[tuple[int, str | None], ...]:
    """The message ids a server may read ``parent_id`` as, with how (``None``: an integer, as JSON Schema says).

    Ids outside 1 to 2^63-1 name no message, so they have none: such a reply must be refused.
    """
    if isinstance(value, bool):
        number, how = int(value), "reads a boolean parent_id as 0 or 1"
    elif isinstance(value, int):
        number, how = value, None
    elif isinstance(value, float) and value.is_integer():
        number, how = int(value), None
    elif isinstance(value, str) and (spelled := _decimal(value.strip())) is not None:
        number, how = spelled, "reads a string parent_id as the integer it spells"
    else:
        return ()
    return ((number, how),) if 1 <= number <= MAX_ID else ()


def _decimal(text: str) -> int | None:
    """The integer a decimal string spells (a sign and leading zeros allowed), else ``None``."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    return int(text) if digits.isascii() and digits.isdigit() and len(digits) <= 40 else None


# -- the path ----------------------------------------------------------------------------------------------------


def conversation_readings(segment: str) -> tuple[tuple[int, str | None], ...]:
    """The conversation a server may read the path segment as, with how (``None``: decimal digits).

    Other spellings of a number are what a lenient parser reads: JavaScript's ``Number()``
    (``1e3``, ``0x10``, ``+5``, ``5.0``, padding spaces), Python's ``int()`` (``1_000``),
    Ruby's ``Integer()`` (a leading zero means octal).
    Ids outside 1 to 2^63-1 name no conversation, so they have none.
    """
    text = unquote(segment)
    found: list[tuple[int, str | None]] = []
    if text.isascii() and text.isdigit():
        found.append((int(text), None))
        if text.startswith("0") and set(text) <= set("01234567") and int(text, 8) != int(text):
            found.append((int(text, 8), f"reads the path's {segment!r} as octal (Ruby's Integer())"))
    elif (spelled := _number(text.strip())) is not None:
        found.append((spelled, f"reads the path's {segment!r} as the number {spelled}"))
    return tuple((number, how) for number, how in found if 1 <= number <= MAX_ID)


def _number(text: str) -> int | None:
    """The integer a lenient number parser reads ``text`` as, else ``None``."""
    if not text.isascii() or not text or len(text) > 40:
        return None
    for base in (0, 10):
        try:
            return int(text, base)
        except ValueError:
            pass
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() else None


def spellings(conversation: int) -> tuple[str, ...]:
    """Other spellings of ``conversation`` for the path: a server that reads them still writes only there."""
    forms = [f"+{conversation}", hex(conversation), quote(f" {conversation}")]
    if conversation < 8:  # leading zeros: octal to some parsers (Ruby's Integer()), the same number only here
        forms.append(f"00{conversation}")
    if conversation < 2**53:  # exact as a double, so a JavaScript server reads the same number
        forms += [f"{conversation}.0", f"{conversation}e0"]
    return tuple(forms)
