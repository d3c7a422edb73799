"""The bench's HTTP client: one keep-alive HTTP/1.1 connection per sender, nothing else.

The load generator shares the 2 cores with what it measures, so what it spends is taken from the
stack. httpx spent about 10 ms of CPU per report at 200 reports/s offered (more than intake itself);
this client writes a prepared request and reads the answer by its ``Content-Length``. It speaks just
what uvicorn answers a JSON POST with (no chunked bodies, no redirects); anything else is an error,
never a guess.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class HttpError(Exception):
    """The connection failed or the answer was not one this client reads."""


class Connection:
    """A keep-alive connection to one server; reopened after a failure."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> None:
        url = urlsplit(base_url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": url.netloc, **(headers or {})}.items())
        self.timeout = timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post_json(self, path: str, body: Any) -> tuple[int, bytes]:
        """POST ``body`` as JSON; the status and the body of the answer."""
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\n{self.fixed}Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        try:
            return await asyncio.wait_for(self._exchange(head.encode() + data), self.timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            await self.close()
            raise HttpError(type(exc).__name__) from exc

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(request)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
        if "content-length" not in fields:
            raise ValueError("an answer without Content-Length")
        body = await reader.readexactly(int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
