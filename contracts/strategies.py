"""Hypothesis strategies for requests: valid bodies from the schema files, and every kind of bad input."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

import schemas

Body = dict[str, Any]

#: Texts a server is tempted to change on the way: markup, entities, normalisation pairs, direction marks.
TRICKY_TEXTS = (
    "<b>bold</b> & <i>italic</i>",
    "&amp; &lt;script&gt;",
    "<script>alert(1)</script>",
    "[b]bbcode[/b] **markdown** @mention #tag",
    '{"message": "json inside"}',
    "e\u0301 and \u00e9",  # NFD and NFC forms of one letter
    "\u212b \u00c5",  # the Angstrom sign and the letter it normalises to
    "\u202eright-to-left override\u202c",
    "\u200b zero width \ufeff",
    "\U0001f469\u200d\U0001f4bb family of code points",
    "line\r\nbreaks\n\n",
    "tab\tand\vvertical\fforms",
    "\x00",
    "back\\slash and 'quotes' \"here\"",
)
WHITESPACE = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", max_size=4)


def message_texts() -> st.SearchStrategy[str]:
    """Every kind of message text: any Unicode plane, NUL and controls, markup, whitespace, many kilobytes."""
    any_unicode = st.text(max_size=50)
    controls = st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=10)
    astral = st.text(alphabet=st.characters(min_codepoint=0x10000), min_size=1, max_size=10)
    padded = st.builds(lambda left, middle, right: left + middle + right, WHITESPACE, st.text(max_size=20), WHITESPACE)
    # Many kilobytes (up to 4K characters, 16 KB as UTF-8): longer costs generation,
    # shrinking and transfer time (measured with bench/catch_rate.py) and proves no more.
    long = st.builds(lambda unit, times: (unit * times)[:4096], st.text(min_size=1, max_size=4), st.integers(500, 2000))
    return st.one_of(any_unicode, st.sampled_from(TRICKY_TEXTS), controls, astral, padded, long)


def extra_fields() -> st.SearchStrategy[Body]:
    """Fields the doc does not name, which a server must ignore (DERIVATION.md, B4)."""
    names = st.text(min_size=1, max_size=12).filter(lambda n: n not in ("message", "parent_id"))
    return st.dictionaries(names, from_schema({}), max_size=3)


def valid_bodies(parents: list[int]) -> st.SearchStrategy[Body]:
    """Valid bodies: a message, and ``parent_id`` absent, null, or one of ``parents``."""
    parent = st.sampled_from(["absent", None, *parents])

    def build(text: str, choice: Any, extra: Body) -> Body:
        body: Body = {**extra, "message": text}
        if choice != "absent":
            body["parent_id"] = choice
        return body

    return st.builds(build, message_texts(), parent, st.just({}) | extra_fields())


def schema_bodies() -> st.SearchStrategy[Body]:
    """Bodies generated from ``create-message-request.json`` itself, ``parent_id`` dropped (it would name nothing)."""
    return from_schema(schemas.load("create-message-request")).map(_without_parent)


def _without_parent(body: Any) -> Body:
    assert isinstance(body, dict)  # the request schema generates objects only
    return {key: value for key, value in body.items() if key != "parent_id"}


_NOT_STRING: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
    st.just({}),
)
_NOT_PARENT: st.SearchStrategy[Any] = st.one_of(
    st.text(max_size=5),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    st.lists(st.integers(), max_size=2),
    st.just({}),
)


def invalid_bodies() -> st.SearchStrategy[Any]:
    """JSON documents that break the request schema (DERIVATION.md, B2-B3)."""
    no_message = st.fixed_dictionaries({}, optional={"parent_id": st.none() | st.integers(1, 10)})
    bad_message = st.fixed_dictionaries({"message": _NOT_STRING})
    bad_parent = st.fixed_dictionaries({"message": st.text(max_size=10), "parent_id": _NOT_PARENT})
    not_object = st.one_of(st.lists(st.text(max_size=3), max_size=2), st.text(max_size=5), st.integers(), st.none())
    return st.one_of(no_message, bad_message, bad_parent, not_object)


def malformed_json() -> st.SearchStrategy[bytes]:
    """Bytes sent as ``application/json`` that are not JSON (DERIVATION.md, B1, B6)."""
    valid = st.builds(lambda text: json.dumps({"message": text}).encode(), st.text(max_size=20))
    truncated = st.builds(lambda raw, cut: raw[: cut % len(raw)], valid, st.integers(0, 100))
    invalid_utf8 = st.sampled_from(
        [b'{"message": "\xff\xfe"}', b'{"message": "\xc3\x28"}', b'{"message": "\xed\xa0\x80"}']
    )
    fixed = st.sampled_from(
        [
            b"",
            b"{",
            b"}",
            b"{'message': 'single quotes'}",
            b'{"message": "x",}',
            b'{"message": NaN}',
            b"nul\x00l",
            b"[1,]",
        ]
    )
    garbage_after = st.builds(lambda raw: raw + b" trailing", valid)
    return st.one_of(truncated, invalid_utf8, fixed, garbage_after)


def non_json_content_types() -> st.SearchStrategy[str | None]:
    """Content types that are not JSON; ``None`` sends none at all (DERIVATION.md, B1)."""
    return st.sampled_from(
        [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"]
    )


def impossible_conversations() -> st.SearchStrategy[str]:
    """Path segments that cannot be a conversation id: not an integer, zero, negative, beyond 64 bits (P1-P2)."""
    return st.one_of(
        st.just("0"),
        st.integers(max_value=-1).map(str),
        st.integers(min_value=2**64).map(str),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()).map(repr),
        st.sampled_from(["abc", "1e3", "0x10", "one", "%20", "1%2C2", "null", "true"]),
    )
