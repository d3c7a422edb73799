"""The relay puts a record in the partition ``send`` would have chosen: a case's events stay in one partition
whichever way they were sent (issue 20 moved the relay from ``send`` to record batches it fills itself)."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner
from wja_platform.relay import partition_of


def test_partition_of_is_aiokafkas_default_partitioner_for_any_key_and_partition_count():
    rng = random.Random(20)
    keys = [f"{rng.randrange(100):02d}YE{rng.randrange(100_000):05d}26".encode() for _ in range(2_000)]
    keys += [rng.randbytes(rng.randrange(0, 40)) for _ in range(500)]  # any bytes, the empty key too
    default = DefaultPartitioner()
    for count in (1, 2, 3, 6, 12, 50):
        partitions = list(range(count))
        chosen = [partition_of(key, partitions) for key in keys * 2]  # the second pass answers from memory
        assert chosen == [default(key, partitions, partitions) for key in keys * 2]
        assert count == 1 or len(set(chosen)) > 1
