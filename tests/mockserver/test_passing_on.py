"""The pass-through as an intermediary: HTTP/1.1 as real APIs and CDNs speak it, over real sockets.

Each test runs the fake on both servers it is served by: Werkzeug's (the pytest plugin's fakes,
in a thread) and granian (``mockserver serve``, a process), in front of an upstream that speaks
HTTP by hand (``hostile_upstream.py``).
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from message_api_kit.mockserver import LiveServer, MockConfig, create_app
from tests.mockserver.hostile_upstream import GO_ON, Seen, hostile_upstream
from tests.serving import served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[str, Seen]]:
    with hostile_upstream() as running:
        yield running


@pytest.fixture(scope="module", params=["werkzeug", "granian"])
def fake(request, upstream) -> Iterator[str]:
    url, _ = upstream
    if request.param == "werkzeug":
        with LiveServer(create_app(MockConfig(upstream=url, upstream_timeout=1))) as live:
            yield live.url
    else:
        with served("--no-demo", "--upstream", url, "--upstream-timeout", "1") as process:
            yield process.url


def raw(url: str, request: bytes, timeout: float = 5) -> bytes:
    """What the fake answers ``request`` with, up to its close (or ``timeout``, if it says nothing)."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def test_early_hints_are_read_past_and_every_client_gets_its_own_answer(fake):
    # Before, a 103 was taken for the answer: the client got a 500, and every later one the answer before its own.
    targets = [f"/hints/{name}?n={n}" for n in range(12) for name in ("alice", "bob")]

    def fetch(target: str) -> tuple[str, int, str]:
        answer = httpx.get(fake + target, timeout=5)
        return target, answer.status_code, answer.json()["target"]

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(fetch, targets))
    assert got == [(target, 200, target) for target in targets]
    with httpx.Client(base_url=fake, timeout=5) as client:  # one kept-alive client, in turn
        for target in targets[:6]:
            assert client.get(target).json()["target"] == target


def test_bytes_an_upstream_sends_unasked_never_reach_another_client(fake):
    with httpx.Client(base_url=fake, timeout=5) as client:
        for n in range(6):
            assert client.get(f"/extra/{n}").json()["target"] == f"/extra/{n}"
            assert client.get(f"/plain/{n}").json()["target"] == f"/plain/{n}"


def test_an_answer_that_drips_is_cut_at_the_one_deadline(fake):
    # A byte every 0.25 s: each read is quick, the whole is not. --upstream-timeout 1 bounds the whole exchange.
    began = time.monotonic()
    small = httpx.get(fake + "/drip", timeout=10)  # a small answer is read whole before it goes: a 504
    assert small.status_code == 504 and "--upstream-timeout" in small.json()["detail"]
    assert time.monotonic() - began < 3
    began = time.monotonic()
    with httpx.stream("GET", fake + "/drip-large", timeout=10) as answer:
        assert answer.status_code == 200  # a large one streams: cut short at the deadline, never ended as whole
        with pytest.raises(httpx.TransportError):
            answer.read()
    assert time.monotonic() - began < 3


def test_head_204_and_304_keep_the_upstreams_framing(fake):
    head = httpx.head(fake + "/head")
    assert head.status_code == 200 and head.headers["content-length"] == "1234" and head.content == b""
    empty = httpx.get(fake + "/no-content")
    assert empty.status_code == 204 and empty.headers["x-done"] == "yes" and empty.content == b""
    same = httpx.get(fake + "/not-modified")
    assert same.status_code == 304 and same.headers["etag"] == '"v1"' and same.content == b""


def test_an_answer_ended_by_the_connections_close_streams_as_it_arrives(fake, upstream):
    _, seen = upstream
    seen.events[GO_ON].clear()
    with httpx.stream("GET", fake + "/events", timeout=5) as answer:
        chunks = answer.iter_raw()
        first = next(chunks)  # held back until the end, this would wait for GO_ON: a read timeout
        assert first.startswith(b"data: first")
        seen.events[GO_ON].set()
        rest = first + b"".join(chunks)
    assert rest == b"data: first\n\ndata: second\n\n"


def test_a_header_that_is_not_http_is_refused_never_split(fake):
    for path in ("/bare-cr", "/nul"):
        answer = httpx.get(fake + path)
        assert answer.status_code == 502, path
        assert "injected" not in answer.headers and "HTTP/1.1" in answer.json()["detail"]
    assert httpx.get(fake + "/plain/after").json()["target"] == "/plain/after"  # and the fake goes on


def test_fields_the_upstreams_connection_names_go_no_further(fake):
    answer = httpx.get(fake + "/connection-named")
    assert answer.headers["x-public"] == "end"
    assert "x-internal" not in answer.headers and "keep-alive" not in answer.headers


def test_header_bytes_outside_ascii_pass_as_sent():
    # obs-text kept byte for byte, as PEP 3333 asks of a server (latin-1). Granian writes header values as
    # UTF-8 instead (docs/frontend.md says so), so this holds on Werkzeug's server: the plugin's fakes.
    with hostile_upstream() as (url, _), LiveServer(create_app(MockConfig(upstream=url))) as live:
        answer = raw(live.url, b"GET /obs-text HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert b"\r\nX-Latin: caf\xe9\r\n" in answer


def test_requests_for_another_host_a_tunnel_or_no_path_are_refused(fake):
    for request in (
        b"GET * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        b"DELETE * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    ):
        assert raw(fake, request).startswith(b"HTTP/1.1 400"), request
    # A tunnel is never opened: refused by the fake, or by the server before the fake sees it.
    tunnel = raw(fake, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", timeout=1)
    assert not tunnel.startswith(b"HTTP/1.1 2"), tunnel[:100]
    options = raw(fake, b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert options.startswith(b"HTTP/1.1 204") and b"allow:" in options.lower()


def test_an_absolute_form_target_for_another_host_is_refused():
    # Werkzeug's server tells the fake the target as sent; granian's WSGI does not (docs/frontend.md).
    with hostile_upstream() as (url, seen), LiveServer(create_app(MockConfig(upstream=url))) as live:
        before = len(seen.requests)
        other = raw(live.url, b"GET http://evil.example/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert other.startswith((b"HTTP/1.1 400", b"HTTP/1.1 403")) and len(seen.requests) == before
        host = f"127.0.0.1:{live.port}".encode()
        own = raw(live.url, b"GET http://%s/mine HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (host, host))
        assert own.startswith(b"HTTP/1.1 200") and b'"/mine"' in own


def test_credentials_in_the_upstream_url_are_sent_and_never_shown():
    with hostile_upstream() as (url, _):
        secret_url = url.replace("http://", "http://ann:p%40ss@")
        with LiveServer(create_app(MockConfig(upstream=secret_url))) as live:
            assert httpx.get(live.url + "/whoami").json()["basic"] == "ann:p@ss"
            # A request's own credentials win over the URL's.
            own = httpx.get(live.url + "/whoami", headers={"Authorization": "Bearer mine"}).json()
            assert own["authorization"] == "Bearer mine"
            journal = httpx.get(live.url + "/__mock__/journal").json()["entries"]
    shown = str([(entry["request_headers"], entry["query"]) for entry in journal])  # the answers echo, the kit not
    assert "p@ss" not in shown and "p%40ss" not in shown and "Bearer mine" not in shown
    assert ["Authorization", "[redacted]"] in journal[-1]["request_headers"]
    with LiveServer(create_app(MockConfig(upstream="http://ann:p%40ss@127.0.0.1:9"))) as lonely:
        down = httpx.get(lonely.url + "/users/1")
    assert down.status_code == 502 and "p%40ss" not in down.text and "ann" not in down.text


def test_mockserver_serve_never_prints_the_upstreams_password(upstream):
    url, _ = upstream
    with served("--no-demo", "--upstream", url.replace("http://", "http://ann:hunter2@")) as process:
        assert httpx.get(process.url + "/whoami").json()["basic"] == "ann:hunter2"
    assert "upstream:" in process.banner and "with the credentials its URL gives" in process.banner
    assert "hunter2" not in process.banner + process.stdout + process.stderr


def test_a_slow_upload_holds_no_upstream_slot_and_is_a_408_past_the_deadline(upstream):
    url, _ = upstream
    args = ("--no-demo", "--upstream", url, "--upstream-timeout", "1", "--max-upstream", "2")
    with served(*args) as process:
        port = process.port
        slow = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
        for sock in slow:  # four bodies begun and left: more than --max-upstream
            sock.sendall(b"POST /files HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789")
        with httpx.Client(base_url=process.url, timeout=5) as client:
            for n in range(6):
                passed = client.get(f"/plain/{n}")
                assert passed.status_code == 200, passed.text
                assert client.post("/conversations/1/messages", json={"message": "local"}).status_code == 201
        for sock in slow:  # a byte at a time until the answer: past the bodies' deadline (1 s), a 408
            for _ in range(60):
                sock.sendall(b"x")
                if select.select([sock], [], [], 0.25)[0]:
                    break
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert b"--upstream-timeout" in answer
            sock.close()


#: Credentials as real APIs name them: every one is redacted by the one rule (schemas.is_secret), by name.
SECRET_HEADERS = {
    "Authorization": "Bearer tok-1",
    "Cookie": "sid=cookie-2",
    "Api-Key": "key-3",
    "X-Api-Key": "key-4",
    "X-Access-Token": "tok-5",
    "Private-Token": "tok-6",
    "X-Goog-Api-Key": "key-7",
    "Ocp-Apim-Subscription-Key": "key-8",
    "X-CSRF-Token": "csrf-9",
    "X-Amz-Signature": "sig-10",
}
SECRET_QUERY = {"api_key": "q-11", "access_token": "q-12", "client_secret": "q-13"}


@pytest.mark.parametrize("show", [False, True])
def test_secrets_are_redacted_on_every_route_by_one_rule_unless_shown(show):
    with hostile_upstream() as (url, seen):
        config = MockConfig(upstream=url, show_secrets=show)
        with LiveServer(create_app(config)) as live, httpx.Client(base_url=live.url) as client:
            params = {**SECRET_QUERY, "page": "2"}
            headers = {**SECRET_HEADERS, "X-Trace": "t-1"}
            client.get("/users/1", params=params, headers=headers)  # passed on
            client.post("/conversations/1/messages", params=params, json={"message": "local"}, headers=headers)
            journal = client.get("/__mock__/journal").json()["entries"]
    assert seen.requests[-1]["headers"]["x-api-key"] == b"key-4"  # the upstream gets them all, as sent
    assert len(journal) == 2
    for entry in journal:
        shown = dict(entry["request_headers"])
        assert shown["X-Trace"] == "t-1" and "page=2" in entry["query"]
        for name, value in SECRET_HEADERS.items():
            assert shown[name.title()] == (value if show else "[redacted]"), name
        for name, value in SECRET_QUERY.items():
            assert f"{name}={value if show else '[redacted]'}" in entry["query"]


def test_the_servers_own_environment_never_poses_as_a_request_header(upstream):
    # Granian builds each environ on the process's environment: HTTP_PROXY (set on many CI machines) read as a
    # "Proxy" header every client sent, journaled and passed on to the upstream.
    url, seen = upstream
    leaked = {"HTTP_PROXY": "http://proxy.internal:3128", "HTTP_X_LEAK": "from-the-env", "CONTENT_TYPE": "text/x-env"}
    with served("--no-demo", "--upstream", url, env=leaked) as process, httpx.Client(base_url=process.url) as client:
        client.get("/plain/env", headers={"X-Own": "yes"})
        client.get("/plain/env2", headers={"X-Leak": "sent by the client"})
        client.post("/conversations/1/messages", json={"message": "local"})
        journal = client.get("/__mock__/journal").json()["entries"]
    first, second = (r for r in seen.requests if str(r["target"]).startswith("/plain/env"))
    assert first["headers"]["x-own"] == b"yes"
    assert not {"proxy", "x-leak", "content-type"} & set(first["headers"])
    assert second["headers"]["x-leak"] == b"sent by the client"  # the client's own header of that name goes on
    shown = [dict(entry["request_headers"]) for entry in journal]
    assert all("Proxy" not in headers for headers in shown)
    assert "X-Leak" not in shown[0] and shown[1]["X-Leak"] == "sent by the client"
    assert shown[2]["Content-Type"] == "application/json"
