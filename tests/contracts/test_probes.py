"""Readings: what a correct server may make of a request the doc gives no answer for, named case by case."""

import pytest

from message_api_kit.contracts.probes import (
    Probe,
    Reading,
    conversation_readings,
    json_probe,
    parent_readings,
    spellings,
)

C = 7


def readings(raw, content_type="application/json", conversation=str(C)):
    probe = Probe("x", conversation, raw, content_type)
    return {(r.message, r.conversation, r.parent, r.lenient) for r in probe.readings}


def texts(raw, **kwargs):
    return {message for message, *_ in readings(raw, **kwargs)}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b'{"message": "cut',
        b"{}",
        b'{"parent_id": 1}',
        b'{"message": null}',
        b'{"message": 5}',
        b'{"message": NaN}',
        b'{"message": "x", "parent_id": NaN}',
        b'{"message": "x", "parent_id": 1.5}',
        b'{"message": "x", "parent_id": "abc"}',
        b'{"message": "x", "parent_id": [1]}',
        b"[]",
        b'"message"',
        b"nul\x00l",
    ],
)
def test_requests_with_no_reading_must_be_refused(raw):
    assert readings(raw) == set()


@pytest.mark.parametrize("parent", [0, -1, 2**63, 2**64, False, "0", "-3"])
def test_a_parent_that_cannot_name_a_message_has_no_reading(parent):
    assert parent_readings(parent) == ()
    assert json_probe("x", C, {"message": "x", "parent_id": parent}).readings == ()


def test_a_valid_body_has_its_plain_reading_only():
    assert readings(b'{"message": "hi", "parent_id": 3}') == {("hi", C, 3, None)}
    assert readings(b'{"message": "hi", "parent_id": null}') == {("hi", C, None, None)}
    assert readings(b'{"message": "hi", "parent_id": 3.0}') == {("hi", C, 3, None)}  # Draft 7: an integer


def test_invalid_utf8_is_mended_every_way_decoders_mend_it():
    found = texts(b'{"message": "\xf0\x9f\x98!"}')
    assert "\ufffd!" in found  # Express, Python: one U+FFFD per maximal bad subsequence
    assert "\ufffd\ufffd\ufffd!" in found  # Go: one per byte
    assert "\udcf0\udc9f\udc98!" in found  # kept as escaped surrogates
    kept = ("\ud800", C, None, "keeps encoded surrogates as escaped surrogates")
    assert kept in readings(b'{"message": "\xed\xa0\x80"}')


@pytest.mark.parametrize(
    ("raw", "message", "lenient"),
    [
        (b'{"message": "a"} trailing', "a", "reads the first JSON value and ignores what follows"),
        (b'{"message": "a"}{"message": "b"}', "a", "reads the first JSON value and ignores what follows"),
        (b'{"message": "a", "message": "b"}', "a", "takes the first of duplicate keys"),
        (b'{"message": "a", "message": "b"}', "b", None),  # what the fake and most decoders do
        (b'{"message": "a", "n": NaN}', "a", "accepts NaN and Infinity (a JSON extension)"),
        (b'\xef\xbb\xbf{"message": "a"}', "a", "ignores a byte-order mark"),
        (b'{"MESSAGE": "a"}', "a", "matches keys case-insensitively ('MESSAGE' read as message)"),
    ],
)
def test_lenient_decoders_have_their_readings(raw, message, lenient):
    assert (message, C, None, lenient) in readings(raw)


def test_a_key_in_another_case_may_be_the_parent_or_an_unknown_field():
    found = readings(b'{"message": "a", "Parent_ID": 4}')
    assert ("a", C, None, None) in found  # an unknown field, ignored (B4)
    assert ("a", C, 4, "matches keys case-insensitively ('Parent_ID' read as parent_id)") in found


def test_a_coercible_parent_is_read_as_its_integer():
    assert parent_readings("12") == ((12, "reads a string parent_id as the integer it spells"),)
    assert parent_readings(True) == ((1, "reads a boolean parent_id as 0 or 1"),)


def test_another_content_type_is_read_as_json_leniently():
    assert readings(b'{"message": "a"}', content_type="text/plain") == {
        ("a", C, None, "reads a body sent as text/plain as JSON")
    }
    assert readings(b'{"message": "a"}', content_type=None) == {
        ("a", C, None, "reads a body sent as no content type as JSON")
    }
    assert readings(b'{"message": "a"}', content_type="Application/JSON; charset=utf-8") == {("a", C, None, None)}


@pytest.mark.parametrize(
    ("segment", "number", "plain"),
    [
        ("7", 7, True),
        ("007", 7, True),
        ("+7", 7, False),
        ("0x7", 7, False),
        ("7.0", 7, False),
        ("7e0", 7, False),
        ("%207", 7, False),
        ("1e3", 1000, False),
        ("1_000", 1000, False),
    ],
)
def test_spellings_of_a_number_read_as_it(segment, number, plain):
    # (a leading zero is also octal to Ruby's Integer(), but 007 is 7 either way)
    ((found, how),) = conversation_readings(segment)
    assert found == number
    assert (how is None) == plain


def test_a_leading_zero_may_be_read_as_octal():
    assert conversation_readings("0010") == ((10, None), (8, "reads the path's '0010' as octal (Ruby's Integer())"))


@pytest.mark.parametrize(
    "segment", ["0", "-1", "-0", "1.5", "abc", "NaN", "Infinity", "%20", "1%2C2", str(2**63), str(2**64), ""]
)
def test_segments_that_name_no_conversation_have_no_reading(segment):
    assert conversation_readings(segment) == ()


@pytest.mark.parametrize("conversation", [1, 812, 2**53 - 1, 2**62])
def test_spellings_of_the_run_conversation_read_back_as_it(conversation):
    # A lenient server that accepts them writes only to the conversation the run was given.
    for segment in spellings(conversation):
        assert [number for number, _ in conversation_readings(segment)] == [conversation], segment


def test_extra_readings_join_the_derived_ones():
    extra = Reading("single quotes", C, None, "accepts JSON5 syntax")
    probe = Probe("x", str(C), b"{'message': 'single quotes'}", extra=(extra,))
    assert probe.readings == (extra,)


def test_a_probe_prints_as_its_request_cut_short():
    # Hypothesis prints every explicit example as it runs it: a probe's print stays short however long its body.
    from hypothesis.vendor.pretty import pretty

    shown = pretty(Probe("a long message", "1", b'{"message": "' + b"x" * 100_000 + b'"}', extra=(Reading("x", 1),)))
    assert shown.startswith("Probe('a long message', '1', b'{\"message\": \"xxx") and len(shown) < 400
    assert "(100015 bytes), 'application/json', +1 readings)" in shown
