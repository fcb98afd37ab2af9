"""Users, API tokens and memberships."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from planner.extensions import db
from planner.models import ApiToken, Engagement, Invitation, Membership, User
from planner.tokens import new_token, same_hash, token_hash


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, *, name: str = "", locale: str | None = None) -> User:
    """A new user with a hashed password."""
    user = User(email=normalise_email(email), name=name, locale=locale)
    user.set_password(password)
    db.session.add(user)
    return user


def end_sessions(user: User) -> None:
    """Every session and remember cookie of the user stops working (the caller may log this one in again)."""
    user.session_version = (user.session_version or 1) + 1


def change_password(user: User, password: str) -> None:
    """A new password; every session made with the old one ends."""
    user.set_password(password)
    end_sessions(user)


_DUMMY_HASH: list[str] = []


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None; as slow for an unknown email as for a wrong one."""
    from werkzeug.security import check_password_hash, generate_password_hash

    user = find_user(email) if len(email) <= 254 else None
    if user is None:
        # The same hashing work as a real check, so the answer's timing does not tell who has an account.
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(generate_password_hash(new_token()))
        check_password_hash(_DUMMY_HASH[0], password)
        return None
    return user if user.check_password(password) else None


def create_api_token(user: User, *, label: str = "", now: datetime) -> str:
    """A new bearer token for the user; returns the token, which is never stored."""
    token = new_token()
    db.session.add(ApiToken(user=user, label=label, token_hash=token_hash(token), created_at=now))
    return token


def user_for_token(token: str, *, now: datetime) -> User | None:
    """The active user behind a bearer token, or None."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or not same_hash(row.token_hash, token):
        return None
    # Writing on every request would serialise the API on one row; a minute is precise enough.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row.user


def revoke_api_token(row: ApiToken, *, now: datetime) -> None:
    row.revoked_at = now


def add_member(engagement: Engagement, user: User, role: str) -> Membership:
    """Add a user to an engagement, or change their role if they are in it."""
    membership = engagement.membership_of(user)
    if membership is None:
        membership = Membership(user=user, role=role)
        engagement.members.append(membership)
    else:
        membership.role = role
    return membership


def remove_member(engagement: Engagement, membership: Membership) -> None:
    engagement.members.remove(membership)


def invite(engagement: Engagement, email: str, role: str, *, by: User, now: datetime) -> None:
    """Offer a place on the engagement to an email address.

    A member's role changes at once (the team list shows them already); anyone else is invited, whether or
    not they have an account, so the answer never tells which emails are registered.
    """
    address = normalise_email(email)
    for membership in engagement.members:
        if membership.user.email == address:
            membership.role = role
            return
    found = db.session.scalar(
        select(Invitation).where(Invitation.engagement_id == engagement.id, Invitation.email == address)
    )
    if found is None:
        db.session.add(
            Invitation(
                engagement_id=engagement.id, email=address, role=role, invited_by_id=by.id, created_at=now
            )
        )
    else:
        found.role = role


def pending_invitations(engagement: Engagement) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.engagement_id == engagement.id)
            .order_by(Invitation.created_at)
        )
    )


def accept_invitations(user: User) -> int:
    """Turn the invitations to the user's email into memberships; how many there were."""
    invitations = list(db.session.scalars(select(Invitation).where(Invitation.email == user.email)))
    for invitation in invitations:
        engagement = db.session.get(Engagement, invitation.engagement_id)
        if engagement is not None and engagement.membership_of(user) is None:
            add_member(engagement, user, invitation.role)
        db.session.delete(invitation)
    return len(invitations)
