"""``contracts diff``: the fake against servers that choose differently where the doc is silent."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from message_api_kit import schemas
from message_api_kit.contracts.cli import main
from message_api_kit.contracts.diff import DiffReport, run_diff
from message_api_kit.contracts.profile import observe
from message_api_kit.contracts.transport import Transport
from message_api_kit.mockserver import MockConfig, create_app
from message_api_kit.mockserver.profile import Profile
from tests.conftest import contract_seeds
from tests.contracts.broken_fakes import BROKEN_FAKES
from tests.contracts.lenient_fakes import DIFFERENT_FAKES, LENIENT_FAKES
from tests.contracts.test_catches_broken_fakes import run_against

REAL, FAKE = "http://127.0.0.1", "http://localhost"


def transport(app: Callable[..., Any], base: str) -> Transport:
    return Transport(base, client=httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base))


def diff(real: Callable[..., Any], fake: Callable[..., Any] | None = None, seed: int = 0) -> DiffReport:
    return run_diff(transport(real, REAL), transport(fake or create_app(), FAKE), 1, 2, seed, examples=4)


def kinds(report: DiffReport) -> set[tuple[str, str]]:
    return set(report.groups())


REFUSALS = [
    "malformed JSON",
    "invalid body",
    "not JSON",
    "bad conversation id",
    "unknown parent",
    "parent in another conversation",
]
CREATIONS = ["root", "reply", "lenient: unknown fields", "lenient: duplicate keys"]

#: Each "real" server and exactly the differences the diff must report for it.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "created-with-200": {(c, "status") for c in CREATIONS},
    "parent-as-id": {("reply", "parent form")},
    "type-message": {(c, "value") for c in CREATIONS},
    "errors-as-error-objects": {
        *((c, k) for c in REFUSALS for k in ("content type", "error body")),
        *((c, "status") for c in REFUSALS if c not in ("malformed JSON",)),
        *(
            (c, k)
            for c in ("lenient: parent_id as a string", "lenient: key in another case")
            for k in ("status", "content type", "error body")
        ),
        *((c, k) for c in ("lenient: NaN parent", "lenient: byte-order mark") for k in ("content type", "error body")),
    },
}


@pytest.mark.parametrize("seed", contract_seeds())
def test_the_fake_against_itself_differs_in_nothing(seed):
    report = diff(create_app(), seed=seed)
    assert report.groups() == {} and report.exit_code == 0
    assert len(report.pairs) >= 27  # every class was sent


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_difference_of_a_real_server_is_reported_and_nothing_else(name):
    report = diff(DIFFERENT_FAKES[name]())
    assert kinds(report) == EXPECTED[name]
    assert report.exit_code == 1


def test_a_type_difference_names_both_values():
    report = diff(DIFFERENT_FAKES["type-message"]())
    (_, difference), *_ = report.groups()[("root", "value")]
    assert (difference.what, difference.real, difference.fake) == ("type", "message", "text")


@pytest.mark.parametrize("name", sorted(DIFFERENT_FAKES))
def test_after_calibration_with_its_profile_the_fake_answers_as_the_real_server_does(name):
    learned = observe(diff(DIFFERENT_FAKES[name]()))
    schemas.validator("profile").validate(learned)
    calibrated = create_app(MockConfig(profile=Profile.from_json(learned)))
    assert diff(DIFFERENT_FAKES[name](), calibrated).groups() == {}


def test_what_a_profile_cannot_copy_stays_reported_as_lenient_and_the_default_passes():
    # FastAPI-like: its lenient parser reads inputs the fake refuses; a profile records, not copies, them.
    real = LENIENT_FAKES["fastapi-like"]
    learned = observe(diff(real()))
    assert "byte-order mark" in learned["lenient"]  # it reads a body after a BOM; the fake refuses it
    after = diff(real(), create_app(MockConfig(profile=Profile.from_json(learned))))
    assert set(after.groups()) == {("lenient: byte-order mark", "accepted by one, refused by the other")}
    [(_, difference)] = after.groups()[("lenient: byte-order mark", "accepted by one, refused by the other")]
    assert difference.category == "lenient"  # a request outside the documented domain: the server's reading
    assert after.fail_on == "choice" and after.exit_code == 0  # the default: a calibrated fake diffs green
    after.fail_on = "any"
    assert after.exit_code == 1


def test_a_choice_the_doc_leaves_open_counts_by_default_until_calibrated_and_never_as_contract():
    real = DIFFERENT_FAKES["created-with-200"]
    before = diff(real())
    assert before.exit_code == 1  # 200 against 201: the doc allows both; the fake is not yet calibrated
    categories = {
        (request_class, d.category) for (request_class, _), found in before.groups().items() for _, d in found
    }
    assert categories == {(c, "choice") for c in CREATIONS}
    before.fail_on = "contract"
    assert before.exit_code == 0  # a contract run passes a server answering 200: so does the diff
    after = diff(real(), create_app(MockConfig(profile=Profile.from_json(observe(before)))))
    assert after.groups() == {} and after.exit_code == 0


def _categories(report: DiffReport, request_class: str) -> set[str]:
    return {d.category for (name, _), found in report.groups().items() if name == request_class for _, d in found}


@pytest.mark.parametrize(
    ("server", "request_class", "category"),
    [
        # {"message": 5} created with "message": 5: outside the domain, a whole creation; the run notes it.
        ("message-scalars-coerced", "invalid body", "lenient"),
        # A string parent_id taken (as a root): outside the domain; the run notes it.
        ("odd-parent-id-ignored", "lenient: parent_id as a string", "lenient"),
        # A string parent_id read as the message it spells, in the other conversation: its 409, the fake's 422.
        ("coercing-parent-id", "lenient: parent_id as a string", "choice"),
        # Every refusal as a 422 with {"detail"}: the doc defines no error, so any 4xx keeps it.
        ("fastapi-like", "parent in another conversation", "choice"),
    ],
)
def test_the_diff_calls_contract_only_what_a_contract_run_fails(server, request_class, category):
    report = diff(LENIENT_FAKES[server]())
    assert _categories(report, request_class) == {category}
    assert not any(pair.broken for pair in report.pairs)


CORRECT = {**LENIENT_FAKES, **DIFFERENT_FAKES}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_no_correct_server_shows_a_contract_difference(name):
    # Servers the contract run passes (tests/contracts/test_lenient_servers.py): the diff agrees.
    report = diff(CORRECT[name]())
    assert [pair.broken for pair in report.pairs if pair.broken] == []
    report.fail_on = "contract"
    assert report.exit_code == 0


@pytest.mark.parametrize("name", sorted(BROKEN_FAKES))
def test_a_contract_difference_is_one_the_run_fails_the_real_server_for(name):
    report = diff(BROKEN_FAKES[name]())
    titles = {pair.broken["real"].title for pair in report.pairs if "real" in pair.broken}
    assert not any("fake" in pair.broken for pair in report.pairs)  # the fake keeps the contract
    if titles:  # the defect shows on the diff's requests: a contract run fails the server too
        assert run_against(BROKEN_FAKES[name](), seed=0).exit_code == 1
        report.fail_on = "contract"
        assert report.exit_code == 1


def test_a_contract_difference_says_which_side_broke_the_contract_and_why():
    from message_api_kit.contracts import diff_report

    report = diff(BROKEN_FAKES["conversation-id-off-by-one"]())
    text = diff_report.terminal(report)
    assert "the real server breaks the contract: wrong conversationId (R5): posted to 1, answer says 2" in text
    assert "contract" in {d.category for pair in report.pairs for d in pair.differences}


def test_a_request_the_doc_lets_a_server_refuse_or_create_differs_leniently():
    # A reply to a message the diff never made: only the server knows whether it exists. This one
    # has every message (it makes up the parent first), so it creates what the fake refuses.
    fake = create_app()
    admin = httpx.Client(transport=httpx.WSGITransport(app=fake), base_url=REAL)

    def has_every_parent(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            parent = json.loads(body).get("parent_id")
        except (ValueError, AttributeError):
            parent = None
        if isinstance(parent, int) and admin.get(f"/__mock__/messages/{parent}").status_code == 404:
            conversation = int(environ["PATH_INFO"].split("/")[2])
            made_up = {"messages": [{"id": parent, "conversation": conversation, "message": "made up"}]}
            assert admin.post("/__mock__/seed", json=made_up).is_success
        return fake(environ, start_response)

    report = diff(has_every_parent)
    found = {(kind, d.category) for (request_class, kind), pairs in report.groups().items() for _, d in pairs}
    assert ("accepted by one, refused by the other", "lenient") in found
    assert {request_class for request_class, _ in report.groups()} == {"unknown parent"}
    report.fail_on = "contract"
    assert report.exit_code == 0


def test_the_cli_writes_every_report_and_a_profile_the_fake_serves(tmp_path, capsys):
    from tests.serving import served

    with served("--no-demo") as fake, served("--no-demo") as real:
        code = main(
            [
                "diff",
                "--base-url",
                real.url,
                "--fake-url",
                fake.url,
                "--conversation",
                "1",
                "--other-conversation",
                "2",
                "--seed",
                "3",
                "--max-examples",
                "2",
                "--json",
                str(tmp_path / "d.json"),
                "--html",
                str(tmp_path / "d.html"),
                "--junit-xml",
                str(tmp_path / "d.xml"),
                "--write-profile",
                str(tmp_path / "p.json"),
            ]
        )
    out = capsys.readouterr().out
    assert code == 0 and "they agree" in out and "--seed 3" in out
    assert json.loads((tmp_path / "d.json").read_text())["differences"] == []
    assert "They agree." in (tmp_path / "d.html").read_text()
    assert 'failures="0"' in (tmp_path / "d.xml").read_text()
    profile = json.loads((tmp_path / "p.json").read_text())
    assert (profile["success_status"], profile["type"], profile["parent_form"]) == (201, "text", "object")
    with served("--no-demo", "--profile", str(tmp_path / "p.json")) as calibrated:
        made = httpx.post(f"{calibrated.url}/conversations/1/messages", json={"message": "hi"})
        assert made.status_code == 201 and made.json()["type"] == "text"


def test_a_difference_is_shown_side_by_side_with_a_curl_for_each_server(tmp_path):
    from message_api_kit.contracts import diff_report

    report = diff(DIFFERENT_FAKES["errors-as-error-objects"]())
    diff_report.write_html(report, tmp_path / "d.html")
    page = (tmp_path / "d.html").read_text()
    assert "Real server" in page and "Fake" in page and page.count("curl -i -X POST") >= 2
    assert "{&quot;message&quot;: &quot;orphan&quot;" in page and "<script" not in page  # escaped; nothing runs
    text = diff_report.terminal(report)
    assert "invalid body" in text and "exit 1" in text


def test_a_profile_that_breaks_its_schema_stops_the_fake_with_one_line(tmp_path, capsys):
    from message_api_kit.mockserver.cli import main as serve_main

    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"format": 1, "success_status": 204, "type": "text", "parent_form": "object", "rejections": {}})
    )
    assert serve_main(["serve", "--profile", str(path)]) == 2
    assert "/success_status" in capsys.readouterr().err


def test_the_refusal_classes_are_named_alike_by_the_schema_the_diff_and_the_fake():
    from message_api_kit.contracts.profile import REJECTIONS
    from message_api_kit.mockserver.profile import CLASSES

    declared = set(schemas.load("profile")["properties"]["rejections"]["propertyNames"]["enum"])
    assert set(REJECTIONS.values()) == declared == set(CLASSES)


def _fresh_request_of_each_class(client: httpx.Client) -> dict[str, tuple[str, str, bytes, str]]:
    """A request of each refusal class with bytes the diff never sends (its parents made on ``client``'s server)."""
    elsewhere = client.post("/conversations/2/messages", json={"message": "over there"}).json()["id"]
    body = json.dumps({"message": "fine"}).encode()
    return {
        "malformed-json": ("POST", "/conversations/1/messages", b'{"message": "cut', "application/json"),
        "invalid-body": ("POST", "/conversations/1/messages", b'{"message": ["a", "list"]}', "application/json"),
        "not-json": ("POST", "/conversations/1/messages", b"<message>hi</message>", "application/xml"),
        "bad-conversation-id": ("POST", "/conversations/xyz/messages", body, "application/json"),
        "unknown-parent": (
            "POST",
            "/conversations/1/messages",
            b'{"message": "r", "parent_id": 987654}',
            "application/json",
        ),
        "parent-elsewhere": (
            "POST",
            "/conversations/1/messages",
            json.dumps({"message": "r", "parent_id": elsewhere}).encode(),
            "application/json",
        ),
    }


def _as_seen(answer: httpx.Response) -> tuple[int, str, Any]:
    try:
        doc = answer.json()
        shape: Any = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
    except ValueError:
        shape = "text"
    return answer.status_code, answer.headers.get("content-type", ""), shape


@pytest.mark.parametrize("name", sorted(DIFFERENT_FAKES))
def test_a_calibrated_fake_answers_each_refusal_class_as_the_real_server_on_requests_the_diff_never_sent(name):
    learned = observe(diff(DIFFERENT_FAKES[name]()))
    calibrated = create_app(MockConfig(profile=Profile.from_json(learned)))
    answers: dict[str, dict[str, tuple[int, str, Any]]] = {}
    for side, app in (("real", DIFFERENT_FAKES[name]()), ("fake", calibrated)):
        with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=REAL) as client:
            requests = _fresh_request_of_each_class(client)
            assert set(requests) == set(learned["rejections"])  # every class the diff observed, and no other
            answers[side] = {
                refusal: _as_seen(client.request(method, path, content=content, headers={"Content-Type": media}))
                for refusal, (method, path, content, media) in requests.items()
            }
    assert answers["fake"] == answers["real"]
