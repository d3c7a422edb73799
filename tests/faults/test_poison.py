"""Poison on every topic: each record dead-lettered with its reason (or skipped, or parked) and the stream goes on.

``WJA_POISON_PER_TOPIC`` records (40 in ``make test``, 1,000 in ``make faults``) are put straight
on each case topic, bypassing the producers: bad JSON, schema-invalid, unknown event types and
events in the wrong order or for cases a consumer does not know. Expected, per journey.md:

- bad JSON and schema-invalid: dead-lettered by **every** consumer of the topic, with the reason,
  topic, partition, offset and group;
- unknown event types: skipped and counted (``wja_events_unknown_type_total``);
- out of order (a dependent event before the one it needs): parked, then applied when the
  earlier one arrives; nothing dead-lettered by the consumer that parked it;
- unknown case: parked, dead-lettered on the parking timeout; once the case exists,
  ``wja dlq replay`` sends it through the consumer's retry topic and it is applied.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from wja_charging.config import ChargingSettings
from wja_court.config import CourtSettings
from wja_insights.config import InsightsSettings
from wja_intake.config import IntakeSettings
from wja_schemas import new_envelope, to_record
from wja_schemas.examples import example
from wja_support.config import SupportSettings

from ..e2e.helpers import until
from .test_faults import DELIVERY, fetch

pytestmark = pytest.mark.e2e
PER_TOPIC = int(os.environ.get("WJA_POISON_PER_TOPIC", "40"))
SETTINGS = {
    "intake": IntakeSettings,
    "charging": ChargingSettings,
    "court": CourtSettings,
    "support": SupportSettings,
    "insights": InsightsSettings,
}
CONSUMERS = {
    p: [s for s, cls in SETTINGS.items() if p in cls.consumes] for p in ("intake", "charging", "court", "support")
}
TEMPLATE = {
    "intake": "wja.intake.suspect.arrested.v1",
    "charging": "wja.charging.review.requested.v1",
    "court": "wja.court.hearing.listed.v1",
    "support": "wja.support.wishes.recorded.v1",
}


def urn(force: str, n: int) -> str:
    return f"{force}PZ{n:05d}26"


def record(ce_type: str, case: str, **over) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    return to_record(new_envelope(example(ce_type, urn=case, **over)))


def poisoned(producer: str, kind: str, i: int) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """A record that is not a valid event of ``producer``'s topic."""
    key, value, headers = record(TEMPLATE[producer], urn("39", i))
    if kind == "bad_json":
        value = value[: len(value) // 2]
    elif kind == "schema_invalid":
        value = json.dumps({"urn": urn("39", i), "unexpected": True}).encode()
    else:  # unknown type: well formed, from a newer producer
        headers = [(k, f"wja.{producer}.not_yet_known.v{i + 2}".encode() if k == "ce_type" else v) for k, v in headers]
    return key, value, headers


def metric(system, service: str, name: str) -> float:
    text = httpx.get(f"{system.url(service)}/metrics", timeout=10).text
    match = re.search(rf'^{name}{{service="{service}"}} ([0-9.e+]+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


# The newest dead letter of each consumer before this test: earlier ones may sit at the same offsets
# (an earlier test's broker outage started a new, empty broker, which numbers offsets from 0 again).
EARLIER: dict[str, int] = {}


def dead_letters(system, consumer: str, topic: str, offsets: set[tuple[int, int]]) -> list:
    rows = fetch(
        system,
        consumer,
        'SELECT id, topic, partition, "offset", group_id, attempts, reason, urn, status FROM dead_letters'
        " WHERE topic = $1 AND id > $2",
        topic,
        EARLIER[consumer],
    )
    return [r for r in rows if (r["partition"], r["offset"]) in offsets]


def test_poison_on_every_topic_is_dead_lettered_with_reasons_and_the_fixable_replayed(system):
    bootstrap = system.test_stack.bootstrap
    share = {"bad_json": 3 * PER_TOPIC // 10, "schema_invalid": 3 * PER_TOPIC // 10}
    share["unknown_type"] = 2 * PER_TOPIC // 10
    rest = PER_TOPIC - sum(share.values())  # events out of order or for unknown cases
    unknown_before = {s: metric(system, s, "wja_events_unknown_type_total") for s in SETTINGS}
    for s in SETTINGS:
        EARLIER[s] = fetch(system, s, "SELECT coalesce(max(id), 0) AS id FROM dead_letters")[0]["id"]
    sent: dict[str, dict[str, set[tuple[int, int]]]] = {}

    async def inject() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        await producer.start()
        try:
            for topic_producer in CONSUMERS:
                topic = f"wja.{topic_producer}.case.v1"
                futures: list[tuple[str, asyncio.Future]] = []
                for kind, n in share.items():
                    for i in range(n):
                        key, value, headers = poisoned(topic_producer, kind, i)
                        futures.append((kind, await producer.send(topic, value, key=key, headers=headers)))
                for i in range(rest):
                    for kind, (ce_type, over) in ordering(topic_producer, i):
                        key, value, headers = record(ce_type, ordering_urn(topic_producer, i), **over)
                        target = f"wja.{ce_type.split('.')[1]}.case.v1"
                        fut = await producer.send(target, value, key=key, headers=headers)
                        futures.append((kind, fut) if target == topic else ("setup", fut))
                # and a good event after it all: the stream must go on
                key, value, headers = record(TEMPLATE[topic_producer], urn("38", PER_TOPIC + 1))
                futures.append(("good", await producer.send(topic, value, key=key, headers=headers)))
                offsets: dict[str, set[tuple[int, int]]] = {}
                for kind, fut in futures:
                    meta = await fut
                    if meta.topic == topic:
                        offsets.setdefault(kind, set()).add((meta.partition, meta.offset))
                sent[topic_producer] = offsets
        finally:
            await producer.stop()

    asyncio.run(inject())
    support_has = lambda u: fetch(system, "support", "SELECT 1 FROM entries WHERE urn = $1", u)  # noqa: E731
    until(lambda: support_has(urn("38", PER_TOPIC + 1)), "the good events after the poison applied", timeout=DELIVERY)
    checked = Counter()
    for topic_producer, consumers in CONSUMERS.items():
        topic = f"wja.{topic_producer}.case.v1"
        poison_offsets = sent[topic_producer]["bad_json"] | sent[topic_producer]["schema_invalid"]
        for consumer in consumers:

            def all_dead(c=consumer, t=topic, o=poison_offsets):
                rows = dead_letters(system, c, t, o)
                return rows if len(rows) == len(o) else None

            rows = until(all_dead, f"{consumer} dead-lettering the poison of {topic}", timeout=max(180, DELIVERY))
            reasons = Counter(
                "undecodable" if "undecodable" in r["reason"] else "invalid" if "invalid" in r["reason"] else "?"
                for r in rows
            )
            assert reasons == Counter(undecodable=share["bad_json"], invalid=share["schema_invalid"]), reasons
            assert all(r["group_id"] == f"wja-{consumer}" and r["attempts"] >= 1 for r in rows)
            assert all(
                (r["partition"], r["offset"]) in sent[topic_producer]["bad_json"]
                for r in rows
                if "undecodable" in r["reason"]
            )
            checked["dead-lettered poison"] += len(rows)

    for service in SETTINGS:
        skipped = sum(share["unknown_type"] for p, cs in CONSUMERS.items() if service in cs)
        until(
            lambda s=service, n=skipped: metric(system, s, "wja_events_unknown_type_total") - unknown_before[s] >= n,
            f"{service} counting the unknown types",
        )
        assert metric(system, service, "wja_events_unknown_type_total") - unknown_before[service] == skipped
        checked["unknown types skipped and counted"] += skipped

    # charging's topic: charges for cases intake never had; intake parks them, then gives up
    until(
        lambda: (
            fetch(system, "intake", "SELECT count(*) AS n FROM dead_letters WHERE urn LIKE '36PZ%'")[0]["n"] == rest
        ),
        "intake dead-lettering decisions for cases it does not know",
        timeout=DELIVERY,
    )
    checked["unknown-case events dead-lettered on the parking timeout"] += rest
    # support's topic: a special-measures request before its charge (another topic) waits for it
    early = [i for i in range(rest) if i % 2 == 0]
    until(
        lambda: (
            fetch(system, "court", "SELECT count(*) AS n FROM special_measures WHERE request_id LIKE 'sm-early-%'")[0][
                "n"
            ]
            == len(early)
        ),
        "court applying the parked requests once their charges arrived",
        timeout=DELIVERY,
    )
    assert not [
        r
        for r in dead_letters(system, "court", "wja.support.case.v1", sent["support"]["out_of_order"])
        if r["status"] == "open"
    ]
    checked["out of order parked then applied"] += len(early)
    # unknown cases: dead-lettered on the parking timeout; once the case exists, replay applies them
    fixes = {
        "charging": ("wja.intake.case.v1", "intake", "wja.intake.charging.requested.v1", "35", range(rest)),
        "court": ("wja.support.case.v1", "support", "wja.charging.decision.made.v1", "37", range(1, rest, 2)),
    }
    orphan_type = {
        "charging": "wja.intake.further_material.submitted.v1",
        "court": "wja.support.special_measures.requested.v1",
    }
    for consumer, (topic, producer, fix_type, force, numbers) in fixes.items():
        orphans = sent[producer]["orphan"]

        def gave_up(c=consumer, t=topic, o=orphans):
            rows = [r for r in dead_letters(system, c, t, o) if r["status"] == "open"]
            return rows if len(rows) == len(o) else None

        rows = until(gave_up, f"{consumer} dead-lettering the orphans on the parking timeout", timeout=DELIVERY)
        assert all(r["reason"].startswith("parking timeout") for r in rows)
        asyncio.run(send(bootstrap, [record(fix_type, urn(force, i), force_code=force) for i in numbers]))
        env = {
            **os.environ,
            "WJA_STATE_DIR": str(system.stack.state_dir),
            f"WJA_{consumer.upper()}_URL": system.url(consumer),
        }
        table = {"charging": "files", "court": "cases"}[consumer]
        until(
            lambda c=consumer, t=table, f=force: (
                fetch(system, c, f"SELECT count(*) AS n FROM {t} WHERE urn LIKE '{f}PZ%'")[0]["n"] == rest
            ),
            f"the orphans' cases at {consumer}",
        )
        ids = [arg for r in rows for arg in ("--id", str(r["id"]))]
        done = subprocess.run(
            [str(Path(sys.executable).parent / "wja"), "dlq", "replay", "--service", consumer, *ids],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,  # the command only asks for the replay; delivery is waited for below
        )
        assert done.returncode == 0, done.stderr

        def replayed(c=consumer, t=topic, o=orphans):
            rows = dead_letters(system, c, t, o)
            applied = fetch(
                system,
                c,
                "SELECT count(*) AS n FROM inbox WHERE urn = ANY($1::text[]) AND ce_type = $2 AND outcome = 'applied'",
                [r["urn"] for r in rows],
                orphan_type[c],
            )[0]["n"]
            still_open = [r for r in rows if r["status"] == "open"]
            return applied >= len(o) and not still_open

        until(replayed, f"the orphans replayed through {consumer}'s retry topic and applied", timeout=DELIVERY)
        checked["orphans dead-lettered then replayed and applied"] += len(orphans)
    print(f"\npoison per topic: {PER_TOPIC}; {dict(checked)}")


def ordering_urn(producer: str, i: int) -> str:
    return urn({"intake": "35", "charging": "36", "support": "37", "court": "34"}[producer], i)


def ordering(producer: str, i: int) -> list[tuple[str, tuple[str, dict]]]:
    """Events for cases a consumer does not know (yet) on ``producer``'s topic."""
    if producer == "intake":  # further material with no charging file: charging parks it
        return [("orphan", ("wja.intake.further_material.submitted.v1", {}))]
    if producer == "charging":  # a charge for a case intake never had: intake parks it
        return [("orphan", ("wja.charging.decision.made.v1", {"force_code": "36", "decision": "charge"}))]
    if producer == "support":  # a special-measures request before the charge: court parks it
        if i % 2:
            return [("orphan", ("wja.support.special_measures.requested.v1", {"request_id": f"sm-orphan-{i}"}))]
        return [
            ("out_of_order", ("wja.support.special_measures.requested.v1", {"request_id": f"sm-early-{i}"})),
            ("charge", ("wja.charging.decision.made.v1", {"force_code": "37", "decision": "charge"})),
        ]
    return [("valid", ("wja.court.hearing.listed.v1", {}))]  # court's consumers take any order


async def send(bootstrap: str, records: list) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for key, value, headers in records:
            producer_name = dict(headers)["ce_type"].decode().split(".")[1]
            await producer.send(f"wja.{producer_name}.case.v1", value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()
