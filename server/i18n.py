"""Languages: Vietnamese first, English available (Flask-Babel).

Source strings are Vietnamese; `translations/en/LC_MESSAGES/messages.po` holds the English.
The .po file is compiled to .mo at start when the .mo is missing or older, so no build step is
needed on a kiosk or a fresh clone.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, has_request_context, request
from flask_babel import Babel, get_locale, get_translations

from .errors import QmsError

LANGUAGES = ("vi", "en")
TRANSLATIONS = Path(__file__).parent / "translations"

# Error messages by code, for clients that asked for English.
ERRORS_EN = {
    "bad_request": "Bad request",
    "too_large": "Request too large",
    "busy": "The server is busy; try again shortly",
    "unauthorized": "Not signed in or wrong token",
    "forbidden": "Not allowed",
    "not_found": "Not found",
    "unknown_service": "Unknown or inactive service",
    "unknown_counter": "Unknown counter",
    "service_closed": "The service is outside its opening hours",
    "daily_limit": "The service has reached its daily limit",
    "illegal_transition": "Not allowed in the current state",
    "counter_paused": "The counter is paused",
    "no_ticket": "The counter has no ticket in hand",
    "ticket_in_hand": "Finish or transfer the ticket in hand first",
    "queue_empty": "Nobody is waiting",
    "counter_busy": "Another officer is signed in at this counter",
    "not_your_ticket": "That ticket is not at your counter",
    "id_conflict": "The event id was already used for another request",
    "internal": "Internal error",
}


def select_locale() -> str:
    if not has_request_context():
        return current_app.config.get("QMS_LANGUAGE", "vi")
    # Vietnamese first: English only when asked for (?lang=en, remembered in a cookie), never
    # because a counter PC's browser happens to be set to English.
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        # A program calling the API sets the header on purpose.
        return request.accept_languages.best_match(LANGUAGES) or current_app.config.get("QMS_LANGUAGE", "vi")
    return current_app.config.get("QMS_LANGUAGE", "vi")


def remember_language(response):
    """Keep a `?lang=` choice for the next pages."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get("lang") != asked:
        response.set_cookie("lang", asked, max_age=365 * 86400, samesite="Lax")
    return response


def compile_catalogs() -> None:
    """Compile each .po to .mo when needed."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo)


def init_app(app) -> None:
    try:
        compile_catalogs()
    except OSError:  # a read-only install: use whatever .mo is there
        pass
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config.get("QMS_LANGUAGE", "vi"))
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.after_request(remember_language)


def localized_message(exc: QmsError) -> str:
    """The error's message in the caller's language.

    An error built from a message id (`exc.msgid`, e.g. server/wire's BadRequests naming the
    field) gets the English translation of that template with its `params`; any other error,
    or a template without a translation, gets the generic English text of its code."""
    if has_request_context() and str(get_locale()) == "en":
        if exc.msgid:
            english = get_translations().gettext(exc.msgid)
            if english != exc.msgid:
                try:
                    return english % exc.params
                except (KeyError, TypeError, ValueError):
                    pass
        return ERRORS_EN.get(exc.code, exc.message)
    return exc.message
