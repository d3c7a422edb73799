"""Errors of the CPS domain, mapped by the platform to HTTP statuses."""


class DomainError(Exception):
    http_status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FileNotFound(DomainError):
    http_status = 404


class IllegalTransition(DomainError):
    http_status = 409


class Invalid(DomainError):
    http_status = 422


class Forbidden(DomainError):
    http_status = 403
