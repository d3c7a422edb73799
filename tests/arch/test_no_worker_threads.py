"""No request runs part of itself in a worker thread (issue 20).

FastAPI runs a plain ``def`` endpoint or dependency in anyio's thread pool: a hand-over to another thread
and back on every request, paid in context switches and the GIL. ``get_runtime`` was such a ``def``, on
every read of charging's files (the route the journey driver polls). Every endpoint and every dependency
of every service is ``async`` (or an object whose ``__call__`` is, as FastAPI's ``HTTPBearer``).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

SERVICES = ("intake", "charging", "court", "support", "insights")


def runs_on_the_loop(call: Callable[..., Any]) -> bool:
    for fn in (call, getattr(call, "__call__", None)):  # noqa: B004 (an instance's __call__, not callable())
        if fn is not None and (inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)):
            return True
    return False


def api_routes(routes: Any) -> Iterator[APIRoute]:
    """Every API route, in included routers too (FastAPI keeps an included router as one entry)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            assert not route.include_context.dependencies  # they would not be in the routes' own dependants
            yield from api_routes(route.original_router.routes)
        elif hasattr(route, "routes"):  # a mounted router
            yield from api_routes(route.routes)


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from calls(sub)


@pytest.mark.parametrize("service", SERVICES)
def test_every_endpoint_and_dependency_is_async(service):
    app = importlib.import_module(f"wja_{service}.bootstrap").create_app()
    checked, threaded = 0, []
    for route in api_routes(app.routes):
        for call in calls(route.dependant):
            checked += 1
            if not runs_on_the_loop(call):
                threaded.append(f"{sorted(route.methods)} {route.path}: {getattr(call, '__qualname__', call)}")
    assert checked > 10
    assert not threaded, "runs in a worker thread:\n" + "\n".join(threaded)


def test_the_check_does_see_a_plain_def():
    def plain() -> None: ...

    async def coroutine() -> None: ...

    assert not runs_on_the_loop(plain)
    assert runs_on_the_loop(coroutine)
