"""What the local doubles (Plaid, Experian, the OIDC provider) share: a quiet threaded HTTP
server on a free 127.0.0.1 port, served from a daemon thread that the double starts and stops."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from traceback import extract_tb
from typing import Any, ClassVar, Self


class LocalServer(ThreadingHTTPServer):
    """Never waits for, nor prints the errors of, its handler threads. A handler reaches the
    double that serves it as ``self.server.owner``."""

    daemon_threads = True
    block_on_close = False  # stop() must not wait for a handler sleeping in a slow fault

    def __init__(self, handler: type[BaseHTTPRequestHandler], owner: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.owner = owner

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep where a handler failed, not what it printed: messages could carry secrets."""
        error = sys.exc_info()[1]
        if error is not None:
            where = [
                f"{frame.filename}:{frame.lineno}" for frame in extract_tb(error.__traceback__)
            ]
            self.owner.internal_errors.append(f"{type(error).__name__} at {where[-3:]}")


class ServedDouble:
    """Start, stop and ``with`` for a double answered by its ``HANDLER`` class.

    ``internal_errors`` lists failures of the double's own code (where, never what), for a
    test to fail on."""

    HANDLER: ClassVar[type[BaseHTTPRequestHandler]]

    def __init__(self) -> None:
        self.url = ""
        self.internal_errors: list[str] = []
        self._server: LocalServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind a free port and serve from a daemon thread."""
        if self._server is not None:
            return self
        self._server = LocalServer(self.HANDLER, self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=2)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
