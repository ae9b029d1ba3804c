"""How each setting's text becomes its value: one parser per kind, raising ValueError with
what was expected (``load`` turns it into a message naming the variable)."""

import ipaddress
from collections.abc import Callable

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The databases the service speaks to, by URL scheme (``sqlite://``, ``postgresql+psycopg://``).
DATABASE_SCHEMES = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"})


def yes_no(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def whole(raw: str) -> int:
    value = int(raw.strip())
    if value < 0:
        raise ValueError("expected a whole number ≥ 0")
    return value


def positive_whole(raw: str) -> int:
    value = int(raw.strip())
    if value < 1:
        raise ValueError("expected a whole number ≥ 1")
    return value


def seconds(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("expected a number of seconds, like 5 or 0.5") from None
    if not 0 < value <= 3600:
        raise ValueError("expected a number of seconds above 0 and at most 3600")
    return value


def connect_seconds(raw: str) -> int:
    value = whole(raw)
    if value < 2:
        raise ValueError("expected whole seconds ≥ 2 (the PostgreSQL client's shortest wait)")
    return value


def database_url(raw: str) -> str:
    value = raw.strip()
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(
            "not a database URL; expected sqlite:///path/to/file or postgresql://user@host/db"
        ) from None
    if url.drivername not in DATABASE_SCHEMES:
        raise ValueError(
            f"unsupported database {url.drivername!r}; expected sqlite:/// or postgresql://"
        )
    return value


def word_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def origins(raw: str) -> list[str]:
    origins = [item.rstrip("/") for item in word_list(raw)]
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin like https://example.com")
    return origins


def choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse


def text(raw: str) -> str:
    return raw.strip()


def web_url(raw: str) -> str:
    value = raw.strip()
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value


def seconds_up_to(limit: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = whole(raw)
        if value > limit:
            raise ValueError(f"expected at most {limit} seconds")
        return value

    return parse


def networks(raw: str) -> list[str]:
    """Comma list of networks in CIDR notation: ``127.0.0.0/8, ::1/128``."""
    networks = word_list(raw)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{network!r} is not a network like 10.0.0.0/8") from None
    return networks


def base_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an address like https://comments.example.com")
    return value


def rate(raw: str) -> str:
    """A rate limit in the limits notation: ``5 per minute; 30 per hour``."""
    value = raw.strip()
    try:
        parse_many(value)
    except ValueError:
        raise ValueError("expected limits like '5 per minute; 30 per hour'") from None
    return value


def storage_url(raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("memory://", "redis://", "rediss://", "redis+unix://")):
        raise ValueError("expected memory:// or a redis:// URL")
    return value


def listen_address(raw: str) -> str:
    value = raw.strip()
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected host:port, such as 127.0.0.1:9101")
    return value
