"""CORS for front ends served from another origin: preflights answered, the origin header on every answer.

Written here rather than taken from flask-cors: measured, flask-cors cost about 90 us per
request (a third of the fake's own work) for a policy this small.
"""

from __future__ import annotations

from collections.abc import Iterable

import schemas

Headers = list[tuple[str, str]]

#: The declared operations' methods, and the preflight's own.
ALLOWED_METHODS = ", ".join((*schemas.methods(), "OPTIONS"))
EXPOSED_HEADERS = "Allow, Retry-After"
#: How long a browser may cache a preflight answer, in seconds.
MAX_AGE = "600"


class CorsPolicy:
    """Any origin (``origins`` empty) or only those listed."""

    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = frozenset(origins)
        self._any: Headers = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]

    def headers(self, origin: str | None) -> Headers:
        """The headers an answer to a request from ``origin`` carries (none without an allowed Origin)."""
        if origin is None:
            return []
        if not self.origins:
            return self._any
        if origin not in self.origins:
            return []
        return [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
            ("Vary", "Origin"),
        ]

    def preflight(self, origin: str, requested_headers: str | None) -> Headers:
        """The headers of the answer to a preflight from ``origin``."""
        allowed = self.headers(origin)
        if not allowed:
            return []
        extra = [("Access-Control-Allow-Methods", ALLOWED_METHODS), ("Access-Control-Max-Age", MAX_AGE)]
        if requested_headers:
            extra.append(("Access-Control-Allow-Headers", requested_headers))
        return [*allowed, *extra]
