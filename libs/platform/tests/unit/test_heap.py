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


def test_the_young_generation_waits_for_a_batchs_worth_of_live_objects_and_cycles_still_go() -> None:
    out = run(
        """
        young = []
        gc.callbacks.append(lambda phase, info: phase == "start" and young.append(info["generation"]))
        heap.tune_collector()
        kept = [Node() for _ in range(20_000)]  # alive, as a batch's objects are while it is applied
        collected_while_kept = len(young)
        dead = cycle()
        more = [Node() for _ in range(heap.YOUNG_THRESHOLD)]  # past the threshold: the young generation goes
        print(gc.get_threshold()[0] == heap.YOUNG_THRESHOLD, collected_while_kept, dead() is None, 0 in young)
        """
    )
    assert out == "True 0 True True"


def test_tuning_keeps_a_higher_threshold_and_the_older_generations() -> None:
    out = run(
        """
        gc.set_threshold(80_000, 7, 9)
        heap.tune_collector()
        print(gc.get_threshold())
        """
    )
    assert out == "(80000, 7, 9)"
