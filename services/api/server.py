"""Serve the API: `python -m services.api.server [--host H] [--port P]`.

uvicorn with the limits a public port needs: request headers must be complete within
`api_header_timeout_s` (a slow-header client is disconnected), idle keep-alive connections
close after `api_keep_alive_s`, headers are capped at 16 KiB, and uvicorn's own
X-Forwarded-For handling is off (`TrustedForwardedFor` decides whom to believe). The
exposure check runs against the address the server really binds.
"""

from __future__ import annotations

import argparse
import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from services.api.security import check_exposure
from shared.settings import Settings, get_settings

MAX_HEADER_BYTES = 16 * 1024


class HeaderDeadlineProtocol(H11Protocol):
    """h11 that closes a connection whose request headers are not complete in time."""

    header_timeout_s = 10.0
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # the start of a request
            self._arm()
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # request line and headers are in
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout_s, self._expire)

    def _expire(self) -> None:
        self._header_deadline = None
        # Still no complete request line and headers: a slow or idle client.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def build_config(settings: Settings, host: str, port: int) -> uvicorn.Config:
    protocol = type(
        "ApiProtocol",
        (HeaderDeadlineProtocol,),
        {"header_timeout_s": settings.api_header_timeout_s},
    )
    return uvicorn.Config(
        "services.api.app:app",
        host=host,
        port=port,
        http=protocol,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=settings.api_keep_alive_s,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        log_config=None,  # the app's structured logging
    )


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="Serve the newsflow API.")
    parser.add_argument("--host", default=settings.api_host)
    parser.add_argument("--port", type=int, default=settings.api_port)
    args = parser.parse_args(argv)
    check_exposure(settings, bind_host=args.host)
    uvicorn.Server(build_config(settings, args.host, args.port)).run()


if __name__ == "__main__":
    main()
