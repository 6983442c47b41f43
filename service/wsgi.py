"""Production serving with gunicorn: ``tillvaxtgraf serve`` runs this."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from tillvaxtgraf.settings import Settings
from tillvaxtgraf.store.embedded_backend import share_stop_count


class GunicornServer(BaseApplication):
    """gunicorn configured from our settings, serving the app factory's app."""

    def __init__(self, settings: Settings, host: str, port: int, workers: int,
                 threads: int) -> None:
        self.settings = settings
        share_stop_count()  # before the fork, so /healthz counts for every worker
        self.options: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # gunicorn's own watchdog must never fire before our query time limit does.
            "timeout": int(settings.query_time_limit) + 60,
            "graceful_timeout": 10,
            "keepalive": 5,
            # No gunicorn access log: the app logs every request itself (address, method,
            # path, status, time), and a second line per request cost 0.3 ms of CPU.
            "accesslog": None,
            "errorlog": "-",
            "loglevel": settings.log_level.lower(),
            # A shared control socket would clash between instances; we do not use it.
            "control_socket_disable": True,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):  # noqa: ANN201 - gunicorn's signature
        from tillvaxtgraf.service import create_app

        return create_app(self.settings)


def app():  # noqa: ANN201 - a WSGI factory for `gunicorn 'tillvaxtgraf.service.wsgi:app()'`
    from tillvaxtgraf.service import create_app

    return create_app()
