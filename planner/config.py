"""Configuration: defaults, the instance folder's config.py, PLANNER_* variables, then the test dict."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

DEFAULTS: dict[str, object] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # Seconds a pooled connection may sit idle before it is pinged at checkout (planner/db_pool.py).
    "DB_PING_AFTER": 10,
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "LANGUAGES": ["en", "ja"],
    "DEFAULT_TIMEZONE": "Asia/Tokyo",
    "FEED_REFRESH": timedelta(hours=1),
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # How long "stay logged in" lasts; a logout or a password change ends it sooner.
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    # Sent when SESSION_COOKIE_SECURE is on: a year of https only.
    "HSTS": "max-age=31536000",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Redis down: count in this process's memory (logged as a warning) rather than refuse or fail.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
    "WTF_CSRF_TIME_LIMIT": None,
    "BROKER_URL": None,
    "SMTP_URL": None,
    "MAIL_FROM": "planner@localhost",
    "PUBLIC_URL": None,
}


def _instance_secret(app: Flask, name: str, make) -> str:
    """Read a secret from the instance folder, creating it (mode 0600) on first run."""
    path = Path(app.instance_path) / name
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def load_config(app: Flask, overrides: dict | None) -> None:
    """Fill app.config from the layers, in order, and derive what is left."""
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("PLANNER")
    if overrides:
        app.config.from_mapping(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'planner.sqlite'}"
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if isinstance(app.config.get("TRUSTED_HOSTS"), str):
        # "planner.example.com, 10.0.0.5" from the environment: Flask wants a list.
        app.config["TRUSTED_HOSTS"] = app.config["TRUSTED_HOSTS"].replace(",", " ").split() or None
    if isinstance(app.config.get("REMEMBER_COOKIE_DURATION"), int | float):
        app.config["REMEMBER_COOKIE_DURATION"] = timedelta(seconds=app.config["REMEMBER_COOKIE_DURATION"])
    if app.config.get("SESSION_COOKIE_SECURE") and "REMEMBER_COOKIE_SECURE" not in app.config:
        # Behind https both cookies are sent over https only.
        app.config["REMEMBER_COOKIE_SECURE"] = True
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app, "secret_key", lambda: secrets.token_hex(32))
    if app.config.get("BROKER_URL") and app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
        # Several instances share one broker: let them share the rate limits too.
        app.config["RATELIMIT_STORAGE_URI"] = app.config["BROKER_URL"]


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the common way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
