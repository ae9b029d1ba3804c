"""Hashes keyed with the site's secret key, one kind per purpose.

Each purpose (``person``) gives hashes of its own, so a hash made for one (an avatar) can never
be matched with one made for another (a visitor), and none can be matched outside the site,
whose key nobody else holds.
"""

from __future__ import annotations

import hashlib

from flask import current_app


def site_hash(data: str | bytes, *, person: bytes) -> str:
    """A 32-hex-digit BLAKE2b hash of ``data`` under the site key, for the purpose ``person``."""
    secret = current_app.config["SECRET_KEY"].encode()[:64]
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.blake2b(raw, key=secret, person=person, digest_size=16).hexdigest()
