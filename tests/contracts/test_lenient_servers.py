"""Correct servers that are not the fake pass by default; --strict fails the lenient ones, and only those."""

import pytest

from tests.conftest import contract_seeds
from tests.contracts.in_process import run_against
from tests.contracts.lenient_fakes import DIFFERENT_FAKES, LENIENT_FAKES


def failures(report):
    return "\n".join(report.failure_text(r) for r in report.results if r.status != "passed")


#: What the report must name for each leniency: found by the boundary phase, so at every seed.
NAMED = {
    "replace-decoding": ("decodes invalid UTF-8 as U+FFFD",),
    "per-byte-replace-decoding": ("decodes invalid UTF-8 as U+FFFD, one per byte",),
    "no-content-type-check": ("reads a body sent as text/plain as JSON",),
    "numeric-path": ("reads the path's '0x1' as the number 1",),
    "first-value-decoding": ("reads the first JSON value and ignores what follows",),
    "first-duplicate-key": ("takes the first of duplicate keys",),
    "case-insensitive-keys": ("matches keys case-insensitively ('MESSAGE' read as message)",),
    "coercing-parent-id": (
        "reads a string parent_id as the integer it spells",
        "reads a boolean parent_id as 0 or 1",
    ),
    "nan-accepting": ("accepts NaN and Infinity (a JSON extension)",),
    "bom-skipping": ("ignores a byte-order mark",),
    "message-scalars-coerced": ("a body without a string message: creates a message (message is not a string)",),
    "parent-id-coerced-loosely": ("a parent_id that is not an integer: creates a message",),
    "odd-parent-id-ignored": ("a parent_id that is not an integer: creates a message",),
    "question-mark-decoding": ("malformed JSON: creates a message (the body is not strict JSON (invalid UTF-8))",),
    "text-body-as-message": ("creates a message (the content type is not application/json)",),
    "unknown-fields-refused": ("fields the doc does not name: refused, where the project's rules create it",),
}


@pytest.mark.parametrize("seed", contract_seeds())
@pytest.mark.parametrize("name", sorted(LENIENT_FAKES))
def test_a_lenient_server_passes_with_its_choices_noted(name, seed):
    report = run_against(LENIENT_FAKES[name](), seed)
    assert report.exit_code == 0, failures(report)
    assert report.notes, f"{name}: nothing noted, so the boundary phase never met its leniency"
    text = report.notes_text()
    assert text.startswith("The server is lenient here")
    assert all(note.what in text for note in report.notes)
    for noted in NAMED.get(name, ()):
        assert any(noted in note.what for note in report.notes), (noted, [note.what for note in report.notes])


def test_every_leniency_named_is_a_server_of_the_corpus():
    assert set(NAMED) <= set(LENIENT_FAKES)


@pytest.mark.parametrize("name", sorted(LENIENT_FAKES))
def test_strict_fails_a_lenient_server(name):
    report = run_against(LENIENT_FAKES[name](), seed=0, strict=True)
    assert report.exit_code == 1
    titles = [f.title for r in report.results for f in r.failures]
    assert titles and all(title.startswith("lenient (--strict): ") for title in titles), titles


@pytest.mark.parametrize("seed", contract_seeds())
@pytest.mark.parametrize("name", sorted(DIFFERENT_FAKES))
def test_a_server_that_differs_where_the_doc_allows_passes_even_strict(name, seed):
    # Under --strict only: it sends what a default run sends and fails more, so passing it passes both.
    report = run_against(DIFFERENT_FAKES[name](), seed, strict=True)
    assert report.exit_code == 0, failures(report)
    assert report.notes == []


def _detail(report, sent):
    return next(note.detail for note in report.notes if note.exchange.request_body == sent)


def test_a_note_says_what_was_stored_and_flags_an_invented_value():
    report = run_against(LENIENT_FAKES["message-scalars-coerced"](), seed=0)
    assert _detail(report, b'{"message": null}') == 'stored message "" (a value the request does not hold), a root'
    assert "stored message" in report.notes_text()


def test_bad_bytes_mended_into_any_character_are_held_not_invented():
    report = run_against(LENIENT_FAKES["question-mark-decoding"](), seed=0)
    assert _detail(report, b'{"message": "\xff\xfe"}') == 'stored message "??", a root'


def test_a_parent_id_read_loosely_is_noted_with_the_reply_it_made():
    # One note per kind: the first request of the kind is the one shown.
    report = run_against(LENIENT_FAKES["parent-id-coerced-loosely"](), seed=0)
    assert _detail(report, b'{"message": "an odd parent_id", "parent_id": "1"}') == (
        'stored message "an odd parent_id", a reply to 1'
    )
