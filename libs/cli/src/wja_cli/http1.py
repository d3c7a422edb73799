"""A lean HTTP/1.1 client: keep-alive connections to one server, an answer parsed by httptools.

Why not httpx, which the project uses everywhere else: the journey driver (`wja simulate`) and the
bench's load generator share the 2 cores with the stack they drive, so every millisecond they spend
is taken from what they measure. httpx spent about 1.2 ms of CPU a request; this client about a
tenth of it (docs/performance-journal.md, "The journey driver").

What it does: writes one prepared request on a keep-alive connection (a new one when none is idle,
at most ``max_connections`` at once) and reads the answer with httptools' parser (llhttp, the one
uvicorn uses): ``Content-Length``, chunked and read-until-close bodies, interim 1xx answers skipped,
``Connection: close`` honoured. An idle connection is not used again after ``keepalive_expiry``
seconds (before the server's own keep-alive timeout: uvicorn's is 5 s) nor once the server closed it.
What it does not do: TLS, redirects, cookies, proxies, compression, upgrades.

Every failure to get a whole answer is a :class:`TransportError`, and the connection is dropped; the
request may or may not have been handled, so only the caller knows whether it is safe to send it
again (the simulator resends a POST with the same ``Idempotency-Key``). Messages name the method,
the server and the path, never a header or a body.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httptools


class TransportError(Exception):
    """No whole answer came (or none this client can read)."""


class ConnectError(TransportError):
    """The connection could not be opened (refused, unreachable): the request was not sent."""


class Timeout(TransportError):
    """No whole answer within the pool's timeout."""


class ConnectionClosed(TransportError):
    """The server closed or reset the connection before the whole answer."""


class ProtocolError(TransportError):
    """The answer was not HTTP/1.1 this client reads."""


class Response:
    """An answer: status, headers as sent (bytes), body."""

    __slots__ = ("content", "raw_headers", "status_code")

    def __init__(self, status_code: int, raw_headers: list[tuple[bytes, bytes]], content: bytes) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.content = content

    @property
    def headers(self) -> dict[str, str]:
        """Header names in lower case (a repeated header: its last value)."""
        return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.raw_headers}

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<Response {self.status_code}, {len(self.content)} bytes>"


class _Connection(asyncio.Protocol):
    """One connection; the parser is fed as bytes arrive and completes the waiting request."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.reusable = True  # false once the server closed it, said `Connection: close`, or it failed
        self.idle_since = 0.0
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._until_close = False  # the answer's body has no length: it ends when the server closes

    async def exchange(self, request: bytes) -> Response:
        assert self.transport is not None
        if not self.reusable or self.transport.is_closing():
            raise ConnectionClosed("the connection was closed before the request was sent")
        self.waiter = asyncio.get_running_loop().create_future()
        self._headers, self._body, self._until_close = [], [], False
        self.transport.write(request)
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():  # nothing asked (e.g. a 408 before a close): never reuse it
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ProtocolError("the server switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(ProtocolError(f"unreadable answer ({exc})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self.waiter is not None and not self.waiter.done():
            if self._until_close:
                self._complete(keep_alive=False)
            else:
                self._fail(ConnectionClosed("the server closed the connection before the whole answer"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self.waiter is None or self.waiter.done():  # a second answer to one request: never reuse it
            self.close()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        names = {name.lower() for name, _ in self._headers}
        delimited = b"content-length" in names or b"transfer-encoding" in names
        self._until_close = not delimited and status >= 200 and status not in (204, 304)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() < 200:  # an interim answer (100 Continue, 103): the real one follows
            self._headers, self._body = [], []
            return
        self._complete(keep_alive=self.parser.should_keep_alive())

    def _complete(self, keep_alive: bool) -> None:
        if not keep_alive:
            self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(Response(self.parser.get_status_code(), self._headers, b"".join(self._body)))

    def _fail(self, error: TransportError) -> None:
        self.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)


class Pool:
    """Keep-alive connections to the server of ``base_url`` (``http://host:port[/prefix]``)."""

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, max_connections: int = 100, keepalive_expiry: float = 2.0
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"{base_url!r}: only http://host[:port] URLs are served by this client")
        self.host, self.port = url.hostname, url.port or 80
        self.server = f"{self.host}:{self.port}"
        self.prefix = url.path.rstrip("/")
        self.timeout = timeout
        self.keepalive_expiry = keepalive_expiry
        self._host = f"Host: {url.netloc}\r\n"
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: deque[_Connection] = deque()
        self.opened = 0
        """Connections opened so far (the tests check that keep-alive reuses them)."""

    async def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes | None = None
    ) -> Response:
        """Send one request and read its whole answer; a :class:`TransportError` when none came."""
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items()) if headers else ""
        count = 3 + (len(headers) if headers else 0)  # the request line, Host, the headers, the blank line
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines += f"Content-Length: {len(body or b'')}\r\n"
            count += 1
        head = f"{method} {self.prefix}{path} HTTP/1.1\r\n{self._host}{lines}\r\n"
        if head.count("\n") != count or head.count("\r") != count:  # never let a value add a header
            raise ValueError(f"{method} {path!r}: a line break in the path or a header")
        request = head.encode("latin-1") + body if body else head.encode("latin-1")
        async with self._slots:
            conn = self._take_idle()
            answered = False
            try:
                async with asyncio.timeout(self.timeout):
                    if conn is None:
                        conn = await self._open()
                    response = await conn.exchange(request)
                answered = True
            except TimeoutError as exc:
                raise Timeout(f"{method} {self.server}{path}: no answer within {self.timeout:g} s") from exc
            except ConnectionClosed as exc:
                raise ConnectionClosed(f"{method} {self.server}{path}: {exc}") from exc
            except ProtocolError as exc:
                raise ProtocolError(f"{method} {self.server}{path}: {exc}") from exc
            except OSError as exc:
                raise ConnectError(f"{method} {self.server}{path}: {exc.strerror or exc}") from exc
            finally:
                if not answered and conn is not None:
                    conn.close()  # failed or cancelled mid-exchange: a late answer could still arrive on it
            if conn.reusable:
                conn.idle_since = asyncio.get_running_loop().time()
                self._idle.append(conn)
            return response

    def _take_idle(self) -> _Connection | None:
        now = asyncio.get_running_loop().time()
        while self._idle:
            conn = self._idle.pop()  # the most recently used first
            if conn.reusable and now - conn.idle_since < self.keepalive_expiry:
                return conn
            conn.close()
        return None

    async def _open(self) -> _Connection:
        _, conn = await asyncio.get_running_loop().create_connection(_Connection, self.host, self.port)
        self.opened += 1
        return conn

    async def aclose(self) -> None:
        """Close the idle connections (a request still running closes its own when it ends)."""
        while self._idle:
            self._idle.pop().close()
        await asyncio.sleep(0)  # let the transports finish closing
