"""Errors as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from opendso_bus import RemoteError

_STATUS = {"not_found": 404, "invalid": 422, "conflict": 409}


class Problem(Exception):
    def __init__(
        self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    request: Request, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


async def handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(request, exc.status, exc.title, exc.detail, headers=exc.headers, **exc.extra)


async def handle_remote_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RemoteError)
    status = _STATUS.get(exc.code, 502)
    title = {404: "Not found", 422: "Invalid request", 409: "Conflict"}.get(status, "Service error")
    return problem_response(request, status, title, exc.detail, code=exc.code)
