"""The app factory."""

from __future__ import annotations

from flask import Flask

from mockserver.admin import admin_blueprint
from mockserver.api import register_public_api
from mockserver.config import MockConfig
from mockserver.cors import CorsPolicy
from mockserver.errors import register_error_handlers
from mockserver.pipeline import Pipeline
from mockserver.store import EXTENSION, Store
from schemas import ADMIN_PREFIX


def create_app(config: MockConfig | None = None) -> Flask:
    """Build a fake: a Flask app holding its own ``Store`` in ``app.extensions["mockserver"]``."""
    config = config or MockConfig()
    app = Flask("mockserver")
    store = Store(config)
    app.extensions[EXTENSION] = store
    register_error_handlers(app, store.record_error)
    register_public_api(app)
    app.register_blueprint(admin_blueprint(), url_prefix=ADMIN_PREFIX)
    app.wsgi_app = Pipeline(app, store, CorsPolicy(config.cors_origins))  # type: ignore[method-assign]
    return app
