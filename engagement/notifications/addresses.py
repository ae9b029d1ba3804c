"""Where webhooks may go: only to public addresses.

A receiver's host is resolved, and every address it resolves to must be global (not loopback,
private, link-local or multicast) unless it lies in ``ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS``. The
check runs when an endpoint is registered and again at each attempt, and the connection goes to
the very address checked, so a name that changes its answer cannot reach an inner service.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable


class AddressRefused(Exception):
    """The URL's host resolves to an address webhooks may not be sent to."""


def _allowed(address: str, allowed_networks: Iterable[str]) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(net, strict=False) for net in allowed_networks):
        return True
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, allowed_networks: Iterable[str]) -> str:
    """The address to connect to for ``host``; ``AddressRefused`` if any it resolves to is
    not allowed (a name with one private address among public ones is refused whole)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"{host} does not resolve: {exc}") from None
    addresses = [str(info[4][0]) for info in found]
    networks = list(allowed_networks)
    refused = [address for address in addresses if not _allowed(address, networks)]
    if refused or not addresses:
        raise AddressRefused(
            f"{host} resolves to {refused[0] if refused else 'nothing'}, which is loopback, "
            "private or link-local (see ENGAGEMENT_WEBHOOK_ALLOWED_NETWORKS)"
        )
    return addresses[0]
