"""`wja status --watch` ends on Ctrl-C wherever it lands, even in a look whose client swallows cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import pytest
from wja_cli import status as st

pytestmark = pytest.mark.timeout(30)


def empty() -> st.Snapshot:
    return st.Snapshot([], [], {}, st.Limits())


def test_ctrl_c_during_a_look_that_swallows_its_cancellation_ends_the_watch() -> None:
    shown: list[st.Snapshot] = []
    looks = 0

    async def stubborn_look() -> st.Snapshot:
        """Like a broker client that catches the CancelledError once and goes on with its work."""
        nonlocal looks
        looks += 1
        asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGINT)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(5)
        return empty()

    first = empty()
    last = asyncio.run(st.watch(stubborn_look, first, shown.append, interval=0.01))

    assert looks == 1
    assert last is first  # the interrupted look is not shown
    assert shown == [first]


def test_the_watch_shows_each_new_look_until_ctrl_c_between_looks() -> None:
    shown: list[st.Snapshot] = []

    async def look() -> st.Snapshot:
        return empty()

    def show(snapshot: st.Snapshot) -> None:
        shown.append(snapshot)
        if len(shown) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    last = asyncio.run(st.watch(look, empty(), show, interval=0.01))

    assert len(shown) == 3
    assert last is shown[-1]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C is Python's again afterwards
