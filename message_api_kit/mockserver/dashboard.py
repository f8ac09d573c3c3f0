"""The dashboard at ``/__mock__/``: a page and its files, served by the fake itself (nothing fetched elsewhere).

The page is plain HTML, CSS and one script in ``mockserver/ui/``; it drives the admin API
like any script, from the same origin. Its Content-Security-Policy allows scripts from the
fake only, so even text that slipped into the page as HTML could not run.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files

from flask import Response

from message_api_kit.mockserver.errors import NotFound

#: No inline script, no other origin: what the dashboard needs and nothing more.
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:;"
    " base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_TYPES = {".js": "text/javascript", ".css": "text/css", ".md": "text/markdown", ".html": "text/html"}


def _assets() -> dict[str, tuple[bytes, str]]:
    ui = files("message_api_kit.mockserver") / "ui"
    found = {
        item.name: (item.read_bytes(), _TYPES[item.name[item.name.rfind(".") :]])
        for item in ui.iterdir()
        if item.name[item.name.rfind(".") :] in _TYPES
    }
    # The rules behind every field, as the schemas package ships them.
    found["derivation.md"] = ((files("message_api_kit.schemas") / "DERIVATION.md").read_bytes(), _TYPES[".md"])
    return found


def dashboard_handlers() -> dict[str, Callable[..., Response]]:
    """The handlers of the page and its files, by operation id (files read once, at start-up)."""
    assets = _assets()
    page, _ = assets.pop("index.html")

    def answer(body: bytes, mimetype: str) -> Response:
        served = Response(body, mimetype=mimetype)
        served.headers["Content-Security-Policy"] = POLICY
        served.headers["X-Content-Type-Options"] = "nosniff"
        served.headers["Cache-Control"] = "no-cache"
        return served

    def get_dashboard() -> Response:
        return answer(page, "text/html")

    def get_dashboard_asset(asset: str) -> Response:
        found = assets.get(asset)
        if found is None:
            raise NotFound(f"the dashboard has no file {asset!r}")
        return answer(*found)

    return {"getDashboard": get_dashboard, "getDashboardAsset": get_dashboard_asset}
