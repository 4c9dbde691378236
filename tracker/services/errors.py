"""Errors that services raise and the web layer maps to HTTP answers."""


class ServiceError(Exception):
    """Base of the errors a caller is expected to show to a person."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    """The thing asked for does not exist (404)."""

    status_code = 404


class Conflict(ServiceError):
    """The change clashes with what is stored (409): a duplicate MRN, a taken chair."""

    status_code = 409


class Invalid(ServiceError):
    """The input breaks a rule (422); `field` names the offending field."""

    status_code = 422
