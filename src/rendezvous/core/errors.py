"""Domain errors raised by services; core.http_errors maps them to HTTP."""


class DomainError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(DomainError):
    """The request is malformed or breaks a field rule."""


class Unprocessable(DomainError):
    """Well-formed, but impossible (an unknown region, say)."""


class NotFound(DomainError):
    """No such thing, or it belongs to a group the caller is not in."""


class Forbidden(DomainError):
    """The caller is a member but lacks the role for this."""


class Conflict(DomainError):
    """The action clashes with the current state."""


class Gone(DomainError):
    """The thing existed but can no longer be used (an expired invite)."""


class Unavailable(DomainError):
    """The database is unreachable or too busy right now; retrying later may work."""


class RateLimited(DomainError):
    """Over a rate limit: retry after the window ends."""

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s
