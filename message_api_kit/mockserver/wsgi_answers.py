"""A WSGI answer as the pipeline builds it before it starts it: status line, headers, body; and helpers for it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from message_api_kit.mockserver.errors import PROBLEM_JSON, MockError

__all__ = ["Answer", "Closing", "nothing", "problem"]

#: Status line, headers and body: started only once everything that could fail has run.
Answer = tuple[str, list[tuple[str, str]], Iterable[bytes]]


def problem(error: MockError, cors_headers: list[tuple[str, str]]) -> Answer:
    """``error`` as a problem document from the middleware: status line, headers and body."""
    status = f"{error.status} {error.title}"
    headers = [("Content-Type", PROBLEM_JSON), *error.headers, *cors_headers]
    return status, headers, [json.dumps(error.problem()).encode()]


class Closing:
    """A WSGI answer body that calls ``done`` once the server has sent it (or given up), after closing ``body``."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self._body = body
        self._done = done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        """Close the body, then call ``done``, whatever closing it raised."""
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done()


def nothing() -> None:
    """No work to do once an answer is sent."""
    pass
