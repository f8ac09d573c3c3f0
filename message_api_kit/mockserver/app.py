"""The app factory: the fake's routes are the declared operations, each bound to its handler."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from message_api_kit import schemas
from message_api_kit.mockserver.admin import admin_handlers
from message_api_kit.mockserver.api import public_handlers
from message_api_kit.mockserver.config import MockConfig
from message_api_kit.mockserver.cors import CorsPolicy
from message_api_kit.mockserver.dashboard import dashboard_handlers
from message_api_kit.mockserver.errors import Forbidden, register_error_handlers
from message_api_kit.mockserver.pipeline import Pipeline
from message_api_kit.mockserver.requests import SessionRequest
from message_api_kit.mockserver.sessions import Sessions
from message_api_kit.mockserver.state_file import StateFile
from message_api_kit.mockserver.store import Store

if TYPE_CHECKING:
    from message_api_kit.contracts.registry import Registry

#: Where an app keeps its store (``app.extensions``), so that two apps share nothing.
EXTENSION = "mockserver"


def create_app(config: MockConfig | None = None, *, contracts: Registry | None = None) -> Flask:
    """Build a fake: a Flask app holding its own ``Sessions`` in ``app.extensions["mockserver"]``.

    ``contracts``: the operations ``--watch`` judges in front of an upstream (``contracts.registry``; default,
    every one the kit knows), for a suite that declares an operation of its own.
    """
    config = config or MockConfig()
    app = Flask("mockserver")
    app.request_class = SessionRequest
    if config.state_file is None:
        sessions = Sessions(config, contracts=contracts)
    else:
        state = StateFile(config.state_file, config.fsync)
        sessions = Sessions(config, log=state, saved=state.read(), contracts=contracts)
    app.extensions[EXTENSION] = sessions
    # Crashes are heard on the default store, whichever session the request was in: the
    # pytest plugin reads them there.
    register_error_handlers(app, sessions.crashes.record)
    handlers = {**public_handlers(config), **admin_handlers(sessions, config), **dashboard_handlers()}
    missing = {op.id for op in schemas.OPERATIONS} ^ set(handlers)
    if missing:  # a declaration without a handler, or a handler for nothing declared
        raise RuntimeError(f"operations and handlers differ: {', '.join(sorted(missing))}")
    for op in schemas.OPERATIONS:
        view = handlers[op.id]
        if any(param.name == schemas.ADMIN_HEADER for param in op.parameters):
            view = _from_a_script(view)
        app.add_url_rule(op.flask_rule, endpoint=op.id, view_func=view, methods=[op.method])
    app.wsgi_app = Pipeline(app, sessions, config, CorsPolicy(config.cors_origins))  # type: ignore[method-assign]
    return app


def _from_a_script(view: Callable[..., Response]) -> Callable[..., Response]:
    """A body-less change to the fake's state must carry ``X-Mock-Admin``, which no HTML form can send.

    (A change with a body must be ``application/json``, which no form can send either.)
    """

    @functools.wraps(view)
    def guarded(**kwargs: Any) -> Response:
        if schemas.ADMIN_HEADER not in request.headers:
            raise Forbidden(
                f"this request has no {schemas.ADMIN_HEADER} header: {request.method} {request.path} needs it"
                " (any value), so that no HTML form on another site can change the fake"
            )
        return view(**kwargs)

    return guarded


def sessions_of(app: Flask) -> Sessions:
    """Return the sessions held by ``app`` (built by ``create_app``)."""
    sessions: Sessions = app.extensions[EXTENSION]
    return sessions


def store_of(app: Flask, session: str | None = None) -> Store:
    """Return the store of ``session`` (default: the default session) held by ``app``."""
    return sessions_of(app).get(session)
