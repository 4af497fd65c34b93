"""Files the API hands out: the Content-Disposition header for a name that may hold any character."""

from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def attachment(file_name: str) -> dict[str, str]:
    """Headers to download ``file_name``: an ASCII fallback name and the exact name encoded as RFC 6266 /
    RFC 5987 say (an HTTP header is Latin-1; a name from a path or a service may not be)."""
    fallback = _UNSAFE.sub("_", file_name) or "download"
    exact = quote(file_name, safe="")
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"}
