"""Meeting requests through the pages: client intake, never losing a request, deciding, applying, replying."""

from __future__ import annotations

import re
from datetime import datetime
from email import message_from_bytes
from email.policy import default

import pytest
from requests_fixtures import request_data
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import AgendaItem, Meeting, MeetingRequest, RequestEvent


def _requests() -> list[MeetingRequest]:
    db.session.expire_all()
    return list(db.session.scalars(select(MeetingRequest).order_by(MeetingRequest.id)))


def _kinds(req: MeetingRequest) -> list[str]:
    return [e.kind for e in db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == req.id))]


# --- the client page ------------------------------------------------------------------------------------


def test_client_submits_a_request_and_gets_an_honest_thank_you(client, scene):
    response = client.post(f"/s/{scene.token}/request", data=request_data())
    assert response.status_code == 302
    [req] = _requests()
    assert f"/s/{scene.token}/request/" in response.headers["Location"]
    assert not response.headers["Location"].endswith(f"/request/{req.id}")  # a secret link, not a number
    assert (req.received_via, req.feed_id, req.status) == ("client_page", scene.feed.id, "triaged")
    assert (req.rule, req.outcome, req.meeting_id) == ("R6", "agenda_item", scene.review.id)
    assert req.reply_language == "ja" and "画面設計レビュー" in req.reply_body
    assert _kinds(req) == ["received", "triaged"]

    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ログイン画面のエラーメッセージ" in text and "hanako@sakura.example" in text
    # Nothing is promised that the team has not decided yet.
    assert "画面設計レビュー" not in text


def test_a_known_address_links_the_request_to_the_contact(client, scene):
    client.post(f"/s/{scene.token}/request", data=request_data(requester_email="Yamada@Sakura.example"))
    [req] = _requests()
    assert req.contact_id == scene.contact.id and req.reply_to == "yamada@sakura.example"
    assert req.reply_body.split("\n\n")[0].endswith("山田 様")


def test_invalid_intake_saves_nothing_and_says_why(client, scene):
    data = request_data(topic="", expected_minutes="0", requester_email="not-an-address")
    data.pop("reasons")
    response = client.post(f"/s/{scene.token}/request", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose at least one reason." in text or "理由" in text
    assert _requests() == []


def test_needed_by_in_the_past_is_refused(client, scene):
    response = client.post(f"/s/{scene.token}/request", data=request_data(needed_by="2020-01-01T10:00"))
    assert response.status_code == 400 and _requests() == []


@pytest.mark.parametrize("token", ["not-a-token", "x" * 300])
def test_unknown_tokens_get_404(client, scene, token):
    assert client.post(f"/s/{token}/request", data=request_data()).status_code == 404
    assert client.get(f"/s/{token}/request").status_code == 404


def test_revoked_link_accepts_nothing(client, scene):
    from planner.models import utcnow
    from planner.operations.feeds import revoke_feed

    revoke_feed(scene.feed, now=utcnow())
    db.session.commit()
    assert client.post(f"/s/{scene.token}/request", data=request_data()).status_code == 404
    assert _requests() == []


def test_thank_you_page_of_another_link_is_not_shown(client, scene):
    from planner.models import utcnow
    from planner.operations.feeds import create_feed

    sent = client.post(f"/s/{scene.token}/request", data=request_data())
    page = sent.headers["Location"].rsplit("/", 1)[1]
    _other, other_token = create_feed(
        scene.engagement, label="Other", audience="client", user=None, now=utcnow()
    )
    db.session.commit()
    assert client.get(f"/s/{scene.token}/request/{page}").status_code == 200
    assert client.get(f"/s/{other_token}/request/{page}").status_code == 404


def test_the_standalone_form_page_renders_in_the_clients_language(client, scene):
    page = client.get(f"/s/{scene.token}/request")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="reasons"' in text and "ミーティング" not in text
    assert '<html lang="ja">' in text


def test_a_policy_fault_never_loses_the_request(client, scene, login):
    # An unusable setting makes the policy raise for real; the request must survive it.
    scene.engagement.call_max_minutes = 0
    db.session.commit()
    response = client.post(f"/s/{scene.token}/request", data=request_data(details="大事な内容"))
    assert response.status_code == 302
    [req] = _requests()
    assert (req.status, req.outcome, req.details) == ("failed_triage", None, "大事な内容")
    assert _kinds(req) == ["received", "error"]
    assert "call_max_minutes" in req.events[-1].data["message"]

    login(client, scene.owner)
    page = client.get(f"/engagements/{scene.engagement.id}")
    assert "ログイン画面のエラーメッセージ" in page.get_data(as_text=True)
    shown = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "call_max_minutes must be positive" in shown

    scene.engagement.call_max_minutes = 30
    db.session.commit()
    client.post(f"/requests/{req.id}/triage")
    [req] = _requests()
    assert (req.status, req.outcome) == ("triaged", "agenda_item")


def test_csrf_is_required_on_the_client_page(make_app, scene):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.test_client() as client:
        response = client.post(f"/s/{scene.token}/request", data=request_data())
        assert response.status_code == 400
        page = client.get(f"/s/{scene.token}/request").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        ok = client.post(f"/s/{scene.token}/request", data=request_data(csrf_token=token.group(1)))
        assert ok.status_code == 302
    assert len(_requests()) == 1


def test_intake_is_rate_limited(make_app, scene):
    app = make_app(RATELIMIT_ENABLED=True, REQUEST_INTAKE_LIMIT="2 per hour")
    with app.test_client() as client:
        asks = [request_data(topic=f"相談 {n}") for n in range(3)]
        codes = [client.post(f"/s/{scene.token}/request", data=ask).status_code for ask in asks]
        assert client.get(f"/s/{scene.token}/request").status_code == 200  # reading the form is not limited
    assert codes == [302, 302, 429]
    assert len(_requests()) == 2


# --- members --------------------------------------------------------------------------------------------


def _submit_and_login(client, scene, login, **data) -> MeetingRequest:
    client.post(f"/s/{scene.token}/request", data=request_data(**data)).close()
    login(client, scene.owner)
    return _requests()[-1]


def test_member_applies_an_agenda_item_and_the_engagement_page_shows_it(client, scene, login):
    req = _submit_and_login(client, scene, login)
    revision, sequence = scene.engagement.revision, scene.review.sequence
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "R6" in page and "画面設計レビュー" in page and "mailto:yamada@sakura.example" in page

    assert client.post(f"/requests/{req.id}/apply").status_code == 302
    db.session.expire_all()
    item = db.session.scalar(
        select(AgendaItem).where(AgendaItem.meeting_id == scene.review.id, AgendaItem.position == 2)
    )
    assert (item.title, item.minutes) == ("ログイン画面のエラーメッセージ", 15)
    assert scene.review.sequence == sequence + 1 and scene.engagement.revision > revision
    [req] = _requests()
    assert (req.status, req.agenda_item_id, req.minutes_saved) == ("applied", item.id, 45)

    engagement_page = client.get(f"/engagements/{scene.engagement.id}").get_data(as_text=True)
    assert "ログイン画面のエラーメッセージ" in engagement_page and "0.8" in engagement_page

    again = client.post(f"/requests/{req.id}/apply", follow_redirects=True)
    assert "already been applied" in again.get_data(as_text=True)
    assert len(scene.review.agenda) == 2


def test_override_to_a_call_offers_times_and_the_clients_choice_is_recorded(client, scene, login):
    req = _submit_and_login(client, scene, login)
    response = client.post(f"/requests/{req.id}/override", data={"outcome": "call", "meeting_id": "0"})
    assert response.status_code == 302
    [req] = _requests()
    assert (req.outcome, req.decided_outcome, req.overridden_by_id) == ("call", "agenda_item", scene.owner.id)
    assert req.proposed_call_at is not None and "お電話" in req.reply_body and "/book/" in req.reply_body
    client.post(f"/requests/{req.id}/apply")
    [req] = _requests()
    assert req.applied_at is not None and req.meeting_id is None  # the times are offered, nothing scheduled
    chosen = req.proposed_slots[-1]["starts_at"]
    client.post(f"/requests/{req.id}/booking", data={"starts_at": chosen})
    [req] = _requests()
    call = db.session.get(Meeting, req.meeting_id)
    assert (call.kind, call.status, call.duration_minutes) == ("call", "confirmed", 15)
    assert call.starts_at.isoformat() == chosen and "ログイン画面" in call.purpose
    assert {a.contact_id for a in call.attendees if a.contact_id} == {scene.contact.id}
    assert {a.user_id for a in call.attendees if a.user_id} == {scene.owner.id}
    assert _kinds(req) == ["received", "triaged", "overridden", "applied", "booked"]


def test_override_to_a_meeting_and_to_another_agenda(client, scene, login, make_meeting):
    other = make_meeting(scene.engagement, title="定例会議", purpose="進捗の確認", kind="status")
    req = _submit_and_login(client, scene, login)
    client.post(f"/requests/{req.id}/override", data={"outcome": "agenda_item", "meeting_id": str(other.id)})
    [req] = _requests()
    assert (req.outcome, req.meeting_id) == ("agenda_item", other.id) and "定例会議" in req.reply_body
    bad = client.post(f"/requests/{req.id}/override", data={"outcome": "agenda_item", "meeting_id": "0"})
    assert bad.status_code == 400
    client.post(f"/requests/{req.id}/override", data={"outcome": "meeting", "meeting_id": "0"})
    [req] = _requests()
    assert req.outcome == "meeting" and req.proposed_meeting_at is not None and "目的：" in req.reply_body
    client.post(f"/requests/{req.id}/booking", data={"starts_at": req.proposed_slots[0]["starts_at"]})
    [req] = _requests()
    created = db.session.get(Meeting, req.meeting_id)
    assert (created.status, created.kind) == ("confirmed", "other") and created.purpose.startswith(
        "ログイン画面のエラーメッセージについて"
    )


def test_member_logs_a_phone_request_for_a_contact(client, scene, login):
    login(client, scene.owner)
    response = client.post(
        f"/engagements/{scene.engagement.id}/requests/new",
        data={
            "contact_id": str(scene.contact.id),
            "received_via": "phone",
            "topic": "進捗を知りたい",
            "reasons": ["status_update"],
            "expected_minutes": "30",
            "people": "1",
            "preferred_format": "any",
        },
    )
    assert response.status_code == 302
    [req] = _requests()
    assert (req.received_via, req.contact_id, req.logged_by_id) == ("phone", scene.contact.id, scene.owner.id)
    assert (req.rule, req.outcome) == ("R2", "email")
    assert "■今後の打ち合わせ" in req.reply_body and "ログイン画面の設計を確定する" in req.reply_body
    assert "前回の指摘事項" in req.reply_body  # an open agenda item of the next meeting


def test_logging_needs_a_contact_or_a_name(client, scene, login):
    login(client, scene.owner)
    response = client.post(
        f"/engagements/{scene.engagement.id}/requests/new",
        data={
            "contact_id": "0",
            "received_via": "chat",
            "topic": "x",
            "reasons": ["other"],
            "expected_minutes": "15",
            "people": "1",
        },
    )
    assert response.status_code == 400 and _requests() == []


def test_reply_by_smtp_through_a_real_server(make_app, scene, smtp_server, login):
    url, mailbox = smtp_server
    app = make_app(SMTP_URL=url, MAIL_FROM="planner@example.com")
    client = app.test_client()
    req = _submit_and_login(client, scene, login)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert 'value="send"' in page
    mailbox.messages.clear()  # the team's notice of the new request
    response = client.post(
        f"/requests/{req.id}/reply",
        data={"reply_subject": "Re: 件名", "reply_body": "山田様\n\n編集した本文です。", "action": "send"},
    )
    assert response.status_code == 302
    [message] = mailbox.messages
    assert message.rcpt_tos == ["yamada@sakura.example"]
    parsed = message_from_bytes(message.content, policy=default)
    assert parsed["Subject"] == "Re: 件名" and "編集した本文です。" in parsed.get_body().get_content()
    [req] = _requests()
    assert req.status == "replied" and req.replied_at is not None and _kinds(req)[-1] == "replied"


def test_a_refusing_mail_server_loses_nothing(make_app, scene, smtp_server, login):
    url, mailbox = smtp_server
    mailbox.refuse = True
    app = make_app(SMTP_URL=url)
    client = app.test_client()
    req = _submit_and_login(client, scene, login)
    response = client.post(
        f"/requests/{req.id}/reply",
        data={"reply_subject": "Re: 件名", "reply_body": "手直しした返信", "action": "send"},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "could not be sent" in response.get_data(as_text=True)
    [req] = _requests()
    assert (req.status, req.reply_body) == ("triaged", "手直しした返信")
    assert _kinds(req)[-1] == "error" and "refused" in req.events[-1].data["message"]
    assert mailbox.messages == []


def test_without_smtp_the_reply_goes_by_mailto_and_can_be_marked(client, scene, login):
    req = _submit_and_login(client, scene, login)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert 'value="send"' not in page and "mailto:yamada@sakura.example?subject=" in page
    client.post(
        f"/requests/{req.id}/reply", data={"reply_subject": "s", "reply_body": "b", "action": "mark_replied"}
    )
    [req] = _requests()
    assert req.status == "replied" and req.reply_body == "b"


def test_strangers_and_viewers(client, scene, login, make_user):
    from planner.operations.people import add_member

    req = _submit_and_login(client, scene, login)
    client.post("/logout")
    stranger = make_user()
    login(client, stranger)
    assert client.get(f"/requests/{req.id}").status_code == 404
    assert client.get(f"/engagements/{scene.engagement.id}/requests").status_code == 404
    viewer = make_user()
    add_member(scene.engagement, viewer, "viewer")
    db.session.commit()
    client.post("/logout")
    login(client, viewer)
    assert client.get(f"/requests/{req.id}").status_code == 200
    assert client.post(f"/requests/{req.id}/apply").status_code == 403
    assert _requests()[0].applied_at is None


def test_requests_tab_lists_open_requests(client, scene, login):
    _submit_and_login(client, scene, login)
    page = client.get(f"/engagements/{scene.engagement.id}/requests")
    assert page.status_code == 200 and "ログイン画面のエラーメッセージ" in page.get_data(as_text=True)


def test_a_stale_proposal_is_not_applied(client, scene, login):
    from datetime import timedelta

    from planner.models import utcnow

    req = _submit_and_login(client, scene, login)
    client.post(f"/requests/{req.id}/override", data={"outcome": "call", "meeting_id": "0"})
    [req] = _requests()
    past = utcnow() - timedelta(hours=1)  # the member comes back to it too late
    req.proposed_slots = [
        {"starts_at": past.isoformat(), "ends_at": (past + timedelta(minutes=15)).isoformat()}
    ]
    db.session.commit()
    meetings_before = db.session.scalar(select(func.count(Meeting.id)))
    page = client.post(f"/requests/{req.id}/apply", follow_redirects=True).get_data(as_text=True)
    assert "The proposed times have passed" in page
    [req] = _requests()
    assert req.applied_at is None and db.session.scalar(select(func.count(Meeting.id))) == meetings_before


def test_history_names_channels_and_outcomes_in_words(client, scene, login):
    req = _submit_and_login(client, scene, login)
    client.post(f"/requests/{req.id}/override", data={"outcome": "call", "meeting_id": "0"})
    history = client.get(f"/requests/{req.id}").get_data(as_text=True).split('id="history"')[1]
    assert "via the client page" in history
    assert "R6 → Agenda item" in history and "Agenda item (#" in history and "→ Call" in history
    client.post(f"/requests/{req.id}/apply")
    history = client.get(f"/requests/{req.id}").get_data(as_text=True).split('id="history"')[1]
    assert "times offered to the client" in history


def test_the_team_hears_of_a_client_request_by_mail(make_app, scene, smtp_server, make_user):
    from planner.operations.people import add_member

    url, mailbox = smtp_server
    member = make_user(email="tanaka@example.com", locale="ja")
    add_member(scene.engagement, member, "member")
    add_member(scene.engagement, make_user(email="viewer@example.com"), "viewer")
    db.session.commit()
    app = make_app(SMTP_URL=url, PUBLIC_URL="https://planner.example")
    response = app.test_client().post(f"/s/{scene.token}/request", data=request_data())
    assert response.status_code == 302
    response.close()  # the mails go out once the client has their answer
    [req] = _requests()
    assert sorted(m.rcpt_tos[0] for m in mailbox.messages) == ["sato@example.com", "tanaka@example.com"]
    parsed = message_from_bytes(mailbox.messages[0].content, policy=default)
    body = parsed.get_body().get_content()
    assert "ログイン画面のエラーメッセージ" in parsed["Subject"]
    assert f"https://planner.example/requests/{req.id}" in body and "R6" in body


def test_a_failing_team_mail_is_noted_and_the_request_kept(make_app, scene, smtp_server):
    url, mailbox = smtp_server
    mailbox.refuse = True
    app = make_app(SMTP_URL=url)
    response = app.test_client().post(f"/s/{scene.token}/request", data=request_data())
    response.close()
    [req] = _requests()
    assert req.status == "triaged" and req.topic == "ログイン画面のエラーメッセージ"
    assert _kinds(req) == ["received", "triaged", "error"]
    assert req.events[-1].data["code"] == "team_not_notified"
    assert req.events[-1].data["address"] == "sato@example.com"


# --- the same request sent twice -------------------------------------------------------------------------


def test_a_request_sent_twice_is_received_once(make_app, scene, smtp_server):
    url, mailbox = smtp_server
    client = make_app(SMTP_URL=url).test_client()
    first = client.post(f"/s/{scene.token}/request", data=request_data())
    first.close()
    again = client.post(
        f"/s/{scene.token}/request", data=request_data(requester_email="HANAKO@sakura.example")
    )
    again.close()
    [req] = _requests()
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert _kinds(req) == ["received", "triaged"]
    assert len(mailbox.messages) == 1  # the team hears of it once
    # Other words, or the same words from someone else, are another request.
    client.post(f"/s/{scene.token}/request", data=request_data(details="もう一点あります。")).close()
    client.post(f"/s/{scene.token}/request", data=request_data(requester_email="jiro@sakura.example")).close()
    assert len(_requests()) == 3


def test_a_request_sent_again_later_is_a_new_one(client, scene, monkeypatch):
    from datetime import timedelta

    from planner.models import utcnow
    from planner.operations import requests as operations

    client.post(f"/s/{scene.token}/request", data=request_data())
    later = utcnow() + timedelta(minutes=operations.RESUBMIT_MINUTES + 1)
    monkeypatch.setattr("planner.web.requests.g_now", lambda: later)
    client.post(f"/s/{scene.token}/request", data=request_data())
    assert len(_requests()) == 2


def test_a_member_logging_the_same_call_twice_is_shown_the_first(client, scene, login):
    login(client, scene.owner)
    logged = {
        "contact_id": str(scene.contact.id),
        "received_via": "phone",
        "topic": "進捗を知りたい",
        "reasons": ["status_update"],
        "expected_minutes": "30",
        "people": "1",
        "preferred_format": "any",
    }
    url = f"/engagements/{scene.engagement.id}/requests/new"
    first = client.post(url, data=logged)
    again = client.post(url, data=logged, follow_redirects=True)
    [req] = _requests()
    assert first.headers["Location"].endswith(f"/requests/{req.id}")
    assert again.status_code == 200 and "logged a moment ago" in again.get_data(as_text=True)
    client.post(url, data=logged | {"received_via": "email"})
    assert len(_requests()) == 2


def test_open_requests_come_soonest_needed_first_and_say_when_urgent(client, scene, login):
    from datetime import timedelta

    from planner.models import utcnow
    from planner.operations.requests import open_requests

    soon = (utcnow() + timedelta(hours=5)).astimezone(scene.engagement.tz).strftime("%Y-%m-%dT%H:%M")
    later = (utcnow() + timedelta(days=9)).astimezone(scene.engagement.tz).strftime("%Y-%m-%dT%H:%M")
    for topic, needed_by in (("いつでも", ""), ("来週まで", later), ("今日中", soon)):
        client.post(f"/s/{scene.token}/request", data=request_data(topic=topic, needed_by=needed_by)).close()
    assert [r.topic for r in open_requests(scene.engagement)] == ["今日中", "来週まで", "いつでも"]
    login(client, scene.owner)
    rows = client.get(f"/engagements/{scene.engagement.id}/requests").get_data(as_text=True).split("<tr")
    today, next_week = next(r for r in rows if "今日中" in r), next(r for r in rows if "来週まで" in r)
    assert "Urgent" in today and "Urgent" not in next_week
    db.session.execute(
        MeetingRequest.__table__.update()
        .where(MeetingRequest.topic == "今日中")
        .values(needed_by=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    page = client.get(f"/engagements/{scene.engagement.id}").get_data(as_text=True)
    assert "Past its needed-by time" in page.split('id="requests"')[1]


def test_override_with_a_chosen_time_place_and_attendee(client, scene, login):
    from datetime import timedelta

    from planner.models import utcnow
    from planner.operations.contacts import create_contact

    boss = create_contact(
        scene.engagement, {"name": "高橋 部長", "email": "takahashi@sakura.example"}, now=utcnow()
    )
    db.session.commit()
    req = _submit_and_login(client, scene, login)
    when = (
        (utcnow() + timedelta(days=3))
        .astimezone(scene.engagement.tz)
        .replace(hour=15, minute=0, second=0, microsecond=0)
    )
    form = {
        "outcome": "meeting",
        "meeting_id": "0",
        "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
        "minutes": "45",
        "place": "貴社 本社 5F 会議室",
        "attendee_id": str(boss.id),
    }
    assert client.post(f"/requests/{req.id}/override", data=form).status_code == 302
    [req] = _requests()
    assert [datetime.fromisoformat(s["starts_at"]) for s in req.proposed_slots] == [when]
    assert req.proposed_minutes == 45
    assert "15:00〜15:45" in req.reply_body
    client.post(f"/requests/{req.id}/booking", data={"starts_at": req.proposed_slots[0]["starts_at"]})
    [req] = _requests()
    meeting = db.session.get(Meeting, req.meeting_id)
    assert meeting.location == "貴社 本社 5F 会議室" and meeting.duration_minutes == 45
    assert {a.contact_id for a in meeting.attendees if a.contact_id} == {boss.id}
    past = dict(
        form,
        starts_at=(utcnow() - timedelta(days=1)).astimezone(scene.engagement.tz).strftime("%Y-%m-%dT%H:%M"),
    )
    req2 = _submit_and_login(client, scene, login, topic="別の依頼")
    page = client.post(f"/requests/{req2.id}/override", data=past, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Choose a time that is still to come." in page
