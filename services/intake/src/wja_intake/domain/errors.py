"""Errors of the police domain, mapped by the platform to HTTP statuses."""


class DomainError(Exception):
    http_status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CaseNotFound(DomainError):
    http_status = 404


class IllegalTransition(DomainError):
    http_status = 409


class Forbidden(DomainError):
    http_status = 403


class Invalid(DomainError):
    http_status = 422


class Gone(DomainError):
    """The thing asked for existed and was erased on purpose (e.g. contact details past retention)."""

    http_status = 410
