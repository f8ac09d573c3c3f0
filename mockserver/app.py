"""The app factory: the fake's routes are the declared operations, each bound to its handler."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

import schemas
from mockserver.admin import admin_handlers
from mockserver.api import public_handlers
from mockserver.config import MockConfig
from mockserver.cors import CorsPolicy
from mockserver.errors import Forbidden, register_error_handlers
from mockserver.pipeline import Pipeline
from mockserver.store import Store

#: Where an app keeps its store (``app.extensions``), so that two apps share nothing.
EXTENSION = "mockserver"


def create_app(config: MockConfig | None = None) -> Flask:
    """Build a fake: a Flask app holding its own ``Store`` in ``app.extensions["mockserver"]``."""
    config = config or MockConfig()
    app = Flask("mockserver")
    store = Store(config)
    app.extensions[EXTENSION] = store
    register_error_handlers(app, store.record_error)
    handlers = {**public_handlers(store, config), **admin_handlers(store, config)}
    missing = {op.id for op in schemas.OPERATIONS} ^ set(handlers)
    if missing:  # a declaration without a handler, or a handler for nothing declared
        raise RuntimeError(f"operations and handlers differ: {', '.join(sorted(missing))}")
    for op in schemas.OPERATIONS:
        view = handlers[op.id]
        if any(param.name == schemas.ADMIN_HEADER for param in op.parameters):
            view = _from_a_script(view)
        app.add_url_rule(op.flask_rule, endpoint=op.id, view_func=view, methods=[op.method])
    app.wsgi_app = Pipeline(app, store, config, CorsPolicy(config.cors_origins))  # type: ignore[method-assign]
    return app


def _from_a_script(view: Callable[..., Response]) -> Callable[..., Response]:
    """A body-less change to the fake's state must carry ``X-Mock-Admin``, which no HTML form can send.

    (A change with a body must be ``application/json``, which no form can send either.)
    """

    @functools.wraps(view)
    def guarded(**kwargs: Any) -> Response:
        if schemas.ADMIN_HEADER not in request.headers:
            raise Forbidden(
                f"a change to the fake's state without a JSON body needs the {schemas.ADMIN_HEADER} header,"
                " so that no HTML form on another site can make it"
            )
        return view(**kwargs)

    return guarded


def store_of(app: Flask) -> Store:
    """Return the store held by ``app`` (built by ``create_app``)."""
    store: Store = app.extensions[EXTENSION]
    return store
