"""Bans by email, visitor hash, IP network or name, with a reason, until expiry or lifting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from engagement.abuse import bans
from engagement.errors import status_of
from engagement.models import BanKind, utcnow
from engagement.refusals import Refusal

VISITOR = "0123456789abcdef0123456789abcdef"


def test_an_email_ban_matches_the_address_in_any_case(db: Session) -> None:
    made = bans.ban(db, kind=BanKind.EMAIL, value="Troll@Example.com", reason="abuse")
    assert made.value == "troll@example.com"
    assert bans.active_ban_for(db, email="TROLL@example.COM") == made
    assert bans.active_ban_for(db, email="reader@example.com") is None


def test_a_visitor_ban_matches_that_visitor_hash(db: Session) -> None:
    made = bans.ban(db, kind=BanKind.VISITOR, value=VISITOR)
    assert bans.active_ban_for(db, visitor=VISITOR) == made
    assert bans.active_ban_for(db, visitor="f" * 32) is None


@pytest.mark.parametrize(
    ("network", "address", "banned"),
    [
        ("203.0.113.0/24", "203.0.113.77", True),
        ("203.0.113.0/24", "203.0.114.1", False),
        ("203.0.113.9", "203.0.113.9", True),
        ("203.0.113.9", "203.0.113.10", False),
        ("2001:db8:aa::/48", "2001:db8:aa:1::5", True),
        ("2001:db8:aa::/48", "2001:db8:ab::5", False),
        ("2001:db8:aa::/48", "203.0.113.9", False),
    ],
)
def test_a_network_ban_matches_addresses_inside_it(
    db: Session, network: str, address: str, banned: bool
) -> None:
    bans.ban(db, kind=BanKind.NETWORK, value=network)
    assert (bans.active_ban_for(db, address=address) is not None) is banned


def test_a_network_ban_is_stored_as_a_cidr_network(db: Session) -> None:
    assert bans.ban(db, kind=BanKind.NETWORK, value="203.0.113.9").value == "203.0.113.9/32"
    assert bans.ban(db, kind=BanKind.NETWORK, value="203.0.113.9/24").value == "203.0.113.0/24"


def test_a_name_ban_ignores_case_and_spacing(db: Session) -> None:
    made = bans.ban(db, kind=BanKind.NAME, value="Cheap  Watches")
    assert bans.active_ban_for(db, name=" cheap watches ") == made
    assert bans.active_ban_for(db, name="Cheap Watch") is None


def test_an_expired_ban_no_longer_applies(db: Session) -> None:
    now = utcnow()
    bans.ban(db, kind=BanKind.EMAIL, value="t@example.com", expires_at=now + timedelta(hours=1))
    assert bans.active_ban_for(db, email="t@example.com", now=now) is not None
    later = now + timedelta(hours=1, seconds=1)
    assert bans.active_ban_for(db, email="t@example.com", now=later) is None


def test_a_lifted_ban_no_longer_applies(db: Session) -> None:
    made = bans.ban(db, kind=BanKind.EMAIL, value="t@example.com")
    lifted = bans.lift(db, ban_id=made.id)
    assert lifted.revoked_at is not None
    assert bans.active_ban_for(db, email="t@example.com") is None


def test_lifting_a_lifted_ban_changes_nothing(db: Session) -> None:
    made = bans.ban(db, kind=BanKind.EMAIL, value="t@example.com")
    first = bans.lift(db, ban_id=made.id).revoked_at
    assert bans.lift(db, ban_id=made.id).revoked_at == first


def test_lifting_an_unknown_ban_is_404(db: Session) -> None:
    with pytest.raises(Refusal) as refused:
        bans.lift(db, ban_id=999)
    assert (status_of(refused.value), refused.value.code) == (404, "ban_not_found")


def test_banning_again_replaces_the_reason_and_expiry(db: Session) -> None:
    first = bans.ban(db, kind=BanKind.EMAIL, value="t@example.com", reason="spam")
    again = bans.ban(db, kind=BanKind.EMAIL, value="T@example.com", reason="abuse", created_by="ed")
    assert again.id == first.id
    assert (again.reason, again.created_by, again.expires_at) == ("abuse", "ed", None)
    assert len(bans.list(db)) == 1


def test_list_shows_active_bans_newest_first_or_every_ban(db: Session) -> None:
    now = utcnow()
    old = bans.ban(db, kind=BanKind.NAME, value="old", now=now - timedelta(days=2))
    new = bans.ban(db, kind=BanKind.NAME, value="new", now=now - timedelta(days=1))
    bans.lift(db, ban_id=old.id)
    assert bans.list(db) == [new]
    assert bans.list(db, active_only=False) == [new, old]


def test_a_ban_reads_as_json_for_moderators(db: Session) -> None:
    made = bans.ban(db, kind=BanKind.EMAIL, value="t@example.com", reason="spam", created_by="ed")
    shown = bans.as_json(made)
    assert {key: shown[key] for key in ("kind", "value", "reason", "created_by", "active")} == {
        "kind": "email",
        "value": "t@example.com",
        "reason": "spam",
        "created_by": "ed",
        "active": True,
    }


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (BanKind.EMAIL, "not an email"),
        (BanKind.EMAIL, "@"),
        (BanKind.VISITOR, "not-a-hash"),
        (BanKind.NETWORK, "banana"),
        (BanKind.NETWORK, "0.0.0.0/0"),
        (BanKind.NETWORK, "2001::/16"),
        (BanKind.NAME, "   "),
    ],
)
def test_a_value_that_cannot_be_banned_is_400_naming_the_value(
    db: Session, kind: BanKind, value: str
) -> None:
    with pytest.raises(Refusal) as refused:
        bans.ban(db, kind=kind, value=value)
    assert (status_of(refused.value), refused.value.field) == (400, "value")
    assert bans.list(db, active_only=False) == []


def test_an_expiry_in_the_past_is_refused(db: Session) -> None:
    with pytest.raises(Refusal) as refused:
        bans.ban(db, kind=BanKind.NAME, value="x", expires_at=utcnow() - timedelta(minutes=1))
    assert refused.value.field == "expires_at"


def _form_days(days: int) -> int | None:
    try:
        return bans.days_from_text(str(days))
    except Refusal as refusal:
        assert refusal.message == bans.DAYS_RULE
        return None


def _json_days(days: int) -> int | None:
    try:
        return TypeAdapter(bans.Days).validate_python(days)
    except ValidationError:
        return None


@pytest.mark.parametrize("days", [-3, 0, 1, 7, bans.MAX_DAYS, bans.MAX_DAYS + 1, 2**63])
def test_a_form_and_a_json_body_accept_the_same_ban_lengths(days: int) -> None:
    expected = days if 1 <= days <= bans.MAX_DAYS else None
    assert _form_days(days) == _json_days(days) == expected


def test_an_empty_ban_length_in_a_form_is_for_good() -> None:
    assert bans.days_from_text("  ") is None
