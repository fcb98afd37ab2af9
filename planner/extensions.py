"""Flask extensions, created unbound here and bound to the app in `create_app`."""

from __future__ import annotations

import logging
import time

from celery import Celery
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session

from planner.client_address import client_key

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=client_key, default_limits=[])
celery_app = Celery("planner")
# Each app's task class derives from this base, not from the previous app's: no chain keeps old apps alive.
_TASK_BASE = celery_app.Task


def select_locale() -> str | None:
    """A locale chosen for this request (the client page), else the user's setting, else the browser."""
    from flask import current_app, g, request
    from flask_login import current_user

    if getattr(g, "locale", None):
        return g.locale
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def _remove_session(_exc: BaseException | None) -> None:
    try:
        db.session.remove()
    except Exception as error:  # noqa: BLE001 - the pool replaces a broken connection at the next checkout
        logging.getLogger(__name__).warning("the database session could not be closed cleanly: %s", error)


_COMMITTED = "committed_during_request"
# Falsy, so a commit expires nothing, yet told apart from the False that code keeping its objects on purpose
# sets (and restores) around its own commits: only the request's own commits are expired at its end.
_UNTIL_REQUEST_END = 0


def _keep_values_after_commit() -> None:
    db.session().expire_on_commit = _UNTIL_REQUEST_END


@event.listens_for(Session, "after_commit")
def _note_commit(session) -> None:
    # Only a note in memory: the end of the request expires what a commit would have expired.
    if session.expire_on_commit is not False and session.expire_on_commit == _UNTIL_REQUEST_END:
        session.info[_COMMITTED] = True


def _forget_values(_exc: BaseException | None) -> None:
    session = db.session()
    session.expire_on_commit = True
    if session.info.pop(_COMMITTED, False):
        try:
            session.expire_all()
        except Exception as error:  # noqa: BLE001 - nothing to keep from a session that is going away
            logging.getLogger(__name__).warning("the database session could not be reset: %s", error)


def init_extensions(app) -> None:
    """Bind every extension to the app."""
    from planner import ROOT
    from planner.db_pool import ping_after_idle

    db.init_app(app)
    # Closing a session whose connection died (a database restart) must not turn a sent answer into a 500.
    app.teardown_appcontext_funcs.remove(db._teardown_session)
    app.teardown_appcontext(_remove_session)
    # A request's answer is built from what it wrote: nothing is reloaded after its commit, so a database
    # that drops right after a commit cannot turn a saved change into an error. The next request starts
    # from the database again.
    app.before_request(_keep_values_after_commit)
    app.teardown_request(_forget_values)
    with app.app_context():
        ping_after_idle(db.engine, float(app.config["DB_PING_AFTER"]))
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    babel.init_app(app, locale_selector=select_locale)
    from planner.web.gettext_cache import install

    install(app)
    limiter.init_app(app)
    from planner.client_address import trust_proxies

    trust_proxies(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        from flask import g

        from planner.web.access import load_user_and_membership
        from planner.web.converters import MAX_ID

        # "<id>.<session version>.<login time>": a cookie made before the version was raised opens nothing,
        # and no login, remembered or not, outlives REMEMBER_COOKIE_DURATION whatever its cookie says.
        parts = user_id.split(".")
        if len(parts) != 3 or not all(part.isdigit() for part in parts) or int(parts[0]) > MAX_ID:
            return None
        age = time.time() - int(parts[2])
        if not -300 <= age <= app.config["REMEMBER_COOKIE_DURATION"].total_seconds():
            return None
        user = load_user_and_membership(int(parts[0]))
        if user is None or str(user.session_version) != parts[1]:
            g.pop("loaded_engagement", None)
            g.pop("memberships", None)
            return None
        user.login_stamp = int(parts[2])
        return user

    from planner.broker import TRANSPORT_OPTIONS

    broker = app.config.get("BROKER_URL")
    celery_app.conf.update(
        broker_url=broker or "memory://",
        # Installations that share one Redis keep their jobs apart by queue name.
        task_default_queue=app.config.get("CELERY_QUEUE") or "celery",
        broker_transport_options=TRANSPORT_OPTIONS,
        broker_connection_timeout=2,
        # One bounded attempt on the request path; what was not sent stays pending (planner/broker.py).
        task_publish_retry=False,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
    )
    app.extensions["celery"] = celery_app

    class AppContextTask(_TASK_BASE):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app.Task = AppContextTask
