"""The proof of the registry: an operation declared in the tests only is checked, diffed, profiled and watched.

``list_messages.py`` declares ``GET /conversations/{conversation}/messages?limit=`` and its
contract; nothing outside these two files knows it. Counts come from the registry.
"""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from flask import Flask

from message_api_kit.contracts import RunConfig, run
from message_api_kit.contracts.cli import main
from message_api_kit.contracts.diff import CONTRACT, run_diff
from message_api_kit.contracts.profile import observe
from message_api_kit.contracts.registry import default_registry
from message_api_kit.contracts.transport import Transport
from message_api_kit.mockserver import LiveServer, MockConfig, create_app
from message_api_kit.mockserver.profile import Profile
from message_api_kit.mockserver.validation import validate
from tests.contracts import list_messages
from tests.contracts.list_messages import CONTRACT as LIST
from tests.contracts.list_messages import LIST_MESSAGES, REGISTRY, with_list

pytestmark = pytest.mark.slow

BASE = "http://127.0.0.1"
LIST_CHECKS = {check.name for check in LIST.checks}
ALL_CHECKS = {check.name for check in REGISTRY.checks}


def client_of(app: Flask) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE)


def contract_run(app: Flask, **config: object) -> object:
    settings = {"base_url": BASE, "conversation": 1, "other_conversation": 2, "seed": 0, "max_examples": 3}
    with client_of(app) as client:
        return run(RunConfig(registry=REGISTRY, **{**settings, **config}), client=client)  # type: ignore[arg-type]


# -- a contract run ----------------------------------------------------------------------------------


def test_a_run_checks_the_second_operation_and_operations_selects():
    report = contract_run(with_list(), operations=(LIST_MESSAGES.id,))
    assert {r.check.name for r in report.results} == LIST_CHECKS
    assert all(r.status == "passed" for r in report.results), report.summary()
    assert all(r.requests > 0 for r in report.results)

    report = contract_run(with_list())
    assert {r.check.name for r in report.results} == ALL_CHECKS
    assert report.exit_code == 0, report.summary()

    only_creation = contract_run(with_list(), operations=("createMessage",), checks=("conformance",))
    assert [r.check.name for r in only_creation.results] == ["conformance"]


@pytest.mark.parametrize(
    ("broken", "title"),
    [({"newest_first": False}, "not newest first"), ({"honour_limit": False}, "more messages than limit")],
)
def test_a_run_fails_a_list_that_breaks_its_doc_and_says_how(broken, title):
    report = contract_run(with_list(**broken), operations=(LIST_MESSAGES.id,))
    failures = [f for r in report.results for f in r.failures]
    assert report.exit_code == 1
    assert any(title in f.title or (title == "not newest first" and "newest not first" in f.title) for f in failures)


def test_a_server_without_the_second_operation_fails_only_its_checks():
    report = contract_run(create_app(), checks=("conformance", *LIST_CHECKS))
    by_name = {r.check.name: r for r in report.results}
    assert by_name["conformance"].status == "passed"
    listing = by_name["list-newest-first"]
    assert listing.status == "failed" and [f.title for f in listing.failures] == ["list refused"]
    assert "got 405" in listing.failures[0].detail
    # A bad limit refused with a 4xx keeps the contract, even a 405: the doc asks a refusal, not which.
    assert by_name["list-limit-bounds"].status == "passed"


def test_the_command_line_selects_operations_of_the_registry_it_is_given(capsys):
    assert main(["--list-checks"], registry=REGISTRY) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ALL_CHECKS) and f"{LIST_MESSAGES.id} (GET" in listed

    args = ["--base-url", BASE, "--conversation", "1", "--dry-run", "--operations", LIST_MESSAGES.id]
    assert main(args, registry=REGISTRY) == 0
    planned = capsys.readouterr().out
    assert f"{len(LIST_CHECKS)} checks of {LIST_MESSAGES.id}" in planned
    assert all(name in planned for name in LIST_CHECKS)
    assert not any(name in planned for name in ALL_CHECKS - LIST_CHECKS)

    # The kit's own registry does not know it: said, with the operations it knows.
    assert main(args) == 2
    said = capsys.readouterr().err
    assert f"unknown operation(s): {LIST_MESSAGES.id}" in said and ", ".join(default_registry().ids) in said


# -- contracts diff and its profile ------------------------------------------------------------------


def diff(real: Flask, fake: Flask, **options: object):
    with client_of(real) as r, client_of(fake) as f:
        transports = [Transport(BASE, {}, 10.0, None, client=c) for c in (r, f)]
        return run_diff(*transports, 1, 2, seed=0, examples=2, registry=REGISTRY, **options)  # type: ignore[arg-type]


def test_the_diff_compares_the_second_operation_and_judges_each_side_by_its_contract():
    classes = {step.request_class for program in LIST.programs(0, 2) for step in program}
    same = diff(with_list(), with_list(), operations=(LIST_MESSAGES.id,))
    assert {p.request_class for p in same.pairs} == classes
    assert same.exit_code == 0 and not [d for p in same.pairs for d in p.differences]

    drifted = diff(with_list(newest_first=False), with_list())
    broken = [p for p in drifted.pairs if p.request_class in classes and p.broken]
    assert broken and all(set(p.broken) == {"real"} for p in broken)
    assert all(p.differences[0].category == CONTRACT for p in broken)
    assert drifted.exit_code == 1


def test_a_profile_keys_each_refusal_by_its_operation_and_never_answers_another_operation_with_it():
    refusal = {"error": "limit out of range"}
    report = diff(with_list(refusal=refusal), with_list())
    profile = observe(report)
    validate("profile", profile)
    listed = [a for a in profile["answers"] if a["request"]["operation"] == LIST_MESSAGES.id]
    assert listed and all(a["answer"]["body"] == refusal for a in listed)
    bounds = list_messages.LIMIT_SCHEMA
    assert {a["request"]["query"] for a in listed} == {
        f"limit={bounds['minimum'] - 1}",
        f"limit={bounds['maximum'] + 1}",
    }

    # A creation with no body and no Content-Type: the list's request has the same conversation, media type
    # and body. Keyed by operation, the calibrated fake answers it as a creation; keyed as before, the list's 400.
    calibrated = create_app(MockConfig(profile=Profile.from_json(profile)))
    with client_of(calibrated) as client:
        answer = client.post("/conversations/1/messages", content=b"")
    assert answer.json() != refusal and answer.status_code in (400, 415)

    as_before = [
        {**a, "request": {k: v for k, v in a["request"].items() if k not in ("operation", "query")}} for a in listed
    ]
    unkeyed = {**profile, "answers": as_before}
    with client_of(create_app(MockConfig(profile=Profile.from_json(unkeyed)))) as client:
        assert client.post("/conversations/1/messages", content=b"").json() == refusal


# -- --watch -----------------------------------------------------------------------------------------


@contextmanager
def watching(real: Flask, **given: object) -> Iterator[httpx.Client]:
    with LiveServer(real) as upstream:
        proxy = create_app(MockConfig(upstream=upstream.url, watch=True), **given)  # type: ignore[arg-type]
        with client_of(proxy) as client:
            yield client


def made_and_listed(client: httpx.Client) -> list[dict]:
    for text in ("one", "two", "three"):
        assert client.post("/conversations/1/messages", json={"message": text}).status_code in (200, 201)
    assert client.get("/conversations/1/messages", params={"limit": 2}).status_code == 200
    return client.get("/__mock__/journal").json()["entries"]


def test_the_watch_judges_the_second_operation_by_its_own_verdict():
    with watching(with_list(), contracts=REGISTRY) as client:
        journal = made_and_listed(client)
        violations = client.get("/__mock__/violations").json()
    lists = [e for e in journal if e["method"] == "GET" and e["path"] == "/conversations/1/messages"]
    assert [e["verdict"] for e in lists] == ["kept"]
    assert violations["violations"] == [] and violations["judged"] == 4

    with watching(with_list(newest_first=False), contracts=REGISTRY) as client:
        made_and_listed(client)
        violations = client.get("/__mock__/violations").json()["violations"]
    assert [(v["method"], v["rule"], v["title"]) for v in violations] == [("GET", "L3", "not newest first")]

    # A watch not given the operation passes it on unjudged, as any route the kit does not know.
    with watching(with_list(newest_first=False)) as client:
        journal = made_and_listed(client)
        violations = client.get("/__mock__/violations").json()
    assert violations["violations"] == [] and violations["judged"] == 3
    assert [e["verdict"] for e in journal if e["method"] == "GET" and e["path"].endswith("/messages")] == [""]


# -- contracts replay --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def list_journal(tmp_path_factory) -> str:
    """An app's traffic to the fake that lists: creations, a list, and a bad limit the fake refused."""
    with client_of(with_list()) as app:
        for text in ("one", "two", "three"):
            app.post("/conversations/7/messages", json={"message": text})
        app.get("/conversations/7/messages", params={"limit": 2})
        assert app.get("/conversations/7/messages", params={"limit": 0}).status_code == 400
        text = app.get("/__mock__/journal").text
    path = tmp_path_factory.mktemp("journal") / "journal.json"
    path.write_text(text)
    return str(path)


def replayed(journal: str, app: Flask, *args: str, registry: object = REGISTRY) -> tuple[int, dict[str, str]]:
    """The replay's exit code and each request's outcome, by its JUnit case name."""
    with LiveServer(app) as real, tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "replay.xml"
        argv = ["replay", journal, "--base-url", real.url, "--conversation", "1", "--junit-xml", str(junit), *args]
        code = main(argv, registry=registry)  # type: ignore[arg-type]
        cases = ET.parse(junit).getroot().iter("testcase")
        return code, {case.get("name", ""): _outcome(case) for case in cases}


def _outcome(case: ET.Element) -> str:
    for kind in ("failure", "skipped"):
        found = case.find(kind)
        if found is not None:
            return f"{kind}: {found.get('message')}"
    return "passed"


def test_a_replay_sends_and_judges_the_second_operation_by_its_own_verdict(list_journal):
    code, outcomes = replayed(list_journal, with_list())
    lists = {name: outcome for name, outcome in outcomes.items() if name.split()[1] == "GET"}
    assert code == 0, outcomes
    assert sorted(lists.values()) == ["passed", "skipped: the fake refused it (400): outside the documented domain"]

    code, outcomes = replayed(list_journal, with_list(newest_first=False))
    assert code == 1
    failed = [outcome for outcome in outcomes.values() if outcome.startswith("failure")]
    assert len(failed) == 1 and "not newest first" in failed[0], outcomes

    # Left out by --operations, or unknown to the registry given: skipped, each saying why.
    _, outcomes = replayed(list_journal, with_list(), "--operations", "createMessage")
    assert {o for n, o in outcomes.items() if n.split()[1] == "GET"} == {
        "skipped: listMessages: not chosen (--operations)"
    }
    _, outcomes = replayed(list_journal, with_list(), registry=None)
    assert {o for n, o in outcomes.items() if n.split()[1] == "GET"} == {"skipped: not an operation the kit declares"}


def test_the_second_operation_is_the_tests_own():
    assert LIST_MESSAGES.id not in default_registry().ids
    assert list_messages.REGISTRY.get(LIST_MESSAGES.id) is LIST
