"""How ``mockserver serve`` serves (granian) and how the test server does: limits, timeouts, drops."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from message_api_kit.mockserver import LiveServer, create_app
from tests.serving import served

pytestmark = pytest.mark.slow
CREATE = "/conversations/1/messages"


def head(path: str, extra: str = "", method: str = "POST") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode()


def read_answer(sock: socket.socket, timeout: float = 10) -> bytes:
    """Everything the server sends until it closes, or until ``timeout``."""
    sock.settimeout(timeout)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` (EOF or reset) within ``seconds``, sending nothing."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_the_fake_state_lives_in_one_worker_process():
    with served("--no-demo") as fake:
        assert fake.worker_pid() != fake.process.pid
        first = httpx.post(fake.url + CREATE, json={"message": "a"}).json()["id"]
        second = httpx.post(fake.url + CREATE, json={"message": "b"}).json()["id"]
        assert second == first + 1


def test_a_dropped_connection_gets_no_status_line_and_is_journaled_unanswered():
    with served("--no-demo") as fake:
        httpx.put(fake.url + "/__mock__/faults", json={"failures": [{"drop": True, "count": 1}]})
        body = b'{"message": "dropped"}'
        with socket.create_connection(("127.0.0.1", fake.port)) as sock:
            extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            sock.sendall(head(CREATE, extra) + body)
            assert read_answer(sock) == b""
        entry = httpx.get(fake.url + "/__mock__/journal").json()["entries"][-1]
        assert (entry["status"], entry["request_body"], entry["response_body"]) == (0, body.decode(), "")
        again = httpx.post(fake.url + CREATE, json={"message": "after"})
        assert again.status_code == 201 and again.json()["message"] == "after"


@pytest.mark.parametrize("expect", ["Expect: 100-continue\r\n", ""], ids=["expect-100-continue", "no-expect"])
def test_a_body_declared_over_the_limit_is_refused_before_a_byte_of_it_is_sent(expect):
    # 300 MiB declared and none of it sent: the 413 can only come from the declared length.
    with served("--no-demo") as fake, socket.create_connection(("127.0.0.1", fake.port)) as sock:
        extra = f"Content-Type: application/json\r\nContent-Length: {300 * 1024 * 1024}\r\n{expect}"
        sock.sendall(head(CREATE, extra))
        answer = read_answer(sock, timeout=5)
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert b"100 Continue" not in answer
        problem = json.loads(rest.partition(b"\r\n\r\n")[2])
        assert problem["type"] == "urn:mockserver:problem:payload-too-large"
        assert str(300 * 1024 * 1024) in problem["detail"]


def test_a_slow_request_head_and_an_idle_connection_are_closed_after_the_header_timeout():
    with served("--no-demo", "--header-timeout", "0.5") as fake:
        slow = socket.create_connection(("127.0.0.1", fake.port))
        slow.sendall(b"POST /conversations/1/messages HTTP/1.1\r\nHo")
        idle = socket.create_connection(("127.0.0.1", fake.port))
        idle.sendall(head("/__mock__/clock", method="GET"))  # answered whole, with a length, in one write
        idle.settimeout(5)
        assert idle.recv(65536).startswith(b"HTTP/1.1 200")
        with slow, idle:
            assert closed_within(slow, 5), "a request head sent a byte at a time is cut off"
            assert closed_within(idle, 5), "a kept-alive connection with no next request is closed"
        answer = httpx.post(fake.url + CREATE, json={"message": "fresh"})
        assert answer.status_code == 201 and answer.json()["message"] == "fresh"


def test_hundreds_of_idle_and_slow_connections_lock_nobody_out():
    # Waitress refused everyone past 100 connections; the bench holds 5,000 idle and 200 slow.
    with served("--no-demo", "--threads", "2") as fake:
        idle = [socket.create_connection(("127.0.0.1", fake.port)) for _ in range(300)]
        slow = [socket.create_connection(("127.0.0.1", fake.port)) for _ in range(50)]
        try:
            for sock in slow:
                sock.sendall(b"POST /conversations/1/messages HTTP/1.1\r\n")
            with httpx.Client(base_url=fake.url, timeout=5) as client:
                for n in range(10):
                    created = client.post(CREATE, json={"message": f"m{n}"})
                    assert created.status_code == 201 and created.json()["message"] == f"m{n}"
                journal = client.get("/__mock__/journal")
                assert len(journal.json()["entries"]) == 10
        finally:
            for sock in idle + slow:
                sock.close()


def slow_upload(port: int, body: bytes, sent: int) -> socket.socket:
    """A creation whose head and first ``sent`` bytes of body are sent; the rest is held back."""
    sock = socket.create_connection(("127.0.0.1", port))
    extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    sock.sendall(head(CREATE, extra) + body[:sent])
    return sock


def test_slow_uploads_park_threads_of_their_own_and_everything_else_is_served():
    # --threads 2 --max-uploads 8. Before, eight slow uploads held every thread, and creations, the clock and
    # the dashboard all timed out; then creations were refused for as long as they lasted. Now each slow
    # upload waits on a thread that works on nothing, and only past --max-uploads is a body refused.
    body = b'{"message": "slow one"}'
    with served("--no-demo", "--threads", "2", "--max-uploads", "8") as fake:
        slow = [slow_upload(fake.port, body, sent=3) for _ in range(6)]
        try:
            time.sleep(0.3)
            with httpx.Client(base_url=fake.url, timeout=3) as client:
                for path in ("/__mock__/clock", "/__mock__/journal", "/__mock__/", "/__mock__/conversations"):
                    answer = client.get(path)
                    assert answer.status_code == 200, (path, answer.text)
                for n in range(20):  # far more than --threads: the uploads hold none of the working turns
                    created = client.post(CREATE, json={"message": f"fast {n}"})
                    assert created.status_code == 201 and created.json()["message"] == f"fast {n}", created.text
                slow += [slow_upload(fake.port, body, sent=3) for _ in range(2)]
                time.sleep(0.3)  # every upload turn is held now
                refused = client.post(CREATE, json={"message": "one too many"})
                assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
                assert refused.json()["type"] == "urn:mockserver:problem:busy"
                assert "--max-uploads" in refused.json()["detail"]
                assert client.get("/__mock__/journal").status_code == 200  # no body: served all the same
                for sock in slow:  # the uploads end: each is created
                    sock.sendall(body[3:])
                assert [read_answer_head(sock).split(b" ", 2)[1] for sock in slow] == [b"201"] * 8
                created = client.post(CREATE, json={"message": "after"})
                assert created.status_code == 201, created.text
                listed = client.get("/__mock__/conversations/1/messages?limit=100").json()["items"]
                assert sorted(m["message"] for m in listed) == sorted(
                    ["after", *(f"fast {n}" for n in range(20)), *["slow one"] * 8]
                )
        finally:
            for sock in slow:
                sock.close()


def read_answer_head(sock: socket.socket, timeout: float = 5) -> bytes:
    """The status line and headers of the next answer on ``sock``."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    return data


def test_the_test_server_closes_a_connection_that_sends_its_request_too_slowly():
    with LiveServer(create_app(), read_timeout=0.5) as live, socket.create_connection(("127.0.0.1", live.port)) as sock:
        sock.sendall(b"POST /conversations/1/messages HTTP/1.1\r\nHo")
        started = time.monotonic()
        assert closed_within(sock, 5)
        assert time.monotonic() - started < 4
        answer = httpx.post(live.url + CREATE, json={"message": "next"})
        assert answer.status_code == 201 and answer.json()["message"] == "next"


def chunked(body: bytes, size: int = 4096) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def test_a_chunked_body_is_read_and_one_past_the_limit_refused():
    extra = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
    with served("--no-demo", "--max-body-bytes", "100000") as fake:
        with socket.create_connection(("127.0.0.1", fake.port)) as sock:
            sock.sendall(head(CREATE, extra) + chunked(b'{"message": "sent in chunks"}'))
            answer = read_answer(sock)
        assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["message"] == "sent in chunks"
        too_long = b'{"message": "' + b"x" * 100_000 + b'"}'
        with socket.create_connection(("127.0.0.1", fake.port)) as sock:
            sock.sendall(head(CREATE, extra) + chunked(too_long))
            answer = read_answer(sock)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert b"longer than the 100000 bytes" in answer


def test_the_server_loader_crosses_a_process_boundary_as_macos_spawn_needs():
    # On macOS granian starts its worker with "spawn", which pickles the loader.
    import pickle
    from functools import partial

    from message_api_kit.mockserver import MockConfig, Seed
    from message_api_kit.mockserver.cli import _announce
    from message_api_kit.mockserver.server import _Loaded

    loader = _Loaded(partial(create_app, MockConfig(seed=Seed.demo())), "127.0.0.1", 1, partial(_announce, "u", "h"))
    app = pickle.loads(pickle.dumps(loader)).load_app()
    made = app.test_client().post(CREATE, json={"message": "after the trip"})
    assert made.status_code == 201 and made.get_json()["message"] == "after the trip"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_the_worker_dies_with_its_parent_and_the_port_can_be_served_again_at_once():
    with served("--no-demo") as fake:
        worker = fake.worker_pid()
        # Requests in flight when it dies leave the port's connections in TIME-WAIT.
        for _ in range(20):
            httpx.post(fake.url + CREATE, json={"message": "in flight"}, headers={"Connection": "close"})
        fake.process.kill()  # kill -9 of `mockserver serve` alone
        fake.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker), "the worker outlived its parent"
    # The same port at once, its last connections still in TIME-WAIT (the last --port given wins).
    with served("--no-demo", "--port", str(fake.port)) as restarted:
        assert httpx.post(restarted.url + CREATE, json={"message": "back"}).status_code == 201
