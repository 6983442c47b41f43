"""Per-client rate limits on the endpoints that make the store work hard.

Why: one client looping over ``/sparql`` or the connection finder can keep every query
worker busy. Each client address gets one budget (``TILLVAXTGRAF_RATE_LIMIT``) shared by
all the expensive endpoints, so switching endpoints does not buy a fresh one; cheap
pages (static files, health, settings, autocomplete) are not counted. Counters live in
``TILLVAXTGRAF_RATE_LIMIT_STORAGE``: in memory they are per service process, so with N
gunicorn workers a client may get up to N times the limit.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from tillvaxtgraf.service.cors import add_cors
from tillvaxtgraf.service.http_errors import error_response
from tillvaxtgraf.settings import SETTINGS_BY_NAME, parse_rate_limit

# The views that run queries or build pages from many of them.
EXPENSIVE = (
    "sparql.endpoint",
    "api.run_query",
    "api.query_page",
    "search.page",
    "search.api_search",
    "search.api_connections",
    "search.connections_page",
    "search.api_neighbourhood",
    "resources.resource",
    "resources.minted",
    "resources.named_graph",
    "graph_store.graph_store",
)
SCOPE = "expensive"


def client_address() -> str:
    """The client's address (after ProxyFix, when the operator trusts a proxy)."""
    return request.remote_addr or "unknown"


def too_many_requests(error: RateLimitExceeded) -> Response:
    """429 in the one error shape, with Retry-After: when the budget has room again."""
    current = current_app.extensions["tillvaxtgraf.limiter"].current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current else 1
    env = SETTINGS_BY_NAME["rate_limit"].env_var
    response = error_response(429, {
        "status": 429, "title": "Too Many Requests", "error": "RateLimitExceeded",
        "message": f"too many requests from this client: at most {error.description} on "
                   "the query, search and page endpoints",
        "hint": f"retry after {wait} s; the operator sets the limit with {env}",
    }, {"Retry-After": str(wait)})
    # Browser apps elsewhere read the data (CORS); they may read why they must wait too.
    add_cors(response)
    if "Access-Control-Expose-Headers" in response.headers:
        response.headers["Access-Control-Expose-Headers"] += ", Retry-After"
    return response


def register(app: Flask) -> Limiter | None:
    """Trust the configured proxies, then count requests to EXPENSIVE (unless off)."""
    settings = app.config["SETTINGS"]
    if settings.trusted_proxies > 0:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]
    value = parse_rate_limit(str(settings.rate_limit or ""))
    if not value:
        return None
    limiter = Limiter(client_address, app=app, storage_uri=settings.rate_limit_storage,
                      strategy="moving-window", headers_enabled=False,
                      key_prefix="tillvaxtgraf")
    shared = limiter.shared_limit(value, scope=SCOPE,
                                  exempt_when=lambda: request.method == "OPTIONS")
    for endpoint in EXPENSIVE:
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])
    app.extensions["tillvaxtgraf.limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    return limiter
