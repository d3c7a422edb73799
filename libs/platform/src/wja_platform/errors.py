"""The HTTP error contract: ``{"message": ..., "errors": [{"field": ..., "message": ...}]}``.

Every invalid field is listed; submitted values are never echoed (they may be victim data).
Domain errors need not import this module: any exception with an ``http_status`` attribute
(and optionally ``field``) is mapped to that status with its message.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wja_platform import db, problems, telemetry

log = logging.getLogger(__name__)


# The family lives in :mod:`wja_platform.problems` (plain Python, so domains may raise it); the
# older names stay as aliases.
ServiceError = problems.ServiceError
NotFoundError = problems.NotFound
ConflictError = problems.Conflict
ForbiddenError = problems.Forbidden
InvalidError = problems.Invalid
GoneError = problems.Gone
refuse = problems.refuse


def body(message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The error body."""
    return {"message": message, "errors": errors or []}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


def _message(err: dict[str, Any]) -> str:
    if err.get("type") == "json_invalid":
        return "the body is not valid JSON"
    if err.get("type") == "missing":
        return "required"
    msg = str(err.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


def install(app: FastAPI) -> None:
    """Register the handlers that shape every error response."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "message": _message(e)} for e in exc.errors()]
        return JSONResponse(body("the request is invalid", errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            body(str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    app.add_middleware(DomainOrBug)


class DomainOrBug:
    """ASGI middleware: an exception the routes did not handle becomes the error body.

    An exception with an ``http_status`` of 4xx is that status with its message (and fields); the
    database going away, or aborting the request's transaction for a conflict with another, is 503 with
    ``Retry-After``; anything else is a 500 that names nothing.

    Plain ASGI, not ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` runs the app in a
    task of its own and streams its answer through a memory channel, on every request (issue 20).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        with telemetry.case_scope():  # the request's case URN ends with it (BaseHTTPMiddleware's task did that)
            try:
                await self.app(scope, receive, watch)
            except Exception as exc:
                if isinstance(exc, db.CONFLICTS) and db.in_ambient():  # the keyed request's owner runs it again
                    raise
                failed = f"{scope.get('method', 'HTTP')} request failed"
                if started:  # an answer is under way: nothing can replace it (the server ends it)
                    telemetry.keep_error(type(exc).__name__, failed)
                    raise
                response = answer(exc)
                if response.status_code >= 500:  # an error the traces keep, whatever the sample ratio
                    telemetry.keep_error(type(exc).__name__, failed)
                await response(scope, receive, send)


CONFLICT_MESSAGE = "the database aborted this request for a conflict with another one; retry"


def answer(exc: Exception) -> JSONResponse:
    """The response for an exception no route handled."""
    status_code = getattr(exc, "http_status", None)
    if isinstance(status_code, int) and 400 <= status_code < 500:
        message = getattr(exc, "message", None) or str(exc)
        field = getattr(exc, "field", None)
        problems = getattr(exc, "problems", None) or ([(field, message)] if field else [])
        errors = [{"field": f, "message": m} for f, m in problems]
        return JSONResponse(body(message, errors), status_code=status_code)
    if isinstance(exc, db.UNAVAILABLE):
        log.warning("request not run: database unavailable (%s)", type(exc).__name__)
        return JSONResponse(body("the database is unavailable; retry"), status_code=503, headers={"Retry-After": "1"})
    if isinstance(exc, db.CONFLICTS):  # rolled back whole: nothing of it was kept
        log.warning("request not run: its transaction was aborted for a conflict (%s)", type(exc).__name__)
        return JSONResponse(body(CONFLICT_MESSAGE), status_code=503, headers={"Retry-After": "1"})
    tb = traceback.extract_tb(exc.__traceback__)[-1]
    log.error("unhandled %s at %s:%s", type(exc).__name__, tb.filename, tb.lineno)
    return JSONResponse(body("internal error"), status_code=500)


ERROR_RESPONSES = {
    "400": "Malformed request (e.g. an Idempotency-Key that is not printable ASCII, or a token in the query string).",
    "401": "No bearer token, or one that is expired, tampered or of another algorithm.",
    "403": "Your agency or role may not do this, or the case is not yours to see.",
    "404": "No such case or resource.",
    "409": "Not allowed in the case's current state.",
    "422": "Invalid request: every invalid field is listed, values never echoed.",
    "503": "A dependency (database) is unavailable, or aborted the request for a conflict: retry (with the same"
    " Idempotency-Key).",
}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error contract (body schema and statuses) to the operations of an OpenAPI ``schema``.

    Operations that need a token (those with a ``security`` requirement) may answer every status of
    :data:`ERROR_RESPONSES`. Open ones (``/healthz``, ``/readyz``, ``/metrics``) list only what
    their route declares, with the error body on a 422 if FastAPI documented one.
    """
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "required": ["message", "errors"],
        "properties": {
            "message": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            statuses = ERROR_RESPONSES if operation.get("security") else {"422": ERROR_RESPONSES["422"]}
            for status, description in statuses.items():
                if operation.get("security") or status in responses:
                    responses[status] = {"description": description, "content": content}
    return schema
