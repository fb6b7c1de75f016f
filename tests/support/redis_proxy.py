"""A TCP relay in front of a real redis-server that stops relaying in the middle of a sync's write stream.

It forwards everything until the client has sent `hold_after` EXECs, then forwards the start of the next
transaction (its MULTI and part of its DEL: a transaction Redis has begun to queue but will never execute)
and holds the rest. `held` is set then: the test knows exactly how far the sync got and can SIGKILL it
mid-batch, deterministically, whatever the machine's speed. Replies keep flowing back.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

from featurestore.online.server import free_port

EXEC = b"*1\r\n$4\r\nEXEC\r\n"
PARTIAL_NEXT = 20  # bytes of the next transaction relayed before holding (MULTI and the start of its DEL)


@dataclass
class HoldingProxy:
    upstream_port: int
    hold_after: int
    port: int = field(default_factory=free_port)
    held: threading.Event = field(default_factory=threading.Event)
    execs: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._upstream, args=(client, server), daemon=True).start()
            threading.Thread(target=self._relay, args=(server, client), daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            self._shut(sink)

    def _upstream(self, client: socket.socket, server: socket.socket) -> None:
        tail = b""
        try:
            while not self.held.is_set() and (chunk := client.recv(65536)):
                data = tail + chunk
                start = len(tail)
                cut = None
                position = 0
                while (found := data.find(EXEC, position)) != -1:
                    position = found + len(EXEC)
                    if position <= start:  # counted with the previous chunk
                        continue
                    with self._lock:
                        self.execs += 1
                        if self.execs == self.hold_after:
                            cut = position
                            break
                if cut is None:
                    server.sendall(chunk)
                    tail = data[-(len(EXEC) - 1) :]
                    continue
                server.sendall(data[start : min(len(data), cut + PARTIAL_NEXT)])
                self.held.set()
            while client.recv(65536):  # held: swallow what the sync still sends until it dies
                pass
        except OSError:
            pass
        finally:
            self._shut(server)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                self._shut(sock)
                sock.close()
