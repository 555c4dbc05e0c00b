"""The API workers' shared listening socket: answers on kept-alive connections go out at once.

With several workers uvicorn binds the socket itself with protocol 0; asyncio then
leaves Nagle's algorithm on for every accepted connection, and each answer on a
kept-alive connection waits ~40 ms for the client's delayed ACK. ``as_tcp`` fixes the
socket; these tests ask asyncio itself whether it turned Nagle off.
"""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from dispatch.cluster.commands import as_tcp


def _nodelay_of_accepted(listening: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepts on ``listening``."""

    async def main() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        port = listening.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()
            server.close()

    return asyncio.run(main())


def _uvicorn_socket() -> socket.socket:
    return uvicorn.Config("dispatch.cluster.api_app:create", port=0).bind_socket()


def test_uvicorns_own_socket_leaves_nagle_on() -> None:
    """The fault this works around is real with the installed uvicorn (else drop as_tcp)."""
    with _uvicorn_socket() as sock:
        if sock.proto == socket.IPPROTO_TCP:  # uvicorn fixed it: as_tcp is then a no-op
            assert as_tcp(sock) is sock
            return
        assert _nodelay_of_accepted(sock) == 0


def test_as_tcp_makes_asyncio_turn_nagle_off() -> None:
    with as_tcp(_uvicorn_socket()) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.get_inheritable()  # the workers inherit it
        assert _nodelay_of_accepted(sock) != 0


def test_as_tcp_keeps_the_bound_address_and_leaves_unix_sockets_alone() -> None:
    bound = _uvicorn_socket()
    address = bound.getsockname()
    with as_tcp(bound) as sock:
        assert sock.getsockname() == address
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        assert as_tcp(unix) is unix
