"""The kit's one rule for what is a secret in a request: by the name of a header or of a query parameter.

Everywhere the kit shows or writes a request (the fake's journal and dashboard, its violations,
its logs and problem details, a contract run's reports), a value under a secret name is shown
as ``REDACTED`` unless the user asked to see secrets. The rule goes by name, not by a list of
the headers one API uses: ``Authorization``, ``Proxy-Authorization``, ``Cookie`` and
``Set-Cookie``, and any name holding one of ``SECRET_PARTS`` (``X-Api-Key``, ``Private-Token``,
``Ocp-Apim-Subscription-Key``, ``api_key=``, ``access_token=``, ``X-CSRF-Token``, ...).
The kit's own headers (``X-Mock-*``: a user id, a session's name) carry no secret.
"""

from __future__ import annotations

from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = ["REDACTED", "SECRET_NAMES", "SECRET_PARTS", "is_secret", "redact_query", "without_userinfo"]

#: What a secret value is shown as.
REDACTED = "[redacted]"
#: Names that are secrets whole.
SECRET_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: A name holding any of these (case aside) is a secret's.
SECRET_PARTS = ("token", "key", "secret", "password", "session", "signature", "credential", "csrf")
#: The kit's own headers, which a name part would otherwise catch (``X-Mock-Session``).
KIT_PREFIX = "x-mock-"


def is_secret(name: str) -> bool:
    """Whether a header or query parameter of this name carries a secret."""
    lowered = name.lower()
    if lowered in SECRET_NAMES:
        return True
    if lowered.startswith(KIT_PREFIX):
        return False
    return any(part in lowered for part in SECRET_PARTS)


def redact_query(query: str) -> str:
    """A query string with the value of every secret parameter replaced (the rest byte for byte)."""
    if "=" not in query:
        return query
    parts = query.split("&")
    for index, part in enumerate(parts):
        name, equals, value = part.partition("=")
        if equals and value and is_secret(unquote_plus(name)):
            parts[index] = f"{name}={REDACTED}"
    return "&".join(parts)


def without_userinfo(url: str) -> str:
    """A URL to show: no ``user:password@``, and its query's secrets redacted."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, redact_query(parts.query), parts.fragment))
