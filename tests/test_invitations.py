"""Adding a member never tells an owner which emails have an account."""

from __future__ import annotations

from sqlalchemy import select

from planner.extensions import db
from planner.models import Invitation, Membership


def _add(client, engagement, email, role="member"):
    return client.post(
        f"/engagements/{engagement.id}/members", data={"email": email, "role": role}, follow_redirects=True
    )


def test_known_and_unknown_emails_get_the_same_answer(app, client, login, make_user, make_engagement):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    make_user(email="registered@example.com")
    login(client, owner)
    known = _add(client, engagement, "registered@example.com")
    unknown = _add(client, engagement, "stranger@example.com")
    assert known.status_code == unknown.status_code == 200
    known_html = known.get_data(as_text=True).replace("registered@example.com", "EMAIL")
    unknown_html = unknown.get_data(as_text=True).replace("stranger@example.com", "EMAIL")
    # Apart from the list, which now shows both as invited, the two answers are word for word the same.
    assert (
        known_html.split("<main")[1].split("<table")[0] == unknown_html.split("<main")[1].split("<table")[0]
    )
    assert "No user with this email" not in known_html + unknown_html
    page = client.get(f"/engagements/{engagement.id}/members").get_data(as_text=True)
    assert page.count("Invited") == 2
    emails = {i.email for i in db.session.scalars(select(Invitation))}
    assert emails == {"registered@example.com", "stranger@example.com"}


def test_an_invitation_becomes_a_membership_at_login(app, client, login, make_user, make_engagement):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    login(client, owner)
    _add(client, engagement, "Later@Example.com", role="viewer")
    newcomer = make_user(email="later@example.com")  # the account is made after the invitation
    other = app.test_client()
    assert other.get(f"/engagements/{engagement.id}").status_code in (302, 404)
    login(other, newcomer)
    assert other.get(f"/engagements/{engagement.id}").status_code == 200
    found = db.session.scalar(select(Membership).where(Membership.user_id == newcomer.id))
    assert found.role == "viewer"
    assert db.session.scalar(select(Invitation)) is None


def test_an_invitation_can_be_withdrawn_and_only_by_an_owner(app, client, login, make_user, make_engagement):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    member = make_user(email="member@example.com")
    login(client, owner)
    _add(client, engagement, "member@example.com")
    login(app.test_client(), member)
    _add(client, engagement, "someone@example.com")
    invitation = db.session.scalar(select(Invitation))
    as_member = app.test_client()
    login(as_member, member)
    url = f"/engagements/{engagement.id}/invitations/{invitation.id}/withdraw"
    assert as_member.post(url).status_code == 403
    assert client.post(url).status_code == 302
    assert db.session.scalar(select(Invitation)) is None


def test_a_members_role_changes_at_once(app, client, login, make_user, make_engagement):
    owner = make_user(email="owner@example.com")
    engagement = make_engagement(owner=owner)
    member = make_user(email="member@example.com")
    db.session.add(Membership(engagement_id=engagement.id, user_id=member.id, role="viewer"))
    db.session.commit()
    login(client, owner)
    _add(client, engagement, "member@example.com", role="member")
    db.session.expire_all()
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == member.id)) == "member"
    assert db.session.scalar(select(Invitation)) is None
