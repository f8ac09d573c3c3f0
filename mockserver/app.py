"""The app factory: the fake's routes are the declared operations, each bound to its handler."""

from __future__ import annotations

from flask import Flask

import schemas
from mockserver.admin import admin_handlers
from mockserver.api import public_handlers
from mockserver.config import MockConfig
from mockserver.cors import CorsPolicy
from mockserver.errors import register_error_handlers
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
        app.add_url_rule(op.flask_rule, endpoint=op.id, view_func=handlers[op.id], methods=[op.method])
    app.wsgi_app = Pipeline(app, store, config, CorsPolicy(config.cors_origins))  # type: ignore[method-assign]
    return app


def store_of(app: Flask) -> Store:
    """Return the store held by ``app`` (built by ``create_app``)."""
    store: Store = app.extensions[EXTENSION]
    return store
