"""The member's profile signs replies; the contact's department addresses them. Both through pages and API."""

from __future__ import annotations

from planner.extensions import db
from planner.models import Contact, User


def test_me_reads_and_changes_the_signature(client, scene, api_headers):
    headers = api_headers(scene.owner)
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json["email"] == scene.owner.email and me.json["company"] == ""
    changed = client.patch(
        "/api/v1/me",
        json={"company": "株式会社ノースブリッジ", "title": "シニアコンサルタント", "phone": "03-1234-5678"},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.json["title"] == "シニアコンサルタント"
    assert client.get("/api/v1/me", headers=headers).json["phone"] == "03-1234-5678"
    assert client.patch("/api/v1/me", json={"email": "x@example.com"}, headers=headers).status_code == 422
    assert client.patch("/api/v1/me", json={"title": 5}, headers=headers).status_code == 422
    # The next reply is signed with it.
    ask = {"topic": "請求書の送付先", "reasons": ["other"], "expected_minutes": 20, "people": 1}
    reply = client.post(f"/api/v1/engagements/{scene.engagement.id}/requests", json=ask, headers=headers).json
    assert "シニアコンサルタント\n株式会社ノースブリッジ\nTEL: 03-1234-5678" in reply["reply"]["body"]


def test_contacts_have_a_department_that_addresses_replies(client, scene, api_headers):
    headers = api_headers(scene.owner)
    url = f"/api/v1/contacts/{scene.contact.id}"
    patched = client.patch(url, json={"department": "情報システム部", "role": "部長"}, headers=headers)
    assert patched.status_code == 200 and patched.json["department"] == "情報システム部"
    created = client.post(
        f"/api/v1/engagements/{scene.engagement.id}/contacts",
        json={"name": "Emma Clarke", "department": "Finance", "language": "en"},
        headers=headers,
    )
    assert created.status_code == 201 and created.json["department"] == "Finance"
    ask = {"topic": "請求書の送付先", "reasons": ["other"], "expected_minutes": 20, "people": 1}
    ask["contact_id"] = scene.contact.id
    reply = client.post(f"/api/v1/engagements/{scene.engagement.id}/requests", json=ask, headers=headers).json
    assert reply["reply"]["body"].startswith("Sakura Trading\n情報システム部 部長\n山田 様")


def test_the_settings_page_keeps_the_signature(client, scene, login):
    login(client, scene.owner)
    page = client.get("/settings/")
    assert 'name="company"' in page.get_data(as_text=True)
    client.post(
        "/settings/",
        data={"name": "佐藤", "company": "ノースブリッジ", "title": "PM", "phone": "03-1", "locale": ""},
    )
    user = db.session.get(User, scene.owner.id)
    assert (user.company, user.title, user.phone) == ("ノースブリッジ", "PM", "03-1")


def test_the_contact_form_takes_a_department(client, scene, login):
    login(client, scene.owner)
    client.post(
        f"/contacts/{scene.contact.id}/edit",
        data={
            "name": "山田",
            "organisation": "サクラ商事",
            "department": "物流部",
            "email": "yamada@sakura.example",
            "language": "ja",
            "preferred_channel": "email",
        },
    )
    assert db.session.get(Contact, scene.contact.id).department == "物流部"
