"""How the service remembers the commenters it erased at their request, without keeping
their addresses: each erasure's audit entry names the commenter by a keyed hash of the address.
Imports skip comments of those addresses, and exports carry the hashes to the next
installation, so no old file brings an erased commenter back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.keyed import site_hash
from engagement.models import ModerationAction

ACTION = "commenter.erase"


def email_digest(email: str) -> str:
    """A keyed hash of the address: the audit log names an erased commenter by it, so an
    operator holding the address can check the erasure was done, and nobody else learns it."""
    return site_hash(email, person=b"erased")


def erasures_key() -> str:
    """Names the key ``email_digest`` hashes under, without revealing it: an export carries it
    with its erased commenters, so an import can tell whether it can honour them."""
    return site_hash("erased commenters", person=b"erasures-key")


def erased_digests(db: Session) -> list[str]:
    """The ``email_digest`` of every commenter erased here (or before an import), oldest first."""
    entries = db.scalars(
        select(ModerationAction.after)
        .where(ModerationAction.action == ACTION)
        .order_by(ModerationAction.id)
    )
    found = (str(after["commenter"]) for after in entries if after and "commenter" in after)
    return list(dict.fromkeys(found))
