"""Errors that cross the bus in request/reply answers."""

from __future__ import annotations


class QueryError(Exception):
    """A query handler refuses a request; the caller gets ``code`` and ``detail``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class NotFound(QueryError):
    def __init__(self, detail: str) -> None:
        super().__init__("not_found", detail)


class InvalidRequest(QueryError):
    def __init__(self, detail: str) -> None:
        super().__init__("invalid", detail)


class RemoteError(Exception):
    """Raised on the caller's side when a query answered with an error."""

    def __init__(self, subject: str, code: str, detail: str) -> None:
        super().__init__(f"{subject}: {code}: {detail}")
        self.subject = subject
        self.code = code
        self.detail = detail


STATUS_HEADER = "opendso-status"
CODE_HEADER = "opendso-error-code"
DETAIL_HEADER = "opendso-error-detail"
