"""Whatever asyncpg raises when PostgreSQL is away or going is a 503 with Retry-After, never a 500."""

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from wja_platform import db, errors

GOING = [
    ConnectionRefusedError(111, "refused"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.TooManyConnectionsError("too many clients"),
]


def app_raising(exc: BaseException) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/x")
    async def x() -> None:
        raise exc

    return app


@pytest.mark.parametrize("exc", GOING, ids=lambda e: type(e).__name__)
def test_database_going_away_is_503_with_retry_after(exc):
    assert isinstance(exc, db.UNAVAILABLE)
    response = TestClient(app_raising(exc)).get("/x")
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.json()["message"] == "the database is unavailable; retry"


def test_a_bug_is_still_a_500_that_says_nothing():
    response = TestClient(app_raising(ValueError("a victim's name"))).get("/x")
    assert response.status_code == 500 and "victim" not in response.text


@pytest.mark.parametrize(
    "exc",
    [asyncpg.exceptions.DeadlockDetectedError("deadlock detected"), asyncpg.exceptions.SerializationError("x")],
    ids=lambda e: type(e).__name__,
)
def test_a_transaction_aborted_for_a_conflict_is_503_with_retry_after(exc):
    assert isinstance(exc, db.CONFLICTS) and not isinstance(exc, db.UNAVAILABLE)
    response = TestClient(app_raising(exc)).get("/x")
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["message"] == "the database aborted this request for a conflict with another one; retry"
