"""``--upstream``: what the kit does not declare goes to the real API and comes back unchanged; the rest stays local."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from message_api_kit.mockserver import LiveServer, MockConfig, create_app


def real_api(environ, start_response):
    """A stand-in for the real API: echoes what it got, redirects, streams, stalls."""
    path = environ["PATH_INFO"]
    if path.removeprefix("/api") == "/redirect":
        start_response("302 Found", [("Location", "/users/1"), ("Content-Length", "0")])
        return [b""]
    if path.removeprefix("/api") == "/slow":
        time.sleep(3)
    if path.removeprefix("/api") == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (bytes([n % 251]) * 65536 for n in range(160))  # 10 MiB, no length: chunked
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    body = stream.read(int(length)) if length else stream.read() if environ.get("wsgi.input_terminated") else b""
    seen = {
        "method": environ["REQUEST_METHOD"],
        "path": path,
        "query": environ.get("QUERY_STRING", ""),
        "headers": {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")},
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_length": len(body),
    }
    answer = json.dumps(seen).encode()
    start_response(
        "207 Multi-Status",
        [("Content-Type", "application/json"), ("X-Upstream", "yes"), ("Content-Length", str(len(answer)))],
    )
    return [answer]


@pytest.fixture
def upstream() -> Iterator[LiveServer]:
    with LiveServer(real_api) as live:  # type: ignore[arg-type]
        yield live


@pytest.fixture
def fake(upstream) -> Iterator[LiveServer]:
    with LiveServer(create_app(MockConfig(upstream=upstream.url + "/api", upstream_timeout=1))) as live:
        yield live


def raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_an_undeclared_route_is_answered_by_the_upstream_unchanged(fake, upstream):
    headers = {"Authorization": "Bearer s3cret", "X-Mock-Session": "mine", "X-Trace": "t1"}
    answer = httpx.get(f"{fake.url}/users/7", params={"expand": "team"}, headers=headers)
    assert answer.status_code == 207 and answer.headers["X-Upstream"] == "yes"
    seen = answer.json()
    assert (seen["method"], seen["path"], seen["query"]) == ("GET", "/api/users/7", "expand=team")
    assert seen["headers"]["host"] == f"127.0.0.1:{upstream.port}"  # the upstream's, not the fake's
    assert seen["headers"]["authorization"] == "Bearer s3cret" and seen["headers"]["x-trace"] == "t1"
    assert "x-mock-session" not in seen["headers"]  # the fake's own header stays with the fake
    # Journaled in the session the request named, as the fake's own routes are.
    assert httpx.get(f"{fake.url}/__mock__/journal").json()["entries"] == []
    entry = httpx.get(f"{fake.url}/__mock__/journal", headers={"X-Mock-Session": "mine"}).json()["entries"][-1]
    assert (entry["path"], entry["status"], entry["proxied"]) == ("/users/7", 207, True)
    assert ["Authorization", "[redacted]"] in entry["request_headers"]
    assert json.loads(entry["response_body"])["path"] == "/api/users/7"


def test_the_kits_own_operation_stays_local_and_another_method_on_its_path_goes_on(fake):
    created = httpx.post(f"{fake.url}/conversations/1/messages", json={"message": "local"})
    assert created.status_code == 201 and created.json()["message"] == "local"
    listed = httpx.get(f"{fake.url}/conversations/1/messages")
    assert listed.status_code == 207 and listed.json()["path"] == "/api/conversations/1/messages"
    assert httpx.get(f"{fake.url}/__mock__/nothing-here").status_code == 404  # the fake's own API is never passed on


def test_bodies_pass_byte_for_byte_both_ways_streamed(fake):
    body = bytes(range(256)) * 20_000  # 5 MiB, past the fake's own body limit
    sent = httpx.put(f"{fake.url}/files/1", content=body, headers={"Content-Type": "application/octet-stream"})
    assert sent.json()["body_sha256"] == hashlib.sha256(body).hexdigest()

    def chunks() -> Iterator[bytes]:
        yield from (body[i : i + 100_000] for i in range(0, len(body), 100_000))

    chunked = httpx.post(f"{fake.url}/files", content=chunks())
    assert chunked.json()["body_length"] == len(body)
    streamed = httpx.get(f"{fake.url}/stream")
    assert streamed.content == b"".join(bytes([n % 251]) * 65536 for n in range(160))


def test_a_redirect_is_passed_back_never_followed(fake):
    answer = httpx.get(f"{fake.url}/redirect")
    assert answer.status_code == 302 and answer.headers["Location"] == "/users/1"


def test_an_upstream_that_is_down_is_a_502_and_one_that_stalls_a_504(fake, upstream):
    stalled = httpx.get(f"{fake.url}/slow", timeout=10)
    assert stalled.status_code == 504 and stalled.json()["type"] == "urn:mockserver:problem:gateway-timeout"
    assert "--upstream-timeout" in stalled.json()["detail"]
    with LiveServer(create_app(MockConfig(upstream="http://127.0.0.1:9"))) as lonely:
        down = httpx.get(f"{lonely.url}/users/1")
    assert down.status_code == 502 and down.json()["type"] == "urn:mockserver:problem:bad-gateway"


def test_the_fake_is_no_open_proxy(fake):
    escaped = raw(fake.port, b"GET /users/../../admin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert escaped.startswith(b"HTTP/1.1 400") and b"climbs out" in escaped
    absolute = raw(fake.port, b"GET http://evil.example/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    # Refused either way: as absolute-form (400), or by the Host check once the server takes the URL's host (403).
    assert absolute.startswith((b"HTTP/1.1 400", b"HTTP/1.1 403")), absolute[:200]
    other_host = httpx.get(f"{fake.url}/users/1", headers={"Host": "evil.example"})
    assert other_host.status_code == 403  # the Host check holds for passed-on routes too


def test_a_page_of_another_origin_may_use_passed_on_routes_as_the_vendor_api(fake):
    preflight = httpx.options(
        f"{fake.url}/users/1",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "DELETE"},
    )
    assert preflight.status_code == 204 and "DELETE" in preflight.headers["Access-Control-Allow-Methods"]
    answer = httpx.get(f"{fake.url}/users/1", headers={"Origin": "http://localhost:5173"})
    assert answer.status_code == 207 and answer.headers["Access-Control-Allow-Origin"] == "*"


def test_secrets_are_shown_when_asked(upstream):
    config = MockConfig(upstream=upstream.url, show_secrets=True)
    with LiveServer(create_app(config)) as live:
        httpx.get(f"{live.url}/users/1", headers={"Authorization": "Bearer visible"})
        entry = httpx.get(f"{live.url}/__mock__/journal").json()["entries"][-1]
    assert ["Authorization", "Bearer visible"] in entry["request_headers"]


@pytest.mark.slow
def test_mockserver_serve_passes_on_through_granian(upstream):
    from tests.serving import served

    with served("--no-demo", "--upstream", upstream.url + "/api") as fake:
        streamed = httpx.get(f"{fake.url}/stream", timeout=30)
        assert streamed.content == b"".join(bytes([n % 251]) * 65536 for n in range(160))
        body = b"x" * 3_000_000
        sent = httpx.post(f"{fake.url}/files", content=body, timeout=30)
        assert sent.json()["body_sha256"] == hashlib.sha256(body).hexdigest()
        created = httpx.post(f"{fake.url}/conversations/1/messages", json={"message": "local"})
        assert created.status_code == 201
        journal = httpx.get(f"{fake.url}/__mock__/journal").json()["entries"]
        assert [(e["path"], e["proxied"]) for e in journal] == [
            ("/stream", True),
            ("/files", True),
            ("/conversations/1/messages", False),
        ]


def test_a_hung_upstream_holds_threads_of_its_own_and_the_fakes_own_routes_are_served():
    # Before, every passed-on request to an upstream that never answers held a server thread for
    # --upstream-timeout: as many as the fake had threads locked out its own routes and the dashboard.
    from tests.serving import served

    listener = socket.create_server(("127.0.0.1", 0))
    hung: list[socket.socket] = []

    def never_answer() -> None:
        with contextlib.suppress(OSError):  # the listener closed: the test is over
            while True:
                hung.append(listener.accept()[0])

    threading.Thread(target=never_answer, daemon=True).start()
    upstream = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with served("--no-demo", "--threads", "2", "--upstream", upstream, "--max-upstream", "4") as fake:
            waiting = [socket.create_connection(("127.0.0.1", fake.port)) for _ in range(6)]
            for sock in waiting:
                sock.sendall(b"GET /users/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            time.sleep(0.5)  # four wait on the upstream; two were refused at once
            with httpx.Client(base_url=fake.url, timeout=3) as client:
                for n in range(10):
                    created = client.post("/conversations/1/messages", json={"message": f"local {n}"})
                    assert created.status_code == 201, created.text
                    assert client.get("/__mock__/clock").status_code == 200
                refused = client.get("/users/2")
                assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
                assert "--max-upstream" in refused.json()["detail"]
                journal = client.get("/__mock__/journal").json()["entries"]
            assert len(hung) == 4
            assert sum(e["status"] == 503 and e["proxied"] for e in journal) == 3
            for sock in waiting:
                sock.close()
    finally:
        listener.close()
        for sock in hung:
            sock.close()


def test_an_upstream_that_is_no_http_url_is_a_usage_error(capsys):
    from message_api_kit.mockserver.cli import main

    assert main(["serve", "--upstream", "ftp://example.com"]) == 2
    assert "--upstream" in capsys.readouterr().err


def test_one_connection_is_kept_alive_and_one_the_upstream_closed_is_opened_again():
    # An upstream that serves two requests on a connection, then closes it while it is idle.
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            with conn:
                for n in range(2):
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536) or b"\r\n\r\n"
                    body = json.dumps({"connection": len(accepted), "request": n + 1}).encode()
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                    conn.sendall(head % len(body) + body)
                time.sleep(0.05)

    threading.Thread(target=serve, daemon=True).start()
    try:
        proxy = create_app(MockConfig(upstream=f"http://127.0.0.1:{listener.getsockname()[1]}"))
        with httpx.Client(transport=httpx.WSGITransport(app=proxy), base_url="http://127.0.0.1") as client:
            seen = []
            for _ in range(5):
                seen.append(client.get("/users/1").json())
                time.sleep(0.1)  # the upstream closes each connection after its second answer
    finally:
        listener.close()
    assert [(s["connection"], s["request"]) for s in seen] == [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1)]
