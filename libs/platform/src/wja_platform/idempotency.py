"""Idempotency keys: a POST retried with the same ``Idempotency-Key`` has its effect once.

A client that did not get an answer (timeout, connection reset, the service killed mid-request)
sends the same request again with the same key. The middleware runs the first request in one
database transaction and writes its answer into ``idempotency_keys`` in that transaction: the
state change, its outbox events and the stored answer commit together, or none of them does.
A retry then gets the stored answer (header ``Idempotent-Replayed: true``) and changes nothing: it
runs, finds the key taken when it would store its own answer, and is rolled back.

- Keys are per caller (agency and subject of the verified token): nobody replays another's answer.
- A key reused with a different request (method, path, query or body) is refused with 422.
- Two requests with the same key at once: the second waits for the first, then gets its answer
  (its own work rolled back).
- Only successful (2xx) answers are kept; after a 4xx nothing changed, so a retry runs again.
- A run PostgreSQL aborts for a conflict with another transaction (a deadlock) is rolled back whole and run
  again, up to :data:`CONFLICT_RUNS` runs, before the caller gets a 503.
- Answers are kept ``idempotency_retention_hours`` (24 by default), then pruned.

Handlers take their connections through :func:`wja_platform.db.transaction` and
:func:`wja_platform.db.connection`, which use the request's transaction when there is one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import asyncpg
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wja_platform import auth, db, errors, telemetry

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
"""Printable ASCII without spaces, 1 to 200 characters (a UUID is the usual choice)."""
MAX_BODY = 1024 * 1024
"""Largest request body taken with a key (no request of these APIs comes near it)."""
CONFLICT_RUNS = 3
"""Runs of a keyed request whose transaction PostgreSQL aborted for a conflict with another (a deadlock, a
serialization failure) before it is answered 503: the whole request was rolled back, so it is run again, as
PostgreSQL's documentation asks of applications (docs/integrators.md)."""
RETRY_AFTER = [(b"retry-after", b"1")]


def _json(status: int, message: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> tuple[Message, Message]:
    body = json.dumps(errors.body(message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    return (
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    )


async def _send_all(send: Send, messages: Sequence[Message]) -> None:
    for message in messages:
        await send(message)


def _caller(scope: Scope) -> str | None:
    """``agency:sub`` of a valid bearer token, else None (the route itself will refuse it)."""
    headers = dict(scope["headers"])
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    state = scope["app"].state
    try:
        who = auth.verify(token.strip(), state.jwt_keys, state.jwt_algorithm)
    except HTTPException:
        return None
    return f"{who.agency}:{who.sub}"


class IdempotencyMiddleware:
    """ASGI middleware giving every POST of a service idempotency-key semantics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw_key = dict(scope["headers"]).get(HEADER.lower().encode())
        runtime = getattr(scope["app"].state, "runtime", None)
        if raw_key is None or runtime is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not KEY_PATTERN.match(key):
            await _send_all(send, _json(400, f"{HEADER} must be 1 to 200 printable ASCII characters, no spaces"))
            return
        owner = _caller(scope)
        if owner is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            await _send_all(send, _json(413, f"the request body is larger than {MAX_BODY // 1024} KiB"))
            return
        digest = hashlib.sha256()
        for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")):
            digest.update(part.encode() + b"\0")
        digest.update(body)
        await _send_all(send, await self._answer(runtime.pool, owner, key, digest.hexdigest(), scope, body))

    async def _answer(
        self, pool: asyncpg.Pool, owner: str, key: str, fingerprint: str, scope: Scope, body: bytes
    ) -> Sequence[Message]:
        """The request's answer: run in its transaction, and run again when PostgreSQL aborted it for a conflict
        (rolled back whole, nothing kept: PostgreSQL's advice), up to :data:`CONFLICT_RUNS` runs; else a 503."""
        try:
            return await db.again_on_conflict(
                lambda: self._in_transaction(pool, owner, key, fingerprint, scope, body),
                runs=CONFLICT_RUNS,
                what="idempotent request",
            )
        except db.UNAVAILABLE as exc:
            log.warning("idempotent request not run: database unavailable (%s)", type(exc).__name__)
            return _json(503, "the database is unavailable; retry with the same key", RETRY_AFTER)
        except db.CONFLICTS as exc:
            name = type(exc).__name__
            log.warning("idempotent request not run: aborted for a conflict %s times (%s)", CONFLICT_RUNS, name)
            telemetry.keep_error(name, "POST request aborted for a conflict")
            return _json(503, errors.CONFLICT_MESSAGE, RETRY_AFTER)

    async def _in_transaction(
        self, pool: asyncpg.Pool, owner: str, key: str, fingerprint: str, scope: Scope, body: bytes
    ) -> Sequence[Message]:
        # The key's own statements (BEGIN, the claim, the answer, COMMIT, the pool's reset) make no span each;
        # the request's, run inside, do as usual (:meth:`_run`).
        with telemetry.instrumentation_suppressed():
            return await self._claim_run_answer(pool, owner, key, fingerprint, scope, body)

    async def _claim_run_answer(
        self, pool: asyncpg.Pool, owner: str, key: str, fingerprint: str, scope: Scope, body: bytes
    ) -> Sequence[Message]:
        """Run the request, then store its answer under the key in the same transaction, and commit.

        The key is written last, not claimed first (issue 20: one round trip a keyed request less). A request
        whose key is already taken finds out there: it waits for the holder to commit, then rolls its own
        work back and replays the holder's answer (or 422 for another request under the same key). A request
        that failed (4xx) is rolled back, then answered from the key if an earlier request stored one.
        """
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            committed = False
            try:
                messages = await self._run(conn, scope, body)
                if messages and 200 <= messages[0]["status"] < 300:
                    headers = dict(messages[0]["headers"])
                    stored = await conn.fetchval(
                        "INSERT INTO idempotency_keys (owner, key, fingerprint, status, content_type, body)"
                        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
                        owner,
                        key,
                        fingerprint,
                        messages[0]["status"],
                        headers.get(b"content-type", b"application/json").decode("latin-1"),
                        b"".join(m.get("body", b"") for m in messages[1:]),
                    )
                    if stored:
                        await tx.commit()
                        committed = True
                        return messages
            finally:
                if not committed:
                    await tx.rollback()
            row = await conn.fetchrow(
                "SELECT fingerprint, status, content_type, body FROM idempotency_keys WHERE owner = $1 AND key = $2",
                owner,
                key,
            )
            return messages if row is None else _replay(row, fingerprint)

    async def _run(self, conn: asyncpg.Connection, scope: Scope, body: bytes) -> list[Message]:
        """Run the request with ``conn``'s transaction as the ambient one; collect its answer."""
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # no disconnect is reported while the request runs
            raise AssertionError("unreachable")

        messages: list[Message] = []

        async def collect(message: Message) -> None:
            messages.append(message)

        with db.ambient(conn), telemetry.instrumentation_suppressed(False):
            await self.app(scope, receive, collect)
        return messages


def _replay(row: asyncpg.Record, fingerprint: str) -> tuple[Message, ...]:
    if row["fingerprint"] != fingerprint:
        return _json(422, f"this {HEADER} was used for a different request; use a new key for a new request")
    content = bytes(row["body"])
    headers = [
        (b"content-type", row["content_type"].encode("latin-1")),
        (b"content-length", str(len(content)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    return (
        {"type": "http.response.start", "status": row["status"], "headers": headers},
        {"type": "http.response.body", "body": content},
    )


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it is over :data:`MAX_BODY`."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY:
            return None
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def prune(pool: asyncpg.Pool, retention_hours: float) -> int:
    """Delete answers older than the retention period; returns how many went."""
    result = await pool.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)", retention_hours * 3600
    )
    return int(result.split()[-1])


def openapi_header(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the optional ``Idempotency-Key`` header on every POST operation of ``schema``."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": "Send the same key again to retry safely: the effect happens once, the first answer "
        "is returned (header Idempotent-Replayed). Keys are per caller and kept 24 hours.",
        "schema": {"type": "string", "pattern": KEY_PATTERN.pattern, "maxLength": 200},
    }
    for path in schema.get("paths", {}).values():
        post = path.get("post")
        if post is not None:
            post.setdefault("parameters", []).append(parameter)
    return schema
