"""Helpers for the pages of every audience: the language kept across links, the sign-in gate."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import get_locale

from .principal import Principal, current_principal


def with_lang(path: str) -> str:
    """`path` with the page's language kept when it was chosen with ?lang=."""
    lang = request.args.get("lang")
    if lang in ("vi", "en"):
        return f"{path}{'&' if '?' in path else '?'}lang={lang}"
    return path


def to_sign_in():
    """A redirect to the sign-in page that comes back here afterwards."""
    return redirect(with_lang(url_for("login.login_page", next=request.full_path.rstrip("?"))))


def gate(*roles: str) -> tuple[Principal | None, object | None]:
    """(the signed-in caller, None) if he may see a page for `roles`; else (None, the answer:
    a redirect to sign in, or the refusal page)."""
    who = current_principal(required=False)
    if who is None:
        return None, to_sign_in()
    if who.role not in roles:
        return None, (render_template("refused.html"), 403)
    return who, None


def register(app) -> None:
    @app.context_processor
    def _helpers():
        return {"get_locale": get_locale, "with_lang": with_lang}
