"""Each API worker listens on a socket of its own, on the one port.

uvicorn's supervisor binds the port once and hands that socket to every
worker; a new connection then goes to whichever worker accepts first, and a
few long-lived keep-alive connections (a handful of portal backends, a
gateway's pool, the benchmark's clients) can all land on one worker while
the others idle. Measured: 8 or 32 clients on two workers, the busiest
worker did 98-99% of the work in nearly every run (bench/README.md §1b).

With ``SO_REUSEPORT`` (Linux) several sockets bind the same port and the
kernel spreads new connections across them by a hash of each connection's
addresses: even, with no process of ours in the way. ``serve`` still binds
the port first in the supervisor (a port in use fails at start, as before;
that socket never listens), and each worker, as it starts, gets a socket of
its own bound to the same address: the supervisor's socket travels to a
worker by pickling (uvicorn's workers are spawned processes), and
``WorkerPort`` pickles as "open a socket of your own on this address".

What it costs: a connection already queued on a worker's socket when that
worker stops is reset, where a shared socket would have let another worker
take it; a restart of a worker (SIGHUP, or after a crash) drops the few
connections that arrived in that instant. Elsewhere than Linux (where
``SO_REUSEPORT`` does not spread connections), uvicorn's shared socket.
"""

from __future__ import annotations

import socket
import sys
from typing import Any


def spread_connections() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class WorkerPort(socket.socket):
    """The port, bound (not listening) in the supervisor."""

    @classmethod
    def bind_port(cls, host: str, port: int) -> WorkerPort:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # Bound once without SO_REUSEPORT first: a port that another server
        # already listens on with the option set (a second `serve` started by
        # mistake) would otherwise be shared with it in silence, where a port
        # in use must stop this start. (Port 0: the port the kernel picked.)
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            port = probe.getsockname()[1]
        sock = cls(family, socket.SOCK_STREAM)
        _reuse(sock)
        sock.bind((host, port))
        return sock

    def __reduce__(self) -> tuple[Any, ...]:
        # What a worker process receives in place of this socket.
        return own_socket, (self.family, self.getsockname())


def own_socket(family: int, address: Any) -> socket.socket:
    """In a worker: a socket of its own on the supervisor's address."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    _reuse(sock)
    sock.bind(address)
    return sock


def _reuse(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
