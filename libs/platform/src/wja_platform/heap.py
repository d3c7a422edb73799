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
"""

from __future__ import annotations

import gc


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
