"""Which browser origins the service answers for (``ENGAGEMENT_ALLOWED_ORIGINS``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request


def request_origin() -> str | None:
    """The origin the request comes from: its Origin header, else its Referer's origin."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin.rstrip("/")
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return None


def is_allowed(origin: str | None) -> bool:
    """Whether ``origin`` is one of the allowed origins (``*`` allows any)."""
    if origin is None:
        return False
    allowed = current_app.config["ALLOWED_ORIGINS"]
    if "*" in allowed or origin in allowed:
        return True
    # The demo page is served by the service itself.
    return bool(current_app.config["DEMO"]) and origin == request.host_url.rstrip("/")


def from_allowed_origin() -> bool:
    """Whether the current request comes from an allowed origin."""
    return is_allowed(request_origin())
