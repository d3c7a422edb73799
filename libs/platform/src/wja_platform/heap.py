"""The garbage collector and a long-running service: what is alive once it has started stays alive.

A started service holds a large graph of objects that are never garbage: its modules, classes and functions,
pydantic's validators, FastAPI's routes, the pool and the clients. CPython's full (generation 2) collection
walks every one of them each time it runs. Measured in ``bench/consume_ratio.py`` (issue 20), applying 30,000
events ran 22 full collections of 71 ms each, 1.6 s in all, and cost 227 µs of CPU an event; with the heap
frozen once the service had started, a full collection took 15 ms and an event 178 to 184 µs. The pauses also
land on requests: a 71 ms collection is a 71 ms stall of every request in flight.

:func:`freeze_startup_heap` collects once, then moves everything alive to the collector's permanent generation
(:func:`gc.freeze`), which collections no longer walk. Objects made afterwards are collected as before.
The cost: a cycle among frozen objects that later becomes garbage is never reclaimed, so it runs once a
process, after start-up, when what is alive is what the service keeps.

:func:`tune_collector` makes the youngest generation's collection wait for :data:`YOUNG_THRESHOLD` more live
objects than at the last one, not 700. The collector counts objects made minus objects freed, and most of ours are
freed by their reference count as soon as a request or a batch is done. But a batch of 500 events keeps thousands
alive while it is applied: at 700, the youngest generation was collected every few events, and what the batch still
held was moved on to the older generations, which were then collected the more often and the longer. At 10,000 it
was still collected 59 times in 30,000 events; at 50,000, once or twice.
Measured on 1 December 2026 (issue 20):

- ``bench/consume_ratio.py``, in one process, the threshold alternated between rounds (seven of each): applying
  30,000 events ran about 1,300 young, 120 middle and 12 full collections at 700, and one or two in all at 50,000.
  An event cost 196 µs of CPU against 213 (medians), and 4,487 were applied a second against 4,061. The bare
  aiokafka consumer read a record in 14.3 µs against 19.4.
- ``bench/journey_total_cpu.py``, the stack with and without it, three runs of each in turn: a journey cost
  92 to 100 ms of CPU against 107 to 114 ms.

Garbage without cycles is freed as before; cycles wait longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
"""Live objects made since the youngest generation's last collection that start the next one (CPython's: 700)."""


def tune_collector() -> None:
    """Collect the youngest generation at :data:`YOUNG_THRESHOLD` (the older generations' thresholds unchanged)."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)


def freeze_startup_heap() -> bool:
    """Collect, then freeze every object alive; once a process (False when the heap was already frozen).

    Once, so that a process that starts many services one after another (the tests) keeps collecting the
    ones it stopped.
    """
    if gc.get_freeze_count():
        return False
    gc.collect()
    gc.freeze()
    return True
