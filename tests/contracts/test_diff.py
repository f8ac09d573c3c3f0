"""``contracts diff``: the fake against servers that choose differently where the doc is silent."""

from __future__ import annotations

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
from tests.contracts.lenient_fakes import DIFFERENT_FAKES, LENIENT_FAKES

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


@pytest.mark.parametrize("name", [*sorted(EXPECTED), "errors-as-plain-text-400", "errors-as-detail-objects"])
def test_after_calibration_with_its_profile_the_fake_answers_as_the_real_server_does(name):
    learned = observe(diff(DIFFERENT_FAKES[name]()))
    schemas.validator("profile").validate(learned)
    calibrated = create_app(MockConfig(profile=Profile.from_json(learned)))
    assert diff(DIFFERENT_FAKES[name](), calibrated).groups() == {}


def test_what_a_profile_cannot_copy_stays_reported_as_lenient_and_fail_on_contract_passes():
    # FastAPI-like: its lenient parser reads inputs the fake refuses; a profile records, not copies, them.
    real = LENIENT_FAKES["fastapi-like"]
    learned = observe(diff(real()))
    assert "byte-order mark" in learned["lenient"]  # it reads a body after a BOM; the fake refuses it
    after = diff(real(), create_app(MockConfig(profile=Profile.from_json(learned))))
    assert set(after.groups()) == {("lenient: byte-order mark", "accepted by one, refused by the other")}
    [(_, difference)] = after.groups()[("lenient: byte-order mark", "accepted by one, refused by the other")]
    assert difference.category == "lenient"  # a request outside the documented domain: the server's reading
    after.fail_on = "contract"
    assert after.exit_code == 0
    after.fail_on = "any"
    assert after.exit_code == 1


def test_a_difference_a_client_notices_inside_the_domain_counts_until_calibrated():
    real = DIFFERENT_FAKES["created-with-200"]
    before = diff(real())
    before.fail_on = "contract"
    assert before.exit_code == 1  # 200 against 201 for a valid creation: a client's code can tell them apart
    categories = {
        (request_class, d.category) for (request_class, _), found in before.groups().items() for _, d in found
    }
    assert categories == {
        ("root", "contract"),
        ("reply", "contract"),
        ("lenient: unknown fields", "lenient"),
        ("lenient: duplicate keys", "lenient"),
    }
    after = diff(real(), create_app(MockConfig(profile=Profile.from_json(observe(before)))))
    after.fail_on = "contract"
    assert after.groups() == {} and after.exit_code == 0


def test_a_request_the_doc_lets_a_server_refuse_or_create_differs_leniently():
    # /conversations/-1/messages: inside the domain, and the server's to refuse (404 in the fake) or create.
    def accepts_any_conversation(environ, start_response):  # a server that creates in conversation -1
        app = create_app(MockConfig())
        environ = {**environ, "PATH_INFO": environ["PATH_INFO"].replace("/-1/", "/7/")}
        return app(environ, start_response)

    found = [
        (kind, d.category)
        for (_, kind), pairs in diff(accepts_any_conversation).groups().items()
        for pair, d in pairs
        if "/-1/" in pair.real.url
    ]
    assert found == [("accepted by one, refused by the other", "lenient")]


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
    assert set(REJECTIONS.values()) == declared == set(CLASSES.values())
