"""Freezing the start-up heap (wja_platform.heap): once a process, after a collection; later garbage still goes.

Each case runs in a fresh interpreter: the test process has frozen its heap already (a service started).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

PRELUDE = """
import gc, weakref
from wja_platform import heap

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)
"""


def run(body: str) -> str:
    script = PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()


def test_garbage_from_before_is_collected_not_frozen_and_everything_alive_is_frozen() -> None:
    out = run(
        """
        gc.disable()  # no collection of its own may reclaim the cycle first
        dead = cycle()
        kept = [Node() for _ in range(1000)]
        assert gc.get_freeze_count() == 0
        print(heap.freeze_startup_heap(), dead() is None, gc.get_freeze_count() >= 1000)
        """
    )
    assert out == "True True True"


def test_it_freezes_once_a_process() -> None:
    out = run(
        """
        first = heap.freeze_startup_heap()
        frozen = gc.get_freeze_count()
        extra = [Node() for _ in range(1000)]
        print(first, heap.freeze_startup_heap(), gc.get_freeze_count() == frozen)
        """
    )
    assert out == "True False True"


def test_cycles_made_after_the_freeze_are_still_collected() -> None:
    out = run(
        """
        heap.freeze_startup_heap()
        later = cycle()
        gc.collect()
        print(later() is None)
        """
    )
    assert out == "True"
