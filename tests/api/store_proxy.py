"""A TCP proxy in front of the test PostgreSQL whose outage the test chooses.

``refuse()``: the port closes and every open connection is reset (the server
stopped). ``black_hole()``: the port still accepts, but nothing passes either
way, on new or open connections (a stalled server or a partition).
``restore()``: the port forwards again; connections opened before are dropped,
as a restarted server would.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Any, Self


class StoreProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._flowing = threading.Event()
        self._flowing.set()
        self._listener: socket.socket | None = None
        self.port = self._listen(0)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_listening()
        self._drop_all()
        self._flowing.set()

    # --- outages -------------------------------------------------------------------------

    def refuse(self) -> None:
        self._stop_listening()
        self._drop_all()

    def black_hole(self) -> None:
        self._flowing.clear()

    def restore(self) -> None:
        self._drop_all()
        self._flowing.set()
        if self._listener is None:
            self._listen(self.port)

    # --- plumbing ------------------------------------------------------------------------

    def _listen(self, port: int) -> int:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return int(listener.getsockname()[1])

    def _stop_listening(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown wakes the accept() blocked in the other thread
            _quietly(listener.shutdown, socket.SHUT_RDWR)
            listener.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self._track(client)
            if not self._flowing.is_set():
                continue  # held open, never answered
            try:
                server = socket.create_connection(self._target)
            except OSError:
                self._reset(client)
                continue
            self._track(server)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            # In a black hole the bytes stay here; restore() drops the connection.
            self._flowing.wait()
            if not self._is_tracked(source):
                break
            try:
                sink.sendall(data)
            except OSError:
                break
        self._reset(source)
        self._reset(sink)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.append(sock)

    def _is_tracked(self, sock: socket.socket) -> bool:
        with self._lock:
            return sock in self._open

    def _drop_all(self) -> None:
        with self._lock:
            dropped, self._open = self._open, []
        for sock in dropped:
            _close_with_reset(sock)

    def _reset(self, sock: socket.socket) -> None:
        with self._lock:
            if sock not in self._open:
                return
            self._open.remove(sock)
        _close_with_reset(sock)


def _close_with_reset(sock: socket.socket) -> None:
    # Linger 0: the peer sees a reset, as from a server that went away.
    _quietly(sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _quietly(sock.shutdown, socket.SHUT_RDWR)
    sock.close()


def _quietly(call: Any, *args: Any) -> None:
    with contextlib.suppress(OSError):
        call(*args)
