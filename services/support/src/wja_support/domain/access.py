"""Who may see and act on a case: the IDVA assigned to it, or a manager of their team (journey.md §3).

Plain rules over a :class:`Caller` (the verified token's claims) and a :class:`~model.Case`; the facts
that live in the roster (the forces a team serves, whether an IDVA is on it) are passed in.
"""

from __future__ import annotations

from typing import Protocol

from wja_platform.problems import Forbidden

from wja_support.domain.model import Case

CASELOAD_ROLES = frozenset({"idva", "manager", "service"})
"""The IDVA agency's roles that have a caseload (a ``service`` token's is empty: journey.md admits it)."""


class Caller(Protocol):
    """The claims of a verified bearer token that the rules read."""

    @property
    def sub(self) -> str: ...
    @property
    def agency(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def team(self) -> str | None: ...


def team_of(caller: Caller) -> str:
    return caller.team or "default"


def require_idva_service(caller: Caller) -> None:
    if caller.agency != "idva":
        raise Forbidden("only the IDVA service may see this")


def is_assigned(caller: Caller, case: Case) -> bool:
    return caller.role == "idva" and case.idva == caller.sub


def needs_team_forces(caller: Caller, case: Case) -> bool:
    """Whether :func:`visible` must know the forces the caller's team serves (a manager, a case with no IDVA)."""
    return caller.agency == "idva" and caller.role == "manager" and case.idva is None


def visible(caller: Caller, case: Case, *, team_forces: list[str], on_roster: bool) -> bool:
    """The assigned IDVA (on the roster) or a manager of the case's team; a case no IDVA serves yet,
    the managers of the teams serving its force (so that they can assign one)."""
    if caller.agency != "idva":
        return False
    if caller.role == "manager":
        if case.idva is None:
            return case.referred and case.force_code in team_forces
        return case.team is not None and case.team == team_of(caller)
    if caller.role == "idva":
        return case.idva == caller.sub and on_roster
    return False


def check(caller: Caller, case: Case, *, team_forces: list[str], on_roster: bool, assigned_only: bool) -> None:
    """Refuse (403) a caller who may not see the case, or, for ``assigned_only`` actions, is not its IDVA."""
    if not visible(caller, case, team_forces=team_forces, on_roster=on_roster):
        raise Forbidden("this case is not assigned to you or your team")
    if assigned_only and not is_assigned(caller, case):
        raise Forbidden("only the assigned IDVA may do this")


def caseload_scope(caller: Caller, *, on_roster: bool) -> tuple[str, str] | None:
    """Whose cases a caller lists: ``("team", team)`` for a manager, ``("idva", sub)`` for an IDVA on the
    roster; ``None`` (nothing) for a machine caller or an IDVA not on the roster; 403 for anyone else."""
    if caller.agency != "idva" or caller.role not in CASELOAD_ROLES:
        raise Forbidden("only IDVAs and their managers have a caseload")
    if caller.role == "service":
        return None  # a machine caller (journey.md: "idva" admits it) has no cases of its own
    if caller.role == "manager":
        return "team", team_of(caller)
    if not on_roster:
        return None  # not on the roster: sees nothing
    return "idva", caller.sub
