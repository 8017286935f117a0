"""A TCP relay on 127.0.0.1 that reaches a server from one of this machine's network
addresses: a browser here then looks, to the server, like a client from the network, while it
still writes the Host header of a local address. A client that is not a browser can write any
Host header it likes; the address it connects from is the one thing it cannot choose.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["tcp_relay"]

CHUNK = 65536


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes one way until either side closes; then close the sink's sending half."""
    with contextlib.suppress(OSError):
        while data := source.recv(CHUNK):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextmanager
def tcp_relay(target: tuple[str, int], source_address: str) -> Iterator[int]:
    """Relay every connection made to the yielded 127.0.0.1 port to `target`, connecting
    from `source_address`. Every connection is closed when the block exits."""
    listener = socket.create_server(("127.0.0.1", 0))
    opened: list[socket.socket] = []
    lock = threading.Lock()

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed: the relay is over
                return
            try:
                upstream = socket.create_connection(target, source_address=(source_address, 0))
            except OSError:
                client.close()
                continue
            with lock:
                opened.extend((client, upstream))
            for one_way in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=one_way, daemon=True).start()

    accepting = threading.Thread(target=serve, daemon=True)
    accepting.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        # shutdown() wakes the thread blocked in accept(), which close() alone does not.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        with lock:
            for connection in opened:
                with contextlib.suppress(OSError):
                    connection.close()
        accepting.join(timeout=2)
