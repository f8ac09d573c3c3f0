"""The origin rules in a real browser: headless Chromium loads pages from other origins that try the fake.

Each page runs its requests and writes what it could read into the page; Chromium dumps the
page (``--dump-dom``) once they are done; the fake's state is then checked from Python.
``make test`` installs Debian's ``chromium`` when it is missing.
"""

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from message_api_kit.mockserver import LiveServer, MockConfig, create_app

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
]

#: Each attempt: a name, and a fetch() whose status the page records ("blocked" if it cannot read it).
ATTEMPTS = {
    "create": 'fetch(FAKE + "/conversations/1/messages", {method: "POST", headers: {"Content-Type": '
    '"application/json"}, body: JSON.stringify({message: "from a page"})})',
    "create-with-credentials": 'fetch(FAKE + "/conversations/1/messages", {method: "POST", credentials: "include", '
    'headers: {"Content-Type": "application/json"}, body: JSON.stringify({message: "with cookies"})})',
    "read-journal": 'fetch(FAKE + "/__mock__/journal", {credentials: "include"})',
    "set-faults": 'fetch(FAKE + "/__mock__/faults", {method: "PUT", credentials: "include", headers: '
    '{"Content-Type": "application/json"}, body: JSON.stringify({failures: [{status: 503}]})})',
    "reset-as-text": 'fetch(FAKE + "/__mock__/reset", {method: "POST", mode: "no-cors", body: "x"})'
    '.then(() => ({status: "sent-unreadable"}))',
}
SCRIPT = """<html><body><pre id="out">pending</pre>
<form id="form" method="POST" action="{fake}/__mock__/reset" enctype="text/plain" target="sink">
<input name="a" value="b"></form><iframe name="sink"></iframe>
<script>
const FAKE = "{fake}";
(async () => {{
  const seen = [];
  for (const [name, attempt] of Object.entries({{{attempts}}})) {{
    try {{ seen.push(name + "=" + (await attempt()).status); }} catch (e) {{ seen.push(name + "=blocked"); }}
  }}
  document.getElementById("out").textContent = seen.join(" ");
  document.getElementById("form").submit();
}})();
</script></body></html>"""


class Origin:
    """A page on an origin of its own (another port) that tries the fake at ``fake_url``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.fake_url = ""

    def page(self) -> bytes:
        attempts = ", ".join(f'"{name}": () => {call}' for name, call in ATTEMPTS.items())
        return SCRIPT.format(fake=self.fake_url, attempts=attempts).encode()


@contextmanager
def page_server() -> Iterator[Origin]:
    """Serve the page on a port of its own; its origin is known before the fake starts."""
    origin = Origin("")

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(origin.page())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()


def visit(url: str, tmp_path) -> dict[str, str]:
    assert CHROMIUM, "no chromium: `make test` installs Debian's chromium"
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = re.search(r'<pre id="out">([^<]*)</pre>', result.stdout)
    assert found and found.group(1) != "pending", result.stdout[-2000:] + result.stderr[-2000:]
    return dict(pair.split("=", 1) for pair in found.group(1).split())


@contextmanager
def fake(origin: Origin, cors_origins: tuple[str, ...] = ()) -> Iterator[LiveServer]:
    """A live fake the page at ``origin`` tries, holding one message the page must not wipe."""
    with LiveServer(create_app(MockConfig(cors_origins=cors_origins))) as live:
        origin.fake_url = live.url
        httpx.post(f"{live.url}/conversations/1/messages", json={"message": "keep me"})
        yield live


def state_kept(live: LiveServer) -> None:
    messages = httpx.get(f"{live.url}/__mock__/conversations/1/messages").json()["items"]
    assert [m["message"] for m in messages][:1] == ["keep me"], "the fake was reset"
    assert httpx.get(f"{live.url}/__mock__/faults").json() == {"latency": [], "failures": []}


def test_another_origin_can_neither_read_nor_change_the_fake_nor_reset_it_with_a_form(tmp_path):
    with page_server() as page, fake(page) as live:
        seen = visit(page.url, tmp_path)
        assert seen["create"] == "201"  # the vendor's API answers any origin
        assert seen["create-with-credentials"] == "blocked"  # but never with credentials for "*"
        assert seen["read-journal"] == "blocked"
        assert seen["set-faults"] == "blocked"  # its preflight is refused
        assert seen["reset-as-text"] == "sent-unreadable"
        state_kept(live)  # the text/plain reset and the form's reset both got a 403


def test_a_named_origin_works_with_credentials_and_others_still_cannot(tmp_path):
    with page_server() as named, page_server() as other, fake(named, cors_origins=(named.url,)) as live:
        seen = visit(named.url, tmp_path)
        assert seen["create-with-credentials"] == "201"
        assert seen["read-journal"] == "200"
        assert seen["set-faults"] == "200"
        assert httpx.get(f"{live.url}/__mock__/faults").json()["failures"][0]["status"] == 503
        messages = httpx.get(f"{live.url}/__mock__/conversations/1/messages").json()["items"]
        assert messages[0]["message"] == "keep me"  # even a named origin's form cannot reset it
        other.fake_url = live.url
        refused = visit(other.url, tmp_path)
        assert refused["create"] == "blocked" and refused["read-journal"] == "blocked"
