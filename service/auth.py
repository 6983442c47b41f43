"""Writes need the configured bearer token; everything else is public and read-only."""

from __future__ import annotations

import hmac

from flask import current_app, request

from tillvaxtgraf.service.http_errors import HttpError


def require_write_token() -> None:
    """Raise 403 on a read-only service or a wrong token, 401 when none is sent."""
    token = current_app.config["SETTINGS"].write_token
    if not token:
        raise HttpError(403, "this service is read-only: writes are disabled "
                        "(the operator sets TILLVAXTGRAF_WRITE_TOKEN to enable them)")
    header = request.headers.get("Authorization", "")
    scheme, _, sent = header.partition(" ")
    if not header:
        raise HttpError(401, "writes need a bearer token: send 'Authorization: Bearer <token>'",
                        headers={"WWW-Authenticate": 'Bearer realm="tillvaxtgraf"'})
    if scheme.lower() != "bearer" or not sent.strip():
        raise HttpError(401, "the Authorization header must use the Bearer scheme",
                        headers={"WWW-Authenticate": 'Bearer realm="tillvaxtgraf", '
                                 'error="invalid_request"'})
    if not hmac.compare_digest(sent.strip().encode("utf-8"), token.encode("utf-8")):
        raise HttpError(403, "the bearer token is not valid for writes")
