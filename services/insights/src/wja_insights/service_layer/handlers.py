"""Insights use cases: every one, HTTP or event, runs through here."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from wja_platform.clock import Clock


@dataclass
class Deps:
    pool: asyncpg.Pool
    clock: Clock
    group_id: str
