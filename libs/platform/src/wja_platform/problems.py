"""The one error family of every service: plain Python, so domains may raise it.

Each class carries its HTTP status; :mod:`wja_platform.errors` maps any of them to the error body
once, for every service. Messages must never carry submitted values (they may be victim data).
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of errors the API turns into a 4xx with a safe message."""

    http_status = 400

    def __init__(self, message: str, field: str | None = None, *, problems: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems: list[tuple[str, str]] = problems or ([(field, message)] if field else [])


class NotFound(ServiceError):
    """Unknown case or resource → 404."""

    http_status = 404


class Conflict(ServiceError):
    """Illegal transition, or a rule the current state forbids → 409."""

    http_status = 409


class Forbidden(ServiceError):
    """Wrong agency, role, force or assignment → 403."""

    http_status = 403


class Invalid(ServiceError):
    """A body that is well-formed but breaks rules → 422 naming every field (``problems``: field, message)."""

    http_status = 422


class Gone(ServiceError):
    """The thing asked for existed and was erased on purpose (e.g. contact details past retention) → 410."""

    http_status = 410


def refuse(problems: list[tuple[str, str]]) -> None:
    """Raise one 422 listing every broken rule, when there is any (domains return problems, never raise)."""
    if problems:
        message = problems[0][1] if len(problems) == 1 else f"the request breaks {len(problems)} rules"
        raise Invalid(message, problems=problems)
