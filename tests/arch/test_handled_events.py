"""A service that declares the events it handles (``HANDLES``) does nothing with the others (issue 20).

The consumer does not apply an event of a type outside ``HANDLES``: no transaction, no inbox row, no span.
That is right only if the handler would have done nothing with it. Here every other event type of the
service's topics goes through its handler on a connection that refuses to be used: none may touch it. A
type missing from ``HANDLES`` that the handler does act on fails here, before it could be lost.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from wja_schemas import EVENT_TYPES, new_envelope
from wja_schemas.examples import example

DECLARING = ("charging", "court", "intake")


class Touched(Exception):
    pass


class RefusingConnection:
    """Any use of it (a query, a transaction) is recorded and refused."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def __getattr__(self, name: str) -> Any:
        async def use(*args: Any, **kwargs: Any) -> None:
            self.used.append(name)
            raise Touched(name)

        return use


def handler_and_types(service: str) -> tuple[Any, frozenset[str], tuple[str, ...]]:
    consumers = importlib.import_module(f"wja_{service}.entrypoints.consumers")
    config = importlib.import_module(f"wja_{service}.config")
    settings = next(v for v in vars(config).values() if getattr(v, "service", None) == service)
    handle = consumers.make_handler({"deps": None}) if hasattr(consumers, "make_handler") else consumers.handle
    return handle, consumers.HANDLES, settings.consumes


def apply(handle: Any, ce_type: str) -> RefusingConnection:
    conn = RefusingConnection()
    asyncio.run(handle(conn, new_envelope(example(ce_type))))
    return conn


@pytest.mark.parametrize("service", DECLARING)
def test_the_handler_does_nothing_with_the_events_it_does_not_declare(service):
    handle, handles, consumes = handler_and_types(service)
    others = [t for t, model in EVENT_TYPES.items() if model.producer in consumes and t not in handles]
    assert others  # the declaration leaves some out, or it would not be worth having
    for ce_type in others:
        assert apply(handle, ce_type).used == [], ce_type


@pytest.mark.parametrize("service", DECLARING)
def test_what_it_declares_comes_from_its_topics(service):
    _, handles, consumes = handler_and_types(service)
    assert handles and all(EVENT_TYPES[t].producer in consumes for t in handles)


def test_the_check_does_catch_a_handler_that_acts():
    handle, handles, _ = handler_and_types("charging")
    with pytest.raises(Touched):
        apply(handle, "wja.intake.charging.requested.v1")
    assert "wja.intake.charging.requested.v1" in handles
