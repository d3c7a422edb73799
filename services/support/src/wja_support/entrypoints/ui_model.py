"""View models of the IDVA workspace: caseload order, counts and filters; times as London shows them; forms.

Plain functions over what ``views`` returns, so the page's rules are tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, get_args
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from wja_schemas.types import SupportStage

M = TypeVar("M", bound=BaseModel)
LONDON = ZoneInfo("Europe/London")  # deadlines are 23:59 London time: show them so
STAGES = get_args(SupportStage)
PURPOSES = {
    "arrange_contact": "Arrange a call or meeting with the victim",
    "safety_planning": "Safety planning",
    "tell_decision": "Tell the victim about a decision",
    "court_preparation": "Prepare the victim for court",
}
"""Why a contact read is made: a fixed list, so free text (which might hold victim data) never reaches the audit."""


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def when(value: str | datetime | None) -> str:
    """A time as a London reader expects it, e.g. ``14 Sep 2026 13:00``."""
    at = parse_time(value) if isinstance(value, str) else value
    return at.astimezone(LONDON).strftime("%d %b %Y %H:%M") if at else ""


def london_date(value: str | datetime | None) -> date | None:
    at = parse_time(value) if isinstance(value, str) else value
    return at.astimezone(LONDON).date() if at else None


def words(code: str | None) -> str:
    return (code or "").replace("_", " ")


@dataclass(frozen=True)
class Urgency:
    overdue: bool
    due_today: bool

    @property
    def rank(self) -> int:
        return 0 if self.overdue else 1 if self.due_today else 2


def urgency(row: dict[str, Any], now: datetime) -> Urgency:
    """Overdue: something the victim should have been told is late; due today: the next deadline is today (London)."""
    overdue = bool(row.get("overdue"))
    due_today = not overdue and london_date(row.get("next_deadline")) == london_date(now)
    return Urgency(overdue, due_today)


def most_urgent_first(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Overdue cases, then those due today, then by next deadline (none last), then by URN."""

    def key(row: dict[str, Any]) -> tuple[int, int, str, str]:
        deadline = row.get("next_deadline")
        return (urgency(row, now).rank, deadline is None, deadline or "", row["urn"])

    return sorted(rows, key=key)


def force_of(urn: str) -> str:
    """The force code: the URN's first two digits (journey.md §1)."""
    return urn[:2]


@dataclass(frozen=True)
class Filters:
    stage: str = ""
    overdue: bool = False
    force: str = ""

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Filters:
        stage = query.get("stage", "")
        force = query.get("force", "")
        return cls(
            stage=stage if stage in STAGES else "",
            overdue=query.get("overdue") in ("1", "on", "true"),
            force=force if len(force) == 2 and force.isdigit() else "",
        )

    def keep(self, row: dict[str, Any]) -> bool:
        return (
            (not self.stage or row["stage"] == self.stage)
            and (not self.overdue or bool(row.get("overdue")))
            and (not self.force or force_of(row["urn"]) == self.force)
        )


def counts(rows: list[dict[str, Any]], now: datetime, contacted: set[str]) -> dict[str, int]:
    """Cases overdue, cases due today, and new referrals: open cases with no contact with the victim recorded yet."""
    marks = [urgency(r, now) for r in rows]
    return {
        "overdue": sum(m.overdue for m in marks),
        "due_today": sum(m.due_today for m in marks),
        "new_referrals": sum(1 for r in rows if not r.get("support_closed") and r["urn"] not in contacted),
    }


def caseload_rows(rows: list[dict[str, Any]], now: datetime, contacted: set[str]) -> list[dict[str, Any]]:
    """What each caseload row shows (the unassigned ones flagged "needs an IDVA" when the rows carry it)."""
    out = []
    for row in most_urgent_first(rows, now):
        mark = urgency(row, now)
        out.append(
            {
                **row,
                "force": force_of(row["urn"]),
                "is_overdue": mark.overdue,
                "due_today": mark.due_today,
                "next_deadline_text": when(row.get("next_deadline")) or "none",
                "needs_idva": bool(row.get("needs_idva")) or not row.get("idva"),
                "new_referral": not row.get("support_closed") and row["urn"] not in contacted,
            }
        )
    return out


def obligations(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries the victim must be told about, with their chain of duties (court → WCU → victim) when any."""
    return [
        {
            **e,
            "steps_text": [f"{s['duty_holder'].upper()} by {when(s['by'])}" for s in e.get("steps") or []],
        }
        for e in entries
        if e.get("duty_holder")
    ]


def form_data(body: bytes) -> dict[str, list[str]]:
    """An ``application/x-www-form-urlencoded`` body (what a form without JavaScript sends)."""
    return parse_qs(body.decode(), keep_blank_values=True)


def one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def local_time(value: str) -> datetime | str:
    """A ``datetime-local`` input (London wall time) as an aware time; the text back when it is not a time."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return at if at.tzinfo else at.replace(tzinfo=LONDON)


def problems(exc: ValidationError) -> list[dict[str, str]]:
    """pydantic's complaints as the error contract lists them: field and message, never the submitted value."""
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "form", "message": str(e["msg"]).removeprefix("Value error, ")}
        for e in exc.errors()
    ]


def checked(model: type[M], data: dict[str, Any]) -> M:
    """The API's request model built from a form, so the page obeys the API's rules (raises ValidationError)."""
    return model.model_validate({k: v for k, v in data.items() if v is not None and v != ""})
