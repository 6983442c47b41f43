"""The Flask service: one blueprint per surface, all over the Store interface."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, g, request

from tillvaxtgraf.settings import Settings, load_settings
from tillvaxtgraf.store.base import Store

log = logging.getLogger("tillvaxtgraf.requests")


def create_app(settings: Settings | None = None, *, store: Store | None = None,
               test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment unless given, then the blueprints."""
    from tillvaxtgraf.service import http_errors, links, ratelimit, response_cache, security
    from tillvaxtgraf.service.api.views import blueprint as api
    from tillvaxtgraf.service.extension import StoreExtension
    from tillvaxtgraf.service.graph_store.views import blueprint as graph_store
    from tillvaxtgraf.service.meta.views import blueprint as meta
    from tillvaxtgraf.service.resources.views import blueprint as resources
    from tillvaxtgraf.service.search.views import blueprint as search
    from tillvaxtgraf.service.sparql.views import blueprint as sparql

    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
    )
    app.json.sort_keys = False
    if test_config:
        app.config.update(test_config)
    logging.getLogger("tillvaxtgraf").setLevel(settings.log_level.upper())
    StoreExtension(app, store=store)
    response_cache.register(app)
    http_errors.register(app)
    links.register(app)
    security.register(app)
    app.register_blueprint(sparql)
    app.register_blueprint(graph_store)
    app.register_blueprint(meta)
    app.register_blueprint(api)
    app.register_blueprint(resources)
    app.register_blueprint(search)
    ratelimit.register(app)  # after the blueprints: it wraps their views

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):  # noqa: ANN001, ANN202 - Flask hook
        if log.isEnabledFor(logging.INFO):  # nothing built for a line nobody keeps
            elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
            log.info('%s "%s %s" %s %.1fms', request.remote_addr, request.method,
                     request.full_path.rstrip("?"), response.status_code, elapsed)
        return response

    return app
