"""Passwords are stored as scrypt hashes; the cheap hashes of the test fixtures stay in the fixtures."""

from __future__ import annotations

from conftest import PASSWORD

from planner.models import User
from planner.operations.people import create_user


def test_set_password_stores_a_scrypt_hash_that_checks():
    user = User(email="someone@example.com")
    user.set_password(PASSWORD)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "!")


def test_only_users_made_by_the_fixture_get_the_quick_hash(app, make_user):
    quick = make_user()
    assert quick.password_hash.startswith("pbkdf2:sha256:1000$")
    assert quick.check_password(PASSWORD) and not quick.check_password("wrong")
    real = create_user("real@example.com", PASSWORD)
    assert real.password_hash.startswith("scrypt:")
