"""A contract run against a WSGI app in this process, through no socket, with the run's default settings.

The broken and lenient fakes are judged this way: what is shown to catch (or to pass) is what a
default ``contracts`` run does, with only the options a test names.
"""

import httpx

from message_api_kit.contracts import Report, RunConfig, run

BASE = "http://localhost"


def run_against(app, seed=0, **config) -> Report:
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE)
    return run(RunConfig(base_url=BASE, conversation=1, other_conversation=2, seed=seed, **config), client=client)
