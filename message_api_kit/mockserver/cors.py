"""CORS for front ends served from another origin; who may drive the fake's own API; which Host it answers.

Written here rather than taken from flask-cors: measured, flask-cors cost about 90 us per
request (a third of the fake's own work) for a policy this small.

- Without ``--cors-origin``: the vendor's API answers any origin (``*``, no credentials),
  so a front end on any port can use the fake; the fake's own API (``/__mock__/``) answers
  none, so no web page can read or drive it.
- With ``--cors-origin``: only the origins named, on both, with credentials (the origin
  echoed, ``Access-Control-Allow-Credentials: true``, ``Vary: Origin``); never for ``*``.
"""

from __future__ import annotations

from collections.abc import Iterable

from message_api_kit import schemas

Headers = list[tuple[str, str]]

#: The declared operations' methods, and the preflight's own.
ALLOWED_METHODS = ", ".join((*schemas.methods(), "OPTIONS"))
#: What a route passed on to the upstream may be asked with.
PROXIED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
EXPOSED_HEADERS = "Allow, Retry-After"
#: How long a browser may cache a preflight answer, in seconds.
MAX_AGE = "600"


class CorsPolicy:
    """Any origin for the vendor's API (``origins`` empty), or only those listed, with credentials."""

    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = frozenset(origins)
        self._any: Headers = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]

    def may_drive(self, origin: str | None) -> bool:
        """Whether a client may change what the fake holds for it: no Origin (not a page), or one named."""
        return origin is None or origin in self.origins

    def headers(self, origin: str | None, fake_own: bool = False) -> Headers:
        """The headers an answer to ``origin`` carries (none for an origin not allowed)."""
        if origin is None:
            return []
        if not self.origins:
            return [] if fake_own else self._any
        if origin not in self.origins:
            return []
        return [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
            ("Vary", "Origin"),
        ]

    def preflight(
        self, origin: str, requested_headers: str | None, fake_own: bool = False, methods: str = ALLOWED_METHODS
    ) -> Headers:
        """The headers of the answer to a preflight from ``origin`` (``methods``: those the route takes)."""
        allowed = self.headers(origin, fake_own)
        if not allowed:
            return []
        extra = [("Access-Control-Allow-Methods", methods), ("Access-Control-Max-Age", MAX_AGE)]
        if requested_headers:
            extra.append(("Access-Control-Allow-Headers", requested_headers))
        return [*allowed, *extra]


class HostPolicy:
    """The ``Host`` names the fake answers to: loopback ones, and those given (``*``: any).

    Any other is refused, as development servers such as Vite and webpack-dev-server do: a
    page on a rebound DNS name would otherwise reach the fake as if it were same-origin.
    """

    def __init__(self, allowed: Iterable[str]) -> None:
        self.names = frozenset(name.lower() for name in allowed)
        self.any = "*" in self.names

    def allows(self, host: str) -> bool:
        """Whether a request with this ``Host`` header (port included) is answered."""
        if self.any:
            return True
        name = _without_port(host.lower())
        if name in self.names or name in ("localhost", "[::1]") or name.endswith(".localhost"):
            return True
        parts = name.split(".")
        return len(parts) == 4 and parts[0] == "127" and all(p.isdigit() and int(p) < 256 for p in parts)


def _without_port(host: str) -> str:
    if host.startswith("["):  # [::1]:8080
        return host[: host.find("]") + 1]
    return host.rpartition(":")[0] if ":" in host else host
