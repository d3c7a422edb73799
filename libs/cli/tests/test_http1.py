"""The driver's HTTP/1.1 client against real servers: uvicorn (both its parsers) and a raw asyncio server
that answers byte for byte what a test scripts (chunked, no length, `Connection: close`, drops, silence)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from wja_cli import simulate
from wja_cli.http1 import ConnectError, ConnectionClosed, Pool, ProtocolError, Timeout
from wja_cli.testing import eventually, free_port

# --- a raw server: each connection is handed to the test's script -------------------------------------


@dataclass
class Request:
    line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Raw:
    url: str
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    closed_by_client: int = 0


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    except asyncio.IncompleteReadError:
        return None
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    return Request(head[0], headers, body)


Script = Callable[[Raw, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(script: Script) -> AsyncIterator[Raw]:
    raw = Raw("")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw.connections += 1
        try:
            await script(raw, reader, writer)
            if await reader.read() == b"":
                raw.closed_by_client += 1
        except (ConnectionError, asyncio.IncompleteReadError):
            raw.closed_by_client += 1
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    raw.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield raw


def answering(*answers: bytes | None) -> Script:
    """A script that answers the connection's requests in turn; ``None`` closes it without an answer."""

    async def script(raw: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            request = await read_request(reader)
            if request is None:
                return
            raw.requests.append(request)
            if answer is None:
                writer.transport.abort()  # a reset, as a crashed server gives
                return
            writer.write(answer)
            await writer.drain()

    return script


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


# --- bodies and connections ----------------------------------------------------------------------------


async def test_a_chunked_answer_is_read_whole_and_the_connection_kept() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    async with raw_server(answering(chunked, chunked)) as raw:
        pool = Pool(raw.url)
        first = await pool.request("GET", "/a")
        second = await pool.request("GET", "/b")
        await pool.aclose()
    assert (first.status_code, first.content, second.content) == (200, b"hello world", b"hello world")
    assert pool.opened == 1 and raw.connections == 1


async def test_an_answer_without_a_length_ends_when_the_server_closes() -> None:
    async def script(raw: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
        await writer.drain()
        writer.close()

    async with raw_server(script) as raw:
        pool = Pool(raw.url)
        first = await pool.request("GET", "/a")
        second = await pool.request("GET", "/a")
        await pool.aclose()
    assert first.content == second.content == b"until the end"
    assert pool.opened == 2  # the first connection ended with its answer


async def test_connection_close_from_the_server_is_honoured() -> None:
    closing = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    async with raw_server(answering(closing)) as raw:
        pool = Pool(raw.url)
        answers = [await pool.request("POST", "/x", {}, b"{}") for _ in range(3)]

        async def all_closed() -> bool:  # the client closed its side too, it did not keep them for a reuse
            return raw.closed_by_client == 3

        await eventually(all_closed, timeout=10)
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert pool.opened == raw.connections == 3
    assert not pool._idle


async def test_an_idle_connection_the_server_closed_is_not_used_again() -> None:
    async def close_after_one(raw: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answering(OK)(raw, reader, writer)  # answered keep-alive, then closed while idle
        writer.close()

    async with raw_server(close_after_one) as raw:
        pool = Pool(raw.url)
        await pool.request("GET", "/a")

        async def noticed() -> bool:
            return not pool._idle[0].reusable

        await eventually(noticed, timeout=10)
        again = await pool.request("GET", "/a")
        await pool.aclose()
    assert again.status_code == 200 and pool.opened == 2


async def test_an_idle_connection_past_its_expiry_is_not_used_again() -> None:
    async with raw_server(answering(OK, OK)) as raw:
        pool = Pool(raw.url, keepalive_expiry=0)
        await pool.request("GET", "/a")
        await pool.request("GET", "/a")
        await pool.aclose()
    assert pool.opened == 2


async def test_bytes_after_a_whole_answer_make_the_connection_unfit_for_reuse() -> None:
    async with raw_server(answering(OK + b"HTTP/1.1 200 OK\r\n", OK)) as raw:
        pool = Pool(raw.url)
        first = await pool.request("GET", "/a")

        async def dropped() -> bool:  # the stray bytes arrive after the answer was complete
            return raw.closed_by_client == 1

        await eventually(dropped, timeout=10)
        second = await pool.request("GET", "/a")
        await pool.aclose()
    assert first.status_code == second.status_code == 200
    assert pool.opened == 2


async def test_an_interim_100_answer_is_skipped() -> None:
    async with raw_server(answering(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)) as raw:
        pool = Pool(raw.url)
        response = await pool.request("POST", "/x", {}, b"{}")
        await pool.aclose()
    assert response.status_code == 200 and response.json() == {}


# --- failures -------------------------------------------------------------------------------------------


async def test_no_answer_within_the_timeout_is_a_timeout_and_the_connection_is_dropped() -> None:
    async def silent(raw: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw.requests.append(await read_request(reader))  # type: ignore[arg-type]

    async with raw_server(silent) as raw:
        pool = Pool(raw.url, timeout=0.2)
        with pytest.raises(Timeout, match=r"GET 127\.0\.0\.1:\d+/slow: no answer within 0\.2 s"):
            await pool.request("GET", "/slow")

        async def dropped() -> bool:
            return raw.closed_by_client == 1

        await eventually(dropped, timeout=10)
    assert not pool._idle


async def test_a_refused_connection_is_a_connect_error_naming_the_server_never_the_token() -> None:
    port = free_port()
    pool = Pool(f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectError) as caught:
        await pool.request("GET", "/v1/cases/X", {"Authorization": "Bearer secret-token"})
    assert f"GET 127.0.0.1:{port}/v1/cases/X" in str(caught.value)
    assert "secret" not in str(caught.value)


async def test_a_reset_before_the_answer_is_connection_closed() -> None:
    async with raw_server(answering(None)) as raw:
        with pytest.raises(ConnectionClosed, match="closed the connection before the whole answer"):
            await Pool(raw.url).request("GET", "/a")


async def test_an_unreadable_answer_is_a_protocol_error() -> None:
    async with raw_server(answering(b"SMTP ready\r\n\r\n")) as raw:
        with pytest.raises(ProtocolError, match="unreadable answer"):
            await Pool(raw.url).request("GET", "/a")


async def test_a_line_break_in_a_header_is_refused_before_sending() -> None:
    async with raw_server(answering(OK)) as raw:
        with pytest.raises(ValueError, match="line break"):
            await Pool(raw.url).request("GET", "/a", {"X-Note": "a\r\nX-Admin: yes"})
    assert raw.requests == []


# --- the simulator's client: keys, retries, tokens -------------------------------------------------------


async def test_a_post_is_sent_again_with_the_same_key_after_the_server_drops_the_connection() -> None:
    created = b"HTTP/1.1 201 Created\r\nContent-Length: 13\r\n\r\n" + b'{"urn":"U1"}\n'
    scripts = iter([answering(None), answering(created)])  # the first connection dies, the second answers

    async def script(raw: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await next(scripts)(raw, reader, writer)

    async with raw_server(script) as raw:
        client = simulate.Client(Pool(raw.url), {"Authorization": "Bearer t"})
        response = await client.post("/v1/reports", json={"force_code": "43"})
        await client.pool.aclose()
    assert response.status_code == 201 and response.json() == {"urn": "U1"}
    first, second = raw.requests
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.body == second.body and json.loads(second.body) == {"force_code": "43"}
    assert second.headers["authorization"] == "Bearer t"
    assert second.headers["content-type"] == "application/json"
    assert client.retries == 1


async def test_a_post_answered_503_is_sent_again_with_the_same_key() -> None:
    busy = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
    async with raw_server(answering(busy, OK)) as raw:
        client = simulate.Client(Pool(raw.url), {"Authorization": "Bearer t"})
        response = await client.post("/v1/x", json={})
        await client.pool.aclose()
    assert response.status_code == 200 and client.retries == 1
    assert len({r.headers["idempotency-key"] for r in raw.requests}) == 1 and len(raw.requests) == 2


async def test_every_post_has_its_own_key() -> None:
    async with raw_server(answering(OK, OK)) as raw:
        client = simulate.Client(Pool(raw.url), {})
        await client.post("/v1/x", json={})
        await client.post("/v1/x", json={})
        await client.pool.aclose()
    assert len({r.headers["idempotency-key"] for r in raw.requests}) == 2


async def test_a_read_that_gets_no_answer_is_asked_again_by_wait_for() -> None:
    status = b'{"status":"awaiting_decision"}'
    found = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(status), status)
    scripts = iter([answering(None), answering(found)])

    async def script(raw: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await next(scripts)(raw, reader, writer)

    async with raw_server(script) as raw:
        client = simulate.Client(Pool(raw.url), {"Authorization": "Bearer t"})

        async def opened() -> Any:
            r = await client.get("/v1/cases/U1")
            return r.json()["status"] == "awaiting_decision"

        assert await simulate.wait_for(opened, "file opened") is True
        await client.pool.aclose()
    assert len(raw.requests) == 2


# --- a real uvicorn, with each of its HTTP parsers -------------------------------------------------------


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echoes a POST's body with Content-Length; a GET of /stream answers in chunks (no length)."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"x" * 70_000, b"y" * 70_000):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    auth = dict(scope["headers"]).get(b"authorization", b"")
    answer = json.dumps({"echo": body.decode(), "auth": auth.decode()}).encode()
    await send({"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"%d" % len(answer))]})
    await send({"type": "http.response.body", "body": answer})


@contextlib.asynccontextmanager
async def uvicorn_serving(http: str) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(echo_app, port=port, http=http, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, timeout=30)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_uvicorn_keeps_the_connections_alive_and_each_answer_is_whole(http: str) -> None:
    async with uvicorn_serving(http) as url:
        client = simulate.Client(Pool(url), {"Authorization": "Bearer t"})
        alone = [await client.post("/echo", json={"n": i, "name": "Zoë"}) for i in range(20)]
        opened_alone = client.pool.opened
        together = await asyncio.gather(*(client.post("/echo", json={"n": i}) for i in range(10)))
        opened_together = client.pool.opened
        await asyncio.gather(*(client.post("/echo", json={"n": i}) for i in range(10)))
        streamed = await client.get("/stream")
        await client.pool.aclose()
    assert [json.loads(r.json()["echo"])["n"] for r in alone] == list(range(20))
    assert json.loads(alone[0].json()["echo"])["name"] == "Zoë"
    assert {r.json()["auth"] for r in [*alone, *together]} == {"Bearer t"}
    assert opened_alone == 1  # one after another: one connection, kept alive
    assert opened_together <= 10 and client.pool.opened == opened_together  # the ten are reused for the next ten
    assert streamed.content == b"x" * 70_000 + b"y" * 70_000
    assert "content-length" not in streamed.headers and streamed.headers["transfer-encoding"] == "chunked"
