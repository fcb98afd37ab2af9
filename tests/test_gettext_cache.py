"""The templates' cached gettext always answers with the translations Flask-Babel would use."""

from __future__ import annotations

from flask import g, render_template_string
from flask_babel import force_locale, get_locale, get_translations, refresh

from planner.web.gettext_cache import request_translations


def test_cached_translations_follow_the_locale(app):
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert str(get_locale()) == "ja"
        first = request_translations()
        assert first is get_translations() and request_translations() is first
        with force_locale("en"):
            assert request_translations() is get_translations()
            assert request_translations() is not first
        assert request_translations() is first
        g.locale = "en"
        refresh()
        assert str(get_locale()) == "en" and request_translations() is get_translations()


def test_templates_use_the_cached_gettext_and_still_escape(app):
    with app.test_request_context("/"):
        html = render_template_string("{{ _('Hello %(name)s', name=who) }} {{ _('Bye') }}", who="<b>")
        assert html == "Hello &lt;b&gt; Bye"
        assert hasattr(g, "_flask_babel") and g._flask_babel.planner_translations[1] is get_translations()
