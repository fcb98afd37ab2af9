"""Template gettext that looks the request's translations up once, not once per string.

Flask-Babel resolves the context, the domain and the locale on every `_()` call; a page of 200 meetings makes
thousands of them, and that lookup was the largest single cost of rendering the engagement page.
"""

from __future__ import annotations

from flask import Flask, g
from flask_babel import get_translations


def request_translations():
    """The translations of the current locale, remembered on the request for as long as that locale holds."""
    try:
        state = g.get("_flask_babel")
    except RuntimeError:  # no app context: Flask-Babel answers with null translations
        return get_translations()
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        # The first lookup of the request resolves and stores the locale; remember from the next one on.
        return get_translations()
    cached = getattr(state, "planner_translations", None)
    # force_locale() and refresh() replace the locale object, so an identity check keeps this exact.
    if cached is None or cached[0] is not locale:
        cached = (locale, get_translations())
        state.planner_translations = cached
    return cached[1]


def install(app: Flask) -> None:
    """Replace the gettext callables Flask-Babel put into Jinja with ones that use the request's cache."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
