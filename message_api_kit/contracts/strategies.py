"""What to send: valid bodies from the schema files, probes of every kind of odd input, and the boundary cases.

The boundary cases are fixed lists, sent before the generated examples at every seed (as
Schemathesis' coverage phase does), so that catching a defect does not depend on the seed.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from message_api_kit import schemas
from message_api_kit.contracts._jsonschema import from_schema
from message_api_kit.contracts.probes import Probe, Reading, folds_to_documented, json_probe, spellings
from message_api_kit.contracts.transport import dumps
from message_api_kit.schemas import MAX_ID

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
#: Texts that look like other JSON values, or like nothing: a server that reads a message as the
#: number, boolean or null it spells, or drops an empty one, shows it at every seed.
LOOKALIKE_TEXTS = ("0", "1", "-1", "1e3", "1.50", "true", "false", "null", "", " ", "123456789012345678901234567890")
#: Long ASCII texts, 4 KiB and 64 KiB: a server that cuts, or crashes on, long texts shows it at every seed.
LONG_TEXTS = tuple(("0123456789abcdef" * (size // 16))[:-3] + "end" for size in (4096, 65536))
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
    return st.dictionaries(_unknown_keys(), from_schema({}), max_size=3)


def _unknown_keys() -> st.SearchStrategy[str]:
    # Not the documented keys, nor a spelling a case-insensitive decoder (Go's) reads as one.
    documented = ("message", "parent_id")
    return st.text(min_size=1, max_size=12).filter(lambda n: n not in documented and not folds_to_documented(n))


def valid_bodies(parents: list[int]) -> st.SearchStrategy[Body]:
    """Bodies inside the documented domain: a message, and ``parent_id`` absent, null, or one of ``parents``."""
    parent = st.sampled_from(["absent", None, *parents])

    def build(text: str, choice: Any) -> Body:
        body: Body = {"message": text}
        if choice != "absent":
            body["parent_id"] = choice
        return body

    return st.builds(build, message_texts(), parent)


#: What a probe with fields the doc does not name is, in reports.
UNKNOWN_FIELDS = "a body with fields the doc does not name"


def unknown_field_probes(conversation: int, parents: list[int]) -> st.SearchStrategy[Probe]:
    """Valid bodies with fields the doc does not name, some straight from the request schema (B4)."""
    with_extra = st.builds(lambda body, extra: {**extra, **body}, valid_bodies(parents), extra_fields())
    bodies = schema_bodies() | with_extra
    return bodies.map(lambda body: json_probe(UNKNOWN_FIELDS, conversation, body))


def schema_bodies() -> st.SearchStrategy[Body]:
    """Bodies generated from ``create-message-request.json`` itself, ``parent_id`` dropped (it would name nothing)."""
    return from_schema(schemas.load("create-message-request")).map(_without_parent)


def _without_parent(body: Any) -> Body:
    assert isinstance(body, dict)  # the request schema generates objects only
    # parent_id would name nothing; a key that folds to a documented one is read as it by Go.
    return {key: value for key, value in body.items() if key != "parent_id" and not folds_to_documented(key)}


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


def invalid_bodies(parents: list[int]) -> st.SearchStrategy[Any]:
    """JSON documents outside the request schema (DERIVATION.md, B2-B3): no string message, or an odd parent_id."""
    no_message = st.fixed_dictionaries({}, optional={"parent_id": st.none() | st.integers(1, 10)})
    bad_message = st.fixed_dictionaries({"message": _NOT_STRING})
    not_object = st.one_of(st.lists(st.text(max_size=3), max_size=2), st.text(max_size=5), st.integers(), st.none())
    odd_parent = _NOT_PARENT | st.sampled_from([str(parent) for parent in parents] or ["1"])
    bad_parent = st.fixed_dictionaries({"message": st.text(max_size=10), "parent_id": odd_parent})
    return st.one_of(no_message, bad_message, bad_parent, not_object)


#: What each class of probe is, in reports (a failure's title starts with it).
NO_MESSAGE = "a body without a string message"
ODD_PARENT = "a parent_id that is not an integer"
IMPOSSIBLE_PARENT = "a reply to a parent that cannot exist"
MALFORMED = "malformed JSON"
NOT_JSON = "a body not sent as application/json"
ODD_CONVERSATION = "a conversation id other than digits from 1 to 2^63-1"


def _body_class(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        parent = body.get("parent_id")
        return IMPOSSIBLE_PARENT if isinstance(parent, int) and not isinstance(parent, bool) else ODD_PARENT
    return NO_MESSAGE


def body_probes(conversation: int, parents: list[int]) -> st.SearchStrategy[Probe]:
    """Probes of bodies outside the schema, sent to ``conversation``."""
    return invalid_bodies(parents).map(lambda body: json_probe(_body_class(body), conversation, body))


def boundary_bodies(conversation: int, anchor: int) -> tuple[Probe, ...]:
    """The canonical bodies outside the schema: each a rejection class, or a reading a lenient server makes."""
    bodies: list[Any] = [
        {},
        {"parent_id": None},
        {"parent_id": anchor},
        {"message": None},
        {"message": 1},
        {"message": True},
        {"message": ["x"]},
        {"message": {}},
        [],
        ["message"],
        "message",
        None,
        {"MESSAGE": "a key in upper case"},
        {"Message": "a key in title case", "Parent_Id": anchor},
    ]
    bodies += [
        {"message": "an odd parent_id", "parent_id": parent}
        for parent in ("1", str(anchor), " 1", "abc", "", True, False, 1.5, [anchor], {"id": anchor})
    ]
    bodies += [{"message": "a parent that cannot exist", "parent_id": parent} for parent in (0, -1, MAX_ID + 1, 2**64)]
    return tuple(json_probe(_body_class(body), conversation, body) for body in bodies)


def malformed_json(conversation: int) -> st.SearchStrategy[Probe]:
    """Probes of bytes sent as ``application/json`` that are not strict JSON (DERIVATION.md, B1, B6)."""
    valid = st.builds(lambda text: dumps({"message": text}), st.text(max_size=20))
    truncated = st.builds(lambda raw, cut: raw[: cut % len(raw)], valid, st.integers(0, 100))
    bad_bytes = st.sampled_from(
        [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\x80", b"\xc0\xaf"]
    )
    text = st.text(max_size=8).map(lambda t: json.dumps(t)[1:-1].encode())
    invalid_utf8 = st.builds(lambda a, bad, b: b'{"message": "' + a + bad + b + b'"}', text, bad_bytes, text)
    trailing = st.builds(lambda raw, tail: raw + tail, valid, st.sampled_from([b" trailing", b"{}", b"\x00", b"]"]))
    pair = (st.text(max_size=8), st.text(max_size=8))
    duplicates = st.builds(lambda a, b: b'{"message": ' + dumps(a) + b', "message": ' + dumps(b) + b"}", *pair)
    raw = st.one_of(truncated, invalid_utf8, trailing, duplicates)
    return raw.map(lambda content: Probe(MALFORMED, str(conversation), content))


def boundary_json(conversation: int) -> tuple[Probe, ...]:
    """The canonical malformed bodies, NaN and Infinity among them; JSON5 forms with the reading they would have."""
    where = str(conversation)
    raws = [
        b"",
        b"{",
        b"}",
        b'{"message": "cut short',
        b'{"message": NaN}',
        b'{"message": Infinity}',
        b'{"message": -Infinity}',
        b'{"message": "NaN parent", "parent_id": NaN}',
        b'{"message": "NaN in an unknown field", "score": NaN}',
        b"nul\x00l",
        b"[1,]",
        b'{"message": "\xff\xfe"}',
        b'{"message": "\xc3\x28 after a bad lead byte"}',
        b'{"message": "\xed\xa0\x80 an encoded surrogate"}',
        b'{"message": "\xf0\x9f\x98 a cut-off emoji"}',
        b'\xef\xbb\xbf{"message": "after a byte-order mark"}',
        b'{"message": "first", "message": "last"}',
        b'{"message": "trailing data"} trailing',
        b'{"message": "first document"}{"message": "second document"}',
    ]
    json5 = {
        b"{'message': 'single quotes'}": "single quotes",
        b'{"message": "trailing comma",}': "trailing comma",
        b'{message: "unquoted key"}': "unquoted key",
        b'{"message": "a comment" /* here */}': "a comment",
    }
    probes = [Probe(MALFORMED, where, raw) for raw in raws]
    probes += [
        Probe(MALFORMED, where, raw, extra=(Reading(text, conversation, None, "accepts JSON5 syntax"),))
        for raw, text in json5.items()
    ]
    return tuple(probes)


#: Content types every run sends (its boundary phase); ``content_types`` generates more from the grammar.
_CONTENT_TYPES = (
    None,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "application/json; charset=x-unknown",
    "text/plain; charset=",
    "application/xml",
    "text/json",
    "application/merge-patch+json",
)


#: Characters of a token (RFC 9110, 5.6.2), for names and values.
_TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Media types a client may send a JSON body under by mistake, or a form parser takes: the generator's start.
_MEDIA = (
    "text/plain",
    "text/json",
    "text/html",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/mixed",
    "application/xml",
    "application/octet-stream",
    "application/merge-patch+json",
    "application/vnd.api+json",
    "application/json-patch+json",
)


def _cased(text: str) -> st.SearchStrategy[str]:
    """``text`` with any letters' case changed (media types and parameter names are case-insensitive)."""
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda flips: "".join(c.upper() if flip else c for c, flip in zip(text, flips, strict=True))
    )


def _parameter() -> st.SearchStrategy[str]:
    """A parameter as clients and attackers write them: well formed, empty, unquoted, badly quoted."""
    name = st.sampled_from(("charset", "boundary", "q", "version", "profile")) | st.text(_TCHAR, min_size=1, max_size=6)
    value = st.one_of(
        st.text(_TCHAR, min_size=1, max_size=12),
        st.sampled_from(("utf-8", "UTF-16", "latin1", "x", "", '"', '"unclosed', '""', '"a b"', "a;b")),
        st.text(_TCHAR + " ", max_size=10).map(lambda v: f'"{v}"'),
    )
    return st.one_of(
        st.builds(lambda n, v: f"{n}={v}", name.flatmap(_cased), value),
        name,  # no "=": a boundary with no value
        st.just(""),  # an empty parameter: "text/plain;"
    )


def content_types() -> st.SearchStrategy[str | None]:
    """``Content-Type`` values from the header's grammar (RFC 9110, 8.3), as generators make bodies: a media type
    with or without parameters (``boundary`` and ``charset`` missing, empty or malformed), odd casing and spacing,
    several values in one header, or none at all. The checks judge each by ``domain.outside``, whatever it is."""
    space = st.sampled_from(("", " ", "  ", "\t"))
    media = st.sampled_from(_MEDIA).flatmap(_cased) | st.builds(
        lambda t, sub: f"{t}/{sub}", st.text(_TCHAR, min_size=1, max_size=8), st.text(_TCHAR, min_size=1, max_size=8)
    )
    one = st.builds(
        lambda m, params, before, after: m + "".join(f"{before};{after}{p}" for p in params),
        media,
        st.lists(_parameter(), max_size=3),
        space,
        space,
    )
    several = st.lists(one, min_size=2, max_size=3).map(", ".join)
    # A field value starts and ends with no white space (RFC 9110, 5.5): that much every client ensures.
    return st.one_of(st.sampled_from(_CONTENT_TYPES), one.map(str.strip), several.map(str.strip))


def non_json_bodies(conversation: int) -> st.SearchStrategy[Probe]:
    """Probes of a valid JSON body sent with another content type, or none (DERIVATION.md, B1)."""
    return st.builds(
        lambda content_type, text: Probe(NOT_JSON, str(conversation), dumps({"message": text}), content_type),
        content_types(),
        st.text(max_size=20),
    )


def boundary_content_types(conversation: int) -> tuple[Probe, ...]:
    """Each content type once, with a valid body."""
    return tuple(
        Probe(
            NOT_JSON,
            str(conversation),
            dumps({"message": f"sent as {content_type or 'no content type'}"}),
            content_type,
        )
        for content_type in _CONTENT_TYPES
    )


def odd_conversations(conversation: int) -> st.SearchStrategy[Probe]:
    """Probes of path segments that are not plain digits from 1 to 2^63-1 (P1, P2).

    Most name no conversation (zero, negative, fractional, words, beyond 64 bits); the others
    spell ``conversation`` another way, so that a server that reads them writes only there.
    """
    impossible = st.one_of(
        st.just("0"),
        st.integers(max_value=-1).map(str),
        st.integers(min_value=2**64).map(str),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()).map(repr),
        st.sampled_from(IMPOSSIBLE_SEGMENTS),
    )
    segments = impossible | st.sampled_from(spellings(conversation))
    return st.builds(
        lambda segment, text: Probe(ODD_CONVERSATION, segment, dumps({"message": text})), segments, st.text(max_size=10)
    )


IMPOSSIBLE_SEGMENTS = ("abc", "one", "%20", "1%2C2", "null", "true", "NaN", "Infinity", "-0", "1.5")


def boundary_conversations(conversation: int) -> tuple[Probe, ...]:
    """Zero, negative, fractional, words, 2^63 and 2^64, then the other spellings of ``conversation``."""
    segments = ("0", "-1", str(MAX_ID + 1), str(2**64), *IMPOSSIBLE_SEGMENTS, *spellings(conversation))
    return tuple(Probe(ODD_CONVERSATION, segment, dumps({"message": f"posted to {segment}"})) for segment in segments)
