"""Error types that say what to do: record a data error, retry a transient one."""

from __future__ import annotations


class PermanentError(Exception):
    """This article can never succeed as it is (bad input, a bug on it): mark it failed."""

    reason: str = "permanent_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.reason = reason


class TransientError(Exception):
    """A dependency is unavailable or overloaded: retry later with backoff."""


class RejectedInput(PermanentError):
    """Input refused at submission: the API answers 4xx with `reason`."""

    def __init__(self, message: str, *, reason: str, status_code: int = 422) -> None:
        super().__init__(message, reason=reason)
        self.status_code = status_code
