"""The bench's HTTP client: one keep-alive HTTP/1.1 connection per sender, nothing else.

The load generator shares the 2 cores with what it measures, so what it spends is taken from the
stack. httpx spent about 10 ms of CPU per report at 200 reports/s offered (more than intake itself).
A sender is now a :class:`wja_cli.http1.Pool` of one connection: the lean client `wja simulate`
drives its journeys with (httptools parses the answer; chunked and Content-Length bodies,
``Connection: close`` honoured). Anything it cannot read is an error, never a guess.
"""

from __future__ import annotations

import json
from typing import Any

from wja_cli.http1 import Pool
from wja_cli.http1 import TransportError as HttpError

__all__ = ["Connection", "HttpError"]


class Connection:
    """A keep-alive connection to one server; reopened after a failure."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> None:
        self.pool = Pool(base_url, timeout=timeout, max_connections=1, keepalive_expiry=timeout)
        self.headers = {**(headers or {}), "Content-Type": "application/json"}

    async def post_json(self, path: str, body: Any) -> tuple[int, bytes]:
        """POST ``body`` as JSON; the status and the body of the answer (:class:`HttpError` when none came)."""
        response = await self.pool.request("POST", path, self.headers, json.dumps(body).encode())
        return response.status_code, response.content

    async def close(self) -> None:
        await self.pool.aclose()
