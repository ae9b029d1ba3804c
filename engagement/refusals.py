"""Domain refusals: what a service raises when it declines, without knowing HTTP.

A service says *why* it declines with a kind (the input is malformed, the thing is missing, its
state forbids the change...), a stable machine code and a message for people. ``errors.py`` maps
each kind to an HTTP status in one table; the CLI prints the message.
"""

from __future__ import annotations


class Refusal(Exception):
    """A verb declined: ``code`` is stable for machines, ``message`` is for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Invalid(Refusal):
    """The input is malformed or out of range (``field`` names it)."""


class SignInRequired(Refusal):
    """Only a signed-in reader, or a valid credential, may do this."""


class NotAllowed(Refusal):
    """The caller is known but may not do this (banned, closed thread, wrong role)."""


class NotFound(Refusal):
    """No such row."""


class Conflict(Refusal):
    """The thing's current state forbids the change (already deleted, nothing to ban...)."""


class TooLarge(Refusal):
    """The input is bigger than the service accepts."""


class Unavailable(Refusal):
    """Something the verb depends on (the magazine's sign-in keys...) does not answer now."""


def invalid(field: str, message: str, code: str = "invalid") -> Invalid:
    """A malformed value of ``field``."""
    return Invalid(code, message, field)
